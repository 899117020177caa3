package webhooks

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"kairos/store"
)

// Event is a published event, the same bytes on a webhook and in the feed.
type Event struct {
	ID        string          `json:"id"`       // "evt_<n>": the webhook-id, the same on every retry and replay
	Sequence  int64           `json:"sequence"` // position in the change feed (the cursor)
	Type      string          `json:"type"`     // versioned public type, e.g. "enrolment.entrer.v1"
	Timestamp time.Time       `json:"timestamp"`
	Object    ObjectRef       `json:"object"`
	Data      json.RawMessage `json:"data"` // the object's state after the change
}

// ObjectRef names the object an event is about.
type ObjectRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// EventID is the public id of outbox event n.
func EventID(n int64) string { return "evt_" + strconv.FormatInt(n, 10) }

// DispatchBatch is how many outbox events one dispatch transaction handles.
const DispatchBatch = 500

// Dispatch gives the undispatched outbox events, in id order, their feed
// position and their audience, and queues a delivery for every active
// subscription of the audience that wants the event's type. Dispatchers of
// several instances are serialised (advisory lock on PostgreSQL, the
// immediate transaction on SQLite), so positions are given, and become
// visible, in order. It returns how many events it handled.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	var pending int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE seq IS NULL LIMIT 1) p").Scan(&pending); err != nil || pending == 0 {
		return 0, err
	}
	now := s.now()
	n := 0
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := lockDeliveries(ctx, tx); err != nil {
			return err
		}
		var next int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&next); err != nil {
			return err
		}
		type raw struct {
			id                     int64
			action, objType, objID string
			org                    int64
		}
		rows, err := tx.Query(ctx, "SELECT id, type, COALESCE(org_id, 0), object_type, object_id FROM events WHERE seq IS NULL ORDER BY id LIMIT ?", DispatchBatch)
		if err != nil {
			return err
		}
		var evs []raw
		for rows.Next() {
			var r raw
			if err := rows.Scan(&r.id, &r.action, &r.org, &r.objType, &r.objID); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		subs := map[int64][]subRef{}
		for _, e := range evs {
			next++
			n++
			if _, err := tx.Exec(ctx, "UPDATE events SET seq = ? WHERE id = ?", next, e.id); err != nil {
				return err
			}
			t, ok := TypeOfAction(e.action)
			if !ok {
				continue
			}
			aud, err := audience(ctx, tx, e.org, e.objType, e.objID)
			if err != nil {
				return err
			}
			for _, org := range aud {
				if _, err := tx.Exec(ctx, "INSERT INTO event_audience (org_id, seq, event_id) VALUES (?, ?, ?)", org, next, e.id); err != nil {
					return err
				}
				ss, ok := subs[org]
				if !ok {
					if ss, err = activeSubs(ctx, tx, org); err != nil {
						return err
					}
					subs[org] = ss
				}
				for _, sub := range ss {
					if !sub.wants(t.Name) {
						continue
					}
					if err := queue(ctx, tx, sub.id, e.id, e.objType+":"+e.objID, now, 0); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.wake()
	}
	return n, nil
}

// lockDeliveries serialises, on PostgreSQL, the transactions that queue
// deliveries and those that finish them, so that "ready" (the oldest pending
// delivery of an object) is always right; SQLite's write transactions are
// serialised already.
func lockDeliveries(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(727750)")
	return err
}

// queue adds a pending delivery, ready if its object has no other pending
// delivery on the subscription. The caller holds lockDeliveries.
func queue(ctx context.Context, tx *store.Tx, subID, eventID int64, objectKey string, now time.Time, replayOf int64) error {
	var busy int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE subscription_id = ? AND object_key = ? AND state = 'pending' LIMIT 1) p",
		subID, objectKey).Scan(&busy); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (subscription_id, event_id, object_key, state, ready, next_attempt_at, created_at, replay_of)
		VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`, subID, eventID, objectKey, 1-busy, now, now, nullID(replayOf))
	return err
}

// promote makes the next pending delivery of an object ready, once the
// previous one is delivered or has failed. The caller holds lockDeliveries.
func promote(ctx context.Context, tx *store.Tx, subID int64, objectKey string) error {
	_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET ready = 1 WHERE id = (SELECT MIN(id) FROM webhook_deliveries
		WHERE subscription_id = ? AND object_key = ? AND state = 'pending')`, subID, objectKey)
	return err
}

type subRef struct {
	id    int64
	types []string
}

func (r subRef) wants(name string) bool {
	for _, t := range r.types {
		if t == "*" || t == name {
			return true
		}
	}
	return false
}

