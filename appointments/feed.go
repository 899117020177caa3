package appointments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"kairos"
	"kairos/store"
)

// FeedPrefix starts every calendar feed token.
const FeedPrefix = "agenda_"

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// FeedCreated returns when the actor's OF's feed address was generated, or nil.
func (s *Service) FeedCreated(ctx context.Context, a *kairos.Actor) (*time.Time, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	var t time.Time
	err := s.DB.QueryRow(ctx, "SELECT created_at FROM appointment_feeds WHERE org_id = ?", a.OrgID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// RegenerateFeed gives the actor's OF a new secret feed token (the previous
// address stops working) and returns it; only its hash is stored.
func (s *Service) RegenerateFeed(ctx context.Context, a *kairos.Actor) (string, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return "", err
	}
	var b [32]byte
	rand.Read(b[:])
	token := FeedPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO appointment_feeds (org_id, token_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`, a.OrgID, hashToken(token), now); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "appointment.feed.regenerate", OrgID: a.OrgID, ObjectType: "appointment_feed", ObjectID: a.OrgID, After: map[string]any{"created_at": now}, At: now})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// Feed returns the ICS calendar (METHOD:PUBLISH) of the OF whose feed token
// is token: its appointments of the last 90 days and to come, cancelled ones
// marked so.
func (s *Service) Feed(ctx context.Context, token string) ([]byte, error) {
	var orgID int64
	err := s.DB.QueryRow(ctx, "SELECT org_id FROM appointment_feeds WHERE token_hash = ?", hashToken(token)).Scan(&orgID)
	if err != nil {
		return nil, store.NotFoundIf(err, "Agenda")
	}
	var name string
	if err := s.DB.QueryRow(ctx, "SELECT name FROM organisations WHERE id = ?", orgID).Scan(&name); err != nil {
		return nil, err
	}
	list, err := s.list(ctx, "a.org_id = ?", []any{orgID}, Filter{From: s.now().AddDate(0, 0, -90), Cancelled: true, Limit: 500})
	if err != nil {
		return nil, err
	}
	evs := make([]Event, 0, len(list))
	for i := range list {
		a := &list[i]
		e := s.event(a, a.Sequence, nil, a.Cancelled())
		e.Organizer = ""
		e.Description = KindLabel(a.Kind) + " — " + itoa(a.SeatsTaken) + " inscrit(s) sur " + itoa(a.Capacity) + " places, " + itoa(a.Waiting) + " en liste d'attente.\n" + s.link("/rendez-vous/"+itoa64(a.ID))
		if a.Cancelled() {
			e.Description += "\nAnnulé : " + a.CancelReason
		}
		evs = append(evs, e)
	}
	return ICS(MethodPublish, "Rendez-vous — "+name, evs...), nil
}
