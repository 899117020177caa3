package account

import (
	"time"

	"kairos/store"
)

// SetAuthCacheTTL sets how long the lookups on db are reused (tests make it
// long, so that a missing invalidation cannot hide behind an expiry).
func SetAuthCacheTTL(db *store.DB, d time.Duration) {
	(&Service{DB: db}).cache().ttl.Store(int64(d))
}

// BetweenLookupReadAndStore runs f (once) in the next missed lookup, after
// its database read and before it stores its result.
func BetweenLookupReadAndStore(f func()) {
	var once func()
	once = func() {
		afterLookupRead.Store(nil)
		f()
	}
	afterLookupRead.Store(&once)
}
