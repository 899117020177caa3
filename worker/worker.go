// Package worker runs durable background work from the database: jobs
// (mail deliveries, outbox deliveries, one-off tasks) and schedules (periodic
// reminders and expiries). Several processes may run workers on the same
// database: a job is claimed with a lease (row lock on PostgreSQL) so that it
// never runs in two places at once, and a schedule fires once per period
// whatever the number of instances.
//
// Leases and liveness. A claim sets locked_by and locked_until (now + Lease).
// A running worker (Run) also beats in worker_instances: every Beat it adds
// one to its beat and renews the leases it holds, and it watches the others'
// beats. A holder whose beat has not moved for DeadAfter of the watcher's
// own beats is dead (killed, its machine gone): its row is deleted and its
// jobs released at once, to be claimed again. Liveness is counted in beats
// seen, never read from a clock, so a restarted process takes back what a
// dead one held even under a frozen KAIROS_NOW, where locked_until never
// passes; and a live holder, which keeps beating and renewing, never loses a
// long job to another worker. (A stable instance id with a start-up reclaim
// of "my own" stale leases was rejected: it cannot tell a dead predecessor
// from a second live process started with the same id.) The time-based
// expiry of locked_until stays for holders that never beat (a process of an
// older version, a bare Claim).
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
	Lease     time.Duration // how long a claim holds (default 5 min), renewed at every beat
	Poll      time.Duration // idle wait between polls (default 1 s)
	Beat      time.Duration // heartbeat period (default 1 s)
	DeadAfter int           // beats without a peer's beat moving before it is dead (default 15)
	// Clock times the infrastructure: run_at, leases, backoff, schedules.
	// Under KAIROS_NOW it is the moving clock (kairos.MovingClock), so that
	// retries come due; nil: the database's clock.
	Clock kairos.Clock
	Log   *slog.Logger

	Processed atomic.Int64
	Failed    atomic.Int64

	peers map[string]peerBeat // the beats of the other instances, as last seen (Heartbeat only)
}

type peerBeat struct {
	beat  int64
	still int // consecutive beats of ours without it moving
}

// DefaultDeadAfter is how many of its own beats a worker watches a peer's
// beat stand still before it declares the peer dead.
const DefaultDeadAfter = 15

func (w *Worker) lease() time.Duration {
	if w.Lease == 0 {
		return 5 * time.Minute
	}
	return w.Lease
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
	if err := w.Register(ctx); err != nil {
		return err
	}
	beats, stopBeats := context.WithCancel(ctx)
	beatsDone := make(chan struct{})
	go func() {
		defer close(beatsDone)
		period := w.Beat
		if period <= 0 {
			period = time.Second
		}
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-beats.Done():
				return
			case <-t.C:
				if _, err := w.Heartbeat(beats); err != nil && beats.Err() == nil {
					w.Log.Error("worker: heartbeat", "err", err)
				}
			}
		}
	}()
	defer func() {
		stopBeats()
		<-beatsDone
		if err := w.Deregister(context.WithoutCancel(ctx)); err != nil {
			w.Log.Error("worker: deregister", "err", err)
		}
	}()
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

// Register records this worker in worker_instances, so that the others
// watch its beat (Run does it).
func (w *Worker) Register(ctx context.Context) error {
	_, err := w.DB.Exec(ctx, "INSERT INTO worker_instances (id, beat, started_at) VALUES (?, 0, ?) ON CONFLICT (id) DO NOTHING", w.ID, w.now())
	if err != nil {
		return fmt.Errorf("worker: register %s: %w", w.ID, err)
	}
	return nil
}

// Deregister ends this worker's record at a clean stop and releases the
// leases it still holds (none once Run has returned).
func (w *Worker) Deregister(ctx context.Context) error {
	return w.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM worker_instances WHERE id = ?", w.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE jobs SET locked_until = NULL WHERE locked_by = ? AND done_at IS NULL AND failed_at IS NULL", w.ID)
		return err
	})
}

