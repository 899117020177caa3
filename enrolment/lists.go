package enrolment

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"kairos"
	"kairos/calendar"
	"kairos/store"
)

// Filter selects an OF's enrolments.
type Filter struct {
	State     string `json:"state,omitempty"`
	SessionID int64  `json:"session_id,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	After     int64  `json:"after,omitempty"` // keyset pagination: ids greater than After
}

// List lists the enrolments of the actor's OF, by id (keyset pagination).
func (s *Service) List(ctx context.Context, a *kairos.Actor, f Filter) ([]Enrolment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	where, args := "e.org_id = ?", []any{a.OrgID}
	if f.State != "" {
		where += " AND e.state = ?"
		args = append(args, f.State)
	}
	if f.SessionID != 0 {
		where += " AND e.session_id = ?"
		args = append(args, f.SessionID)
	}
	if f.After != 0 {
		where += " AND e.id > ?"
		args = append(args, f.After)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.query(ctx, where+" ORDER BY e.id LIMIT "+strconv.Itoa(f.Limit), args...)
}

func (s *Service) query(ctx context.Context, where string, args ...any) ([]Enrolment, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+cols+from+" WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Enrolment{}
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// Due is an enrolment whose next movement is expected: its expected date,
// its deadline under the 3-day rule, and whether that is past.
type Due struct {
	Enrolment
	Kind     string        `json:"kind"` // "entree" or "sortie"
	Expected calendar.Date `json:"expected"`
	Deadline calendar.Date `json:"deadline"`
	Late     bool          `json:"late"`
}

// SessionCount is a session of the OF with its open enrolments.
type SessionCount struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Count int    `json:"count"`
}

// Dashboard is the OF's « tableau de bord ».
type Dashboard struct {
	Today          calendar.Date  `json:"today"`
	SessionID      int64          `json:"session_id,omitempty"`
	EntriesToday   int            `json:"entries_today"`
	DueCount       int            `json:"due"`
	LateCount      int            `json:"late"`
	Interrupted    int            `json:"interrupted"`
	InTraining     int            `json:"in_training"`
	Proposed       int            `json:"proposed"`
	Declared       int            `json:"declared_movements"`
	DeclaredLate   int            `json:"declared_late"`
	DueList        []Due          `json:"due_list"`
	InterruptedNow []Enrolment    `json:"interrupted_list"`
	ProposedList   []Enrolment    `json:"proposed_list"`
	Sessions       []SessionCount `json:"sessions"`
}

// DashboardLimit bounds each list of the dashboard.
const DashboardLimit = 100

// Dashboard computes the OF's dashboard (optionally for one session):
// entries expected today, entries and exits due within the 3-day rule and
// late, interruptions in progress, pending proposals, and the OF's
// punctuality (declared movements and those declared late).
func (s *Service) Dashboard(ctx context.Context, a *kairos.Actor, sessionID int64) (*Dashboard, error) {
	return s.dashboard(ctx, a, sessionID, DashboardLimit, false)
}

// DashboardTop is the dashboard of the OF's page: the same counts, each list
// cut to its n most urgent items (1 to DashboardLimit): the declarations to
// make by expected date, entries and exits together (the late ones first),
// the interruptions by date, the proposals by planned entry.
func (s *Service) DashboardTop(ctx context.Context, a *kairos.Actor, sessionID int64, n int) (*Dashboard, error) {
	if n <= 0 || n > DashboardLimit {
		n = DashboardLimit
	}
	return s.dashboard(ctx, a, sessionID, n, true)
}

func (s *Service) dashboard(ctx context.Context, a *kairos.Actor, sessionID int64, limit int, merge bool) (*Dashboard, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	today := s.Today()
	d := &Dashboard{Today: today, SessionID: sessionID}
	// The last expected day still on time is today - Days: anything expected
	// before that is late.
	days := s.Rule.Deadline(today).Sub(today) // calendar days of the delay
	lateBefore := today.AddDays(-days)
	sess, sargs := "", []any{}
	if sessionID != 0 {
		sess, sargs = " AND session_id = ?", []any{sessionID}
	}
	count := func(where string, args ...any) (int, error) {
		var n int
		err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments WHERE org_id = ? AND "+where+sess, append(append([]any{a.OrgID}, args...), sargs...)...).Scan(&n)
		return n, err
	}
	var err error
	steps := []struct {
		dst   *int
		where string
		args  []any
	}{
		{&d.EntriesToday, "state = 'inscrite' AND planned_entry = ?", []any{int64(today)}},
		{&d.Interrupted, "state = 'interrompue'", nil},
		{&d.InTraining, "state = 'entree'", nil},
		{&d.Proposed, "state = 'proposee'", nil},
	}
	for _, st := range steps {
		if *st.dst, err = count(st.where, st.args...); err != nil {
			return nil, err
		}
	}
	var lateIn, lateOut, dueIn, dueOut int
	if lateIn, err = count("state = 'inscrite' AND planned_entry < ?", int64(lateBefore)); err != nil {
		return nil, err
	}
	if dueIn, err = count("state = 'inscrite' AND planned_entry >= ? AND planned_entry <= ?", int64(lateBefore), int64(today)); err != nil {
		return nil, err
	}
	if lateOut, err = count("state IN ('entree', 'interrompue') AND session_fin < ?", int64(lateBefore)); err != nil {
		return nil, err
	}
	if dueOut, err = count("state IN ('entree', 'interrompue') AND session_fin >= ? AND session_fin <= ?", int64(lateBefore), int64(today)); err != nil {
		return nil, err
	}
	d.LateCount, d.DueCount = lateIn+lateOut, dueIn+dueOut
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(late), 0) FROM enrolment_movements WHERE org_id = ? AND action IN ('entrer', 'interrompre', 'reprendre', 'sortir')", a.OrgID).
		Scan(&d.Declared, &d.DeclaredLate); err != nil {
		return nil, err
	}
	lim := " ORDER BY %s LIMIT " + strconv.Itoa(limit)
	esess := ""
	if sessionID != 0 {
		esess = " AND e.session_id = ?"
	}
	ins, err := s.query(ctx, "e.org_id = ? AND e.state = 'inscrite' AND e.planned_entry <= ?"+esess+fmt.Sprintf(lim, "e.planned_entry, e.id"), append([]any{a.OrgID, int64(today)}, sargs...)...)
	if err != nil {
		return nil, err
	}
	outs, err := s.query(ctx, "e.org_id = ? AND e.state IN ('entree', 'interrompue') AND e.session_fin <= ?"+esess+fmt.Sprintf(lim, "e.session_fin, e.id"), append([]any{a.OrgID, int64(today)}, sargs...)...)
	if err != nil {
		return nil, err
	}
	d.DueList = []Due{}
	for _, e := range ins {
		dl := s.Rule.Deadline(e.PlannedEntry)
		d.DueList = append(d.DueList, Due{Enrolment: e, Kind: StEntree, Expected: e.PlannedEntry, Deadline: dl, Late: dl < today})
	}
	for _, e := range outs {
		dl := s.Rule.Deadline(e.SessionFin)
		d.DueList = append(d.DueList, Due{Enrolment: e, Kind: StSortie, Expected: e.SessionFin, Deadline: dl, Late: dl < today})
	}
	if merge {
		slices.SortStableFunc(d.DueList, func(x, y Due) int { return cmp.Or(cmp.Compare(x.Expected, y.Expected), cmp.Compare(x.ID, y.ID)) })
		d.DueList = d.DueList[:min(len(d.DueList), limit)]
	}
	if d.InterruptedNow, err = s.query(ctx, "e.org_id = ? AND e.state = 'interrompue'"+esess+fmt.Sprintf(lim, "e.interrupted_on, e.id"), append([]any{a.OrgID}, sargs...)...); err != nil {
		return nil, err
	}
	if d.ProposedList, err = s.query(ctx, "e.org_id = ? AND e.state = 'proposee'"+esess+fmt.Sprintf(lim, "e.planned_entry, e.id"), append([]any{a.OrgID}, sargs...)...); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT session_id, MIN(session_title), COUNT(*) FROM enrolments WHERE org_id = ? AND state IN ('proposee', 'inscrite', 'entree', 'interrompue')
		GROUP BY session_id ORDER BY MIN(session_debut), session_id LIMIT 500`, a.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	d.Sessions = []SessionCount{}
	for rows.Next() {
		var c SessionCount
		if err := rows.Scan(&c.ID, &c.Title, &c.Count); err != nil {
			return nil, err
		}
		d.Sessions = append(d.Sessions, c)
	}
	return d, rows.Err()
}

