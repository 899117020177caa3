package web

import (
	"html/template"
	"regexp"
	"strings"
)

// markdown renders the small subset of Markdown that docs/ uses (headings,
// paragraphs, lists, tables, **bold**, `code`, [links](url)) as HTML with
// DSFR classes. Everything is escaped first: the text cannot inject markup.
func markdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	heading := "Tableau" // a table's caption: the heading above it
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " ")
		switch {
		case l == "":
			flush()
		case strings.HasPrefix(l, "#"):
			flush()
			n := len(l) - len(strings.TrimLeft(l, "#"))
			if n > 6 {
				n = 6
			}
			tag := "h" + string(rune('0'+n))
			heading = strings.TrimSpace(l[n:])
			b.WriteString("<" + tag + ">" + inline(strings.TrimSpace(l[n:])) + "</" + tag + ">\n")
		case strings.HasPrefix(l, "- "):
			flush()
			b.WriteString("<ul>\n")
			for ; i < len(lines) && strings.HasPrefix(lines[i], "- "); i++ {
				item := strings.TrimPrefix(lines[i], "- ")
				for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  ") && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "- ") {
					i++
					item += " " + strings.TrimSpace(lines[i])
				}
				b.WriteString("<li>" + inline(item) + "</li>\n")
			}
			i--
			b.WriteString("</ul>\n")
		case strings.HasPrefix(l, "|"):
			flush()
			var rows [][]string
			for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
				cells := strings.Split(strings.Trim(strings.TrimSpace(lines[i]), "|"), "|")
				if strings.Trim(strings.Join(cells, ""), " -:") == "" {
					continue // the separator line
				}
				rows = append(rows, cells)
			}
			i--
			b.WriteString(`<div class="fr-table fr-table--no-caption"><table><caption>` + inline(heading) + "</caption>\n")
			for r, row := range rows {
				if r == 0 {
					b.WriteString("<thead><tr>")
				} else if r == 1 {
					b.WriteString("<tbody>\n<tr>")
				} else {
					b.WriteString("<tr>")
				}
				for _, c := range row {
					if r == 0 {
						b.WriteString(`<th scope="col">` + inline(strings.TrimSpace(c)) + "</th>")
					} else {
						b.WriteString("<td>" + inline(strings.TrimSpace(c)) + "</td>")
					}
				}
				if r == 0 {
					b.WriteString("</tr></thead>\n")
				} else {
					b.WriteString("</tr>\n")
				}
			}
			if len(rows) > 1 {
				b.WriteString("</tbody>")
			}
			b.WriteString("</table></div>\n")
		default:
			para = append(para, strings.TrimSpace(l))
		}
	}
	flush()
	return template.HTML(b.String())
}

var (
	mdBold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdCode = regexp.MustCompile("`([^`]+)`")
	mdLink = regexp.MustCompile(`\[([^\]]+)\]\(((?:https?://|/|#)[^)\s"]*)\)`)
)

// inline escapes s then applies bold, code and links.
func inline(s string) string {
	s = template.HTMLEscapeString(s)
	s = mdCode.ReplaceAllString(s, "<code>$1</code>")
	s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
	s = mdLink.ReplaceAllString(s, `<a href="$2">$1</a>`)
	return s
}
