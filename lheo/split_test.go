package lheo_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

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
		defer watchdog(doc)()
		sameDecoding(t, doc, lheo.Options{MaxTextSize: 1 << 16, MaxRecordSize: 1 << 20})
	})
}

// event is an element Next returned: where, its digest, its outcome.
type event struct {
	desc string
	f    *lheo.Formation
}

// decodeEvents decodes data with Split and a Skip accepting nothing, and
// describes every element Next returns: line, digest and decoded record or
// error. accepted collects the digests of the records that decoded without
// error.
func decodeEvents(data []byte, known func(string) bool, accepted map[string]bool) []event {
	skip := func(string, string) bool { return false }
	d := lheo.NewDecoder(bytes.NewReader(data), &lheo.Options{Split: true, Skip: skip, Known: known, MaxTextSize: 1 << 16, MaxRecordSize: 1 << 20})
	var out []event
	for {
		f, err := d.Next()
		desc := fmt.Sprintf("line %d digest %q", d.Line(), d.Digest())
		if errors.Is(err, lheo.ErrChunk) {
			c := d.Chunk()
			desc = fmt.Sprintf("chunk line %d digest %q", c.Line, c.Digest)
			f, err = c.Decode()
			if err == nil && accepted != nil {
				accepted[c.Digest] = true
			}
		}
		if err == io.EOF {
			return out
		}
		out = append(out, event{desc: fmt.Sprintf("%s: %v", desc, err), f: f})
		var re *lheo.RecordError
		if err != nil && !errors.As(err, &re) {
			return out
		}
	}
}

// sameWithKnown checks that decoding doc with the digests of prev's
// accepted records as Options.Known finds the same elements, digests,
// records and errors as without.
func sameWithKnown(tb testing.TB, prev, doc []byte) {
	tb.Helper()
	accepted := map[string]bool{}
	decodeEvents(prev, nil, accepted)
	want := decodeEvents(doc, nil, nil)
	got := decodeEvents(doc, func(d string) bool { return accepted[d] }, nil)
	if len(got) != len(want) {
		tb.Fatalf("with Known: %d elements, without: %d", len(got), len(want))
	}
	for i := range got {
		if got[i].desc != want[i].desc || !reflect.DeepEqual(got[i].f, want[i].f) {
			tb.Fatalf("element %d differs:\nwith Known %s\nwithout    %s", i, got[i].desc, want[i].desc)
		}
	}
}

// TestKnownEndAsScanned: with Options.Known, an element whose bytes up to
// its first "</formation>" are those of a record accepted before ends there;
// any other is scanned tag by tag, so that nothing else changes, even when
// its content holds a "</formation>" (CDATA, nested element, comment).
func TestKnownEndAsScanned(t *testing.T) {
	gen := lheotest.MustGenerate(t, 60, 4)
	first := bytes.Index(gen, []byte("<intitule-formation>")) + len("<intitule-formation>")
	tricks := map[string][]byte{
		"same":            gen,
		"one changed":     append(append(append([]byte{}, gen[:first]...), "Révisé "...), gen[first:]...),
		"CDATA end tag":   bytes.Replace(gen, []byte("<intitule-formation>"), []byte("<intitule-formation><![CDATA[</formation>]]>"), 2),
		"comment end tag": bytes.Replace(gen, []byte("<intitule-formation>"), []byte("<!-- </formation> --><intitule-formation>"), 2),
		"nested":          bytes.Replace(gen, []byte("<intitule-formation>"), []byte("<formation></formation><intitule-formation>"), 1),
		"spaced end":      bytes.Replace(gen, []byte("</formation>"), []byte("</formation >"), 2),
		"truncated":       gen[:len(gen)/2],
		"crlf":            bytes.ReplaceAll(gen, []byte("\n"), []byte("\r\n")),
	}
	for name, doc := range tricks {
		t.Run(name, func(t *testing.T) {
			sameWithKnown(t, gen, doc)
			sameWithKnown(t, doc, doc)
		})
	}
	// Known is used: the same document's elements end at their known end
	// (a Known that is never asked would make this test pass vacuously).
	accepted := map[string]bool{}
	decodeEvents(gen, nil, accepted)
	asked := 0
	decodeEvents(gen, func(d string) bool { asked++; return accepted[d] }, nil)
	if asked == 0 || len(accepted) == 0 {
		t.Fatalf("Known asked %d times, %d records accepted", asked, len(accepted))
	}
}

// FuzzKnownEnd: the same, on arbitrary pairs of documents.
// go test -run='^$' -fuzz=FuzzKnownEnd -fuzztime=20000x ./lheo
func FuzzKnownEnd(f *testing.F) {
	gen := lheotest.MustGenerate(f, 6, 2)
	f.Add(gen, gen)
	f.Add(gen, bytes.Replace(gen, []byte("<intitule-formation>"), []byte("<intitule-formation><![CDATA[</formation>]]>"), 1))
	f.Add(MustReadFile(f, "onisep-bts-nrc.ns23.xml"), MustReadFile(f, "onisep-bts-nrc.ns23.xml"))
	f.Add([]byte(`<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="1"><a></formation></offres></lheo>`),
		[]byte(`<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="1"><a></formation></a></formation></offres></lheo>`))
	f.Fuzz(func(t *testing.T, prev, doc []byte) {
		defer watchdog(doc)()
		sameWithKnown(t, prev, doc)
	})
}