// EnterAll declares the entry on date of the given enrolments of one
// session (the trainees present on the first day), each in its own
// transaction; it returns how many were declared and the errors of the
// others, by enrolment id.
func (s *Service) EnterAll(ctx context.Context, a *kairos.Actor, sessionID int64, ids []int64, date calendar.Date) (int, map[int64]error, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return 0, nil, err
	}
	if len(ids) == 0 {
		return 0, nil, invalid("ids", "Cochez les stagiaires présents.")
	}
	n, failed := 0, map[int64]error{}
	for _, id := range ids {
		e, err := s.load(ctx, s.DB, id)
		if err == nil && (e.OrgID != a.OrgID || e.SessionID != sessionID) {
			err = kairos.NotFound("Inscription")
		}
		if err == nil {
			_, err = s.Do(ctx, a, id, Action{Action: ActEntrer, Date: date})
		}
		if err != nil {
			if kairos.ErrorCode(err) == kairos.EInternal {
				return n, failed, err
			}
			failed[id] = err
			continue
		}
		n++
	}
	return n, failed, nil
}

// Punctuality is an OF's record under the 3-day rule.
type Punctuality struct {
	OrgID    int64  `json:"org_id"`
	OrgName  string `json:"org_name"`
	Declared int    `json:"declared"`
	Late     int    `json:"late"`
}

