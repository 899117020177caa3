package lheotest_test

import (
	"bytes"
	"io"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

func sessions(tb testing.TB, data []byte) (formations, sessions int) {
	tb.Helper()
	d := lheo.NewDecoder(bytes.NewReader(data), nil)
	for {
		f, err := d.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			tb.Fatal(err)
		}
		formations++
		for _, a := range f.Actions {
			sessions += len(a.Sessions)
		}
	}
}

func TestGenerate(t *testing.T) {
	for _, n := range []int{1, 2, 7, 100} {
		data := lheotest.MustGenerate(t, n, 42)
		if _, got := sessions(t, data); got != n {
			t.Errorf("Generate(%d): %d sessions", n, got)
		}
		if !bytes.Equal(data, lheotest.MustGenerate(t, n, 42)) {
			t.Errorf("Generate(%d) is not deterministic", n)
		}
	}
	if err := lheotest.Generate(io.Discard, 0, 1); err == nil {
		t.Error("Generate(0) succeeded")
	}
}

func TestNewReader(t *testing.T) {
	r := lheotest.NewReader(50, 3)
	defer r.Close()
	streamed, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(streamed, lheotest.MustGenerate(t, 50, 3)) {
		t.Error("NewReader differs from Generate")
	}
}

func TestFormation(t *testing.T) {
	f := lheotest.Formation(5, 20)
	n := 0
	for _, a := range f.Actions {
		n += len(a.Sessions)
	}
	if n != 20 {
		t.Errorf("%d sessions, want 20", n)
	}
	var b bytes.Buffer
	enc := lheo.NewEncoder(&b)
	if err := enc.Encode(f); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
}
