package web

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"kairos/calendar"
	"kairos/store"
)

// DashCacheTTL bounds how long the OF dashboard's data is reused without
// reading the database again. Within one process every committed change
// that records an event of the organisation (store.DB.OnChange: enrolments,
// movements, absences, appointments, attestations, assessments…) makes its
// entries stale at once, so a page shown after a write shows it; a change
// made by another instance on the same PostgreSQL database, or a write that
// records no event, is seen after at most this long.
const DashCacheTTL = 3 * time.Second

// dashCacheMax bounds the number of cached dashboards; past it the expired
// entries are dropped, then everything if that was not enough.
const dashCacheMax = 5000

// dashKey is everything the cached data depends on: the organisation, the
// day of the portal's clock, the session filter (only the whole dashboard,
// session 0, is cached today) and which sections the actor may see (his
// role and habilitations). Nothing in it is the user's own: the counts and
// lists are the organisation's.
type dashKey struct {
	org     int64
	day     calendar.Date
	session int64
	show    uint8 // dashShow* bits
}

const (
	dashShowRDV uint8 = 1 << iota
	dashShowAttestations
	dashShowBilans
)

type dashEntry struct {
	gen   uint64
	at    time.Time     // when its read started (monotonic: a duration, not a date)
	ready chan struct{} // closed once data and err are set
	data  *dashData
	err   error
}

// dashCache holds the recent dashboards of one web server. An entry is
// valid while its generation is the organisation's (every change of the
// organisation, or a change without organisation, moves it) and it is
// younger than the TTL. A read that started before a change stores its
// result under the old generation: it is never served after the change.
// Concurrent misses on one key wait for the first read (one read per key
// under load, not one per client).
type dashCache struct {
	once sync.Once
	ttl  atomic.Int64 // nanoseconds; DashCacheTTL, shortened by tests

	mu   sync.Mutex
	all  uint64           // moved by a change without organisation
	gens map[int64]uint64 // moved by a change of the organisation
	m    map[dashKey]*dashEntry
}

func (c *dashCache) init(db *store.DB) {
	c.once.Do(func() {
		c.gens, c.m = map[int64]uint64{}, map[dashKey]*dashEntry{}
		if c.ttl.Load() == 0 {
			c.ttl.Store(int64(DashCacheTTL))
		}
		if db != nil {
			db.OnChange(c.changed)
		}
	})
}

// changed makes the entries of the organisations stale (every entry for
// organisation 0).
func (c *dashCache) changed(orgs []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range orgs {
		if o == 0 {
			c.all++
			clear(c.m)
			continue
		}
		c.gens[o]++
		for k := range c.m {
			if k.org == o {
				delete(c.m, k)
			}
		}
	}
}

// get returns the data of k, from the cache or read by load.
func (c *dashCache) get(ctx context.Context, k dashKey, load func() (*dashData, error)) (*dashData, error) {
	ttl := time.Duration(c.ttl.Load())
	c.mu.Lock()
	gen := c.all + c.gens[k.org]
	if e, ok := c.m[k]; ok && e.gen == gen && time.Since(e.at) < ttl {
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e.data, nil
		}
		return load() // the first read failed: this request tries again on its own
	}
	if len(c.m) >= dashCacheMax {
		for key, e := range c.m {
			if time.Since(e.at) >= ttl {
				delete(c.m, key)
			}
		}
		if len(c.m) >= dashCacheMax {
			clear(c.m)
		}
	}
	e := &dashEntry{gen: gen, at: time.Now(), ready: make(chan struct{})}
	c.m[k] = e
	c.mu.Unlock()
	done := false
	defer func() {
		if !done { // load panicked: forget the entry, release the waiters
			e.err = errDashLoad
			c.drop(k, e)
			close(e.ready)
		}
	}()
	e.data, e.err = load()
	if e.err != nil {
		c.drop(k, e)
	}
	done = true
	close(e.ready)
	return e.data, e.err
}

func (c *dashCache) drop(k dashKey, e *dashEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[k] == e {
		delete(c.m, k)
	}
}

type dashLoadError struct{}

func (dashLoadError) Error() string { return "web: dashboard read failed" }

var errDashLoad error = dashLoadError{}
