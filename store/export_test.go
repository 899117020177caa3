package store

import "time"

// SetBusyTimeout sets, for a test, how long a SQLite writer waits for the
// write lock (for databases opened afterwards); it returns the function
// that restores it.
func SetBusyTimeout(d time.Duration) (restore func()) {
	old := busyTimeout
	busyTimeout = d
	return func() { busyTimeout = old }
}

// PreparedCount is how many statements db keeps prepared.
func PreparedCount(db *DB) int {
	if db.stmts == nil {
		return 0
	}
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	n := 0
	for _, st := range db.stmts.m {
		if st != nil {
			n++
		}
	}
	return n
}

// Waiting is how many writers of db wait for SQLite's write lock.
func Waiting(db *DB) int { return int(db.waiting.Load()) }

// Writes is writes.
var Writes = writes
