package lheo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// LHÉO namespaces accepted by the Decoder. The Encoder writes Namespace23.
const (
	Namespace22 = "http://www.lheo.org/2.2"
	Namespace23 = "http://lheo.gouv.fr/2.3"
)

// Version is the LHÉO version of a document, from its namespace.
type Version string

const (
	Version22 Version = "2.2"
	Version23 Version = "2.3"
)

// Options bound the resources used by a Decoder. Zero fields take the
// default values.
type Options struct {
	// MaxTextSize is the largest text node, tag, comment or DOCTYPE, in
	// bytes (default 1 MiB). Exceeding it is a document error.
	MaxTextSize int
	// MaxDepth is the deepest element nesting (default 64; LHÉO itself needs
	// about 10 plus nested extras). Exceeding it is a document error.
	MaxDepth int
	// MaxRecordSize is the largest <formation> element, in bytes (default
	// 64 MiB). A larger record is skipped and rejected as a RecordError.
	MaxRecordSize int64
	// Skip, if set, is called with the digest of the raw bytes of each
	// <formation> element (see Decoder.Digest) and the raw value of its
	// numero attribute (entities not expanded), in document order, before
	// the element is decoded; when it returns true, the element is not
	// decoded and Next returns ErrSkipped for it. Use it to pass over
	// records known unchanged: return true only for digests of records
	// decoded and accepted before. It is called from the goroutine calling
	// Next, ahead of Next.
	Skip func(digest, numero string) bool
	// Known, if set with Skip, reports whether a digest is that of a record
	// Skip may accept (it must not depend on the order of the calls). The
	// scanner then first tries the end of each element at its first
	// "</formation>": when the bytes up to it have a known digest, they are
	// those of an element scanned before, so its end is there and the
	// tags inside need not be walked. Otherwise the element is scanned as
	// usual.
	Known func(digest string) bool
	// Split, if set, makes Next cut out of the document every <formation>
	// element that the scanner isolates and Skip does not skip: Next
	// returns ErrChunk for it, in document order, and Chunk.Decode decodes
	// it (in any goroutine: this is how a caller decodes on several cores).
	// Next still checks the document around the elements. Elements the
	// scanner cannot isolate (larger than 4 MiB, or after an internal DTD
	// subset) are decoded by Next as usual.
	Split bool
}

// Default limits.
const (
	DefaultMaxTextSize   = 1 << 20
	DefaultMaxDepth      = 64
	DefaultMaxRecordSize = 64 << 20
)

// tagSlack is the room left above MaxTextSize for the markup of one token.
const tagSlack = 4096

// Decoder reads a LHÉO document one <formation> at a time. Memory use
// depends on the largest record, not on the size of the document.
type Decoder struct {
	opts    Options
	cr      *countingReader
	xd      *xml.Decoder
	fast    *fastReader // instead of cr and xd, for a Chunk (see fastReader)
	tok     token       // the last token
	ns      string
	version Version
	state   int
	err     error // sticky document error
	depth   int   // open elements
	count   int   // formations seen

	// Position of the start of the last token returned by token().
	tokLine, tokCol int

	// Record being read.
	tree     tree
	stack    []int32
	text     []byte
	reasons  []Reason
	recStart int64
	raw      rawWriter

	sk      *skipReader
	tokOff  int64 // input offset of the last token
	digest  string
	recLine int
	chunk   *Chunk
}

const (
	stateProlog = iota
	stateOffres
	stateEnd
)

// NewDecoder returns a Decoder reading r. opts may be nil.
func NewDecoder(r io.Reader, opts *Options) *Decoder {
	d := &Decoder{}
	if opts != nil {
		d.opts = *opts
	}
	if d.opts.MaxTextSize <= 0 {
		d.opts.MaxTextSize = DefaultMaxTextSize
	}
	if d.opts.MaxDepth <= 0 {
		d.opts.MaxDepth = DefaultMaxDepth
	}
	if d.opts.MaxRecordSize <= 0 {
		d.opts.MaxRecordSize = DefaultMaxRecordSize
	}
	br, err := prepareInput(r)
	if err != nil {
		d.err = &DocumentError{Line: 1, Column: 1, Msg: err.Error()}
		return d
	}
	if d.opts.Skip != nil || d.opts.Split {
		skip := d.opts.Skip
		if skip == nil {
			skip = func(string, string) bool { return false }
		}
		d.sk = newSkipReader(br, skip)
		if d.opts.Skip != nil {
			d.sk.known = d.opts.Known
		}
		if d.opts.Split {
			opts := d.opts
			d.sk.split = &opts
		}
		br = d.sk
	}
	d.cr = newCountingReader(br)
	d.cr.sk = d.sk
	d.xd = xml.NewDecoder(d.cr)
	d.xd.Strict = true
	d.xd.CharsetReader = passCharset
	return d
}

