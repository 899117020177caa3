package enrolment

import (
	"context"
	"database/sql"
	"errors"

	"kairos"
	"kairos/calendar"
	"kairos/quotes"
	"kairos/store"
)

// ActQuote is the history entry of an enrolment funded by a quote validated
// after the enrolment was confirmed.
const ActQuote = "devis_valide"

// EnrolmentConflict says why the job seeker could not be enrolled on
// session sessionID now: an active enrolment (inscrite and after) on
// another session that overlaps [debut, fin]. "" when he can.
func (s *Service) EnrolmentConflict(ctx context.Context, q store.Querier, demandeurID, sessionID int64, debut, fin calendar.Date) (string, error) {
	var title string
	err := q.QueryRow(ctx, `SELECT session_title FROM enrolments WHERE demandeur_id = ? AND session_id <> ? AND state IN (`+inList(Active)+`)
		AND session_debut <= ? AND session_fin >= ? ORDER BY id LIMIT 1`, demandeurID, sessionID, int64(fin), int64(debut)).Scan(&title)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return "Le demandeur d'emploi est déjà inscrit sur « " + title + " », dont les dates chevauchent cette session : l'inscription (AIS) ne peut pas suivre.", nil
}

// EnrolFromQuote creates or confirms, inside the quote's transaction, the
// enrolment (AIS) of a validated AIF quote: an open proposal on the session
// is confirmed (inscrite), an existing enrolment is kept, otherwise one is
// created directly inscrite. The movement carries the quote number. The
// other pending proposals on overlapping sessions become obsolete.
func (s *Service) EnrolFromQuote(ctx context.Context, tx *store.Tx, a *kairos.Actor, in quotes.PathInput) (int64, error) {
	if _, err := lockDemandeur(ctx, tx, in.DemandeurID); err != nil {
		return 0, err
	}
	if why, err := s.EnrolmentConflict(ctx, tx, in.DemandeurID, in.SessionID, in.Debut, in.Fin); err != nil || why != "" {
		if err == nil {
			err = conflict("%s", why)
		}
		return 0, err
	}
	now := s.now()
	comment := "Devis AIF n° " + in.Number + " validé par France Travail."
	var id int64
	var state string
	err := tx.QueryRow(ctx, "SELECT id, state FROM enrolments WHERE demandeur_id = ? AND session_id = ? AND state IN ("+inList(Open)+")",
		in.DemandeurID, in.SessionID).Scan(&id, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		planned := in.Debut
		if t := s.Today(); planned < t {
			planned = t
		}
		id, err = tx.Insert(ctx, `INSERT INTO enrolments (org_id, session_id, session_title, session_debut, session_fin, demandeur_id, agence_id, state,
			planned_entry, proposed_by, proposed_role, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			in.OrgID, in.SessionID, in.Title, int64(in.Debut), int64(in.Fin), in.DemandeurID, in.AgenceID, StInscrite, int64(planned), nullID(a.UserID), string(a.Role), now, now)
		if err != nil {
			return 0, err
		}
		if err := s.movement(ctx, tx, a, id, in.OrgID, ActProposer, StNone, StProposee, s.Today(), now, false, "", comment); err != nil {
			return 0, err
		}
		if err := s.movement(ctx, tx, a, id, in.OrgID, ActInscrire, StProposee, StInscrite, s.Today(), now, false, "", comment); err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	case state == StProposee:
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET state = ?, version = version + 1, updated_at = ? WHERE id = ?", StInscrite, now, id); err != nil {
			return 0, err
		}
		if err := s.movement(ctx, tx, a, id, in.OrgID, ActInscrire, StProposee, StInscrite, s.Today(), now, false, "", comment); err != nil {
			return 0, err
		}
	default: // already enrolled (or in training): the quote funds it
		if err := s.movement(ctx, tx, a, id, in.OrgID, ActQuote, state, state, s.Today(), now, false, "", comment); err != nil {
			return 0, err
		}
		e, err := s.load(ctx, tx, id)
		if err != nil {
			return 0, err
		}
		return id, tx.Record(ctx, store.Change{Action: "enrolment." + ActQuote, OrgID: e.OrgID, ObjectType: "enrolment", ObjectID: id, After: e, At: now})
	}
	e, err := s.load(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if err := s.obsolete(ctx, tx, a, e, now); err != nil {
		return 0, err
	}
	return id, tx.Record(ctx, store.Change{Action: "enrolment." + ActInscrire, OrgID: e.OrgID, ObjectType: "enrolment", ObjectID: id, After: e, At: now})
}

var _ quotes.Path = (*Service)(nil)
