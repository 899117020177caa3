package lheo_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

// BenchmarkRereadUnchanged reads a document every element of which is
// known unchanged (Skip accepts it), as a re-import does, scanning each
// element's tags or, with Options.Known, ending it at its known end.
func BenchmarkRereadUnchanged(b *testing.B) {
	doc := lheotest.MustGenerate(b, 20000, 3)
	seen := map[string]bool{}
	d := lheo.NewDecoder(bytes.NewReader(doc), &lheo.Options{Skip: func(dg, _ string) bool { seen[dg] = true; return false }, Split: true})
	for {
		if _, err := d.Next(); err == io.EOF {
			break
		} else if err != nil && !errors.Is(err, lheo.ErrChunk) {
			b.Fatal(err)
		}
	}
	for _, known := range []bool{false, true} {
		name := "scan"
		if known {
			name = "known"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				opts := &lheo.Options{Skip: func(dg, _ string) bool { return seen[dg] }, Split: true}
				if known {
					opts.Known = func(dg string) bool { return seen[dg] }
				}
				d := lheo.NewDecoder(bytes.NewReader(doc), opts)
				for {
					_, err := d.Next()
					if err == io.EOF {
						break
					}
					if !errors.Is(err, lheo.ErrSkipped) {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