// Version returns the LHÉO version of the document, known after the first
// call to Next.
func (d *Decoder) Version() Version { return d.version }

// Next returns the next formation of the document.
//
// It returns (f, nil) for a valid record; (nil, *RecordError) for a record
// that breaks the standard, after which Next may be called again; (nil,
// io.EOF) once the whole document has been read and found well-formed; and
// (nil, *DocumentError) when the document is malformed, after which every
// call returns the same error. Because a document error may be found after
// records were returned, callers must not commit anything before io.EOF.
func (d *Decoder) Next() (*Formation, error) {
	d.chunk = nil
	if d.err != nil {
		return nil, d.err
	}
	if d.state == stateProlog {
		if err := d.prolog(); err != nil {
			return nil, err
		}
	}
	if d.state == stateEnd {
		return nil, io.EOF
	}
	for {
		if d.sk != nil {
			if ev, ok := d.sk.nextSkipped(d.xd.InputOffset()); ok {
				d.count++
				d.digest, d.recLine = ev.digest, ev.line
				if ev.chunk != nil {
					d.chunk = ev.chunk
					return nil, ErrChunk
				}
				return nil, ErrSkipped
			}
		}
		t, err := d.token()
		if err != nil {
			return nil, d.noEOF(err)
		}
		switch t.kind {
		case tokStart:
			switch {
			case t.start.Name.Space == d.ns && t.start.Name.Local == "formation":
				d.count++
				d.digest = ""
				if d.sk != nil {
					if ev, ok := d.sk.decoded(d.tokOff); ok {
						d.digest = ev.digest
					}
				}
				return d.record(t.start)
			case t.start.Name.Space == d.ns && t.start.Name.Local == "extras":
				if err := d.skip(); err != nil {
					return nil, err
				}
			default:
				return nil, d.errorf("élément <%s> inattendu dans <offres> : <formation> attendu", t.start.Name.Local)
			}
		case tokEnd: // </offres>
			if d.count == 0 {
				return nil, d.errorf("le document ne contient aucune formation")
			}
			if err := d.epilog(); err != nil {
				return nil, err
			}
			d.state = stateEnd
			return nil, io.EOF
		case tokText:
			if !isBlank(string(t.text)) {
				return nil, d.textErrorf(t.text, "texte inattendu dans <offres>")
			}
		}
	}
}

// Kinds of tokens.
const (
	tokText      = iota // text and CDATA sections
	tokStart            // start tag
	tokEnd              // end tag
	tokDirective        // <!…>
	tokOther            // comment, processing instruction
)

// token is one XML token as the Decoder reads it: a struct rather than an
// xml.Token, so that the fast reader allocates nothing per token. text is
// only valid until the next token.
type token struct {
	kind  int
	start xml.StartElement // tokStart: name and attributes; tokEnd: name
	text  []byte           // tokText: the characters; tokDirective: the directive
}

// end returns the end element of a tokEnd token.
func (t *token) end() xml.EndElement { return xml.EndElement{Name: t.start.Name} }

// fromXML converts a token of encoding/xml.
func fromXML(x xml.Token) token {
	switch x := x.(type) {
	case xml.StartElement:
		return token{kind: tokStart, start: x}
	case xml.EndElement:
		return token{kind: tokEnd, start: xml.StartElement{Name: x.Name}}
	case xml.CharData:
		return token{kind: tokText, text: x}
	case xml.Directive:
		return token{kind: tokDirective, text: x}
	}
	return token{kind: tokOther}
}

