package lheo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"unicode/utf8"
)

// errBail is returned by fastReader.next when the chunk holds something it
// does not handle; Chunk.Decode then decodes the chunk with encoding/xml.
var errBail = errors.New("lheo: construct left to encoding/xml")

// fastReader tokenizes a Chunk held in memory, for the XML that LHÉO files
// are made of: ASCII names without prefixes, quoted attribute values, text
// with the predefined entities and character references, CDATA sections,
// one default namespace. It yields the tokens that encoding/xml (Strict)
// yields for the same bytes, at the same lines, and gives up (errBail) on
// anything else: a comment, a processing instruction, a prefix, a
// non-ASCII name, any error, a token near the size limits. The chunk is
// then decoded again by encoding/xml, which reports errors with their exact
// positions. So it never accepts what encoding/xml refuses (FuzzFastReader
// compares the two token by token), and costs a fraction of it: it reads a
// slice instead of one byte at a time through an interface, fills one
// token struct instead of allocating each token, and returns text without
// copying when nothing in it is replaced.
type fastReader struct {
	data []byte
	pos  int
	line int // line of data[pos]
	max  int // largest token accepted, in bytes (below the budget of the slow path)

	names []string // open elements
	ns    []string // default namespace in force inside each open element
	end   bool     // a self-closing element's EndElement is due
	buf   []byte   // text with replacements
	attrs []xml.Attr
	decls []nsDecl // xmlns:prefix declarations in force
}

// nsDecl is an xmlns:prefix declaration of the open element at depth.
type nsDecl struct {
	depth       int
	prefix, uri string
}

// ctxDepth is the depth of the start tags that precede a chunk's element
// (<lheo>, <offres>): their attributes may be qualified (xmlns:xsi,
// xsi:schemaLocation); those of the element and below may not.
const ctxDepth = 2

// next returns the next token, or errBail.
func (r *fastReader) next(t *token) error {
	if r.end {
		r.end = false
		r.pop(t)
		return nil
	}
	if r.pos >= len(r.data) {
		return errBail
	}
	if r.data[r.pos] != '<' {
		return r.text(t)
	}
	if r.pos+1 >= len(r.data) {
		return errBail
	}
	switch r.data[r.pos+1] {
	case '/':
		return r.endTag(t)
	case '!':
		if bytes.HasPrefix(r.data[r.pos:], cdataStart) {
			return r.cdata(t)
		}
		return errBail
	case '?':
		return errBail
	}
	return r.startTag(t)
}

var cdataStart = []byte("<![CDATA[")

func (r *fastReader) pop(t *token) {
	n := len(r.names) - 1
	name := xml.Name{Space: r.ns[n], Local: r.names[n]}
	r.names, r.ns = r.names[:n], r.ns[:n]
	for len(r.decls) > 0 && r.decls[len(r.decls)-1].depth >= n {
		r.decls = r.decls[:len(r.decls)-1]
	}
	t.kind, t.start, t.text = tokEnd, xml.StartElement{Name: name}, nil
}

// text reads character data up to the next "<".
func (r *fastReader) text(t *token) error {
	rest := r.data[r.pos:]
	n := bytes.IndexByte(rest, '<')
	if n < 0 {
		return errBail // the element would not be closed
	}
	if n > r.max {
		return errBail
	}
	raw := rest[:n]
	if bytes.Contains(raw, cdataEnd) {
		return errBail // "]]>" outside CDATA: an error for encoding/xml
	}
	out, ok := r.decodeText(raw, true)
	if !ok {
		return errBail
	}
	r.advance(n)
	t.kind, t.start, t.text = tokText, xml.StartElement{}, out
	return nil
}

var cdataEnd = []byte("]]>")

// cdata reads a CDATA section.
func (r *fastReader) cdata(t *token) error {
	body := r.data[r.pos+len(cdataStart):]
	n := bytes.Index(body, cdataEnd)
	if n < 0 || n > r.max {
		return errBail
	}
	out, ok := r.decodeText(body[:n], false)
	if !ok {
		return errBail
	}
	r.advance(len(cdataStart) + n + len(cdataEnd))
	t.kind, t.start, t.text = tokText, xml.StartElement{}, out
	return nil
}

