package lheo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
)

// ErrSkipped is returned by Decoder.Next for a <formation> element that
// Options.Skip chose not to decode; Digest tells which one.
var ErrSkipped = errors.New("lheo: formation skipped (unchanged)")

// Digest returns the digest of the raw bytes of the <formation> element
// last returned by Next (decoded, rejected or skipped), when Options.Skip is
// set, and "" otherwise or when the element could not be isolated. The
// digest also covers the start tags enclosing the element (namespace
// declarations), so that equal digests mean equal records.
func (d *Decoder) Digest() string { return d.digest }

// Line returns the line of the start tag of the <formation> element last
// returned by Next.
func (d *Decoder) Line() int { return d.recLine }

// maxSkipChunk bounds the bytes of one <formation> element held by the
// skipReader; a larger one is passed through (and decoded).
const maxSkipChunk = 4 << 20

// maxSkipToken bounds a markup construct outside <formation> elements.
const maxSkipToken = 1 << 20

// chunkEvent is a <formation> element isolated by the skipReader.
type chunkEvent struct {
	out     int64 // offset in the output where it starts
	line    int
	digest  string
	skipped bool
	chunk   *Chunk // set when the element is left to Chunk.Decode (Options.Split)
}

// skipReader sits between the input and the XML decoder when Options.Skip
// is set. It finds the <formation> children of <offres> with a light
// scanner (markup, comments, CDATA, processing instructions, quoted
// attribute values), hashes each one, and replaces those that Skip accepts
// by an empty comment, so that the XML decoder never tokenizes them; a mark
// gives the line counter the position after the element, so that
// positions reported later stay right.
// The scanner does not check well-formedness: everything it does not skip
// goes to the XML decoder, and a skipped element is byte-identical (with
// its enclosing start tags) to one that was decoded and accepted before.
// On anything unusual (internal DTD subset, oversized construct) it passes
// the rest of the input through unchanged.
type skipReader struct {
	r     io.Reader
	skip  func(digest, numero string) bool
	known func(digest string) bool // Options.Known
	// tryKnown: the current element's end is still to be looked for at its
	// first "</formation>" (Options.Known).
	tryKnown bool
	split    *Options // when set, every element not skipped is cut out as a Chunk
	buf      []byte
	pos      int // next byte to scan in buf
	emit     int // next byte of buf not yet given to out
	out      []byte
	err      error
	pass     bool

	depth      int
	ctx        []byte // start tags enclosing the current position, up to <offres>
	chunkStart int    // start of the <formation> being read in buf, or -1
	chunkDepth int
	chunkLine  int
	chunkCol   int   // characters before the element on its line
	line       int   // line at buf[lineAt]
	col        int   // characters of the line at buf[lineAt] before it
	lineAt     int   // position in buf up to which lines were counted
	outOff     int64 // bytes given to the reader so far (including out)
	events     []chunkEvent
	marks      []posMark // positions after the skipped elements, for countingReader
}

// posMark is the position in the input (line, and characters before it on
// its line) of the byte at offset off of the skip reader's output: the one
// after the comment that stands for a skipped element.
type posMark struct {
	off       int64
	line, col int
}

func newSkipReader(r io.Reader, skip func(string, string) bool) *skipReader {
	return &skipReader{r: r, skip: skip, buf: make([]byte, 0, 256<<10), chunkStart: -1, line: 1}
}

func (s *skipReader) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		s.fill()
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// give moves buf[s.emit:end] to the output.
func (s *skipReader) give(end int) {
	if end > s.emit {
		s.countLines(end)
		s.out = append(s.out, s.buf[s.emit:end]...)
		s.outOff += int64(end - s.emit)
		s.emit = end
	}
}

func (s *skipReader) countLines(end int) {
	if end > s.lineAt {
		seg := s.buf[s.lineAt:end]
		if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
			s.line += n
			s.col = 0
			seg = seg[bytes.LastIndexByte(seg, '\n')+1:]
		}
		s.col += chars(seg)
		s.lineAt = end
	}
}

