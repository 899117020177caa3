package catalogue

import (
	"math"
	"runtime/debug"
	"sync"
)

// ImportMemoryLimit is the soft limit of the Go heap while an import runs
// (runtime/debug.SetMemoryLimit), unless the process already has one
// (GOMEMLIMIT). An import's in-memory index of the source's formations and
// sessions grows with the catalogue (about 150 MB live at 300 000
// sessions); with the default GC pacing the heap would grow to twice that
// before a collection. Under the limit the GC collects earlier instead, so
// that the process stays under ~300 MB; if the live heap ever passes the
// limit, the runtime caps the GC's share of the CPU and lets it grow.
const ImportMemoryLimit = 224 << 20

var memLimit struct {
	sync.Mutex
	users int
	prev  int64
}

// limitMemory sets ImportMemoryLimit for the duration of an import and
// returns the function that restores the previous limit (imports of
// several databases in one process share it).
func limitMemory() (restore func()) {
	memLimit.Lock()
	defer memLimit.Unlock()
	if memLimit.users == 0 {
		memLimit.prev = debug.SetMemoryLimit(-1)
		if memLimit.prev == math.MaxInt64 {
			debug.SetMemoryLimit(ImportMemoryLimit)
		}
	}
	memLimit.users++
	return func() {
		memLimit.Lock()
		defer memLimit.Unlock()
		if memLimit.users--; memLimit.users == 0 {
			debug.SetMemoryLimit(memLimit.prev)
		}
	}
}