// decodeText checks raw (valid UTF-8, XML characters only) and returns it
// with line ends normalised (\r\n and \r become \n) and, when refs is set,
// the predefined entities and character references replaced; ok is false
// for anything encoding/xml would refuse or that is left to it.
func (r *fastReader) decodeText(raw []byte, refs bool) ([]byte, bool) {
	plain := true
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&' && refs, c == '\r':
				plain = false
			case c < 0x20 && c != '\t' && c != '\n':
				return nil, false
			}
			i++
			continue
		}
		rn, size := utf8.DecodeRune(raw[i:])
		if rn == utf8.RuneError && size == 1 || !inCharRange(rn) {
			return nil, false
		}
		i += size
	}
	if plain {
		return raw, true
	}
	out := r.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\r':
			out = append(out, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case c == '&' && refs:
			end := bytes.IndexByte(raw[i:], ';')
			if end < 0 {
				return nil, false
			}
			rn, ok := reference(raw[i+1 : i+end])
			if !ok {
				return nil, false
			}
			out = utf8.AppendRune(out, rn)
			i += end
		default:
			out = append(out, c)
		}
	}
	r.buf = out
	return out, true
}

// reference decodes the name of an entity reference or the digits of a
// character reference (between "&" and ";"), as encoding/xml does in
// strict mode without custom entities.
func reference(s []byte) (rune, bool) {
	switch string(s) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(s) < 2 || s[0] != '#' {
		return 0, false
	}
	s, base := s[1:], rune(10)
	if s[0] == 'x' {
		s, base = s[1:], 16
	}
	if len(s) == 0 || len(s) > 8 {
		return 0, false
	}
	var n rune
	for _, c := range s {
		var v rune
		switch {
		case '0' <= c && c <= '9':
			v = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			v = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			v = rune(c-'A') + 10
		default:
			return 0, false
		}
		n = n*base + v
	}
	// Surrogates are left to encoding/xml (which turns them into U+FFFD).
	if n > utf8.MaxRune || 0xD800 <= n && n <= 0xDFFF || !inCharRange(n) {
		return 0, false
	}
	return n, true
}

// inCharRange is the Char production of XML 1.0 (as encoding/xml has it).
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// advance moves past n bytes, counting lines.
func (r *fastReader) advance(n int) {
	r.line += bytes.Count(r.data[r.pos:r.pos+n], newline)
	r.pos += n
}

var newline = []byte{'\n'}

// name reads an ASCII XML name at data[i] and returns its end, or -1 when
// there is none or it goes on with a non-ASCII character (left to
// encoding/xml, which checks Unicode names).
func (r *fastReader) name(i int) int {
	if i >= len(r.data) || !isNameStart(r.data[i]) {
		return -1
	}
	j := i + 1
	for j < len(r.data) && isNameChar(r.data[j]) {
		j++
	}
	if j < len(r.data) && r.data[j] >= utf8.RuneSelf {
		return -1
	}
	return j
}

func isNameStart(c byte) bool { return isLetter(c) || c == '_' }

func isNameChar(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':'
}

// space skips XML white space from data[i] and returns where it ends.
func (r *fastReader) space(i int) int {
	for i < len(r.data) && isXMLSpace(r.data[i]) {
		i++
	}
	return i
}

// intern returns the schema's copy of an element name (no allocation for
// the names LHÉO knows).
func intern(b []byte) string {
	if s, ok := names[string(b)]; ok {
		return s
	}
	return string(b)
}

var names = func() map[string]string {
	m := make(map[string]string, len(schema)+2)
	for k := range schema {
		m[k] = k
	}
	for _, k := range []string{"lheo", "offres", "extras", "extra"} {
		m[k] = k
	}
	return m
}()

