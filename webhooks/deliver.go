package webhooks

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/mail"
	"kairos/store"
)

// Retries is the wait before each attempt of a delivery: the first at once,
// then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h — 8 attempts over
// 27 h 35 min. A delivery whose last attempt fails is "failed" and its
// subscription is disabled, with an e-mail to the organisation's account
// managers.
var Retries = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// ExcerptSize bounds the part of a receiver's answer kept in the delivery log.
const ExcerptSize = 1024

// claimed is a delivery taken by this process, with what sending it needs.
type claimed struct {
	id, subID, orgID, eventID int64
	objectKey                 string
	attempts                  int
	url, secret, prevSecret   string
	prevUntil                 sql.NullTime
}

// Run dispatches the outbox and delivers until ctx is done: the dispatcher
// wakes on this process's commits and polls every poll for other
// instances'; up to Concurrency deliveries are in flight at once.
func (s *Service) Run(ctx context.Context, poll time.Duration) error {
	s.client()
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	commits, stop := s.DB.ListenEvents()
	defer stop()
	dispatched, stopD := s.Listen()
	defer stopD()
	go func() {
		for {
			if _, err := s.Dispatch(ctx); err != nil && ctx.Err() == nil {
				s.Log.Error("webhooks: dispatch", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-commits:
			case <-time.After(poll):
			}
		}
	}()
	conc := s.Concurrency
	if conc <= 0 {
		conc = 16
	}
	sem := make(chan struct{}, conc)
	done := make(chan struct{}, conc)
	results := make(chan outcome, conc)
	recorded := make(chan struct{})
	go func() { // results are written in batches: one commit for many deliveries
		defer close(recorded)
		for o := range results {
			batch := []outcome{o}
			timer := time.NewTimer(2 * time.Millisecond)
		collect:
			for len(batch) < 256 {
				select {
				case o, ok := <-results:
					if !ok {
						break collect
					}
					batch = append(batch, o)
				case <-timer.C:
					break collect
				}
			}
			timer.Stop()
			if err := s.recordAll(context.WithoutCancel(ctx), batch); err != nil {
				s.Log.Error("webhooks: record deliveries", "deliveries", len(batch), "err", err)
			}
			for range batch {
				<-sem
				select {
				case done <- struct{}{}:
				default:
				}
			}
		}
	}()
	for {
		got := 0
		if free := conc - len(sem); free > 0 {
			ds, err := s.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				s.Log.Error("webhooks: claim", "err", err)
			}
			got = len(ds)
			for _, d := range ds {
				sem <- struct{}{}
				go func(d claimed) {
					r, err := s.send(context.WithoutCancel(ctx), d)
					if err != nil {
						r = attemptResult{err: "erreur interne de Kairos"}
						s.Log.Error("webhooks: send", "delivery", d.id, "err", err)
					}
					results <- outcome{d, r}
				}(d)
			}
		}
		if got > 0 && len(sem) < conc {
			continue
		}
		select {
		case <-ctx.Done():
			for i := 0; i < conc; i++ {
				sem <- struct{}{} // wait for the deliveries in flight to be recorded
			}
			close(results)
			<-recorded
			return nil
		case <-dispatched:
		case <-done:
		case <-time.After(poll):
		}
	}
}

type outcome struct {
	d claimed
	r attemptResult
}

// DeliverDue sends every delivery due now, waiting for each (tests, CLI).
// It returns how many attempts were made.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	s.client()
	total := 0
	for {
		ds, err := s.claim(ctx, 64)
		if err != nil || len(ds) == 0 {
			return total, err
		}
		outs := make([]outcome, len(ds))
		var wg sync.WaitGroup
		for i, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.send(ctx, d)
				if err != nil {
					r = attemptResult{err: "erreur interne de Kairos"}
				}
				outs[i] = outcome{d, r}
			}()
		}
		wg.Wait()
		total += len(ds)
		if err := s.recordAll(ctx, outs); err != nil {
			return total, err
		}
	}
}