// token returns the next XML token, enforcing the limits, and records the
// position where it starts.
func (d *Decoder) token() (*token, error) {
	t := &d.tok
	if d.fast != nil {
		// Columns are only needed by document errors, which the fast
		// reader leaves to encoding/xml (Chunk.Decode).
		d.tokOff, d.tokLine, d.tokCol = int64(d.fast.pos), d.fast.line, 0
		if err := d.fast.next(t); err != nil {
			return t, err
		}
	} else {
		d.tokOff = d.xd.InputOffset()
		d.tokLine, d.tokCol = d.cr.pos(d.tokOff)
		d.cr.budget(int64(d.opts.MaxTextSize) + tagSlack)
		x, err := d.xd.Token()
		if err == io.EOF {
			// encoding/xml reports io.EOF only when every element is closed.
			return t, io.EOF
		}
		if err != nil {
			return t, d.fail(err)
		}
		*t = fromXML(x)
	}
	switch t.kind {
	case tokStart:
		d.depth++
		if d.depth > d.opts.MaxDepth {
			return t, d.errorf("plus de %d éléments imbriqués : limite de profondeur dépassée", d.opts.MaxDepth)
		}
	case tokEnd:
		d.depth--
	case tokDirective:
		if d.state != stateProlog || d.depth != 0 || !bytes.HasPrefix(t.text, []byte("DOCTYPE")) {
			return t, d.errorf("directive <!%s> interdite", firstWord(t.text))
		}
		if bytes.ContainsRune(t.text, '[') {
			return t, d.errorf("DOCTYPE avec déclarations internes (entités) interdit")
		}
		// A DOCTYPE without internal subset is ignored: the DTD is never
		// fetched.
	}
	return t, nil
}

func firstWord(b []byte) string {
	s, _, _ := strings.Cut(string(b[:min(len(b), 40)]), " ")
	return s
}

// noEOF turns an early end of document into a document error.
func (d *Decoder) noEOF(err error) error {
	if err == io.EOF {
		return d.errorf("fin de document inattendue")
	}
	return err
}

// errorf records a document error at the start of the last token.
func (d *Decoder) errorf(format string, args ...any) error {
	d.err = &DocumentError{Line: d.tokLine, Column: d.tokCol, Msg: fmt.Sprintf(format, args...)}
	return d.err
}

// textErrorf records a document error at the first non-blank character of
// the text token t.
func (d *Decoder) textErrorf(t []byte, format string, args ...any) error {
	for len(t) > 0 && isXMLSpace(t[0]) {
		if t[0] == '\n' {
			d.tokLine, d.tokCol = d.tokLine+1, 1
		} else {
			d.tokCol++
		}
		t = t[1:]
	}
	return d.errorf(format, args...)
}

// fail turns an error of the XML decoder into a document error.
func (d *Decoder) fail(err error) error {
	line, col := d.cr.pos(d.xd.InputOffset())
	e := &DocumentError{Line: line, Column: col, Err: err}
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errTokenTooLarge):
		e.Line, e.Column = d.tokLine, d.tokCol
		e.Msg = fmt.Sprintf("nœud XML (texte, balise ou commentaire) de plus de %d octets : limite de taille dépassée", d.opts.MaxTextSize)
	case errors.As(err, &se):
		e.Msg = frenchSyntax(err)
		switch {
		case strings.Contains(se.Msg, "closed by") || strings.HasPrefix(se.Msg, "unexpected end element"):
			// Point at the start of the offending end tag.
			e.Line, e.Column = d.tokLine, d.tokCol
		case strings.HasPrefix(se.Msg, "invalid character entity "):
			// Point at the "&" of the entity just read.
			ent := strings.TrimPrefix(se.Msg, "invalid character entity ")
			e.Column = max(e.Column-utf8.RuneCountInString(ent), 1)
		case e.Column > 1:
			// Point at the last character read, which is the wrong one.
			e.Column--
		}
	case strings.HasPrefix(err.Error(), "xml: "):
		e.Msg = frenchSyntax(err)
	default:
		e.Msg = "erreur de lecture : " + err.Error()
	}
	d.err = e
	return e
}

