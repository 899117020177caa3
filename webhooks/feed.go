package webhooks

import (
	"context"
	"strconv"
	"strings"

	"kairos"
	"kairos/store"
)

// FeedPage is a page of the change feed.
type FeedPage struct {
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor"` // pass as ?after= for the next page; the same when there is nothing new
	HasMore    bool    `json:"has_more"`
}

// MaxFeedPage bounds a feed page.
const MaxFeedPage = 500

// ParseCursor reads a feed cursor ("" or "0": from the start).
func ParseCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 {
		return 0, kairos.Invalid(map[string]string{"after": "Curseur invalide : reprenez la valeur next_cursor d'une réponse précédente (ou 0 pour le début)."})
	}
	return n, nil
}

// Feed returns, in order, the events after cursor that the actor's
// organisation may see (its audience), optionally of some types only. The
// cursor is the sequence of the last event read: stable, since sequences
// are given in one serialised transaction and never change.
func (s *Service) Feed(ctx context.Context, a *kairos.Actor, after int64, types []string, limit int) (*FeedPage, error) {
	if a == nil || a.OrgID == 0 {
		return nil, kairos.Errorf(kairos.EForbidden, "Le flux d'événements est celui d'une organisation.")
	}
	if limit <= 0 || limit > MaxFeedPage {
		limit = 100
	}
	var actions []string
	if len(types) > 0 {
		norm, msg := normTypes(types)
		if msg != "" {
			return nil, kairos.Invalid(map[string]string{"types": msg})
		}
		if norm[0] != "*" {
			for _, n := range norm {
				t, _ := TypeNamed(n)
				actions = append(actions, t.Action)
			}
		}
	}
	payload := "e.payload"
	if s.DB.Engine() == store.Postgres {
		payload = "e.payload::text"
	}
	q := "SELECT e.id, au.seq, e.type, e.at, e.object_type, e.object_id, " + payload + " FROM event_audience au JOIN events e ON e.id = au.event_id WHERE au.org_id = ? AND au.seq > ?"
	args := []any{a.OrgID, after}
	if len(actions) > 0 {
		q += " AND e.type IN (?" + strings.Repeat(", ?", len(actions)-1) + ")"
		for _, act := range actions {
			args = append(args, act)
		}
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY au.seq LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := &FeedPage{Events: []Event{}, NextCursor: strconv.FormatInt(after, 10)}
	for rows.Next() {
		var e Event
		var id int64
		var action, body string
		if err := rows.Scan(&id, &e.Sequence, &action, &e.Timestamp, &e.Object.Type, &e.Object.ID, &body); err != nil {
			return nil, err
		}
		if len(p.Events) == limit {
			p.HasMore = true
			break
		}
		p.Events = append(p.Events, *finishEvent(&e, id, action, body))
		p.NextCursor = strconv.FormatInt(e.Sequence, 10)
	}
	return p, rows.Err()
}
