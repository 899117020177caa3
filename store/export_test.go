package store

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