// prolog reads up to the <offres> start tag.
func (d *Decoder) prolog() error {
	for {
		t, err := d.token()
		if err == io.EOF {
			return d.errorf("document vide : élément racine <lheo> attendu")
		}
		if err != nil {
			return err
		}
		switch t.kind {
		case tokText:
			if !isBlank(string(t.text)) {
				return d.textErrorf(t.text, "texte avant l'élément racine")
			}
		case tokStart:
			if err := d.root(t.start); err != nil {
				return err
			}
			return d.offres()
		}
	}
}

func (d *Decoder) root(t xml.StartElement) error {
	switch t.Name.Local {
	case "lheo":
	case "lheo-index", "lheo-plus":
		return d.errorf("élément racine <%s> non pris en charge : <lheo> attendu", t.Name.Local)
	default:
		return d.errorf("élément racine <%s> inattendu : <lheo> attendu", t.Name.Local)
	}
	switch t.Name.Space {
	case Namespace23:
		d.version = Version23
	case Namespace22:
		d.version = Version22
	case "":
		return d.errorf(`espace de noms absent : xmlns="%s" (ou LHÉO 2.2 "%s") attendu`, Namespace23, Namespace22)
	default:
		return d.errorf("espace de noms inconnu « %s » : %s ou %s attendu", t.Name.Space, Namespace23, Namespace22)
	}
	d.ns = t.Name.Space
	return nil
}

func (d *Decoder) offres() error {
	for {
		t, err := d.token()
		if err != nil {
			return d.noEOF(err)
		}
		switch t.kind {
		case tokText:
			if !isBlank(string(t.text)) {
				return d.textErrorf(t.text, "texte inattendu dans <lheo>")
			}
		case tokStart:
			if t.start.Name.Space != d.ns || t.start.Name.Local != "offres" {
				return d.errorf("élément <%s> inattendu dans <lheo> : <offres> attendu", t.start.Name.Local)
			}
			d.state = stateOffres
			return nil
		case tokEnd:
			return d.errorf("élément <offres> absent")
		}
	}
}

// epilog reads from </offres> to the end of the document.
func (d *Decoder) epilog() error {
	for {
		t, err := d.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t.kind {
		case tokStart:
			if d.depth == 2 && t.start.Name.Space == d.ns && t.start.Name.Local == "extras" {
				if err := d.skip(); err != nil {
					return err
				}
				continue
			}
			if d.depth == 1 {
				return d.errorf("élément <%s> après l'élément racine </lheo>", t.start.Name.Local)
			}
			return d.errorf("élément <%s> inattendu dans <lheo>", t.start.Name.Local)
		case tokText:
			if !isBlank(string(t.text)) {
				if d.depth == 0 {
					return d.textErrorf(t.text, "texte après l'élément racine </lheo>")
				}
				return d.textErrorf(t.text, "texte inattendu dans <lheo>")
			}
		}
	}
}

// skip reads up to the end of the element just started.
func (d *Decoder) skip() error {
	for target := d.depth - 1; d.depth > target; {
		if _, err := d.token(); err != nil {
			return d.noEOF(err)
		}
	}
	return nil
}

// reasonf records a reason to reject the current record.
func (d *Decoder) reasonf(line int, format string, args ...any) {
	switch {
	case len(d.reasons) < maxReasons:
		d.reasons = append(d.reasons, Reason{Line: line, Msg: fmt.Sprintf(format, args...)})
	case len(d.reasons) == maxReasons:
		d.reasons = append(d.reasons, Reason{Line: line, Msg: "trop d'erreurs, les suivantes ne sont pas détaillées"})
	}
}

func (d *Decoder) recordTooBig() bool {
	return d.offset()-d.recStart > d.opts.MaxRecordSize
}

// offset is the input offset after the last token.
func (d *Decoder) offset() int64 {
	if d.fast != nil {
		return int64(d.fast.pos)
	}
	return d.xd.InputOffset()
}

