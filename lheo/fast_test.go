package lheo_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

// The formations of real files (Carif, ONISEP, generated), with Unix and
// Windows line ends, all go through the fast reader: it is not a path that
// only the fuzzer takes.
func TestFastReaderTakesRealFiles(t *testing.T) {
	docs := map[string][]byte{"generated": lheotest.MustGenerate(t, 300, 7)}
	for _, name := range []string{"intercarif-occitanie-daeu.lheo22.xml", "intercarif-occitanie-daeu.ns23.xml",
		"onisep-bts-nrc.lheo22.xml", "onisep-bts-nrc.ns23.xml"} {
		docs[name] = MustReadFile(t, name)
	}
	for name, doc := range docs {
		for variant, doc := range map[string][]byte{name: doc, name + " (CRLF)": bytes.ReplaceAll(doc, []byte("\n"), []byte("\r\n"))} {
			d := lheo.NewDecoder(bytes.NewReader(doc), &lheo.Options{Split: true})
			chunks := 0
			for {
				_, err := d.Next()
				if err == io.EOF {
					break
				}
				if !errors.Is(err, lheo.ErrChunk) {
					t.Fatalf("%s: %v", variant, err)
				}
				chunks++
				before := lheo.FastDecodes()
				if _, err := d.Chunk().Decode(); err != nil {
					var re *lheo.RecordError
					if !errors.As(err, &re) {
						t.Fatalf("%s line %d: %v", variant, d.Line(), err)
					}
				}
				if lheo.FastDecodes() != before+1 {
					t.Errorf("%s: the formation at line %d was left to encoding/xml", variant, d.Line())
				}
			}
			if chunks == 0 {
				t.Fatalf("%s: no formation cut out", variant)
			}
		}
	}
}
