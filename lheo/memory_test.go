package lheo_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeGenerated decodes a generated document of the given number of
// sessions, streamed from the generator, and returns the peak of the heap
// in use, the sessions decoded and the document size.
func decodeGenerated(tb testing.TB, sessions int) (peak uint64, n int, size int64) {
	tb.Helper()
	src := lheotest.NewReader(sessions, 1)
	defer src.Close()
	r := &countingReader{r: src}
	d := lheo.NewDecoder(r, nil)
	var ms runtime.MemStats
	runtime.GC()
	for i := 0; ; i++ {
		f, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		for _, a := range f.Actions {
			n += len(a.Sessions)
		}
		if i%100 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	return peak, n, r.n
}

// TestDecodeMemoryBounded decodes a 20 000-session document (about 30 MiB)
// streamed from the generator and checks that the heap stays small and does
// not grow with the size of the document.
func TestDecodeMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	peakSmall, _, sizeSmall := decodeGenerated(t, 2000)
	peak, n, size := decodeGenerated(t, 20000)
	t.Logf("2 000 sessions: %.1f MiB document, heap peak %.1f MiB", mib(sizeSmall), mib(int64(peakSmall)))
	t.Logf("20 000 sessions: %.1f MiB document, heap peak %.1f MiB", mib(size), mib(int64(peak)))
	if n != 20000 {
		t.Errorf("decoded %d sessions, want 20000", n)
	}
	const limit = 16 << 20
	if peak > limit {
		t.Errorf("heap peak %.1f MiB, want < %.0f MiB", mib(int64(peak)), mib(limit))
	}
	if size < 2*limit {
		t.Errorf("document of %.1f MiB is too small to prove anything", mib(size))
	}
	if peak > peakSmall+8<<20 {
		t.Errorf("heap peak grew from %.1f to %.1f MiB with a 10 times larger document", mib(int64(peakSmall)), mib(int64(peak)))
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// BenchmarkDecode decodes generated documents. The 300 000-session case
// (about 500 MB, written to a temporary file first) runs unless -short.
func BenchmarkDecode(b *testing.B) {
	for _, sessions := range []int{1000, 300000} {
		b.Run(strconv.Itoa(sessions)+"-sessions", func(b *testing.B) {
			var open func() io.Reader
			var size int64
			if sessions <= 10000 {
				data := lheotest.MustGenerate(b, sessions, 1)
				open = func() io.Reader { return bytes.NewReader(data) }
				size = int64(len(data))
			} else {
				if testing.Short() {
					b.Skip("short mode")
				}
				path := filepath.Join(b.TempDir(), "lheo.xml")
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				w := bufio.NewWriter(f)
				if err := lheotest.Generate(w, sessions, 1); err != nil {
					b.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				st, _ := f.Stat()
				size = st.Size()
				f.Close()
				var cur *os.File
				b.Cleanup(func() {
					if cur != nil {
						cur.Close()
					}
				})
				open = func() io.Reader {
					if cur != nil {
						cur.Close()
					}
					cur, err = os.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					return cur
				}
			}
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			var peak uint64
			var ms runtime.MemStats
			for range b.N {
				d := lheo.NewDecoder(open(), nil)
				for i := 0; ; i++ {
					_, err := d.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if i%1000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
				}
			}
			b.ReportMetric(float64(sessions)*float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
			b.ReportMetric(mib(int64(peak)), "peak-heap-MiB")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	fs := MustDecode(b, lheotest.MustGenerate(b, 1000, 1))
	b.ReportAllocs()
	for range b.N {
		enc := lheo.NewEncoder(io.Discard)
		for _, f := range fs {
			if err := enc.Encode(f); err != nil {
				b.Fatal(err)
			}
		}
		if err := enc.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}
