package account

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"kairos"
)

// Password hashing holds argon2Memory (19 MiB) for each computation, so an
// unbounded number of concurrent logins would take unbounded memory. The
// pool runs at most Slots computations at once; at most Queue more wait,
// each for at most Wait; anything beyond is refused at once with
// EUnavailable (503 with Retry-After), never queued without bound.
type HashPool struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

// NewHashPool returns a pool of slots concurrent computations with at most
// queue waiting ones, each waiting at most wait.
func NewHashPool(slots, queue int, wait time.Duration) *HashPool {
	return &HashPool{slots: make(chan struct{}, max(slots, 1)), queue: int64(max(queue, 0)), wait: wait}
}

// DefaultHashPool bounds the process's password hashing: one computation
// per core (2 to 8, that is 38 to 152 MiB), 32 waiting for at most 3 s.
var DefaultHashPool = NewHashPool(min(max(runtime.GOMAXPROCS(0), 2), 8), 32, 3*time.Second)

var errHashBusy = &kairos.Error{Code: kairos.EUnavailable, RetryAfter: 5 * time.Second,
	Message: "Le service de connexion est momentanément très sollicité. Réessayez dans quelques secondes."}

// Do runs fn in a slot of the pool, or returns EUnavailable when the pool
// and its queue are full or the wait ran out.
func (p *HashPool) Do(ctx context.Context, fn func()) error {
	select {
	case p.slots <- struct{}{}:
	default:
		if p.waiting.Add(1) > p.queue {
			p.waiting.Add(-1)
			return errHashBusy
		}
		t := time.NewTimer(p.wait)
		select {
		case p.slots <- struct{}{}:
			p.waiting.Add(-1)
			t.Stop()
		case <-t.C:
			p.waiting.Add(-1)
			return errHashBusy
		case <-ctx.Done():
			p.waiting.Add(-1)
			t.Stop()
			return ctx.Err()
		}
	}
	defer func() { <-p.slots }()
	fn()
	return nil
}

func (s *Service) hashPool() *HashPool {
	if s.Hashing != nil {
		return s.Hashing
	}
	return DefaultHashPool
}

// checkPassword is CheckPassword in a slot of the hashing pool.
func (s *Service) checkPassword(ctx context.Context, encoded, pw string) (ok bool, err error) {
	err = s.hashPool().Do(ctx, func() { ok = CheckPassword(encoded, pw) })
	return ok, err
}

// hashPassword is HashPassword in a slot of the hashing pool.
func (s *Service) hashPassword(ctx context.Context, pw string) (h string, err error) {
	err = s.hashPool().Do(ctx, func() { h = HashPassword(pw) })
	return h, err
}
