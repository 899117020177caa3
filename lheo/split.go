package lheo

import (
	"encoding/xml"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// ErrChunk is returned by Decoder.Next, when Options.Split is set, for a
// <formation> element cut out of the document undecoded: Decoder.Chunk
// returns it, and Chunk.Decode decodes it, possibly in another goroutine.
var ErrChunk = errors.New("lheo: formation cut out for a separate decoding")

// Chunk is one <formation> element isolated by the scanner, with what its
// decoding needs of the document around it (the enclosing start tags, which
// carry the namespace declarations, and its position).
type Chunk struct {
	// Line is the line of the element's start tag.
	Line int
	// Digest is the digest of the element (see Decoder.Digest).
	Digest string
	data   []byte // the enclosing start tags (line breaks blanked), then the element
	col    int    // initial column of the counting reader
	opts   *Options
}

func newChunk(ctx, raw []byte, line, col int, digest string, opts *Options) *Chunk {
	data := make([]byte, 0, len(ctx)+len(raw))
	for _, c := range ctx {
		if c == '\n' || c == '\r' {
			c = ' ' // the element's line stays that of the document
		}
		data = append(data, c)
	}
	// The characters before the element on its line are those of the
	// document, so that columns stay right.
	col -= chars(data)
	data = append(data, raw...)
	return &Chunk{Line: line, Digest: digest, data: data, col: col, opts: opts}
}

// Size is the number of bytes of the chunk.
func (c *Chunk) Size() int { return len(c.data) }

// Decode decodes the element as Decoder.Next would have: (f, nil) for a
// valid record, (nil, *RecordError) for a record that breaks the standard,
// (nil, *DocumentError) when the element is malformed, with the lines and
// columns of the document.
func (c *Chunk) Decode() (*Formation, error) {
	if len(c.data) < int(min(c.opts.MaxRecordSize, 1<<30)) {
		f, err := c.decode(true)
		var re *RecordError
		if err == nil || errors.As(err, &re) {
			fastChunks.Add(1)
			return f, err
		}
		// Anything else (errBail, a document error) is decoded again by
		// encoding/xml, which gives the document error with its position.
	}
	return c.decode(false)
}

// fastChunks counts the chunks decoded by the fast reader (for tests).
var fastChunks atomic.Int64

func (c *Chunk) decode(fast bool) (*Formation, error) {
	// The record's buffers (tree, stack, text) are reused from chunk to
	// chunk, as the sequential Decoder reuses them from record to record.
	d := &Decoder{}
	if r, ok := recordBuffers.Get().(*Decoder); ok {
		d.tree, d.stack, d.text, d.reasons, d.raw = r.tree, r.stack, r.text, r.reasons, r.raw
	}
	defer func() {
		d.tree.reset()
		recordBuffers.Put(&Decoder{tree: d.tree, stack: d.stack[:0], text: d.text[:0], reasons: d.reasons[:0], raw: d.raw})
	}()
	d.opts = *c.opts
	d.opts.Skip, d.opts.Split = nil, false
	if fast {
		fr := fastReaders.Get().(*fastReader)
		*fr = fastReader{data: c.data, line: c.Line, max: d.opts.MaxTextSize,
			names: fr.names[:0], ns: fr.ns[:0], buf: fr.buf[:0], attrs: fr.attrs[:0], decls: fr.decls[:0]}
		defer func() { fr.data = nil; fastReaders.Put(fr) }()
		d.fast = fr
	} else {
		d.cr = &countingReader{r: eofReader{}, buf: c.data, n: len(c.data), line: c.Line, col: c.col}
		d.xd = xml.NewDecoder(d.cr)
		d.xd.Strict = true
		d.xd.CharsetReader = passCharset
	}
	f, err := d.Next()
	if err == io.EOF {
		// Cannot happen for an element isolated by the scanner.
		err = &DocumentError{Line: c.Line, Column: 1, Msg: "fin de document inattendue"}
	}
	return f, err
}

// Chunk returns the element last cut out by Next (ErrChunk), or nil.
func (d *Decoder) Chunk() *Chunk { return d.chunk }

var recordBuffers sync.Pool // *Decoder holding reusable record buffers

var fastReaders = sync.Pool{New: func() any { return new(fastReader) }}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