// PunctualityByOF lists each OF's declared movements and late ones (France
// Travail's view), most late first.
func (s *Service) PunctualityByOF(ctx context.Context, a *kairos.Actor) ([]Punctuality, error) {
	return s.punctuality(ctx, a, " ORDER BY 4 DESC, 2 LIMIT 500", nil)
}

// PunctualityPage lists limit (1 to 501) OFs of PunctualityByOF by name then
// id, after the OF (afterName, afterID) (keyset pagination; afterID 0: from
// the start).
func (s *Service) PunctualityPage(ctx context.Context, a *kairos.Actor, afterName string, afterID int64, limit int) ([]Punctuality, error) {
	if limit <= 0 || limit > 501 {
		limit = 100
	}
	var having []any
	tail := " ORDER BY 2, 1 LIMIT " + strconv.Itoa(limit)
	if afterID > 0 {
		tail = " HAVING o.name > ? OR (o.name = ? AND m.org_id > ?)" + tail
		having = []any{afterName, afterName, afterID}
	}
	return s.punctuality(ctx, a, tail, having)
}

func (s *Service) punctuality(ctx context.Context, a *kairos.Actor, tail string, tailArgs []any) ([]Punctuality, error) {
	if err := kairos.Authorize(a, kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleAdmin}}); err != nil {
		return nil, err
	}
	// A regional service sees the OFs of its region; a national one (no
	// region) and the platform's administrators see every OF.
	where, args := "", []any{}
	if a.Role == kairos.RoleFTGestionnaire {
		var region string
		if err := s.DB.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region); err != nil {
			return nil, store.NotFoundIf(err, "Organisation")
		}
		if region != "" {
			where, args = " AND o.region = ?", []any{region}
		}
	}
	rows, err := s.DB.Query(ctx, `SELECT m.org_id, o.name, COUNT(*), COALESCE(SUM(m.late), 0) FROM enrolment_movements m JOIN organisations o ON o.id = m.org_id
		WHERE m.action IN ('entrer', 'interrompre', 'reprendre', 'sortir')`+where+` GROUP BY m.org_id, o.name`+tail, append(args, tailArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Punctuality{}
	for rows.Next() {
		var p Punctuality
		if err := rows.Scan(&p.OrgID, &p.OrgName, &p.Declared, &p.Late); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Path is a job seeker's path: his enrolments and the status derived from them.
type Path struct {
	DemandeurID int64       `json:"demandeur_id"`
	Name        string      `json:"name"`
	FTID        string      `json:"ft_id"`
	Status      Status      `json:"status"`
	Enrolments  []Enrolment `json:"enrolments"`
}

// Mine returns the job seeker's own path, with each enrolment's timeline.
func (s *Service) Mine(ctx context.Context, a *kairos.Actor) (*Path, error) {
	if err := kairos.Authorize(a, kairos.Rule{Roles: []kairos.Role{kairos.RoleDemandeur}}); err != nil {
		return nil, err
	}
	return s.path(ctx, a, a.UserID)
}

// PathOf returns the path of a job seeker of the counsellor's agence.
func (s *Service) PathOf(ctx context.Context, a *kairos.Actor, demandeurID int64) (*Path, error) {
	if err := kairos.Authorize(a, kairos.Rule{Roles: []kairos.Role{kairos.RoleConseiller}}); err != nil {
		return nil, err
	}
	var agence int64
	if err := s.DB.QueryRow(ctx, "SELECT agence_id FROM demandeurs WHERE user_id = ?", demandeurID).Scan(&agence); err != nil || agence != a.OrgID {
		return nil, kairos.NotFound("Demandeur d'emploi")
	}
	return s.path(ctx, a, demandeurID)
}

func (s *Service) path(ctx context.Context, a *kairos.Actor, id int64) (*Path, error) {
	p := &Path{DemandeurID: id}
	if err := s.DB.QueryRow(ctx, "SELECT u.name, COALESCE(d.ft_id, '') FROM users u LEFT JOIN demandeurs d ON d.user_id = u.id WHERE u.id = ?", id).Scan(&p.Name, &p.FTID); err != nil {
		return nil, store.NotFoundIf(err, "Demandeur d'emploi")
	}
	list, err := s.query(ctx, "e.demandeur_id = ? ORDER BY e.session_debut DESC, e.id DESC LIMIT 100", id)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if err := s.details(ctx, s.DB, &list[i]); err != nil {
			return nil, err
		}
		list[i].redactFor(a)
	}
	p.Enrolments = list
	p.Status = DeriveStatus(list, s.Today(), s.Rule)
	return p, nil
}

// Portfolio lists the counsellor's job seekers (an agence's API key: all
// the agence's) with their derived path status, those needing an action first.
func (s *Service) Portfolio(ctx context.Context, a *kairos.Actor) ([]Path, error) {
	out, err := s.portfolio(ctx, a, "", 0, 1000)
	if err != nil {
		return nil, err
	}
	var first, rest []Path
	for _, p := range out {
		if p.Status.Action != "" {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(first, rest...), nil
}

// PortfolioPage lists limit (1 to 1001) job seekers of the portfolio by name
// then id, after the job seeker (afterName, afterID) (keyset pagination;
// afterID 0: from the start), each with his path and its derived status.
func (s *Service) PortfolioPage(ctx context.Context, a *kairos.Actor, afterName string, afterID int64, limit int) ([]Path, error) {
	if limit <= 0 || limit > 1001 {
		limit = 100
	}
	return s.portfolio(ctx, a, afterName, afterID, limit)
}

func (s *Service) portfolio(ctx context.Context, a *kairos.Actor, afterName string, afterID int64, limit int) ([]Path, error) {
	if err := kairos.Authorize(a, kairos.Rule{Roles: []kairos.Role{kairos.RoleConseiller}}); err != nil {
		return nil, err
	}
	q := `SELECT d.user_id, u.name, d.ft_id FROM demandeurs d JOIN users u ON u.id = d.user_id
		WHERE d.agence_id = ? AND (? = 0 OR d.conseiller_id = ?)`
	args := []any{a.OrgID, a.UserID, a.UserID}
	if afterID > 0 {
		q += " AND (u.name > ? OR (u.name = ? AND d.user_id > ?))"
		args = append(args, afterName, afterName, afterID)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY u.name, d.user_id LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	var out []Path
	idx := map[int64]int{}
	for rows.Next() {
		var p Path
		if err := rows.Scan(&p.DemandeurID, &p.Name, &p.FTID); err != nil {
			rows.Close()
			return nil, err
		}
		idx[p.DemandeurID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var list []Enrolment
	if afterID == 0 && len(out) < limit {
		// The whole portfolio: one query for every enrolment of the agence's job seekers.
		list, err = s.query(ctx, `e.agence_id = ? AND e.demandeur_id IN (SELECT user_id FROM demandeurs WHERE agence_id = ? AND (? = 0 OR conseiller_id = ?))
		ORDER BY e.demandeur_id, e.session_debut DESC, e.id DESC`, a.OrgID, a.OrgID, a.UserID, a.UserID)
	} else if len(out) > 0 {
		ph, ids := make([]string, len(out)), []any{a.OrgID}
		for i, p := range out {
			ph[i], ids = "?", append(ids, p.DemandeurID)
		}
		list, err = s.query(ctx, `e.agence_id = ? AND e.demandeur_id IN (`+strings.Join(ph, ", ")+`)
		ORDER BY e.demandeur_id, e.session_debut DESC, e.id DESC`, ids...)
	}
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		if i, ok := idx[e.DemandeurID]; ok {
			out[i].Enrolments = append(out[i].Enrolments, e)
		}
	}
	today := s.Today()
	for i := range out {
		out[i].Status = DeriveStatus(out[i].Enrolments, today, s.Rule)
	}
	return out, nil
}