func activeSubs(ctx context.Context, q store.Querier, org int64) ([]subRef, error) {
	rows, err := q.Query(ctx, "SELECT id, event_types FROM webhook_subscriptions WHERE org_id = ? AND state = 'active' AND deleted_at IS NULL", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subRef
	for rows.Next() {
		var r subRef
		var types string
		if err := rows.Scan(&r.id, &types); err != nil {
			return nil, err
		}
		r.types = strings.Fields(types)
		out = append(out, r)
	}
	return out, rows.Err()
}

// audienceQueries give, per object type, the organisations other than the
// owner that may see the object (DOMAIN §2: "a counsellor sees the DE of his
// agence"; France Travail's services see the OFs and attestations of their
// region, a national service every region):
//   - an enrolment, a movement, an absence, a participant: the job seeker's agence;
//   - an attestation: the FT services of the agence's region and the national ones;
//   - an adhesion: the FT services of its region and the national ones;
//   - a quote: the job seeker's agence and the FT services of its region (and
//     the national ones) that instruct quotes.
//
// Appointments, catalogue imports and the rest are seen by their owner only.
// Another OF is never in an audience.
var audienceQueries = map[string]string{
	"enrolment":          "SELECT agence_id FROM enrolments WHERE id = ?",
	"enrolment_movement": "SELECT e.agence_id FROM enrolment_movements m JOIN enrolments e ON e.id = m.enrolment_id WHERE m.id = ?",
	"enrolment_absence":  "SELECT e.agence_id FROM enrolment_absences a JOIN enrolments e ON e.id = a.enrolment_id WHERE a.id = ?",
	"participant":        "SELECT d.agence_id FROM participants p JOIN demandeurs d ON d.user_id = p.demandeur_id WHERE p.id = ?",
	"attestation": `SELECT o.id FROM attestations t JOIN organisations ag ON ag.id = t.agence_id
		JOIN organisations o ON o.kind = 'ft_service' AND (o.region = '' OR o.region = ag.region) WHERE t.id = ?`,
	"adhesion": `SELECT o.id FROM adhesions a JOIN organisations o ON o.kind = 'ft_service' AND (o.region = '' OR o.region = a.region) WHERE a.id = ?`,
	"assessment": `SELECT o.id FROM assessments s JOIN organisations ag ON ag.id = s.agence_id
		JOIN organisations o ON o.id = s.agence_id OR (o.kind = 'ft_service' AND (o.region = '' OR o.region = ag.region)) WHERE s.id = ?`,
	// A quote: the job seeker's agence, and France Travail's services of the
	// quote's region that instruct quotes (those with a manager).
	"quote": `SELECT o.id FROM quotes q JOIN organisations o ON o.id = q.agence_id OR (o.kind = 'ft_service' AND (o.region = '' OR o.region = q.region)
		AND EXISTS (SELECT 1 FROM users u WHERE u.org_id = o.id AND u.role = 'ft_gestionnaire')) WHERE q.id = ?`,
	"invoice": `SELECT o.id FROM invoices i JOIN enrolments e ON e.id = i.enrolment_id JOIN organisations ag ON ag.id = e.agence_id
		JOIN organisations o ON o.kind = 'ft_service' AND (o.region = '' OR o.region = ag.region) WHERE i.id = ?`,
}

// audience returns the organisations that may see an event: its owner (the
// organisation recorded with the change) and those of audienceQueries, read
// when the event is dispatched, seconds after the change.
func audience(ctx context.Context, q store.Querier, owner int64, objType, objID string) ([]int64, error) {
	var out []int64
	seen := map[int64]bool{}
	add := func(id int64) {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(owner)
	query, ok := audienceQueries[objType]
	id, err := strconv.ParseInt(objID, 10, 64)
	if !ok || err != nil {
		return out, nil
	}
	rows, err := q.Query(ctx, query, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		add(o)
	}
	return out, rows.Err()
}

// Listen returns a channel woken (coalesced) after events were dispatched
// by this process, and a function to stop listening. Live pages use it.
func (s *Service) Listen() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.listenMu.Lock()
	if s.listeners == nil {
		s.listeners = map[chan struct{}]struct{}{}
	}
	s.listeners[ch] = struct{}{}
	s.listenMu.Unlock()
	return ch, func() {
		s.listenMu.Lock()
		delete(s.listeners, ch)
		s.listenMu.Unlock()
	}
}

func (s *Service) wake() {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	for ch := range s.listeners {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// loadEvent reads a dispatched event as published.
func loadEvent(ctx context.Context, q store.Querier, id int64) (*Event, error) {
	var e Event
	var action, payload string
	var n int64
	payloadCol := "payload"
	if q.Engine() == store.Postgres {
		payloadCol = "payload::text"
	}
	err := q.QueryRow(ctx, "SELECT id, COALESCE(seq, 0), type, at, object_type, object_id, "+payloadCol+" FROM events WHERE id = ?", id).
		Scan(&n, &e.Sequence, &action, &e.Timestamp, &e.Object.Type, &e.Object.ID, &payload)
	if err != nil {
		return nil, err
	}
	return finishEvent(&e, n, action, payload), nil
}

func finishEvent(e *Event, id int64, action, payload string) *Event {
	e.ID = EventID(id)
	e.Timestamp = e.Timestamp.UTC()
	if t, ok := TypeOfAction(action); ok {
		e.Type = t.Name
	} else {
		e.Type = action
	}
	var p struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal([]byte(payload), &p)
	e.Data = p.Data
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("null")
	}
	return e
}
