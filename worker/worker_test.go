package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kairos"
	"kairos/store"
	"kairos/store/storetest"
	"kairos/worker"
)

func TestJobsRunOnceAcrossInstances(t *testing.T) {
	url := storetest.URL(t)
	db1 := storetest.MustOpen(t, url)
	db2 := storetest.MustOpen(t, url) // a second process's handle on the same database
	ctx := context.Background()
	const n = 40
	for i := range n {
		if _, err := worker.Enqueue(ctx, db1, "count", map[string]int{"i": i}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	runs := map[int]int{}
	handler := func(_ context.Context, p json.RawMessage) error {
		var v struct{ I int }
		json.Unmarshal(p, &v)
		mu.Lock()
		runs[v.I]++
		mu.Unlock()
		return nil
	}
	var wg sync.WaitGroup
	for i, db := range []*store.DB{db1, db2, db1, db2} {
		w := &worker.Worker{DB: db, ID: fmt.Sprintf("w%d", i), Handlers: map[string]worker.Handler{"count": handler}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ran, err := w.RunOne(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if !ran {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(runs) != n {
		t.Fatalf("%d distinct jobs ran, want %d", len(runs), n)
	}
	for i, c := range runs {
		if c != 1 {
			t.Errorf("job %d ran %d times", i, c)
		}
	}
	st, err := worker.JobStats(ctx, db1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != n || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestFailedJobIsRetriedWithBackoffThenGivenUp(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	if _, err := worker.Enqueue(ctx, db, "flaky", nil, c.t); err != nil {
		t.Fatal(err)
	}
	calls := 0
	w := &worker.Worker{DB: db, ID: "w", Clock: c.now, Handlers: map[string]worker.Handler{
		"flaky": func(context.Context, json.RawMessage) error { calls++; return errors.New("SMTP indisponible") },
	}}
	for attempt := 1; attempt <= worker.DefaultMaxAttempts; attempt++ {
		ran, err := w.RunOne(ctx)
		if err != nil || !ran {
			t.Fatalf("attempt %d: ran=%v err=%v", attempt, ran, err)
		}
		// Not due again before its backoff.
		if ran, _ := w.RunOne(ctx); ran {
			t.Fatalf("attempt %d: retried before backoff", attempt)
		}
		c.t = c.t.Add(worker.Backoff(attempt) + time.Second)
	}
	if ran, _ := w.RunOne(ctx); ran {
		t.Fatal("job ran after its last attempt")
	}
	if calls != worker.DefaultMaxAttempts {
		t.Fatalf("%d calls", calls)
	}
	var lastErr string
	var failed *time.Time
	if err := db.QueryRow(ctx, "SELECT last_error, failed_at FROM jobs").Scan(&lastErr, &failed); err != nil {
		t.Fatal(err)
	}
	if failed == nil || lastErr != "SMTP indisponible" {
		t.Errorf("failed_at=%v last_error=%q", failed, lastErr)
	}
}

func TestExpiredLeaseIsReclaimed(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	worker.Enqueue(ctx, db, "k", nil, c.t)
	w1 := &worker.Worker{DB: db, ID: "crashed", Clock: c.now, Lease: time.Minute}
	j, err := w1.Claim(ctx)
	if err != nil || j == nil {
		t.Fatalf("claim: %v %v", j, err)
	}
	w2 := &worker.Worker{DB: db, ID: "other", Clock: c.now, Lease: time.Minute}
	if j, _ := w2.Claim(ctx); j != nil {
		t.Fatal("claimed a leased job")
	}
	c.t = c.t.Add(2 * time.Minute) // the first process died; its lease expires
	if j, _ := w2.Claim(ctx); j == nil || j.Attempts != 2 {
		t.Fatalf("expired lease not reclaimed: %+v", j)
	}
}

func TestScheduleFiresOncePerPeriodAcrossInstances(t *testing.T) {
	url := storetest.URL(t)
	dbs := []*store.DB{storetest.MustOpen(t, url), storetest.MustOpen(t, url)}
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	sched := []worker.Schedule{{Name: "rappels", Every: time.Hour, Kind: "rappels"}}
	var ws []*worker.Worker
	for i, db := range dbs {
		w := &worker.Worker{DB: db, ID: fmt.Sprint(i), Clock: c.now, Schedules: sched}
		if err := w.RegisterSchedules(ctx); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	count := func() int {
		var n int
		dbs[0].QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE kind = 'rappels'").Scan(&n)
		return n
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() { defer wg.Done(); w.FireSchedules(ctx) }()
	}
	wg.Wait()
	if n := count(); n != 1 {
		t.Fatalf("%d jobs after first period, want 1", n)
	}
	c.t = c.t.Add(30 * time.Minute)
	for _, w := range ws {
		w.FireSchedules(ctx)
	}
	if n := count(); n != 1 {
		t.Fatalf("fired again within the period: %d", n)
	}
	c.t = c.t.Add(31 * time.Minute)
	for _, w := range ws {
		w.FireSchedules(ctx)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d jobs after second period, want 2", n)
	}
}

// TestDeadHoldersJobIsTakenBackUnderAFrozenClock: a process claimed a job
// and was killed (it beats no more); the clock is frozen (KAIROS_NOW), so
// its lease never expires by time. The restarted process watches the dead
// one's beat stand still for DeadAfter of its own beats, then releases and
// runs the job, once.
func TestDeadHoldersJobIsTakenBackUnderAFrozenClock(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	frozen := kairos.FixedClock(time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC))
	if _, err := worker.Enqueue(ctx, db, "k", nil, frozen()); err != nil {
		t.Fatal(err)
	}
	dead := &worker.Worker{DB: db, ID: "host:101:aaaaaa", Clock: frozen}
	if err := dead.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if j, err := dead.Claim(ctx); err != nil || j == nil {
		t.Fatalf("claim: %v %v", j, err)
	}
	runs := 0
	next := &worker.Worker{DB: db, ID: "host:202:bbbbbb", Clock: frozen, DeadAfter: 3,
		Handlers: map[string]worker.Handler{"k": func(context.Context, json.RawMessage) error { runs++; return nil }}}
	if err := next.Register(ctx); err != nil {
		t.Fatal(err)
	}
	for beat := 0; beat <= 3; beat++ {
		if ran, err := next.RunOne(ctx); err != nil || ran {
			t.Fatalf("beat %d: ran the job of a holder not yet known dead (%v)", beat, err)
		}
		n, err := next.Heartbeat(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[beat == 3]; n != want {
			t.Fatalf("beat %d: %d jobs released, want %d", beat, n, want)
		}
	}
	if ran, err := next.RunOne(ctx); err != nil || !ran || runs != 1 {
		t.Fatalf("after the holder's death: ran=%v runs=%d err=%v", ran, runs, err)
	}
	var attempts, instances int
	db.QueryRow(ctx, "SELECT attempts FROM jobs").Scan(&attempts)
	db.QueryRow(ctx, "SELECT COUNT(*) FROM worker_instances WHERE id = ?", dead.ID).Scan(&instances)
	if attempts != 2 || instances != 0 {
		t.Fatalf("attempts %d, dead instance rows %d", attempts, instances)
	}
}

// TestLiveHolderKeepsItsJob: a job that runs longer than its lease is not
// taken by another worker while its holder beats (the lease is renewed and
// the holder is alive); at a clean stop the workers leave worker_instances.
func TestLiveHolderKeepsItsJob(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	db1, db2 := storetest.MustOpen(t, url), storetest.MustOpen(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := kairos.MovingClock(time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC))
	if _, err := worker.Enqueue(ctx, db1, "long", nil, clock()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	started, release := make(chan struct{}, 2), make(chan struct{})
	long := func(context.Context, json.RawMessage) error {
		mu.Lock()
		calls++
		mu.Unlock()
		started <- struct{}{}
		<-release
		return nil
	}
	var wg sync.WaitGroup
	run := func(db *store.DB, id string) {
		w := &worker.Worker{DB: db, ID: id, Clock: clock, Lease: time.Second, Beat: 20 * time.Millisecond, DeadAfter: 50, Poll: 10 * time.Millisecond,
			Handlers: map[string]worker.Handler{"long": long}}
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	run(db1, "holder")
	<-started
	run(db2, "other")
	time.Sleep(2500 * time.Millisecond) // 2.5 leases, 125 beats
	mu.Lock()
	n := calls
	mu.Unlock()
	close(release)
	if n != 1 {
		t.Fatalf("the job of a live holder ran %d times", n)
	}
	for {
		var done int
		db1.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE done_at IS NOT NULL").Scan(&done)
		if done == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	var instances int
	db1.QueryRow(context.Background(), "SELECT COUNT(*) FROM worker_instances").Scan(&instances)
	if instances != 0 {
		t.Fatalf("%d instances left after a clean stop", instances)
	}
}

// TestRetryComesDueUnderAFrozenPortalClock: the portal's clock is frozen
// (KAIROS_NOW: the database's clock) and the worker times its work with the
// moving clock, as the binary does: a failed job is retried after its
// backoff (10 s) instead of never.
func TestRetryComesDueUnderAFrozenPortalClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2028, 2, 29, 11, 0, 0, 0, time.UTC)
	db := storetest.Open(t)
	db.Clock = kairos.FixedClock(at)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := worker.Enqueue(ctx, db, "flaky", nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	w := &worker.Worker{DB: db, ID: "w", Clock: kairos.MovingClock(at), Poll: 50 * time.Millisecond, Handlers: map[string]worker.Handler{
		"flaky": func(context.Context, json.RawMessage) error {
			if calls.Add(1) == 1 {
				return errors.New("Chorus Pro indisponible")
			}
			cancel()
			return nil
		}}}
	w.Run(ctx)
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d calls: the retry never came due", n)
	}
	var done *time.Time
	db.QueryRow(context.Background(), "SELECT done_at FROM jobs").Scan(&done)
	if done == nil {
		t.Fatal("the retried job is not done")
	}
}
