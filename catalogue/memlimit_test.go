package catalogue

import (
	"math"
	"runtime/debug"
	"testing"
)

// An import lowers the heap's soft limit while it runs, restores it after
// the last of overlapping imports, and leaves an operator's GOMEMLIMIT alone.
func TestImportMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prev)
	r1 := limitMemory()
	r2 := limitMemory()
	if got := debug.SetMemoryLimit(-1); got != ImportMemoryLimit {
		t.Fatalf("during an import: limit %d, want %d", got, ImportMemoryLimit)
	}
	r1()
	if got := debug.SetMemoryLimit(-1); got != ImportMemoryLimit {
		t.Fatalf("while a second import runs: limit %d", got)
	}
	r2()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("after the imports: limit %d, want none", got)
	}
	debug.SetMemoryLimit(1 << 30) // the operator's
	limitMemory()()
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Fatalf("operator's limit changed to %d", got)
	}
}
