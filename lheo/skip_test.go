package lheo_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

type skipResult struct {
	f      *lheo.Formation
	err    error
	digest string
	line   int
}

func decodeSkipping(t *testing.T, data []byte, skip func(string, string) bool) ([]skipResult, error) {
	t.Helper()
	d := lheo.NewDecoder(bytes.NewReader(data), &lheo.Options{Skip: skip})
	var out []skipResult
	for {
		f, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		var re *lheo.RecordError
		if err != nil && !errors.Is(err, lheo.ErrSkipped) && !errors.As(err, &re) {
			return out, err
		}
		out = append(out, skipResult{f, err, d.Digest(), d.Line()})
	}
}

func TestSkipUnchanged(t *testing.T) {
	data := lheotest.MustGenerate(t, 300, 7)
	// A comment, CDATA and a quoted ">" must not confuse the scanner.
	data = bytes.Replace(data, []byte("<formation "), []byte("<!-- <formation> --><formation "), 3)
	all, err := decodeSkipping(t, data, func(string, string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	plain := MustDecode(t, data)
	if len(all) != len(plain) || len(all) < 50 {
		t.Fatalf("%d records with Skip, %d without", len(all), len(plain))
	}
	seen := map[string]bool{}
	for i, r := range all {
		if r.digest == "" || seen[r.digest] {
			t.Fatalf("record %d: digest %q (empty or repeated)", i, r.digest)
		}
		seen[r.digest] = true
		if !reflect.DeepEqual(r.f, plain[i]) {
			t.Fatalf("record %d differs when decoded through the skip reader", i)
		}
	}
	// Skip one formation in three: the others decode the same, with the same
	// lines.
	skip := map[string]bool{}
	for i, r := range all {
		if i%3 != 1 {
			skip[r.digest] = true
		}
	}
	got, err := decodeSkipping(t, data, func(d, _ string) bool { return skip[d] })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("%d records, want %d", len(got), len(all))
	}
	for i, r := range got {
		if r.digest != all[i].digest || r.line != all[i].line {
			t.Fatalf("record %d: digest %s line %d, want %s line %d", i, r.digest, r.line, all[i].digest, all[i].line)
		}
		if skip[r.digest] != errors.Is(r.err, lheo.ErrSkipped) {
			t.Fatalf("record %d: err %v", i, r.err)
		}
		if r.err == nil && !reflect.DeepEqual(r.f, all[i].f) {
			t.Fatalf("record %d differs", i)
		}
	}
	// A document error after skipped records is found at the same place.
	last := bytes.LastIndex(data, []byte("</formation>"))
	bad := append(append(append([]byte{}, data[:last]...), "<oups>"...), data[last:]...)
	_, err1 := decodeSkipping(t, bad, func(string, string) bool { return false })
	// (Skip accepts only digests of records decoded before, as callers do.)
	_, err2 := decodeSkipping(t, bad, func(d, _ string) bool { return seen[d] })
	var de1, de2 *lheo.DocumentError
	if !errors.As(err1, &de1) || !errors.As(err2, &de2) || de1.Line != de2.Line || de1.Column != de2.Column {
		t.Fatalf("document error without skipping %v, with %v", err1, err2)
	}
	// Everything skipped: still a valid document.
	got, err = decodeSkipping(t, data, func(d, _ string) bool { return seen[d] })
	if err != nil || len(got) != len(all) {
		t.Fatalf("all skipped: %d records, %v", len(got), err)
	}
	// Another root namespace context changes every digest.
	other := bytes.Replace(data, []byte(`<offres>`), []byte(`<offres >`), 1)
	got, _ = decodeSkipping(t, other, func(string, string) bool { return false })
	if len(got) == 0 || got[0].digest == all[0].digest {
		t.Fatal("digest does not cover the enclosing start tags")
	}
	if !strings.Contains(string(data[:300]), "<offres>") {
		t.Log("note: generated document without a bare <offres> tag")
	}
}