// record reads a <formation> whose start tag is t.
func (d *Decoder) record(t xml.StartElement) (*Formation, error) {
	line := d.tokLine
	d.recLine = line
	d.recStart = d.offset()
	d.tree.reset()
	d.reasons = d.reasons[:0]
	d.text = d.text[:0]
	root := d.tree.add(none, "formation", line)
	d.tree.nodes[root].attrs = keptAttrs(t.Attr)
	d.stack = append(d.stack[:0], root)
	depth := d.depth
	tooBig := false

	for len(d.stack) > 0 {
		if d.recordTooBig() {
			tooBig = true
			d.reasons = append(d.reasons[:0], Reason{Line: line,
				Msg: fmt.Sprintf("formation de plus de %d octets : limite de taille dépassée", d.opts.MaxRecordSize)})
			for d.depth >= depth {
				if _, err := d.token(); err != nil {
					return nil, d.noEOF(err)
				}
			}
			break
		}
		t, err := d.token()
		if err != nil {
			return nil, d.noEOF(err)
		}
		top := d.stack[len(d.stack)-1]
		switch t.kind {
		case tokStart:
			d.flushText(top, true)
			switch {
			case t.start.Name.Space != d.ns:
				d.reasonf(d.tokLine, "élément <%s> d'un espace de noms inconnu (%s) dans <%s>",
					t.start.Name.Local, t.start.Name.Space, d.tree.nodes[top].name)
				err = d.skip()
			case schema[t.start.Name.Local] == nil:
				d.reasonf(d.tokLine, "élément <%s> inconnu en LHÉO dans <%s>", t.start.Name.Local, d.tree.nodes[top].name)
				err = d.skip()
			case t.start.Name.Local == "extras":
				err = d.extras(top, t.start)
			default:
				i := d.tree.add(top, t.start.Name.Local, d.tokLine)
				d.tree.nodes[i].attrs = keptAttrs(t.start.Attr)
				d.stack = append(d.stack, i)
			}
			if err != nil {
				return nil, err
			}
		case tokEnd:
			d.flushText(top, false)
			d.stack = d.stack[:len(d.stack)-1]
		case tokText:
			if len(d.text)+len(t.text) > d.opts.MaxTextSize {
				return nil, d.errorf("texte de plus de %d octets dans <%s> : limite de taille dépassée",
					d.opts.MaxTextSize, d.tree.nodes[top].name)
			}
			d.text = append(d.text, t.text...)
		}
	}

	numero := d.tree.attr(root, "numero")
	if !tooBig {
		v := validator{t: &d.tree, reasons: d.reasons}
		v.validate(root)
		d.reasons = v.reasons
	}
	if len(d.reasons) > 0 {
		return nil, &RecordError{Line: line, Numero: numero, Reasons: append([]Reason(nil), d.reasons...)}
	}
	return decodeFormation(&d.tree, root), nil
}

// flushText assigns the text read since the last tag to node i: as its
// content when it is a leaf being closed, else it must be blank.
func (d *Decoder) flushText(i int32, child bool) {
	n := &d.tree.nodes[i]
	switch {
	case !child && n.first == none:
		n.text = string(d.text)
	case !isBlank(string(d.text)):
		n.mixed = true
	}
	d.text = d.text[:0]
}

// extras captures an <extras> element as RawXML.
func (d *Decoder) extras(parent int32, start xml.StartElement) error {
	i := d.tree.add(parent, "extras", d.tokLine)
	w := &d.raw
	w.reset(d.ns, d.reasonf)
	w.start(start, d.tokLine)
	for w.depth() > 0 {
		if d.recordTooBig() {
			return nil // record() notices and skips the rest
		}
		t, err := d.token()
		if err != nil {
			return d.noEOF(err)
		}
		switch t.kind {
		case tokStart:
			w.start(t.start, d.tokLine)
		case tokEnd:
			w.end(t.end())
		case tokText:
			w.text(t.text, d.tokLine)
		}
	}
	d.tree.nodes[i].raw = RawXML(w.b.String())
	return nil
}

// keptAttrs returns the unqualified attributes of a LHÉO element, without
// namespace declarations.
func keptAttrs(attrs []xml.Attr) []xml.Attr {
	n := 0
	for _, a := range attrs {
		if a.Name.Space == "" && a.Name.Local != "xmlns" {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]xml.Attr, 0, n)
	for _, a := range attrs {
		if a.Name.Space == "" && a.Name.Local != "xmlns" {
			out = append(out, a)
		}
	}
	return out
}
