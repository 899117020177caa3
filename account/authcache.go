package account

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"kairos"
	"kairos/store"
)

// AuthCacheTTL is how long a session or API-key lookup is reused without
// reading the database again. Within one process every change that ends
// or narrows an access (logout, password set or reset, disabling, new
// habilitations, key revocation or scopes) drops the cached entries it
// concerns at once; another instance on the same PostgreSQL database sees
// the change when its own entry expires, after at most this long.
const AuthCacheTTL = 3 * time.Second

// authCacheMax bounds the number of cached sessions and keys; past it the
// expired entries are dropped, then everything if that was not enough.
const authCacheMax = 20000

// authCache holds the recent session and API-key lookups of one database
// handle, shared by every Service on that handle (a process has one).
//
// A lookup that missed reads the database, then stores its result only if
// no invalidation happened since it started (epoch): a read that saw a
// session just before its logout committed can never put it back in the
// cache after the logout dropped it. Invalidations run after the change is
// committed.
type authCache struct {
	ttl atomic.Int64 // nanoseconds; AuthCacheTTL, shortened by tests

	mu       sync.Mutex
	epoch    uint64
	sessions map[string]*sessionEntry // by token hash
	keys     map[string]*keyEntry     // by token hash
	keyByID  map[int64]*keyEntry
}

type sessionEntry struct {
	at                     time.Time // when it was read (monotonic clock: a duration, not a date)
	sid, uid               int64
	created, seen, expires time.Time
	actor                  kairos.Actor
}

type keyEntry struct {
	at       time.Time // monotonic, as above
	hash     string
	actor    kairos.Actor
	kind     kairos.OrgKind
	scopes   Scopes
	lastUsed time.Time // zero: never
}

// authCaches maps a database handle (weakly: a handle no longer used is
// collected with its cache) to its cache.
var authCaches sync.Map // weak.Pointer[store.DB] → *authCache

// afterLookupRead, when set (tests), runs between a missed lookup's database
// read and its store into the cache: where a concurrent logout can land.
var afterLookupRead atomic.Pointer[func()]

func lookupRead() {
	if f := afterLookupRead.Load(); f != nil {
		(*f)()
	}
}

func (s *Service) cache() *authCache {
	k := weak.Make(s.DB)
	if c, ok := authCaches.Load(k); ok {
		return c.(*authCache)
	}
	c := &authCache{sessions: map[string]*sessionEntry{}, keys: map[string]*keyEntry{}, keyByID: map[int64]*keyEntry{}}
	c.ttl.Store(int64(AuthCacheTTL))
	got, loaded := authCaches.LoadOrStore(k, c)
	if !loaded {
		runtime.AddCleanup(s.DB, func(k weak.Pointer[store.DB]) { authCaches.Delete(k) }, k)
	}
	return got.(*authCache)
}

func (c *authCache) fresh(at time.Time) bool {
	return time.Since(at) < time.Duration(c.ttl.Load())
}

// start returns the epoch a lookup that is about to read the database must
// present to store its result.
func (c *authCache) start() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *authCache) session(hash string) (sessionEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sessions[hash]
	if !ok || !c.fresh(e.at) {
		return sessionEntry{}, false
	}
	return *e, true
}

func (c *authCache) putSession(epoch uint64, hash string, e sessionEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.sessions) >= authCacheMax {
		c.prune()
	}
	c.sessions[hash] = &e
}

// touchSession records the new idle expiry written for a cached session.
func (c *authCache) touchSession(hash string, sid int64, seen, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.sessions[hash]; ok && e.sid == sid {
		e.seen, e.expires = seen, expires
	}
}

func (c *authCache) key(hash string) (keyEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keys[hash]
	if !ok || !c.fresh(e.at) {
		return keyEntry{}, false
	}
	return *e, true
}

func (c *authCache) keyScopes(id int64) (Scopes, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keyByID[id]
	if !ok || !c.fresh(e.at) {
		return nil, false
	}
	return e.scopes, true
}

func (c *authCache) keyOrg(id int64) (kairos.Actor, kairos.OrgKind, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keyByID[id]
	if !ok || !c.fresh(e.at) {
		return kairos.Actor{}, "", false
	}
	return e.actor, e.kind, true
}

func (c *authCache) putKey(epoch uint64, e keyEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.keys) >= authCacheMax {
		c.prune()
	}
	if old, ok := c.keyByID[e.actor.APIKeyID]; ok {
		delete(c.keys, old.hash)
	}
	c.keys[e.hash] = &e
	c.keyByID[e.actor.APIKeyID] = &e
}

func (c *authCache) touchKey(id int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.keyByID[id]; ok {
		e.lastUsed = at
	}
}

// prune drops the stale entries, and everything if the cache stays full.
func (c *authCache) prune() {
	for h, e := range c.sessions {
		if !c.fresh(e.at) {
			delete(c.sessions, h)
		}
	}
	for h, e := range c.keys {
		if !c.fresh(e.at) {
			delete(c.keys, h)
			delete(c.keyByID, e.actor.APIKeyID)
		}
	}
	if len(c.sessions) >= authCacheMax {
		clear(c.sessions)
	}
	if len(c.keys) >= authCacheMax {
		clear(c.keys)
		clear(c.keyByID)
	}
}

// dropSession forgets the session of a token hash.
func (c *authCache) dropSession(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.sessions, hash)
}

// dropUser forgets every session of a user.
func (c *authCache) dropUser(uid int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for h, e := range c.sessions {
		if e.uid == uid {
			delete(c.sessions, h)
		}
	}
}

// dropKey forgets an API key.
func (c *authCache) dropKey(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if e, ok := c.keyByID[id]; ok {
		delete(c.keys, e.hash)
		delete(c.keyByID, id)
	}
}
