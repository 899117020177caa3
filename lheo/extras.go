package lheo

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// rawWriter re-serialises an <extras> element from XML tokens into the
// canonical text kept in RawXML, and checks the content model of extras
// (only <extras> and <extra> children, no text). Elements of the document's
// LHÉO namespace are written unprefixed for a context whose default
// namespace is LHÉO 2.3; other namespaces are declared where needed.
type rawWriter struct {
	b      strings.Builder
	docNS  string
	ns     []string // default namespace in effect, per open element
	extras []bool   // open element is a LHÉO <extras>
	errf   func(line int, format string, args ...any)
}

func (w *rawWriter) reset(docNS string, errf func(int, string, ...any)) {
	w.b.Reset()
	w.docNS = docNS
	w.ns = append(w.ns[:0], Namespace23)
	w.extras = w.extras[:0]
	w.errf = errf
}

func (w *rawWriter) depth() int { return len(w.extras) }

func (w *rawWriter) start(t xml.StartElement, line int) {
	lheo := t.Name.Space == w.docNS
	inExtras := len(w.extras) > 0 && w.extras[len(w.extras)-1]
	if len(w.extras) == 0 && !(lheo && t.Name.Local == "extras") {
		w.errf(line, "élément <%s> inattendu : <extras> attendu", t.Name.Local)
	}
	if inExtras && !(lheo && (t.Name.Local == "extras" || t.Name.Local == "extra")) {
		w.errf(line, "élément <%s> inattendu dans <extras> : <extra> ou <extras> attendu", t.Name.Local)
	}
	want := t.Name.Space
	if lheo {
		want = Namespace23
	}
	w.b.WriteByte('<')
	w.b.WriteString(t.Name.Local)
	if cur := w.ns[len(w.ns)-1]; want != cur {
		w.b.WriteString(` xmlns="`)
		escapeAttr(&w.b, want)
		w.b.WriteByte('"')
	}
	ext := lheo && (t.Name.Local == "extras" || t.Name.Local == "extra")
	prefixes := 0
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			continue // namespace declarations are rewritten
		case ext:
			// The XSD types the common attributes (id, horodatage-*…):
			// keep only the free-text ones so the output stays valid.
			if a.Name.Space != "" || !keptAttr(a.Name.Local) {
				continue
			}
		}
		w.b.WriteByte(' ')
		switch a.Name.Space {
		case "":
		case xmlNamespace:
			w.b.WriteString("xml:")
		default:
			prefixes++
			p := "ns" + strconv.Itoa(prefixes)
			w.b.WriteString("xmlns:" + p + `="`)
			escapeAttr(&w.b, a.Name.Space)
			w.b.WriteString(`" ` + p + ":")
		}
		w.b.WriteString(a.Name.Local)
		w.b.WriteString(`="`)
		escapeAttr(&w.b, a.Value)
		w.b.WriteByte('"')
	}
	w.b.WriteByte('>')
	w.ns = append(w.ns, want)
	w.extras = append(w.extras, lheo && t.Name.Local == "extras")
}

func (w *rawWriter) end(t xml.EndElement) {
	w.b.WriteString("</")
	w.b.WriteString(t.Name.Local)
	w.b.WriteByte('>')
	w.ns = w.ns[:len(w.ns)-1]
	w.extras = w.extras[:len(w.extras)-1]
}

func (w *rawWriter) text(s []byte, line int) {
	if len(w.extras) == 0 || w.extras[len(w.extras)-1] {
		if !isBlank(string(s)) {
			w.errf(line, "texte inattendu dans <extras> : seuls des éléments <extra> sont permis")
		}
		if len(w.extras) == 0 {
			return
		}
	}
	escapeText(&w.b, string(s))
}

// keptAttr reports whether a common attribute is kept by this package.
func keptAttr(name string) bool {
	switch name {
	case "numero", "ref", "info", "tag":
		return true
	}
	return false
}

// canonicalExtras checks a RawXML given to the Encoder and returns its
// canonical form.
func canonicalExtras(raw RawXML, errf func(int, string, ...any)) RawXML {
	const open = `<r xmlns="` + Namespace23 + `">`
	d := xml.NewDecoder(io.MultiReader(strings.NewReader(open), strings.NewReader(string(raw)), strings.NewReader("</r>")))
	var w rawWriter
	w.reset(Namespace23, errf)
	roots := 0
	for depth := 0; ; {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			errf(0, "extras : XML mal formé : %s", frenchSyntax(err))
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				continue
			}
			if depth == 2 {
				roots++
			}
			w.start(t, 0)
		case xml.EndElement:
			depth--
			if depth > 0 {
				w.end(t)
			}
		case xml.CharData:
			if depth == 1 {
				if !isBlank(string(t)) {
					errf(0, "extras : texte hors de l'élément <extras>")
				}
				continue
			}
			w.text(t, 0)
		case xml.Directive:
			errf(0, "extras : directive XML interdite")
			return ""
		}
	}
	if roots != 1 {
		errf(0, "extras : un seul élément <extras> attendu, %d trouvés", roots)
	}
	return RawXML(w.b.String())
}

// escapeText writes s escaped for XML character data.
func escapeText(b io.StringWriter, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// escapeAttr writes s escaped for a double-quoted attribute value.
func escapeAttr(b io.StringWriter, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\r':
			esc = "&#xD;"
		case '\n':
			esc = "&#xA;"
		case '\t':
			esc = "&#x9;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
