package lheo_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"kairos/lheo"
)

// result is what Decoder.Next returned for one record.
type result struct {
	f   *lheo.Formation
	err *lheo.RecordError
}

// MustReadFile returns a file of testdata.
func MustReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodeAll decodes a whole document, returning its records and the
// document error, if any.
func decodeAll(data []byte, opts *lheo.Options) ([]result, error) {
	d := lheo.NewDecoder(bytes.NewReader(data), opts)
	var out []result
	for {
		f, err := d.Next()
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

// MustDecode decodes a document that must be well-formed and hold only
// valid records.
func MustDecode(tb testing.TB, data []byte) []*lheo.Formation {
	tb.Helper()
	rs, err := decodeAll(data, nil)
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	var fs []*lheo.Formation
	for _, r := range rs {
		if r.err != nil {
			tb.Fatalf("decode: %v", r.err)
		}
		fs = append(fs, r.f)
	}
	return fs
}

// MustEncode encodes formations into a document.
func MustEncode(tb testing.TB, fs ...*lheo.Formation) []byte {
	tb.Helper()
	var b bytes.Buffer
	enc := lheo.NewEncoder(&b)
	for _, f := range fs {
		if err := enc.Encode(f); err != nil {
			tb.Fatalf("encode %s: %v", f.Numero, err)
		}
	}
	if err := enc.Close(); err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return b.Bytes()
}

// MustValidateXSD checks data against the official XSD with xmllint
// (Debian package libxml2-utils). The test is skipped, with a log line, when
// xmllint is not on PATH.
func MustValidateXSD(tb testing.TB, data []byte) {
	tb.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		tb.Skip("xmllint not found on PATH (apt-get install libxml2-utils): XSD validation skipped")
	}
	file := filepath.Join(tb.TempDir(), "doc.xml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(path, "--noout", "--schema", filepath.Join("testdata", "lheo.xsd"), file).CombinedOutput()
	if err != nil {
		tb.Fatalf("xmllint: %v\n%s", err, firstLines(string(out), 20))
	}
}

// checkXSD runs MustValidateXSD in a subtest, so that the rest of the
// calling test still runs when xmllint is missing.
func checkXSD(t *testing.T, data []byte) {
	t.Helper()
	t.Run("xsd", func(t *testing.T) { MustValidateXSD(t, data) })
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// withoutLines returns copies of fs with the source lines cleared, for
// comparisons across documents.
func withoutLines(fs []*lheo.Formation) []*lheo.Formation {
	out := make([]*lheo.Formation, len(fs))
	for i, f := range fs {
		c := *f
		c.Line = 0
		c.Actions = append([]lheo.Action(nil), f.Actions...)
		for j := range c.Actions {
			a := &c.Actions[j]
			a.Line = 0
			a.Sessions = append([]lheo.Session(nil), a.Sessions...)
			for k := range a.Sessions {
				a.Sessions[k].Line = 0
			}
		}
		out[i] = &c
	}
	return out
}

// MustEqualFormations fails when got and want differ (source lines aside).
func MustEqualFormations(tb testing.TB, got, want []*lheo.Formation) {
	tb.Helper()
	g, w := withoutLines(got), withoutLines(want)
	if len(g) != len(w) {
		tb.Fatalf("got %d formations, want %d", len(g), len(w))
	}
	for i := range g {
		if !reflect.DeepEqual(g[i], w[i]) {
			tb.Fatalf("formation %d differs:\n%s", i, diff(reflect.ValueOf(g[i]).Elem(), reflect.ValueOf(w[i]).Elem(), "Formation"))
		}
	}
}

// diff describes the first difference between two values.
func diff(a, b reflect.Value, path string) string {
	if a.Kind() != b.Kind() {
		return path + ": different kinds"
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if d := diff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: lengths %d and %d", path, a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if d := diff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			return path + ": nil and non-nil"
		}
		if a.IsNil() {
			return ""
		}
		return diff(a.Elem(), b.Elem(), path)
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %#v != %#v", path, a.Interface(), b.Interface())
	}
	return ""
}

// watchdog panics when the fuzzed decoding of doc still runs after 5 s (a
// loop would otherwise only end at the fuzzing's deadline); call the
// returned function when it is done.
func watchdog(doc []byte) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			panic(fmt.Sprintf("decoder still running after 5 s on %q", doc))
		}
	}()
	return func() { close(done) }
}
