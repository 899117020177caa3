package catalogue

import (
	"context"
	"strconv"

	"kairos/lheo"
	"kairos/store"
)

// SessionByID returns one session row, without its formation document
// (withdrawn sessions included: links to them must still read).
func (s *Service) SessionByID(ctx context.Context, id int64) (*Session, error) {
	x, err := scanSession(s.DB.QueryRow(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Session")
	}
	return &x, nil
}

// SessionsOfSIRET lists the sessions of an organisme responsable that are
// not withdrawn and not ended before from, by start date (at most limit).
func (s *Service) SessionsOfSIRET(ctx context.Context, siret string, from lheo.Date, limit int) ([]Session, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.siret = ? AND s.withdrawn_at IS NULL AND s.fin >= ? ORDER BY s.debut, s.id LIMIT "+strconv.Itoa(limit),
		siret, int64(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