// chars counts the characters of b as countingReader does (bytes that are
// not UTF-8 continuation bytes).
func chars(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

// fill produces some output (or sets err).
func (s *skipReader) fill() {
	s.out = s.out[:0]
	if s.pass {
		s.give(len(s.buf))
		if len(s.out) > 0 {
			s.buf, s.pos, s.emit, s.lineAt = s.buf[:0], 0, 0, 0
			return
		}
		s.read(64 << 10)
		if len(s.buf) > 0 {
			s.give(len(s.buf))
			s.buf, s.pos, s.emit, s.lineAt = s.buf[:0], 0, 0, 0
		}
		return
	}
	for len(s.out) < 32<<10 && s.err == nil && !s.pass {
		if !s.scan() {
			// Need more input: keep what is pending, read more.
			keep := s.emit
			if s.chunkStart < 0 {
				s.give(s.pos)
				keep = s.pos
			}
			limit := maxSkipToken
			if s.chunkStart >= 0 {
				limit = maxSkipChunk
			}
			if len(s.buf)-keep > limit {
				s.passThrough()
				return
			}
			s.compact(keep)
			if !s.read(64 << 10) {
				// End of input: whatever is left goes as is.
				s.chunkStart = -1
				s.give(len(s.buf))
				s.buf, s.pos, s.emit, s.lineAt = s.buf[:0], 0, 0, 0
				return
			}
		}
	}
	if s.chunkStart < 0 {
		s.give(s.pos)
	}
}

func (s *skipReader) passThrough() {
	s.pass = true
	s.chunkStart = -1
	s.give(len(s.buf))
}

// compact drops buf[:keep].
func (s *skipReader) compact(keep int) {
	if keep == 0 {
		return
	}
	s.countLines(keep)
	n := copy(s.buf, s.buf[keep:])
	s.buf = s.buf[:n]
	s.pos -= keep
	s.emit -= keep
	s.lineAt -= keep
	if s.chunkStart >= 0 {
		s.chunkStart -= keep
	}
}

// read appends up to n bytes of input to buf; false at the end of input.
func (s *skipReader) read(n int) bool {
	if s.err != nil {
		return false
	}
	if cap(s.buf)-len(s.buf) < n {
		nb := make([]byte, len(s.buf), 2*cap(s.buf)+n)
		copy(nb, s.buf)
		s.buf = nb
	}
	m, err := s.r.Read(s.buf[len(s.buf) : len(s.buf)+n])
	s.buf = s.buf[:len(s.buf)+m]
	if err != nil {
		s.err = err
	}
	return m > 0 || err == nil
}

// scan reads one construct at s.pos; false when more input is needed.
func (s *skipReader) scan() bool {
	if s.chunkStart >= 0 {
		if s.tryKnown {
			return s.knownEnd()
		}
		if s.scanElements() {
			return true
		}
	}
	b := s.buf[s.pos:]
	if len(b) == 0 {
		return false
	}
	if b[0] != '<' {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			s.pos = len(s.buf)
			return false
		}
		s.pos += i
		return true
	}
	if s.chunkStart < 0 && s.pos-s.emit > 0 {
		s.give(s.pos)
	}
	end := func(term string, from int) bool {
		i := bytes.Index(b[from:], []byte(term))
		if i < 0 {
			return false
		}
		s.pos += from + i + len(term)
		return true
	}
	switch {
	case len(b) < 9:
		return false
	case bytes.HasPrefix(b, []byte("<!--")):
		return end("-->", 4)
	case bytes.HasPrefix(b, []byte("<![CDATA[")):
		return end("]]>", 9)
	case b[1] == '?':
		return end("?>", 2)
	case b[1] == '!':
		i := bytes.IndexByte(b, '>')
		if i < 0 {
			return false
		}
		if bytes.IndexByte(b[:i], '[') >= 0 {
			s.passThrough()
			return true
		}
		s.pos += i + 1
		return true
	case b[1] == '/':
		i := bytes.IndexByte(b, '>')
		if i < 0 {
			return false
		}
		s.pos += i + 1
		s.depth--
		if s.chunkStart >= 0 && s.depth == s.chunkDepth {
			s.endChunk()
		}
		return true
	}
	// Start tag: find its end outside quoted values (most tags have none).
	var q byte
	i := bytes.IndexByte(b, '>')
	if i < 0 {
		return false
	}
	if bytes.IndexByte(b[:i], '"') >= 0 || bytes.IndexByte(b[:i], '\'') >= 0 {
		i = 1
	}
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
			continue
		case c == '"' || c == '\'':
			q = c
			continue
		}
		if c == '>' {
			break
		}
	}
	if i >= len(b) {
		return false
	}
	tag := b[:i+1]
	empty := b[i-1] == '/'
	start := s.pos
	s.pos += i + 1
	if empty {
		return true
	}
	if s.chunkStart < 0 {
		switch {
		case s.depth < 2:
			s.ctx = append(s.ctx, tag...)
		case s.depth == 2 && localName(tag) == "formation":
			s.chunkStart, s.chunkDepth = start, s.depth
			s.tryKnown = s.known != nil
			s.countLines(start)
			s.chunkLine, s.chunkCol = s.line, s.col
		}
	}
	s.depth++
	return true
}

// scanElements goes over the text, the start tags without quoted values
// and the end tags inside a <formation> element (most of a document) in
// one loop. It stops before anything else (comment, CDATA section,
// processing instruction, quoted value), at the end of the element (which
// it hands to endChunk) or of the buffer, and reports whether it moved.
func (s *skipReader) scanElements() bool {
	buf, pos, depth := s.buf, s.pos, s.depth
	moved := false
	for {
		i := bytes.IndexByte(buf[pos:], '<')
		if i < 0 || pos+i+1 >= len(buf) {
			break
		}
		p := pos + i
		c := buf[p+1]
		if c == '!' || c == '?' {
			pos, moved = p, moved || i > 0
			break
		}
		j := bytes.IndexByte(buf[p:], '>')
		if j < 0 {
			pos, moved = p, moved || i > 0
			break
		}
		tag := buf[p : p+j+1]
		if c == '/' {
			pos, depth = p+j+1, depth-1
			if depth == s.chunkDepth {
				s.pos, s.depth = pos, depth
				s.endChunk()
				return true
			}
			moved = true
			continue
		}
		if bytes.IndexByte(tag, '"') >= 0 || bytes.IndexByte(tag, '\'') >= 0 {
			pos, moved = p, moved || i > 0
			break
		}
		pos, moved = p+j+1, true
		if tag[len(tag)-2] != '/' {
			depth++
		}
	}
	s.pos, s.depth = pos, depth
	return moved
}