// startTag reads a start tag (or an empty-element tag).
func (r *fastReader) startTag(t *token) error {
	start := r.pos
	i := start + 1
	j := r.name(i)
	if j < 0 || bytes.IndexByte(r.data[i:j], ':') >= 0 {
		return errBail
	}
	local := intern(r.data[i:j])
	ns := ""
	if n := len(r.ns); n > 0 {
		ns = r.ns[n-1]
	}
	depth := len(r.names)
	attrs := r.attrs[:0]
	i = j
	empty := false
	for {
		if i-start > r.max {
			return errBail
		}
		i = r.space(i)
		if i >= len(r.data) {
			return errBail
		}
		if r.data[i] == '>' {
			i++
			break
		}
		if r.data[i] == '/' {
			if i+1 >= len(r.data) || r.data[i+1] != '>' {
				return errBail
			}
			i += 2
			empty = true
			break
		}
		j := r.name(i)
		if j < 0 {
			return errBail
		}
		var an xml.Name
		if k := bytes.IndexByte(r.data[i:j], ':'); k >= 0 {
			// A qualified attribute (xmlns:xsi, xsi:schemaLocation) only on
			// the enclosing start tags, whose attributes are not used.
			p, l := r.data[i:i+k], r.data[i+k+1:j]
			if depth >= ctxDepth || len(p) == 0 || len(l) == 0 || bytes.IndexByte(l, ':') >= 0 {
				return errBail
			}
			an = xml.Name{Space: string(p), Local: string(l)}
		} else {
			an = xml.Name{Local: intern(r.data[i:j])}
		}
		i = r.space(j)
		if i >= len(r.data) || r.data[i] != '=' {
			return errBail
		}
		i = r.space(i + 1)
		if i >= len(r.data) || r.data[i] != '"' && r.data[i] != '\'' {
			return errBail
		}
		q := r.data[i]
		end := bytes.IndexByte(r.data[i+1:], q)
		if end < 0 {
			return errBail
		}
		raw := r.data[i+1 : i+1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return errBail
		}
		val, ok := r.decodeText(raw, true)
		if !ok {
			return errBail
		}
		if an.Space == "" && an.Local == "xmlns" {
			if depth >= ctxDepth && string(val) != ns {
				return errBail // a namespace change inside the record
			}
			ns = string(val)
		}
		if an.Space == "xml" || an.Space == "xmlns" && an.Local == "" {
			return errBail
		}
		attrs = append(attrs, xml.Attr{Name: an, Value: string(val)})
		i += 1 + len(raw) + 1
	}
	if i-start > r.max {
		return errBail
	}
	// encoding/xml returns a fresh slice (copied by Token), never nil.
	out := make([]xml.Attr, len(attrs))
	copy(out, attrs)
	r.attrs = attrs[:0]
	// Qualified attributes of the enclosing tags keep their prefix as
	// encoding/xml would resolve it: only the xmlns declarations matter.
	for k := range out {
		if out[k].Name.Space != "" && out[k].Name.Space != "xmlns" {
			out[k].Name.Space = r.resolve(out[k].Name.Space, out)
		}
	}
	for _, a := range out {
		if a.Name.Space == "xmlns" {
			r.decls = append(r.decls, nsDecl{depth: depth, prefix: a.Name.Local, uri: a.Value})
		}
	}
	r.names = append(r.names, local)
	r.ns = append(r.ns, ns)
	r.advance(i - start)
	r.end = empty
	t.kind, t.start, t.text = tokStart, xml.StartElement{Name: xml.Name{Space: ns, Local: local}, Attr: out}, nil
	return nil
}

// resolve returns the namespace bound to prefix by the xmlns:prefix
// declarations of the enclosing start tags seen so far (and of attrs), or
// the prefix itself when none is, as encoding/xml does.
func (r *fastReader) resolve(prefix string, attrs []xml.Attr) string {
	for k := len(attrs) - 1; k >= 0; k-- {
		if a := attrs[k]; a.Name.Space == "xmlns" && a.Name.Local == prefix {
			return a.Value
		}
	}
	for k := len(r.decls) - 1; k >= 0; k-- {
		if r.decls[k].prefix == prefix {
			return r.decls[k].uri
		}
	}
	return prefix
}

// endTag reads an end tag, which must close the innermost open element.
func (r *fastReader) endTag(t *token) error {
	start := r.pos
	i := start + 2
	j := r.name(i)
	if j < 0 || len(r.names) == 0 || string(r.data[i:j]) != r.names[len(r.names)-1] {
		return errBail
	}
	j = r.space(j)
	if j >= len(r.data) || r.data[j] != '>' || j-start > r.max {
		return errBail
	}
	r.advance(j + 1 - start)
	r.pop(t)
	return nil
}
