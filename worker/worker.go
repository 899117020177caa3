// Package worker runs durable background work from the database: jobs
// (mail deliveries, outbox deliveries, one-off tasks) and schedules (periodic
// reminders and expiries). Several processes may run workers on the same
// database: a job is claimed with a lease (row lock on PostgreSQL) so that it
// never runs in two places at once, and a schedule fires once per period
// whatever the number of instances.
package worker

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"kairos"
	"kairos/store"
)

// Handler runs one job. A returned error makes the job retried later, with
// backoff, until its attempts are exhausted.
type Handler func(ctx context.Context, payload json.RawMessage) error

// Schedule is periodic work: every Every, a job of kind Kind is enqueued once.
type Schedule struct {
	Name  string
	Every time.Duration
	Kind  string
}

// Job is one row of the jobs table.
type Job struct {
	ID          int64
	Kind        string
	Payload     json.RawMessage
	Attempts    int
	MaxAttempts int
}

// DefaultMaxAttempts is how many times a job is tried before it is marked failed.
const DefaultMaxAttempts = 8

// Enqueue adds a job, to run at runAt (now when zero). Call it inside the
// transaction of the change that needs the job, so that both commit together.
func Enqueue(ctx context.Context, q store.Querier, kind string, payload any, runAt time.Time) (int64, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	now := q.Now()
	if runAt.IsZero() {
		runAt = now
	}
	return q.Insert(ctx, "INSERT INTO jobs (kind, payload, run_at, attempts, max_attempts, created_at) VALUES (?, ?, ?, 0, ?, ?)",
		kind, string(b), runAt.UTC(), DefaultMaxAttempts, now)
}

// Worker claims and runs jobs.
type Worker struct {
	DB        *store.DB
	ID        string // identifies this process in locked_by
	Handlers  map[string]Handler
	Schedules []Schedule
	Lease     time.Duration // how long a claim holds (default 5 min)
	Poll      time.Duration // idle wait between polls (default 1 s)
	Clock     kairos.Clock
	Log       *slog.Logger

	Processed atomic.Int64
	Failed    atomic.Int64
}

func (w *Worker) now() time.Time {
	if w.Clock != nil {
		return w.Clock().UTC()
	}
	return w.DB.Now()
}

// Run works until ctx is done.
func (w *Worker) Run(ctx context.Context) error {
	if w.Poll == 0 {
		w.Poll = time.Second
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
	if err := w.RegisterSchedules(ctx); err != nil {
		return err
	}
	for {
		if _, err := w.FireSchedules(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("worker: schedules", "err", err)
		}
		ran, err := w.RunOne(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("worker: run", "err", err)
		}
		if ran {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.Poll):
		}
	}
}

// RegisterSchedules creates the schedule rows that do not exist yet.
func (w *Worker) RegisterSchedules(ctx context.Context) error {
	for _, s := range w.Schedules {
		if _, err := w.DB.Exec(ctx, "INSERT INTO schedules (name, every_seconds, next_run_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET every_seconds = excluded.every_seconds",
			s.Name, int64(s.Every/time.Second), w.now()); err != nil {
			return fmt.Errorf("worker: register schedule %s: %w", s.Name, err)
		}
	}
	return nil
}

// FireSchedules enqueues the job of every schedule that is due. The update
// is conditional on the next_run_at that was read, so only one instance wins
// a given period.
func (w *Worker) FireSchedules(ctx context.Context) (int, error) {
	fired := 0
	for _, s := range w.Schedules {
		// A plain read first: the write transaction is only for due schedules.
		var due int
		if err := w.DB.QueryRow(ctx, "SELECT COUNT(*) FROM schedules WHERE name = ? AND next_run_at <= ?", s.Name, w.now()).Scan(&due); err != nil {
			return fired, err
		}
		if due == 0 {
			continue
		}
		err := w.DB.Tx(ctx, func(tx *store.Tx) error {
			var next time.Time
			if err := tx.QueryRow(ctx, "SELECT next_run_at FROM schedules WHERE name = ?", s.Name).Scan(&next); err != nil {
				return err
			}
			now := w.now()
			if next.After(now) {
				return nil
			}
			res, err := tx.Exec(ctx, "UPDATE schedules SET next_run_at = ? WHERE name = ? AND next_run_at = ?", now.Add(s.Every), s.Name, next)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil // another instance fired it
			}
			fired++
			_, err = Enqueue(ctx, tx, s.Kind, map[string]string{"schedule": s.Name}, now)
			return err
		})
		if err != nil {
			return fired, fmt.Errorf("schedule %s: %w", s.Name, err)
		}
	}
	return fired, nil
}

