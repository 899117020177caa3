package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
