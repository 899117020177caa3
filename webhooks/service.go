package webhooks

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/store"
)

// Service manages subscriptions, dispatches the outbox and delivers.
type Service struct {
	DB           *store.DB
	Clock        kairos.Clock
	Log          *slog.Logger
	AllowPrivate bool         // deliveries may go to private and loopback addresses, over http (tests, demo)
	Client       *http.Client // default NewClient(AllowPrivate)
	BaseURL      string       // of the portal, for links in e-mails
	Concurrency  int          // deliveries sent at once (default 16)

	once      sync.Once
	listenMu  sync.Mutex
	listeners map[chan struct{}]struct{}
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

func (s *Service) client() *http.Client {
	s.once.Do(func() {
		if s.Client == nil {
			s.Client = NewClient(s.AllowPrivate)
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
	})
	return s.Client
}

// Subscription is an organisation's webhook endpoint.
type Subscription struct {
	ID             int64      `json:"id"`
	OrgID          int64      `json:"-"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	EventTypes     []string   `json:"event_types"`
	State          string     `json:"state"` // active, disabled
	DisabledReason string     `json:"disabled_reason,omitempty"`
	SecretPrefix   string     `json:"secret_prefix"` // start of the secret, to recognise it
	RotatingUntil  *time.Time `json:"previous_secret_valid_until,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Stats          *Stats     `json:"stats,omitempty"`
}

// Stats counts a subscription's deliveries.
type Stats struct {
	Pending   int64 `json:"pending"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
}

// Subscription states.
const (
	StActive   = "active"
	StDisabled = "disabled"
)

// RotationOverlap is how long the previous secret keeps signing after a rotation.
const RotationOverlap = 24 * time.Hour

// MaxSubscriptions bounds the subscriptions of one organisation.
const MaxSubscriptions = 20

// Input is what a subscription is created or changed with.
type Input struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
}

// Manage checks that a may manage its organisation's webhooks: the OF's
// account manager in the pages, or any API key (for its own organisation).
func Manage(a *kairos.Actor) error {
	if a == nil || a.OrgID == 0 || (a.APIKeyID == 0 && a.Role != kairos.RoleOFAdmin) {
		return kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme (ou une clé d'API de l'organisme) gère les webhooks.")
	}
	return nil
}

func (s *Service) check(in *Input) error {
	fields := map[string]string{}
	u, msg := CheckURL(in.URL, s.AllowPrivate)
	if msg != "" {
		fields["url"] = msg
	}
	in.URL = u
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > 200 || strings.ContainsFunc(in.Description, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !utf8.ValidString(in.Description) {
		fields["description"] = "La description fait 200 caractères au plus, sur une ligne."
	}
	types, msg := normTypes(in.EventTypes)
	if msg != "" {
		fields["event_types"] = msg
	}
	in.EventTypes = types
	if len(fields) > 0 {
		return kairos.Invalid(fields)
	}
	return nil
}

// Create subscribes a URL for the actor's organisation and returns the
// subscription with its signing secret, shown once.
func (s *Service) Create(ctx context.Context, a *kairos.Actor, in Input) (*Subscription, string, error) {
	if err := Manage(a); err != nil {
		return nil, "", err
	}
	if err := s.check(&in); err != nil {
		return nil, "", err
	}
	secret := NewSecret()
	now := s.now()
	var out *Subscription
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM webhook_subscriptions WHERE org_id = ? AND deleted_at IS NULL", a.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxSubscriptions {
			return kairos.Errorf(kairos.EConflict, "Votre organisme a déjà %d abonnements : supprimez-en un avant d'en créer un autre.", MaxSubscriptions)
		}
		id, err := tx.Insert(ctx, `INSERT INTO webhook_subscriptions (org_id, url, description, event_types, secret, state, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.OrgID, in.URL, in.Description, strings.Join(in.EventTypes, " "), secret, StActive, nullID(a.UserID), now, now)
		if err != nil {
			return err
		}
		out, err = s.load(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "webhook.create", OrgID: a.OrgID, ObjectType: "webhook_subscription", ObjectID: id, After: out, At: now})
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// Update changes a subscription's URL, description and event types.
func (s *Service) Update(ctx context.Context, a *kairos.Actor, id int64, in Input) (*Subscription, error) {
	if err := Manage(a); err != nil {
		return nil, err
	}
	if err := s.check(&in); err != nil {
		return nil, err
	}
	return s.change(ctx, a, id, "webhook.update", func(tx *store.Tx, before *Subscription, now time.Time) error {
		_, err := tx.Exec(ctx, "UPDATE webhook_subscriptions SET url = ?, description = ?, event_types = ?, updated_at = ? WHERE id = ?",
			in.URL, in.Description, strings.Join(in.EventTypes, " "), now, id)
		return err
	})
}

// SetEnabled enables or disables a subscription. Re-enabling resumes the
// pending deliveries at once; failed ones stay failed until replayed.
func (s *Service) SetEnabled(ctx context.Context, a *kairos.Actor, id int64, enabled bool) (*Subscription, error) {
	if err := Manage(a); err != nil {
		return nil, err
	}
	action, state, reason := "webhook.disable", StDisabled, "Désactivé par "+a.Label()+"."
	if enabled {
		action, state, reason = "webhook.enable", StActive, ""
	}
	return s.change(ctx, a, id, action, func(tx *store.Tx, before *Subscription, now time.Time) error {
		if before.State == state {
			if enabled {
				return kairos.Errorf(kairos.EConflict, "Cet abonnement est déjà actif.")
			}
			return kairos.Errorf(kairos.EConflict, "Cet abonnement est déjà désactivé.")
		}
		if _, err := tx.Exec(ctx, "UPDATE webhook_subscriptions SET state = ?, disabled_reason = ?, updated_at = ? WHERE id = ?", state, reason, now, id); err != nil {
			return err
		}
		if enabled {
			_, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE subscription_id = ? AND state = 'pending'", now, id)
			return err
		}
		return park(ctx, tx, id, now)
	})
}

// Rotate gives a subscription a new secret, returned once. The previous one
// keeps signing (a second signature) for RotationOverlap, so that the
// receiver can switch without losing a message.
func (s *Service) Rotate(ctx context.Context, a *kairos.Actor, id int64) (*Subscription, string, error) {
	if err := Manage(a); err != nil {
		return nil, "", err
	}
	secret := NewSecret()
	out, err := s.change(ctx, a, id, "webhook.rotate", func(tx *store.Tx, before *Subscription, now time.Time) error {
		_, err := tx.Exec(ctx, "UPDATE webhook_subscriptions SET previous_secret = secret, previous_expires_at = ?, secret = ?, updated_at = ? WHERE id = ?",
			now.Add(RotationOverlap), secret, now, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// Delete removes a subscription: nothing more is sent to it.
func (s *Service) Delete(ctx context.Context, a *kairos.Actor, id int64) error {
	if err := Manage(a); err != nil {
		return err
	}
	_, err := s.change(ctx, a, id, "webhook.delete", func(tx *store.Tx, before *Subscription, now time.Time) error {
		if _, err := tx.Exec(ctx, "UPDATE webhook_subscriptions SET deleted_at = ?, state = ?, updated_at = ? WHERE id = ?", now, StDisabled, now, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET state = 'failed', ready = 0, last_error = 'abonnement supprimé' WHERE subscription_id = ? AND state = 'pending'", id)
		return err
	})
	return err
}

func (s *Service) change(ctx context.Context, a *kairos.Actor, id int64, action string, fn func(tx *store.Tx, before *Subscription, now time.Time) error) (*Subscription, error) {
	now := s.now()
	var out *Subscription
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.load(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if err := fn(tx, before, now); err != nil {
			return err
		}
		if out, err = s.loadAny(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: action, OrgID: a.OrgID, ObjectType: "webhook_subscription", ObjectID: id, Before: before, After: out, At: now})
	})
	return out, err
}

const subCols = `id, org_id, url, description, event_types, state, disabled_reason, secret, previous_expires_at, created_at, updated_at`

func scanSub(sc interface{ Scan(...any) error }) (*Subscription, error) {
	var sub Subscription
	var types, secret string
	var prevUntil sql.NullTime
	if err := sc.Scan(&sub.ID, &sub.OrgID, &sub.URL, &sub.Description, &types, &sub.State, &sub.DisabledReason, &secret, &prevUntil, &sub.CreatedAt, &sub.UpdatedAt); err != nil {
		return nil, err
	}
	sub.EventTypes = strings.Fields(types)
	if len(secret) > len(SecretPrefix)+4 {
		sub.SecretPrefix = secret[:len(SecretPrefix)+4]
	}
	if prevUntil.Valid {
		t := prevUntil.Time.UTC()
		sub.RotatingUntil = &t
	}
	return &sub, nil
}

// load reads a live subscription of orgID; another organisation's is not found.
func (s *Service) load(ctx context.Context, q store.Querier, orgID, id int64) (*Subscription, error) {
	sub, err := scanSub(q.QueryRow(ctx, "SELECT "+subCols+" FROM webhook_subscriptions WHERE id = ? AND org_id = ? AND deleted_at IS NULL", id, orgID))
	if err != nil {
		return nil, store.NotFoundIf(err, "Abonnement")
	}
	if sub.RotatingUntil != nil && !sub.RotatingUntil.After(s.now()) {
		sub.RotatingUntil = nil
	}
	return sub, nil
}

func (s *Service) loadAny(ctx context.Context, q store.Querier, orgID, id int64) (*Subscription, error) {
	sub, err := scanSub(q.QueryRow(ctx, "SELECT "+subCols+" FROM webhook_subscriptions WHERE id = ? AND org_id = ?", id, orgID))
	return sub, store.NotFoundIf(err, "Abonnement")
}

// Get returns a subscription of the actor's organisation, with its counts.
func (s *Service) Get(ctx context.Context, a *kairos.Actor, id int64) (*Subscription, error) {
	if err := Manage(a); err != nil {
		return nil, err
	}
	sub, err := s.load(ctx, s.DB, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	var st Stats
	err = s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0)
		FROM webhook_deliveries WHERE subscription_id = ?`, id).Scan(&st.Pending, &st.Delivered, &st.Failed)
	sub.Stats = &st
	return sub, err
}

// List returns the actor's organisation's subscriptions.
func (s *Service) List(ctx context.Context, a *kairos.Actor) ([]Subscription, error) {
	if err := Manage(a); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, "SELECT "+subCols+" FROM webhook_subscriptions WHERE org_id = ? AND deleted_at IS NULL ORDER BY id", a.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Subscription{}
	now := s.now()
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			return nil, err
		}
		if sub.RotatingUntil != nil && !sub.RotatingUntil.After(now) {
			sub.RotatingUntil = nil
		}
		out = append(out, *sub)
	}
	return out, rows.Err()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