// Claim takes the next due job, if any, under a lease.
func (w *Worker) Claim(ctx context.Context) (*Job, error) {
	lease := w.Lease
	if lease == 0 {
		lease = 5 * time.Minute
	}
	now := w.now()
	lock := ""
	if w.DB.Engine() == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// The availability conditions are repeated in the outer WHERE so that a
	// concurrent claimer that lost the race re-checks them and updates nothing.
	avail := "done_at IS NULL AND failed_at IS NULL AND run_at <= ? AND (locked_until IS NULL OR locked_until < ?)"
	// A plain read first, so that idle polling takes no write lock.
	var any int
	if err := w.DB.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE "+avail+" LIMIT 1) due", now, now).Scan(&any); err != nil {
		return nil, err
	}
	if any == 0 {
		return nil, nil
	}
	var j Job
	var payload string
	err := w.DB.QueryRow(ctx, `UPDATE jobs SET locked_by = ?, locked_until = ?, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs WHERE `+avail+` ORDER BY run_at, id LIMIT 1`+lock+`) AND `+avail+`
		RETURNING id, kind, payload, attempts, max_attempts`,
		w.ID, now.Add(lease), now, now, now, now).Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &j.MaxAttempts)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	j.Payload = json.RawMessage(payload)
	return &j, nil
}

// RunOne claims one job and runs it. It reports whether a job was run.
func (w *Worker) RunOne(ctx context.Context) (bool, error) {
	j, err := w.Claim(ctx)
	if err != nil || j == nil {
		return false, err
	}
	h := w.Handlers[j.Kind]
	var runErr error
	if h == nil {
		runErr = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		runErr = safeRun(ctx, h, j.Payload)
	}
	now := w.now()
	if runErr == nil {
		w.Processed.Add(1)
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET done_at = ?, locked_until = NULL, last_error = '' WHERE id = ? AND locked_by = ?", now, j.ID, w.ID)
		return true, err
	}
	w.Failed.Add(1)
	if w.Log != nil {
		w.Log.Warn("worker: job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", runErr)
	}
	if j.Attempts >= j.MaxAttempts {
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET failed_at = ?, locked_until = NULL, last_error = ? WHERE id = ?", now, runErr.Error(), j.ID)
		return true, err
	}
	_, err = w.DB.Exec(ctx, "UPDATE jobs SET run_at = ?, locked_until = NULL, last_error = ? WHERE id = ?", now.Add(Backoff(j.Attempts)), runErr.Error(), j.ID)
	return true, err
}

// Backoff is the wait before retry n (1-based): 10 s, 20 s, 40 s… capped at 1 h.
func Backoff(attempt int) time.Duration {
	d := time.Duration(float64(10*time.Second) * math.Pow(2, float64(attempt-1)))
	if d > time.Hour || d <= 0 {
		return time.Hour
	}
	return d
}

func safeRun(ctx context.Context, h Handler, p json.RawMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, p)
}

// Stats counts jobs by state, for /metrics and the admin page.
type Stats struct{ Pending, Done, Failed int64 }

// JobStats returns job counts.
func JobStats(ctx context.Context, db *store.DB) (Stats, error) {
	var s Stats
	err := db.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN done_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM jobs`).Scan(&s.Pending, &s.Done, &s.Failed)
	return s, err
}

// InstanceID builds a worker identifier from the host name and process id.
func InstanceID(host string, pid int) string { return host + ":" + strconv.Itoa(pid) }
