package enrolment

import (
	"context"
	"slices"
	"strings"

	"kairos"
	"kairos/store"
)

// RosterFilter selects an OF's enrolments (« Mes stagiaires »).
type RosterFilter struct {
	Query     string // trainee's name, France Travail identifier or session title contains
	State     string // "": every state
	SessionID int64  // 0: every session
	// Due keeps the declarations to make (the dashboard's list): confirmed
	// enrolments whose planned entry is today or past, trainees in training
	// or interrupted whose session has ended.
	Due    bool
	Sort   string // "nom" (default), "session", "debut", "etat", "echeance" (expected movement: entry, else end of session)
	Desc   bool
	Limit  int
	Offset int
}

// Roster lists the enrolments of the actor's OF that f selects, with their
// total: every trainee, whatever the state of his path.
func (s *Service) Roster(ctx context.Context, a *kairos.Actor, f RosterFilter) ([]Enrolment, int, error) {
	if err := kairos.Authorize(a, kairos.Rule{Roles: ofRoles}); err != nil {
		return nil, 0, err
	}
	where, args := "e.org_id = ?", []any{a.OrgID}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := store.Contains(q)
		where += ` AND (LOWER(u.name) LIKE ? ESCAPE '\' OR LOWER(COALESCE(d.ft_id, '')) LIKE ? ESCAPE '\' OR LOWER(e.session_title) LIKE ? ESCAPE '\')`
		args = append(args, like, like, like)
	}
	if f.State != "" && slices.Contains(States, f.State) {
		where += " AND e.state = ?"
		args = append(args, f.State)
	}
	if f.SessionID != 0 {
		where += " AND e.session_id = ?"
		args = append(args, f.SessionID)
	}
	if f.Due {
		today := int64(s.Today())
		where += " AND ((e.state = 'inscrite' AND e.planned_entry <= ?) OR (e.state IN ('entree', 'interrompue') AND e.session_fin <= ?))"
		args = append(args, today, today)
	}
	var total int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*)"+from+" WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	order := "LOWER(u.name)" + dir + ", e.id" + dir
	switch f.Sort {
	case "session":
		order = "LOWER(e.session_title)" + dir + ", e.session_id" + dir + ", LOWER(u.name), e.id"
	case "debut":
		order = "CASE WHEN e.entry_on <> 0 THEN e.entry_on ELSE e.planned_entry END" + dir + ", LOWER(u.name), e.id"
	case "etat":
		order = "e.state" + dir + ", LOWER(u.name), e.id"
	case "echeance":
		order = "CASE WHEN e.state IN ('proposee', 'inscrite') THEN e.planned_entry ELSE e.session_fin END" + dir + ", e.id" + dir
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 25
	}
	list, err := s.query(ctx, where+" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	return list, total, err
}

// RosterSessions lists the sessions of the actor's OF that have enrolments
// (any state), with their count, for the roster's filter.
func (s *Service) RosterSessions(ctx context.Context, a *kairos.Actor) ([]SessionCount, error) {
	if err := kairos.Authorize(a, kairos.Rule{Roles: ofRoles}); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT session_id, MIN(session_title), COUNT(*) FROM enrolments WHERE org_id = ?
		GROUP BY session_id ORDER BY MIN(session_title), session_id LIMIT 500`, a.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SessionCount{}
	for rows.Next() {
		var c SessionCount
		if err := rows.Scan(&c.ID, &c.Title, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