// claim takes up to n due deliveries, each the oldest pending one of its
// object on its subscription ("ready": so an object's events go in order),
// of active subscriptions, under a lease.
func (s *Service) claim(ctx context.Context, n int) ([]claimed, error) {
	now := s.now()
	due := `d.state = 'pending' AND d.ready = 1 AND d.next_attempt_at <= ? AND (d.locked_until IS NULL OR d.locked_until < ?)`
	var any int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries d WHERE "+due+" LIMIT 1) x", now, now).Scan(&any); err != nil || any == 0 {
		return nil, err
	}
	lock := ""
	if s.DB.Engine() == store.Postgres {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	var out []claimed
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT d.id, d.subscription_id, s.org_id, d.event_id, d.object_key, d.attempts, s.url, s.secret, s.previous_secret, s.previous_expires_at
			FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
			WHERE `+due+` AND s.state = 'active' AND s.deleted_at IS NULL
			ORDER BY d.next_attempt_at, d.id LIMIT ?`+lock, now, now, n)
		if err != nil {
			return err
		}
		var cand []claimed
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.id, &c.subID, &c.orgID, &c.eventID, &c.objectKey, &c.attempts, &c.url, &c.secret, &c.prevSecret, &c.prevUntil); err != nil {
				rows.Close()
				return err
			}
			cand = append(cand, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range cand {
			res, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET locked_until = ? WHERE id = ? AND state = 'pending' AND (locked_until IS NULL OR locked_until < ?)",
				now.Add(2*RequestTimeout+time.Minute), c.id, now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

// attemptResult is the outcome of one HTTP request.
type attemptResult struct {
	status  int
	latency time.Duration
	excerpt string
	err     string
}

// send makes one attempt of delivery d.
func (s *Service) send(ctx context.Context, d claimed) (attemptResult, error) {
	ev, err := loadEvent(ctx, s.DB, d.eventID)
	if err != nil {
		return attemptResult{}, err
	}
	body, _ := json.Marshal(ev)
	now := s.now()
	// The signature's timestamp is what receivers compare with their own
	// clock against replays: the real time, even when the portal's clock is
	// frozen (KAIROS_NOW in demo mode).
	ts := kairos.SystemClock().Unix()
	if s.Clock != nil {
		ts = now.Unix() // tests: the receiver verifies with the same clock
	}
	sig, err := Sign(d.secret, ev.ID, ts, body)
	if err != nil {
		return attemptResult{}, err
	}
	if d.prevSecret != "" && d.prevUntil.Valid && d.prevUntil.Time.After(now) {
		if old, err := Sign(d.prevSecret, ev.ID, ts, body); err == nil {
			sig += " " + old
		}
	}
	return s.post(ctx, d.url, ev.ID, ts, sig, body), nil
}

func (s *Service) post(ctx context.Context, url, id string, ts int64, sig string, body []byte) attemptResult {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return attemptResult{err: "adresse invalide"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kairos-Webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now() // a duration, not a date: the monotonic clock
	resp, err := s.client().Do(req)
	if err != nil {
		return attemptResult{latency: time.Since(start), err: describe(err)}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, ExcerptSize))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	resp.Body.Close()
	r := attemptResult{status: resp.StatusCode, latency: time.Since(start), excerpt: excerpt(b)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.err = "redirection non suivie (" + resp.Status + ")"
	default:
		r.err = "réponse " + resp.Status
	}
	return r
}

func describe(err error) string {
	var ue interface{ Timeout() bool }
	switch {
	case errors.Is(err, errBlocked):
		return errBlocked.Error()
	case errors.As(err, &ue) && ue.Timeout():
		return "délai dépassé (" + RequestTimeout.String() + ")"
	case strings.Contains(err.Error(), "connection refused"):
		return "connexion refusée"
	case strings.Contains(err.Error(), "no such host"):
		return "nom d'hôte introuvable"
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return "échec de la connexion : " + msg
}

func excerpt(b []byte) string {
	b = bytes.ToValidUTF8(b, []byte("?"))
	s := strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// recordAll writes attempts, in one transaction, and moves their deliveries
// on: delivered, retried later, or failed — which disables the subscription
// and mails its account managers.
func (s *Service) recordAll(ctx context.Context, outs []outcome) error {
	if len(outs) == 0 {
		return nil
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := lockDeliveries(ctx, tx); err != nil {
			return err
		}
		for _, o := range outs {
			if err := s.record(ctx, tx, o.d, o.r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) record(ctx context.Context, tx *store.Tx, d claimed, r attemptResult) error {
	now := s.now()
	attempts := d.attempts + 1
	{
		if _, err := tx.Exec(ctx, "INSERT INTO webhook_attempts (delivery_id, at, status, latency_ms, response, error) VALUES (?, ?, ?, ?, ?, ?)",
			d.id, now, r.status, r.latency.Milliseconds(), r.excerpt, r.err); err != nil {
			return err
		}
		if r.err == "" {
			if _, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET state = 'delivered', ready = 0, attempts = ?, last_status = ?, last_error = '', locked_until = NULL, delivered_at = ? WHERE id = ?",
				attempts, r.status, now, d.id); err != nil {
				return err
			}
			return promote(ctx, tx, d.subID, d.objectKey)
		}
		if attempts < len(Retries) {
			_, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, locked_until = NULL, next_attempt_at = ? WHERE id = ?",
				attempts, r.status, r.err, now.Add(Retries[attempts]), d.id)
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET state = 'failed', ready = 0, attempts = ?, last_status = ?, last_error = ?, locked_until = NULL WHERE id = ?",
			attempts, r.status, r.err, d.id); err != nil {
			return err
		}
		if err := promote(ctx, tx, d.subID, d.objectKey); err != nil {
			return err
		}
		return s.autoDisable(ctx, tx, d, r.err, now)
	}
}

func (s *Service) autoDisable(ctx context.Context, tx *store.Tx, d claimed, lastErr string, now time.Time) error {
	reason := fmt.Sprintf("Désactivé automatiquement le %s : l'événement %s n'a pas pu être livré après %d tentatives sur %s (dernière erreur : %s).",
		now.Format("02/01/2006 à 15:04 UTC"), EventID(d.eventID), len(Retries), retrySpan(), lastErr)
	res, err := tx.Exec(ctx, "UPDATE webhook_subscriptions SET state = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND state = ?", StDisabled, reason, now, d.subID, StActive)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return nil // already disabled
	}
	if err := park(ctx, tx, d.subID, now); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, "SELECT email FROM users WHERE org_id = ? AND role = ? AND status = 'active' ORDER BY id", d.orgID, string(kairos.RoleOFAdmin))
	if err != nil {
		return err
	}
	var to []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return err
		}
		to = append(to, e)
	}
	rows.Close()
	link := s.BaseURL + "/organisme/webhooks/" + strconv.FormatInt(d.subID, 10)
	for _, addr := range to {
		if err := mail.Enqueue(ctx, tx, mail.Message{To: addr, Subject: "Kairos : votre webhook a été désactivé",
			Body: "Bonjour,\n\nL'abonnement webhook vers " + d.url + " de votre organisme a été désactivé.\n\n" + reason +
				"\n\nLes événements suivants ne lui sont plus envoyés. Une fois votre serveur rétabli, réactivez l'abonnement puis rejouez les livraisons en échec depuis :\n" +
				link + "\n\nLes événements restent lisibles dans le flux GET /api/v1/events.\n\nL'équipe Kairos"}); err != nil {
			return err
		}
	}
	return tx.Record(ctx, store.Change{Action: "webhook.auto_disable", OrgID: d.orgID, ObjectType: "webhook_subscription", ObjectID: d.subID,
		After: map[string]any{"state": StDisabled, "reason": reason, "mailed": len(to)}, At: now})
}

func retrySpan() string {
	var total time.Duration
	for _, r := range Retries {
		total += r
	}
	h := int(total.Hours())
	m := int(total.Minutes()) % 60
	return fmt.Sprintf("%d h %02d", h, m)
}

// parked is how far a disabled subscription's pending deliveries are put
// off, so that claims skip them by the index; re-enabling makes them due.
const parked = 100 * 365 * 24 * time.Hour

func park(ctx context.Context, tx *store.Tx, subID int64, now time.Time) error {
	_, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE subscription_id = ? AND state = 'pending'", now.Add(parked), subID)
	return err
}
