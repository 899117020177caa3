package webhooks

import (
	"context"
	"strconv"
	"time"

	"kairos"
	"kairos/store"
)

// Delivery is one event queued for one subscription, with its attempts.
type Delivery struct {
	ID            int64      `json:"id"`
	EventID       string     `json:"event_id"`
	EventType     string     `json:"event_type"`
	Object        ObjectRef  `json:"object"`
	State         string     `json:"state"` // pending, delivered, failed
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastStatus    int        `json:"last_status,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	ReplayOf      int64      `json:"replay_of,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	Log           []Attempt  `json:"log,omitempty"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	At        time.Time `json:"at"`
	Status    int       `json:"status"` // 0: no answer
	LatencyMS int64     `json:"latency_ms"`
	Response  string    `json:"response,omitempty"` // excerpt
	Error     string    `json:"error,omitempty"`
}

// DeliveryFilter selects deliveries of a subscription.
type DeliveryFilter struct {
	State  string // "", pending, delivered, failed
	Before int64  // keyset: deliveries with id < Before
	Limit  int
}

// Deliveries lists a subscription's deliveries, newest first, each with its
// attempts, and returns the Before of the next page (0: none).
func (s *Service) Deliveries(ctx context.Context, a *kairos.Actor, subID int64, f DeliveryFilter) ([]Delivery, int64, error) {
	if err := Manage(a); err != nil {
		return nil, 0, err
	}
	if _, err := s.load(ctx, s.DB, a.OrgID, subID); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := `SELECT d.id, d.event_id, e.type, e.object_type, e.object_id, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
		COALESCE(d.replay_of, 0), d.created_at, d.delivered_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.subscription_id = ?`
	args := []any{subID}
	switch f.State {
	case "pending", "delivered", "failed":
		q += " AND d.state = ?"
		args = append(args, f.State)
	case "":
	default:
		return nil, 0, kairos.Invalid(map[string]string{"state": "État inconnu : pending, delivered ou failed."})
	}
	if f.Before > 0 {
		q += " AND d.id < ?"
		args = append(args, f.Before)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY d.id DESC LIMIT "+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, 0, err
	}
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var evID int64
		var action string
		var next time.Time
		if err := rows.Scan(&d.ID, &evID, &action, &d.Object.Type, &d.Object.ID, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &d.ReplayOf, &d.CreatedAt, &d.DeliveredAt); err != nil {
			rows.Close()
			return nil, 0, err
		}
		d.EventID = EventID(evID)
		d.EventType = action
		if t, ok := TypeOfAction(action); ok {
			d.EventType = t.Name
		}
		if d.State == "pending" {
			n := next.UTC()
			d.NextAttemptAt = &n
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	for i := range out {
		if out[i].Log, err = s.attempts(ctx, out[i].ID); err != nil {
			return nil, 0, err
		}
	}
	return out, next, nil
}

func (s *Service) attempts(ctx context.Context, deliveryID int64) ([]Attempt, error) {
	rows, err := s.DB.Query(ctx, "SELECT at, status, latency_ms, response, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY id DESC LIMIT 20", deliveryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var at Attempt
		if err := rows.Scan(&at.At, &at.Status, &at.LatencyMS, &at.Response, &at.Error); err != nil {
			return nil, err
		}
		at.At = at.At.UTC()
		out = append(out, at)
	}
	return out, rows.Err()
}

// Replay queues again one delivery of a subscription (any state): a new
// delivery of the same event, which carries the same event id.
func (s *Service) Replay(ctx context.Context, a *kairos.Actor, subID, deliveryID int64) (int, error) {
	return s.replay(ctx, a, subID, "d.id = ?", deliveryID)
}

// ReplayFailed queues again every failed delivery of a subscription (at
// most 10 000 at once) and returns how many.
func (s *Service) ReplayFailed(ctx context.Context, a *kairos.Actor, subID int64) (int, error) {
	return s.replay(ctx, a, subID, "d.state = 'failed' AND NOT EXISTS (SELECT 1 FROM webhook_deliveries r WHERE r.replay_of = d.id)", nil)
}

func (s *Service) replay(ctx context.Context, a *kairos.Actor, subID int64, where string, arg any) (int, error) {
	if err := Manage(a); err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := s.load(ctx, tx, a.OrgID, subID); err != nil {
			return err
		}
		if err := lockDeliveries(ctx, tx); err != nil {
			return err
		}
		args := []any{subID}
		if arg != nil {
			args = append(args, arg)
		}
		rows, err := tx.Query(ctx, `SELECT d.id, d.event_id, d.object_key FROM webhook_deliveries d
			WHERE d.subscription_id = ? AND `+where+` ORDER BY d.id LIMIT 10000`, args...)
		if err != nil {
			return err
		}
		type old struct {
			id, event int64
			key       string
		}
		var olds []old
		for rows.Next() {
			var o old
			if err := rows.Scan(&o.id, &o.event, &o.key); err != nil {
				rows.Close()
				return err
			}
			olds = append(olds, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range olds {
			if err := queue(ctx, tx, subID, o.event, o.key, now, o.id); err != nil {
				return err
			}
		}
		n = len(olds)
		if n == 0 {
			if arg != nil {
				return kairos.NotFound("Livraison")
			}
			return kairos.Errorf(kairos.EConflict, "Aucune livraison en échec à rejouer.")
		}
		return tx.Record(ctx, store.Change{Action: "webhook.replay", OrgID: a.OrgID, ObjectType: "webhook_subscription", ObjectID: subID,
			After: map[string]any{"deliveries": n}, At: now})
	})
	if err == nil {
		s.wake()
	}
	return n, err
}
