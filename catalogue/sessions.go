package catalogue

import (
	"context"
	"strconv"
	"strings"

	"kairos/lheo"
	"kairos/store"
)

// SessionByID returns one session row, without its formation document
// (withdrawn sessions included: links to them must still read).
func (s *Service) SessionByID(ctx context.Context, id int64) (*Session, error) {
	x, err := scanSession(s.DB.QueryRow(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.id = ?"+s.publishedSessions(), id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Session")
	}
	return &x, nil
}

// SessionsOfSIRET lists the sessions of an organisme responsable that are
// not withdrawn and not ended before from, by start date (at most limit).
func (s *Service) SessionsOfSIRET(ctx context.Context, siret string, from lheo.Date, limit int) ([]Session, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.siret = ? AND s.withdrawn_at IS NULL AND s.fin >= ?"+s.publishedSessions()+" ORDER BY s.debut, s.id LIMIT "+strconv.Itoa(limit),
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

// SessionsByNumero lists the sessions whose LHÉO number (numero, e.g.
// DEMO_S_COMPTA_2) is numero, withdrawn ones included (at most limit).
func (s *Service) SessionsByNumero(ctx context.Context, numero string, limit int) ([]Session, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.numero = ?"+s.publishedSessions()+" ORDER BY s.debut, s.id LIMIT "+strconv.Itoa(limit), numero)
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

// NotChoosable returns why session x cannot be chosen for a proposal (its
// visibility reasons, in French), or "" when it can.
func (s *Service) NotChoosable(ctx context.Context, x Session) (string, error) {
	v, err := s.Visibilities(ctx, []Session{x})
	if err != nil {
		return "", err
	}
	return ReasonsText(v[0]), nil
}

// ReasonsText joins the reasons of a visibility in one French sentence ("" when visible).
func ReasonsText(v Visibility) string {
	if v.Visible {
		return ""
	}
	var b strings.Builder
	for i, r := range v.Reasons {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(r.Label)
		if r.Detail != "" {
			b.WriteString(" " + r.Detail)
		}
	}
	return b.String()
}
