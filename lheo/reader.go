package lheo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// errTokenTooLarge is returned by countingReader when a single XML token
// (text node, tag, comment, DOCTYPE…) exceeds its byte budget.
var errTokenTooLarge = errors.New("lheo: XML token too large")

// countingReader is the io.ByteReader given to encoding/xml. It counts lines
// and columns (in characters) and enforces a byte budget per XML token, so
// that a huge text node or tag is rejected after a bounded read instead of
// being buffered whole by encoding/xml.
type countingReader struct {
	r       io.Reader
	buf     []byte
	i, n    int   // next byte and end of data in buf
	stop    int   // ReadByte takes the slow path at i == stop (min of n and the budget)
	base    int64 // offset of buf[0]
	limit   int64 // budget: offset that may not be read; 0 disables the check
	err     error
	line    int  // line of the next byte, 1-based
	col     int  // characters already read on the current line
	prevCol int  // characters of the previous line
	last    byte // last byte returned
	// sk, when set, is the skip reader read from: at each of its marks the
	// position becomes the one after the skipped element in the input.
	sk *skipReader
}

func newCountingReader(r io.Reader) *countingReader {
	return &countingReader{r: r, buf: make([]byte, 64<<10), line: 1}
}

func (c *countingReader) ReadByte() (byte, error) {
	if c.i >= c.stop {
		if err := c.slow(); err != nil {
			return 0, err
		}
	}
	b := c.buf[c.i]
	c.i++
	switch {
	case b == '\n':
		c.line++
		c.prevCol, c.col = c.col, 0
	case b&0xC0 != 0x80: // not a UTF-8 continuation byte
		c.col++
	}
	c.last = b
	return b, nil
}

// slow refills the buffer, moves the position to a mark of the skip reader
// or reports the end of the budget.
func (c *countingReader) slow() error {
	c.mark()
	if c.i >= c.n {
		if c.err != nil {
			return c.err
		}
		c.base += int64(c.n)
		c.i, c.n = 0, 0
		for c.n == 0 && c.err == nil {
			c.n, c.err = c.r.Read(c.buf)
		}
		if c.n == 0 {
			return c.err
		}
		c.mark()
	}
	c.setStop()
	if c.i >= c.stop {
		return errTokenTooLarge
	}
	return nil
}

func (c *countingReader) setStop() {
	c.stop = c.n
	if c.limit > 0 && c.limit-c.base < int64(c.n) {
		c.stop = int(max(c.limit-c.base, 0))
	}
	if c.sk != nil && len(c.sk.marks) > 0 {
		if m := c.sk.marks[0].off - c.base; m < int64(c.stop) {
			c.stop = int(max(m, int64(c.i)))
		}
	}
}

// mark applies the skip reader's marks reached: the bytes read so far end
// where a skipped element ended in the input.
func (c *countingReader) mark() {
	for c.sk != nil && len(c.sk.marks) > 0 && c.sk.marks[0].off <= c.offset() {
		m := c.sk.marks[0]
		c.sk.marks = c.sk.marks[1:]
		c.line, c.col = m.line, m.col
	}
}

// Read implements io.Reader; encoding/xml only uses ReadByte.
func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		b, err := c.ReadByte()
		if err != nil {
			if i > 0 {
				return i, nil
			}
			return 0, err
		}
		p[i] = b
	}
	return len(p), nil
}

// offset returns the number of bytes read.
func (c *countingReader) offset() int64 { return c.base + int64(c.i) }

// budget allows the next n bytes to be read.
func (c *countingReader) budget(n int64) {
	c.limit = c.offset() + n
	c.setStop()
}

// pos returns the line and the column (1-based, in characters) of the byte
// at offset off, which must be the current offset or the one before it
// (encoding/xml pushes back at most one byte).
func (c *countingReader) pos(off int64) (line, col int) {
	c.mark()
	if off >= c.offset() {
		return c.line, c.col + 1
	}
	if c.last == '\n' {
		return c.line - 1, c.prevCol + 1
	}
	return c.line, max(c.col, 1)
}

// prepareInput strips a UTF-8 byte order mark and, when the XML declaration
// names a supported 8-bit encoding, transcodes the input to UTF-8 below the
// line counter. Other encodings are refused with a French message.
func prepareInput(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return br, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return nil, errors.New("encodage UTF-16 non pris en charge : le document doit être en UTF-8")
	}
	enc := strings.ToLower(declaredEncoding(head))
	switch enc {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return br, nil
	case "iso-8859-1", "latin1", "latin-1", "iso_8859-1", "l1":
		return &charmapReader{r: br}, nil
	case "iso-8859-15", "latin-9", "latin9":
		return &charmapReader{r: br, high: &iso885915}, nil
	case "windows-1252", "cp1252":
		return &charmapReader{r: br, high: &windows1252}, nil
	}
	return nil, fmt.Errorf("encodage « %s » non pris en charge (UTF-8, ISO-8859-1, ISO-8859-15 ou windows-1252 attendu)", enc)
}

// declaredEncoding returns the encoding pseudo-attribute of the XML
// declaration at the start of head, if any.
func declaredEncoding(head []byte) string {
	if !bytes.HasPrefix(head, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(head[:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	j := strings.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return rest[1 : 1+j]
}

// passCharset is the CharsetReader given to encoding/xml: the input has
// already been transcoded to UTF-8 by prepareInput, so the declared encoding
// only needs to be accepted.
func passCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }

// charmapReader transcodes an 8-bit charset to UTF-8. Bytes below 0x80 are
// ASCII; high maps 0x80–0xFF to runes (nil means ISO-8859-1, the identity).
type charmapReader struct {
	r       io.ByteReader
	high    *[128]rune
	buf     [utf8.UTFMax]byte
	pending []byte
}

func (c *charmapReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(c.pending) > 0 {
			k := copy(p[n:], c.pending)
			c.pending = c.pending[k:]
			n += k
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b < 0x80 {
			p[n] = b
			n++
			continue
		}
		r := rune(b)
		if c.high != nil {
			r = c.high[b-0x80]
		}
		c.pending = c.buf[:utf8.EncodeRune(c.buf[:], r)]
	}
	return n, nil
}

// windows1252 maps bytes 0x80–0xFF of windows-1252 to runes.
var windows1252 = func() (t [128]rune) {
	for i := range t {
		t[i] = rune(0x80 + i)
	}
	for b, r := range map[byte]rune{
		0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡',
		0x88: 'ˆ', 0x89: '‰', 0x8A: 'Š', 0x8B: '‹', 0x8C: 'Œ', 0x8E: 'Ž',
		0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—',
		0x98: '˜', 0x99: '™', 0x9A: 'š', 0x9B: '›', 0x9C: 'œ', 0x9E: 'ž', 0x9F: 'Ÿ',
	} {
		t[b-0x80] = r
	}
	return t
}()

// iso885915 maps bytes 0x80–0xFF of ISO-8859-15 to runes.
var iso885915 = func() (t [128]rune) {
	for i := range t {
		t[i] = rune(0x80 + i)
	}
	for b, r := range map[byte]rune{
		0xA4: '€', 0xA6: 'Š', 0xA8: 'š', 0xB4: 'Ž', 0xB8: 'ž', 0xBC: 'Œ', 0xBD: 'œ', 0xBE: 'Ÿ',
	} {
		t[b-0x80] = r
	}
	return t
}()
