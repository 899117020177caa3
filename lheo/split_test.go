package lheo_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

// decodeSplit decodes a document as a parallel caller does: Next cuts the
// formations out (Options.Split) and each chunk is decoded on its own; the
// first document error in document order ends the decoding.
func decodeSplit(data []byte, opts lheo.Options) ([]result, error) {
	opts.Split = true
	d := lheo.NewDecoder(bytes.NewReader(data), &opts)
	var out []result
	for {
		f, err := d.Next()
		if errors.Is(err, lheo.ErrChunk) {
			c := d.Chunk()
			if c.Line != d.Line() || c.Digest != d.Digest() {
				return out, fmt.Errorf("chunk at line %d (%q), decoder at line %d (%q)", c.Line, c.Digest, d.Line(), d.Digest())
			}
			f, err = c.Decode()
		}
		var re *lheo.RecordError
		switch {
		case err == io.EOF:
			return out, nil
		case errors.As(err, &re):
			out = append(out, result{err: re})
		case err != nil:
			return out, err
		default:
			out = append(out, result{f: f})
		}
	}
}

// sameDecoding checks that the split decoding of data gives what the
// sequential one gives: the same records, record errors and document error
// (line, column, message).
func sameDecoding(tb testing.TB, data []byte, opts lheo.Options) {
	tb.Helper()
	want, wantErr := decodeAll(data, &opts)
	got, gotErr := decodeSplit(data, opts)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		tb.Fatalf("document error: split %v, sequential %v", gotErr, wantErr)
	}
	if len(got) != len(want) {
		tb.Fatalf("split: %d records, sequential: %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			tb.Fatalf("record %d differs: split %+v, sequential %+v", i, got[i], want[i])
		}
	}
}

func TestSplitDecodesAsSequential(t *testing.T) {
	gen := lheotest.MustGenerate(t, 200, 11)
	docs := map[string][]byte{"generated": gen}
	for _, name := range []string{"intercarif-occitanie-daeu.lheo22.xml", "intercarif-occitanie-daeu.ns23.xml", "onisep-bts-nrc.lheo22.xml", "onisep-bts-nrc.ns23.xml", "lheo-gml.xml"} {
		docs[name] = MustReadFile(t, name)
	}
	// Errors inside a formation, in the middle of the document: the split
	// decoding reports them at the same line and column.
	i := bytes.Index(gen, []byte("<intitule-formation>")) + 5000
	j := i + bytes.Index(gen[i:], []byte("<intitule-formation>"))
	docs["bad entity"] = append(append(append([]byte{}, gen[:j]...), "<intitule-formation>&nope; "...), gen[j+len("<intitule-formation>"):]...)
	docs["mismatched tag"] = bytes.Replace(gen, []byte("</intitule-formation>"), []byte("</intitule>"), 7)
	docs["unknown element"] = bytes.Replace(gen, []byte("<objectif-formation>"), []byte("<objectif-inconnu/><objectif-formation>"), 5)
	docs["text between formations"] = bytes.Replace(gen, []byte("</formation>"), []byte("</formation>oups"), 3)
	docs["prefixed, multi-line root"] = []byte("<l:lheo\n  xmlns:l=\"" + lheo.Namespace23 + "\">\n<l:offres\n>" + strings.SplitN(string(gen), "<offres>", 2)[1])
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) { sameDecoding(t, doc, lheo.Options{}) })
	}
	// The prefixed document has no default namespace: its formations are
	// <formation> elements of no namespace, i.e. unexpected.
}

// FuzzSplit checks that the split decoding agrees with the sequential one
// on arbitrary documents (and neither panics nor loops).
// go test -run='^$' -fuzz=FuzzSplit -fuzztime=20000x ./lheo
func FuzzSplit(f *testing.F) {
	f.Add(MustReadFile(f, "onisep-bts-nrc.ns23.xml"))
	f.Add([]byte(`<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation/></offres></lheo>`))
	f.Add([]byte("<lheo xmlns=\"http://lheo.gouv.fr/2.3\">\n<offres>\n  <formation numero=\"1\"><a></formation></offres></lheo>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("decoder still running after 5 s on %q", doc))
			}
		}()
		sameDecoding(t, doc, lheo.Options{MaxTextSize: 1 << 16, MaxRecordSize: 1 << 20})
	})
}