// Heartbeat is one beat: this worker's beat moves and its leases are
// renewed; the peers whose beat stood still for DeadAfter beats are
// declared dead and their jobs released. It reports how many jobs it
// released.
func (w *Worker) Heartbeat(ctx context.Context) (int, error) {
	now := w.now()
	res, err := w.DB.Exec(ctx, "UPDATE worker_instances SET beat = beat + 1 WHERE id = ?", w.ID)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Declared dead while alive (stalled longer than DeadAfter beats):
		// what it held may have been taken; it beats again from now on.
		if w.Log != nil {
			w.Log.Warn("worker: this instance was declared dead by another one; registering again", "id", w.ID)
		}
		if err := w.Register(ctx); err != nil {
			return 0, err
		}
	}
	if _, err := w.DB.Exec(ctx, "UPDATE jobs SET locked_until = ? WHERE locked_by = ? AND done_at IS NULL AND failed_at IS NULL AND locked_until IS NOT NULL",
		now.Add(w.lease()), w.ID); err != nil {
		return 0, err
	}
	rows, err := w.DB.Query(ctx, "SELECT id, beat FROM worker_instances WHERE id <> ?", w.ID)
	if err != nil {
		return 0, err
	}
	seen := map[string]int64{}
	for rows.Next() {
		var id string
		var beat int64
		if err := rows.Scan(&id, &beat); err != nil {
			rows.Close()
			return 0, err
		}
		seen[id] = beat
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if w.peers == nil {
		w.peers = map[string]peerBeat{}
	}
	deadAfter := w.DeadAfter
	if deadAfter <= 0 {
		deadAfter = DefaultDeadAfter
	}
	released := 0
	for id := range w.peers {
		if _, ok := seen[id]; !ok {
			delete(w.peers, id)
		}
	}
	for id, beat := range seen {
		p, ok := w.peers[id]
		if !ok || p.beat != beat {
			w.peers[id] = peerBeat{beat: beat}
			continue
		}
		p.still++
		w.peers[id] = p
		if p.still < deadAfter {
			continue
		}
		n, err := w.reap(ctx, id, beat)
		if err != nil {
			return released, err
		}
		delete(w.peers, id)
		released += n
	}
	return released, nil
}

// reap declares instance id dead if its beat is still beat, and releases
// its jobs.
func (w *Worker) reap(ctx context.Context, id string, beat int64) (int, error) {
	released := 0
	err := w.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM worker_instances WHERE id = ? AND beat = ?", id, beat)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // it beat meanwhile, or another worker reaped it
		}
		res, err = tx.Exec(ctx, "UPDATE jobs SET locked_until = NULL WHERE locked_by = ? AND done_at IS NULL AND failed_at IS NULL AND locked_until IS NOT NULL", id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		released = int(n)
		return nil
	})
	if err == nil && w.Log != nil {
		w.Log.Info("worker: an instance stopped beating; its jobs are released", "dead", id, "jobs", released)
	}
	return released, err
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
	lease := w.lease()
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
	// The outcome is recorded even when ctx ended during the job (a clean
	// stop): a job left leased would wait for its holder's death.
	ctx = context.WithoutCancel(ctx)
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
		_, err = w.DB.Exec(ctx, "UPDATE jobs SET failed_at = ?, locked_until = NULL, last_error = ? WHERE id = ? AND locked_by = ?", now, runErr.Error(), j.ID, w.ID)
		return true, err
	}
	// Only while it holds the job: a holder declared dead must not reset
	// the lease of the worker that took the job after it.
	_, err = w.DB.Exec(ctx, "UPDATE jobs SET run_at = ?, locked_until = NULL, last_error = ? WHERE id = ? AND locked_by = ?", now.Add(Backoff(j.Attempts)), runErr.Error(), j.ID, w.ID)
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
