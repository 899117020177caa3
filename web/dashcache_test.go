package web

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kairos/calendar"
	"kairos/enrolment"
)

func newDashCache(ttl time.Duration) *dashCache {
	c := &dashCache{}
	c.ttl.Store(int64(ttl))
	c.init(nil)
	return c
}

// loader counts its reads and returns data marked with the read's number.
func loader(n *atomic.Int64) func() (*dashData, error) {
	return func() (*dashData, error) {
		return &dashData{AttestToDo: int(n.Add(1))}, nil
	}
}

func TestDashCacheKeysAndInvalidation(t *testing.T) {
	c := newDashCache(time.Hour)
	ctx := context.Background()
	var n atomic.Int64
	day := calendar.NewDate(2026, 4, 8)
	a, b := dashKey{org: 1, day: day}, dashKey{org: 2, day: day}
	get := func(k dashKey) int {
		t.Helper()
		d, err := c.get(ctx, k, loader(&n))
		if err != nil {
			t.Fatal(err)
		}
		return d.AttestToDo
	}
	if get(a) != 1 || get(a) != 1 || get(b) != 2 || get(b) != 2 {
		t.Fatal("each organisation has its own entry, read once")
	}
	// Everything the data depends on is in the key.
	for i, k := range []dashKey{{org: 1, day: day + 1}, {org: 1, day: day, session: 5}, {org: 1, day: day, show: dashShowBilans}} {
		if got := get(k); got != 3+i {
			t.Fatalf("key %+v: read %d, want a read of its own", k, got)
		}
	}
	// A change of organisation 1 makes its entries stale, not those of 2.
	c.changed([]int64{1})
	if get(a) != 6 || get(b) != 2 {
		t.Fatal("change of organisation 1")
	}
	// A change without organisation makes every entry stale.
	c.changed([]int64{0})
	if get(a) != 7 || get(b) != 8 {
		t.Fatal("change without organisation")
	}
	// An error is not cached.
	boom := errors.New("boom")
	k := dashKey{org: 9, day: day}
	if _, err := c.get(ctx, k, func() (*dashData, error) { return nil, boom }); err != boom {
		t.Fatal(err)
	}
	if get(k) != 9 {
		t.Fatal("a failed read stays in the cache")
	}
}

func TestDashCacheExpires(t *testing.T) {
	c := newDashCache(30 * time.Millisecond)
	var n atomic.Int64
	k := dashKey{org: 1}
	first, _ := c.get(context.Background(), k, loader(&n))
	time.Sleep(40 * time.Millisecond)
	if d, _ := c.get(context.Background(), k, loader(&n)); d == first || d.AttestToDo != 2 {
		t.Fatal("an entry older than the TTL is read again (another instance's changes)")
	}
}

// A read that started before a change must not be served after it: the
// change lands while the read is in flight.
func TestDashCacheReadRacingAChange(t *testing.T) {
	c := newDashCache(time.Hour)
	k := dashKey{org: 1}
	started, release := make(chan struct{}), make(chan struct{})
	go c.get(context.Background(), k, func() (*dashData, error) {
		close(started)
		<-release
		return &dashData{AttestToDo: 1}, nil // what the database said before the change
	})
	<-started
	c.changed([]int64{1})
	close(release)
	var n atomic.Int64
	n.Store(1)
	if d, _ := c.get(context.Background(), k, loader(&n)); d.AttestToDo != 2 {
		t.Fatal("the data read before the change is served after it")
	}
}

// Concurrent misses on one key share one read.
func TestDashCacheOneReadPerKey(t *testing.T) {
	c := newDashCache(time.Hour)
	var n atomic.Int64
	gate := make(chan struct{})
	load := func() (*dashData, error) {
		<-gate
		return &dashData{D: &enrolment.Dashboard{}, AttestToDo: int(n.Add(1))}, nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if d, err := c.get(context.Background(), dashKey{org: 3}, load); err != nil || d.AttestToDo != 1 {
				t.Errorf("%v %v", d, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d reads", n.Load())
	}
}
