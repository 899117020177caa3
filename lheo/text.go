package lheo

import (
	"html"
	"strconv"
	"strings"
)

// IsPlaceholder reports whether a text field holds one of the placeholders
// real LHÉO data puts in mandatory fields ("-", "Non renseigné", …) or is
// blank. The standard accepts them, so the Decoder keeps them; callers may
// want to display nothing instead.
func IsPlaceholder(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "-", "--", "–", ".", "non renseigné", "non renseignée", "non communiqué", "nc", "n/a":
		return true
	}
	return false
}

// PlainText turns an LHÉO text into plain text. Carif and ONISEP exports
// carry HTML escaped inside the XML text (&lt;p&gt;…): once decoded, the
// field holds "<p>…</p>". PlainText removes the tags, turns paragraphs,
// line breaks and list items into new lines ("- " before items), decodes
// HTML entities (&eacute;, &nbsp;, &#39;…) and collapses white space. A text
// without tags keeps its line breaks.
func PlainText(s string) string {
	isHTML := hasTag(s)
	if !isHTML && !strings.Contains(s, "&") {
		return tidy(s)
	}
	text := func(t string) string {
		t = html.UnescapeString(t)
		if isHTML { // source line breaks are spaces in HTML
			t = htmlLineBreaks.Replace(t)
		}
		return t
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(text(s))
			break
		}
		b.WriteString(text(s[:i]))
		s = s[i:]
		end := strings.IndexByte(s, '>')
		if end < 0 || !tagStart(s) {
			b.WriteString("<")
			s = s[1:]
			continue
		}
		tag := strings.ToLower(strings.TrimLeft(s[1:end], "/"))
		if k := strings.IndexAny(tag, " \t\r\n/"); k >= 0 {
			tag = tag[:k]
		}
		switch tag {
		case "br", "p", "div", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote":
			b.WriteByte('\n')
		case "li":
			if s[1] != '/' {
				b.WriteString("\n- ")
			}
		case "td", "th":
			b.WriteByte(' ')
		}
		s = s[end+1:]
	}
	return tidy(b.String())
}

// htmlLineBreaks turns source line breaks into spaces.
var htmlLineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// tagStart reports whether s starts with something that looks like an HTML
// tag: "<" followed by a letter, "/" or "!".
func tagStart(s string) bool {
	return len(s) > 1 && (isLetter(s[1]) || s[1] == '/' || s[1] == '!')
}

func hasTag(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		if tagStart(s[i:]) && strings.IndexByte(s[i:], '>') > 0 {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// tidy collapses white space inside lines, trims them and keeps at most one
// empty line in a row.
func tidy(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\u00a0", " ")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

// Prix is a price as written in prix-horaire-TTC or prix-total-TTC: a
// string in the XSD, with a decimal comma in real data ("1250,50").
type Prix string

// Centimes returns the price in euro cents. It accepts a decimal comma or
// point, spaces as thousands separators and a trailing "€" or "EUR".
func (p Prix) Centimes() (int64, bool) {
	s := strings.TrimSpace(string(p))
	s = strings.TrimSuffix(s, "€")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "EUR"), "eur")
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", ",", ".").Replace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 || strings.ContainsAny(whole+frac, "+-") {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	if whole == "" {
		whole = "0"
	}
	e, err1 := strconv.ParseInt(whole, 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || e > (1<<62)/100 {
		return 0, false
	}
	return e*100 + c, true
}

// LatLon parses the coordinates (decimal point or comma). ok is false when
// they are not numbers in the WGS84 ranges.
func (g Geolocalisation) LatLon() (lat, lon float64, ok bool) {
	var err1, err2 error
	lat, err1 = strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(g.Latitude), ",", "."), 64)
	lon, err2 = strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(g.Longitude), ",", "."), 64)
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return 0, 0, false
	}
	return lat, lon, true
}