func localName(tag []byte) string {
	n := tag[1:]
	for i, c := range n {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' || c == '/' {
			n = n[:i]
			break
		}
	}
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return string(n)
}

// numeroAttr returns the raw value of the numero attribute of the start tag
// at the beginning of raw ("" if absent).
func numeroAttr(raw []byte) string {
	end := bytes.IndexByte(raw, '>')
	if end < 0 {
		return ""
	}
	tag := raw[:end]
	for i := 0; ; {
		j := bytes.Index(tag[i:], []byte("numero"))
		if j < 0 {
			return ""
		}
		i += j
		before := tag[i-1]
		i += len("numero")
		if before != ' ' && before != '\t' && before != '\n' && before != '\r' {
			continue
		}
		rest := bytes.TrimLeft(tag[i:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '=' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return ""
		}
		k := bytes.IndexByte(rest[1:], rest[0])
		if k < 0 {
			return ""
		}
		return string(rest[1 : 1+k])
	}
}

// formationEnd is the end tag that knownEnd looks for.
var formationEnd = []byte("</formation>")

// knownEnd tries the end of the current element at its first
// "</formation>" in the buffer (Options.Known): the bytes up to it are an
// element scanned before when their digest is known, so they end there, as
// scanning their tags would find. Otherwise (not known, or no such end tag
// in the buffer) the element is left to the scan of its tags, which has
// not started: s.pos is after its start tag.
func (s *skipReader) knownEnd() bool {
	s.tryKnown = false
	i := bytes.Index(s.buf[s.pos:], formationEnd)
	if i < 0 {
		return true
	}
	end := s.pos + i + len(formationEnd)
	if d := s.digest(s.buf[s.chunkStart:end]); s.known(d) {
		s.pos, s.depth = end, s.chunkDepth
		s.endChunkAs(d)
	}
	return true
}

// digest is the digest of the element raw (with its enclosing start tags).
func (s *skipReader) digest(raw []byte) string {
	h := sha256.New()
	h.Write(s.ctx)
	h.Write([]byte{0})
	h.Write(raw)
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// endChunk decides on the <formation> element buf[chunkStart:pos].
func (s *skipReader) endChunk() { s.endChunkAs(s.digest(s.buf[s.chunkStart:s.pos])) }

// endChunkAs ends the element buf[chunkStart:pos], of the given digest.
func (s *skipReader) endChunkAs(digest string) {
	raw := s.buf[s.chunkStart:s.pos]
	ev := chunkEvent{line: s.chunkLine, digest: digest}
	s.give(s.chunkStart)
	ev.out = s.outOff
	skipped := s.skip(digest, numeroAttr(raw))
	if skipped || s.split != nil {
		ev.skipped = true
		if !skipped {
			ev.chunk = newChunk(s.ctx, raw, s.chunkLine, s.chunkCol, digest, s.split)
		}
		// An empty comment stands for the element, and the line counter
		// takes the position after it from a mark: the XML decoder does
		// not read, byte by byte, whitespace holding as many lines (on a
		// national file, 18 million lines: 1.8 s of a 5 s re-import).
		s.countLines(s.pos)
		s.out = append(s.out, "<!---->"...)
		s.outOff += int64(len("<!---->"))
		s.marks = append(s.marks, posMark{s.outOff, s.line, s.col})
		s.emit = s.pos
	} else {
		s.give(s.pos)
	}
	s.events = append(s.events, ev)
	s.chunkStart = -1
}

// nextSkipped pops the skipped elements the XML decoder has read past
// (offset off); ok is false when there is none.
func (s *skipReader) nextSkipped(off int64) (chunkEvent, bool) {
	for len(s.events) > 0 && s.events[0].out < off {
		ev := s.events[0]
		s.events = s.events[1:]
		if ev.skipped {
			return ev, true
		}
	}
	return chunkEvent{}, false
}

// decoded pops the event of the <formation> element starting at offset
// off in the output, if the scanner isolated it.
func (s *skipReader) decoded(off int64) (chunkEvent, bool) {
	for len(s.events) > 0 && s.events[0].out < off && !s.events[0].skipped {
		s.events = s.events[1:]
	}
	if len(s.events) > 0 && s.events[0].out == off && !s.events[0].skipped {
		ev := s.events[0]
		s.events = s.events[1:]
		return ev, true
	}
	return chunkEvent{}, false
}
