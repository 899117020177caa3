package enrolment

import (
	"context"
	"strings"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/store"
)

// France Travail's view of the OFs' punctuality over a period, and the
// drill-down from an OF to its declarations (issue 11, lists).

var punctualityRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleAdmin}}

// PunctualityFilter selects the declarations counted: events that happened
// From–To (zero: no bound), OFs whose name or SIRET contains Query.
type PunctualityFilter struct {
	From, To calendar.Date
	Query    string
	Sort     string // "organisme", "declarations", "retard" (default: most late first)
	Desc     bool
	Limit    int
	Offset   int
}

// PunctualityPage is a page of OFs with their counts over the period.
type PunctualityPage struct {
	Items []Punctuality `json:"items"`
	Total int           `json:"total"`
}

// punctualityScope is the WHERE of the movements the actor may see (m:
// enrolment_movements, o: the OF), for the period.
func (s *Service) punctualityScope(ctx context.Context, a *kairos.Actor, from, to calendar.Date) (string, []any, error) {
	if err := kairos.Authorize(a, punctualityRule); err != nil {
		return "", nil, err
	}
	where, args := "m.action IN ('entrer', 'interrompre', 'reprendre', 'sortir')", []any{}
	if a.Role == kairos.RoleFTGestionnaire {
		var region string
		if err := s.DB.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region); err != nil {
			return "", nil, store.NotFoundIf(err, "Organisation")
		}
		if region != "" {
			where += " AND o.region = ?"
			args = append(args, region)
		}
	}
	if !from.IsZero() {
		where += " AND m.occurred_on >= ?"
		args = append(args, int64(from))
	}
	if !to.IsZero() {
		where += " AND m.occurred_on <= ?"
		args = append(args, int64(to))
	}
	return where, args, nil
}

// Punctuality counts, per OF of the actor's region, the declarations of
// events of the period and the late ones.
func (s *Service) Punctuality(ctx context.Context, a *kairos.Actor, f PunctualityFilter) (*PunctualityPage, error) {
	where, args, err := s.punctualityScope(ctx, a, f.From, f.To)
	if err != nil {
		return nil, err
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := store.Contains(q)
		where += ` AND (LOWER(o.name) LIKE ? ESCAPE '\' OR COALESCE(o.siret, '') LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	const from = " FROM enrolment_movements m JOIN organisations o ON o.id = m.org_id WHERE "
	p := &PunctualityPage{Items: []Punctuality{}}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(DISTINCT m.org_id)"+from+where, args...).Scan(&p.Total); err != nil {
		return nil, err
	}
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	order := "4 DESC, 2, 1"
	switch f.Sort {
	case "organisme":
		order = "2" + dir + ", 1" + dir
	case "declarations":
		order = "3" + dir + ", 2, 1"
	case "retard":
		order = "4" + dir + ", 2, 1"
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 25
	}
	rows, err := s.DB.Query(ctx, "SELECT m.org_id, o.name, COUNT(*), COALESCE(SUM(m.late), 0)"+from+where+
		" GROUP BY m.org_id, o.name ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var x Punctuality
		if err := rows.Scan(&x.OrgID, &x.OrgName, &x.Declared, &x.Late); err != nil {
			return nil, err
		}
		p.Items = append(p.Items, x)
	}
	return p, rows.Err()
}

// Declaration is one declared movement of an OF, for the drill-down.
type Declaration struct {
	EnrolmentID int64         `json:"enrolment_id"`
	Demandeur   string        `json:"demandeur"`
	FTID        string        `json:"ft_id"`
	Session     string        `json:"session"`
	Action      string        `json:"action"`
	Label       string        `json:"label"`
	OccurredOn  calendar.Date `json:"occurred_on"`
	Deadline    calendar.Date `json:"deadline"`
	DeclaredAt  time.Time     `json:"declared_at"`
	Late        bool          `json:"late"`
	DaysLate    int           `json:"days_late"` // days after the deadline (0 when on time)
}

// OFDeclarations is an OF's declarations of the period.
type OFDeclarations struct {
	OrgID   int64         `json:"org_id"`
	OrgName string        `json:"org_name"`
	SIRET   string        `json:"siret"`
	Items   []Declaration `json:"items"`
	Total   int           `json:"total"`
}

// Declarations lists the declarations of OF orgID over the period (late
// ones only when lateOnly), latest event first. An OF outside the actor's
// region is not found.
func (s *Service) Declarations(ctx context.Context, a *kairos.Actor, orgID int64, from, to calendar.Date, lateOnly bool, limit, offset int) (*OFDeclarations, error) {
	where, args, err := s.punctualityScope(ctx, a, from, to)
	if err != nil {
		return nil, err
	}
	out := &OFDeclarations{OrgID: orgID, Items: []Declaration{}}
	// The OF itself must be an OF of the actor's region.
	var kind string
	q := "SELECT o.name, COALESCE(o.siret, ''), o.kind FROM organisations o WHERE o.id = ?"
	oargs := []any{orgID}
	if a.Role == kairos.RoleFTGestionnaire {
		var region string
		if err := s.DB.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region); err != nil {
			return nil, store.NotFoundIf(err, "Organisation")
		}
		if region != "" {
			q += " AND o.region = ?"
			oargs = append(oargs, region)
		}
	}
	if err := s.DB.QueryRow(ctx, q, oargs...).Scan(&out.OrgName, &out.SIRET, &kind); err != nil || kairos.OrgKind(kind) != kairos.OrgOF {
		return nil, kairos.NotFound("Organisme")
	}
	where += " AND m.org_id = ?"
	args = append(args, orgID)
	if lateOnly {
		where += " AND m.late = 1"
	}
	const from0 = ` FROM enrolment_movements m JOIN organisations o ON o.id = m.org_id JOIN enrolments e ON e.id = m.enrolment_id
		JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id WHERE `
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*)"+from0+where, args...).Scan(&out.Total); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 25
	}
	rows, err := s.DB.Query(ctx, `SELECT m.enrolment_id, u.name, COALESCE(d.ft_id, ''), e.session_title, m.action, m.occurred_on, m.declared_at, m.late`+from0+where+
		" ORDER BY m.occurred_on DESC, m.id DESC LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d Declaration
		var late int
		if err := rows.Scan(&d.EnrolmentID, &d.Demandeur, &d.FTID, &d.Session, &d.Action, &d.OccurredOn, &d.DeclaredAt, &late); err != nil {
			return nil, err
		}
		d.Late, d.DeclaredAt = late == 1, d.DeclaredAt.UTC()
		d.Label = Movement{Action: d.Action}.Label()
		d.Deadline = s.Rule.Deadline(d.OccurredOn)
		if n := calendar.DateOf(d.DeclaredAt).Sub(d.Deadline); d.Late && n > 0 {
			d.DaysLate = n
		}
		out.Items = append(out.Items, d)
	}
	return out, rows.Err()
}
