// Package attestations is the monthly attendance attestation capability
// (DOMAIN §7): one attestation per (enrolment, month) while the trainee was
// entree or interrompue during the month, pre-filled by attendance.Prefill
// from the session's rhythm and the enrolment's movements and absences,
// edited and attested by the OF (one or a whole session at once), then
// transmitted to France Travail; a later correction is a new rectificative
// version with a reason, earlier versions being kept.
//
// States: a_saisir (no row yet) → attestee → transmise. Transmission is
// synchronous: an attestation is made available to France Travail (its
// pages, its API and the export for the pay service) in the transaction that
// attests it, which records both steps (audit "attestation.attest" then
// "attestation.transmit") and sets transmitted_at; nothing stays attestee
// once the transaction commits, and there is no queue to lose.
//
// The session's rhythm: the catalogue does not carry hours per week, so a
// session has DefaultWeek (35 h over Monday–Friday) unless the OF sets its
// hours per week and days off (SetSchedule); public holidays of metropolitan
// France are days off.
package attestations

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"kairos"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/store"
)

// States of an attestation.
const (
	StASaisir   = "a_saisir"
	StAttestee  = "attestee"
	StTransmise = "transmise"
)

// Kinds of versions.
const (
	KindInitiale      = "initiale"
	KindRectificative = "rectificative"
)

// DefaultWeek is a session's hours per week when the OF has not set them.
const DefaultWeek = attendance.DefaultWeek

// MaxBulk bounds the items of one Attest call.
const MaxBulk = 10000

var (
	ofRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabAssiduite}
	ftRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleFTComptable}}
)

// StateLabel returns the French label of a state.
func StateLabel(s string) string {
	switch s {
	case StASaisir:
		return "À saisir"
	case StAttestee:
		return "Attestée"
	case StTransmise:
		return "Transmise à France Travail"
	}
	return s
}

// Version is one attested version of an attestation.
type Version struct {
	ID            int64              `json:"id"`
	Version       int                `json:"version"`
	Kind          string             `json:"kind"`
	State         string             `json:"state"`
	Figures       attendance.Figures `json:"-"`
	Planned       string             `json:"planned"`
	Attended      string             `json:"attended"`
	Justified     string             `json:"justified"`
	Unjustified   string             `json:"unjustified"`
	Reason        string             `json:"reason,omitempty"`
	Late          bool               `json:"late"`
	AttestedBy    string             `json:"attested_by"`
	AttestedAt    time.Time          `json:"attested_at"`
	TransmittedAt *time.Time         `json:"transmitted_at,omitempty"`
}

// Attestation is the attestation of one trainee for one month: its
// pre-filled figures and, once attested, its current version and history.
type Attestation struct {
	EnrolmentID   int64              `json:"enrolment_id"`
	Month         calendar.Month     `json:"month"`
	OrgID         int64              `json:"org_id"`
	OrgName       string             `json:"org_name,omitempty"`
	AgenceID      int64              `json:"agence_id"`
	SessionID     int64              `json:"session_id"`
	SessionTitle  string             `json:"session_title"`
	DemandeurName string             `json:"demandeur_name"`
	FTID          string             `json:"ft_id"`
	State         string             `json:"state"`
	Due           calendar.Date      `json:"due_on"`
	Overdue       bool               `json:"overdue"`
	Prefill       attendance.Figures `json:"-"`
	Figures       attendance.Figures `json:"-"` // current version, else pre-fill
	Hours         Hours              `json:"figures"`
	PrefillHours  Hours              `json:"prefill"`
	Current       *Version           `json:"current,omitempty"`
	History       []Version          `json:"history,omitempty"`
	// OpensOn is the first day the month can be attested for this trainee
	// (OpensOn); Open tells whether that day has come.
	OpensOn calendar.Date `json:"opens_on"`
	Open    bool          `json:"open"`
	// ToRectify is derived: an absence of the month was declared, corrected
	// or withdrawn after the current version was attested, which a
	// rectificative must now take into account.
	ToRectify    bool   `json:"to_rectify"`
	ToRectifyWhy string `json:"to_rectify_reason,omitempty"`
	// Days is the day after day arithmetic of the pre-fill (Get only).
	Days []attendance.Day `json:"-"`
}

// OpensOn returns the first day month m can be attested for a trainee who
// left on exit (zero: still in training): the month's last day, or the day
// after the exit for a trainee who left before it. An attestation states
// what happened: never a day still to come (DOMAIN §7).
func OpensOn(m calendar.Month, exit calendar.Date) calendar.Date {
	if !exit.IsZero() && exit >= m.First() && exit < m.Last() {
		return exit.AddDays(1)
	}
	return m.Last()
}

// NotOpen is the French reason why month m cannot be attested yet.
func NotOpen(m calendar.Month, opens calendar.Date) string {
	return "Le mois " + m.FrenchOf() + " n'est pas encore vécu : il pourra être attesté à partir du " + opens.LongFrench() + "."
}

// Hours are figures in decimal hours, as exchanged over the API ("7.5").
type Hours struct {
	Planned     float64 `json:"planned"`
	Attended    float64 `json:"attended"`
	Justified   float64 `json:"justified"`
	Unjustified float64 `json:"unjustified"`
}

// HoursOf converts figures to decimal hours.
func HoursOf(f attendance.Figures) Hours {
	h := func(m attendance.Minutes) float64 { return float64(m) / 60 }
	return Hours{h(f.Planned), h(f.Attended), h(f.Justified), h(f.Unjustified)}
}

// Figures converts decimal hours to figures (rounded to the minute).
func (h Hours) Figures() attendance.Figures {
	m := func(x float64) attendance.Minutes {
		if x < 0 {
			return attendance.Minutes(x*60 - 0.5)
		}
		return attendance.Minutes(x*60 + 0.5)
	}
	return attendance.Figures{Planned: m(h.Planned), Attended: m(h.Attended), Justified: m(h.Justified), Unjustified: m(h.Unjustified)}
}

// StateLabel returns the French label of the attestation's state.
func (x *Attestation) StateLabel() string { return StateLabel(x.State) }

// Service implements the attestations over the store.
type Service struct {
	DB    *store.DB
	Clock kairos.Clock
	Due   attendance.DueDay // 0: the 5th of the following month
	Log   *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

// Today returns today's civil date in Paris.
func (s *Service) Today() calendar.Date { return calendar.DateOf(s.now()) }

// DefaultMonth is the latest month that can be attested today: the current
// month on its last day, else the previous one.
func (s *Service) DefaultMonth() calendar.Month {
	today := s.Today()
	if m := calendar.MonthOf(today); m.Last() == today {
		return m
	}
	return calendar.MonthOf(today).AddMonths(-1)
}

// PreviousMonth is the calendar month before today's (the one reminders are about).
func (s *Service) PreviousMonth() calendar.Month { return calendar.MonthOf(s.Today()).AddMonths(-1) }

// CurrentOpensOn is the day the current month can be attested (its last day).
func (s *Service) CurrentOpensOn() calendar.Date { return calendar.MonthOf(s.Today()).Last() }

// Pending returns the month the OF should look at and how many of its
// attestations remain to do: the latest month that can be attested
// (DefaultMonth) while some remain there, else the current month when
// trainees who left during it can already be attested; overdue tells
// whether that month is past its due date.
func (s *Service) Pending(ctx context.Context, a *kairos.Actor) (m calendar.Month, n int, overdue bool, err error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return 0, 0, false, err
	}
	m = s.DefaultMonth()
	if n, err = s.ToDo(ctx, a, m); err != nil || n > 0 {
		return m, n, s.Due.IsOverdue(m, s.now()), err
	}
	// Nothing left there: trainees who left during the current month can
	// already be attested.
	if cur := calendar.MonthOf(s.Today()); cur != m {
		if n, err = s.ToDo(ctx, a, cur); err != nil || n > 0 {
			return cur, n, false, err
		}
	}
	return m, 0, false, nil
}

func invalid(field, msg string) error { return kairos.Invalid(map[string]string{field: msg}) }

func conflict(msg string) error { return kairos.Errorf(kairos.EConflict, "%s", msg) }

// activeWhere selects the enrolments (alias e) active during a month: entered,
// the entry on or before its last day, no exit or an exit on or after its
// first day. Arguments: last, first.
const activeWhere = `e.state IN ('entree', 'interrompue', 'sortie') AND e.entry_on <> 0 AND e.entry_on <= ? AND (e.exit_on = 0 OR e.exit_on >= ?)`

const cols = `e.id, e.org_id, o.name, e.agence_id, e.session_id, e.session_title, u.name, COALESCE(d.ft_id, ''), e.entry_on, e.exit_on`

const from = ` FROM enrolments e JOIN organisations o ON o.id = e.org_id JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id`

type row struct {
	Attestation
	entry, exit calendar.Date
}

// load reads the attestations of month m for the enrolments selected by
// where (on alias e), pre-filled, with their current version.
func (s *Service) load(ctx context.Context, q store.Querier, m calendar.Month, history bool, where string, args ...any) ([]*Attestation, error) {
	all := append([]any{int64(m.Last()), int64(m.First())}, args...)
	rows, err := q.Query(ctx, "SELECT "+cols+from+" WHERE "+activeWhere+" AND "+where+" ORDER BY e.session_title, e.session_id, u.name, e.id", all...)
	if err != nil {
		return nil, err
	}
	var list []*row
	byID := map[int64]*row{}
	for rows.Next() {
		r := &row{}
		r.Month = m
		if err := rows.Scan(&r.EnrolmentID, &r.OrgID, &r.OrgName, &r.AgenceID, &r.SessionID, &r.SessionTitle, &r.DemandeurName, &r.FTID, &r.entry, &r.exit); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, r)
		byID[r.EnrolmentID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Attestation, 0, len(list))
	if len(list) == 0 {
		return out, nil
	}
	sub := "SELECT e.id FROM enrolments e WHERE " + activeWhere + " AND " + where
	// Movements (interruptions) and absences of these enrolments.
	inter := map[int64][]attendance.Interruption{}
	rows, err = q.Query(ctx, `SELECT enrolment_id, action, occurred_on FROM enrolment_movements WHERE action IN ('interrompre', 'reprendre')
		AND enrolment_id IN (`+sub+`) ORDER BY enrolment_id, id`, all...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var action string
		var on calendar.Date
		if err := rows.Scan(&id, &action, &on); err != nil {
			rows.Close()
			return nil, err
		}
		inter[id] = attendance.AddMovement(inter[id], action == "interrompre", on)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	abs := map[int64][]attendance.Absence{}
	rows, err = q.Query(ctx, `SELECT enrolment_id, from_on, to_on, minutes, justified FROM enrolment_absences WHERE from_on <= ? AND withdrawn_at IS NULL
		AND enrolment_id IN (`+sub+`) ORDER BY enrolment_id, from_on, id`, append([]any{int64(m.Last())}, all...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var a attendance.Absence
		var j int
		if err := rows.Scan(&id, &a.From, &a.To, &a.Minutes, &j); err != nil {
			rows.Close()
			return nil, err
		}
		a.Justified = j == 1
		abs[id] = append(abs[id], a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Schedules of the sessions.
	scheds := map[int64]*attendance.Schedule{}
	for _, r := range list {
		if scheds[r.SessionID] == nil {
			sc, err := schedule(ctx, q, r.SessionID)
			if err != nil {
				return nil, err
			}
			scheds[r.SessionID] = &sc
		}
	}
	// Attested versions, reached from the selected enrolments by
	// (enrolment_id, month): CROSS JOIN makes SQLite start from the
	// enrolments, and the unary + on current keeps it from the index on
	// (month, current), which walks every attestation of the month of every
	// OF and made a month-end cost grow with the table.
	cur := "AND +a.current = 1 " // unary +: not an index key (see above)
	if history {
		cur = ""
	}
	rows, err = q.Query(ctx, `SELECT a.id, a.enrolment_id, a.version, a.kind, a.state, a.planned, a.attended, a.justified, a.unjustified, a.reason, a.late, a.attested_label, a.attested_at, a.transmitted_at
		FROM enrolments e CROSS JOIN attestations a WHERE a.enrolment_id = e.id AND a.month = ? `+cur+`AND `+activeWhere+` AND `+where+` ORDER BY a.enrolment_id, a.version`, append([]any{int64(m)}, all...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v Version
		var id int64
		var late int
		var tr sql.NullTime
		if err := rows.Scan(&v.ID, &id, &v.Version, &v.Kind, &v.State, &v.Figures.Planned, &v.Figures.Attended, &v.Figures.Justified, &v.Figures.Unjustified,
			&v.Reason, &late, &v.AttestedBy, &v.AttestedAt, &tr); err != nil {
			rows.Close()
			return nil, err
		}
		v.Late, v.AttestedAt = late == 1, v.AttestedAt.UTC()
		if tr.Valid {
			t := tr.Time.UTC()
			v.TransmittedAt = &t
		}
		v.Planned, v.Attended, v.Justified, v.Unjustified = v.Figures.Planned.String(), v.Figures.Attended.String(), v.Figures.Justified.String(), v.Figures.Unjustified.String()
		if r := byID[id]; r != nil {
			if history {
				r.History = append(r.History, v)
			}
			vv := v
			r.Current = &vv
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Absences changed after the current version was attested.
	changed := map[int64]time.Time{}
	rows, err = q.Query(ctx, `SELECT enrolment_id, at FROM enrolment_absence_changes WHERE lo_on <= ? AND hi_on >= ?
		AND enrolment_id IN (`+sub+`)`, append([]any{int64(m.Last()), int64(m.First())}, all...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, err
		}
		if at.After(changed[id]) {
			changed[id] = at.UTC()
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	due := s.Due.Date(m)
	overdue := s.Due.IsOverdue(m, s.now())
	today := s.Today()
	for _, r := range list {
		p := attendance.Presence{Entry: r.entry, Exit: r.exit, Interruptions: inter[r.EnrolmentID], Absences: abs[r.EnrolmentID], Lived: today}
		f, err := attendance.Prefill(m, *scheds[r.SessionID], p)
		if err != nil {
			if s.Log != nil {
				s.Log.Warn("attestation prefill", "enrolment", r.EnrolmentID, "err", err)
			}
			f = attendance.Figures{}
		}
		if history {
			r.Days, _ = attendance.Days(m, *scheds[r.SessionID], p)
		}
		r.OpensOn = OpensOn(m, r.exit)
		r.Open = r.OpensOn <= today
		if r.Current != nil {
			if at, ok := changed[r.EnrolmentID]; ok && at.After(r.Current.AttestedAt) {
				r.ToRectify = true
				r.ToRectifyWhy = "Une absence " + m.FrenchOf() + " a été déclarée, corrigée ou retirée le " + at.In(calendar.Paris()).Format("02/01/2006") +
					", après l'attestation : vérifiez les heures et faites une attestation rectificative."
			}
		}
		r.Prefill, r.Figures, r.State, r.Due = f, f, StASaisir, due
		if r.Current != nil {
			r.Figures, r.State = r.Current.Figures, r.Current.State
		} else {
			r.Overdue = overdue
		}
		r.Hours, r.PrefillHours = HoursOf(r.Figures), HoursOf(r.Prefill)
		out = append(out, &r.Attestation)
	}
	return out, nil
}

// schedule returns a session's schedule: its hours per week (DefaultWeek if
// unset) over Monday–Friday, its days off, public holidays off.
func schedule(ctx context.Context, q store.Querier, sessionID int64) (attendance.Schedule, error) {
	week := DefaultWeek
	var wm int64
	switch err := q.QueryRow(ctx, "SELECT week_minutes FROM attestation_sessions WHERE session_id = ?", sessionID).Scan(&wm); err {
	case nil:
		week = attendance.Minutes(wm)
	case sql.ErrNoRows:
	default:
		return attendance.Schedule{}, err
	}
	sc := attendance.Schedule{Week: attendance.Spread(week, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)}
	rows, err := q.Query(ctx, "SELECT day FROM attestation_days_off WHERE session_id = ?", sessionID)
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var d calendar.Date
		if err := rows.Scan(&d); err != nil {
			return sc, err
		}
		if sc.Days == nil {
			sc.Days = map[calendar.Date]attendance.Minutes{}
		}
		sc.Days[d] = 0
	}
	return sc, rows.Err()
}

// Schedule is what an OF sets of a session's rhythm.
type Schedule struct {
	SessionID int64              `json:"session_id"`
	Week      attendance.Minutes `json:"week_minutes"`
	DaysOff   []calendar.Date    `json:"days_off"`
}

// SetSchedule sets the hours per week and the days off of one of the OF's
// sessions (it must have enrolments of the OF).
func (s *Service) SetSchedule(ctx context.Context, a *kairos.Actor, in Schedule) error {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return err
	}
	if in.Week <= 0 || in.Week > 60*attendance.Hour || !in.Week.IsQuarter() {
		return invalid("week", "Indiquez entre 0,25 et 60 heures par semaine, au quart d'heure près.")
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments WHERE session_id = ? AND org_id = ?", in.SessionID, a.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return kairos.NotFound("Session")
		}
		if _, err := tx.Exec(ctx, "DELETE FROM attestation_sessions WHERE session_id = ?", in.SessionID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO attestation_sessions (session_id, org_id, week_minutes, updated_at) VALUES (?, ?, ?, ?)", in.SessionID, a.OrgID, int64(in.Week), now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM attestation_days_off WHERE session_id = ?", in.SessionID); err != nil {
			return err
		}
		seen := map[calendar.Date]bool{}
		for _, d := range in.DaysOff {
			if d.IsZero() || seen[d] {
				continue
			}
			seen[d] = true
			if _, err := tx.Exec(ctx, "INSERT INTO attestation_days_off (session_id, org_id, day) VALUES (?, ?, ?)", in.SessionID, a.OrgID, int64(d)); err != nil {
				return err
			}
		}
		return tx.Record(ctx, store.Change{Action: "attestation.schedule", OrgID: a.OrgID, ObjectType: "session", ObjectID: in.SessionID, After: in, At: now})
	})
}

// Session groups the attestations of one session.
type Session struct {
	ID    int64
	Title string
	List  []*Attestation
	ToDo  int
}

// ScheduleOf returns the rhythm of one of the OF's sessions: its hours per
// week (DefaultWeek unless set) and its days off, in date order.
func (s *Service) ScheduleOf(ctx context.Context, a *kairos.Actor, sessionID int64) (Schedule, error) {
	out := Schedule{SessionID: sessionID, Week: DefaultWeek, DaysOff: []calendar.Date{}}
	if err := kairos.Authorize(a, ofRule); err != nil {
		return out, err
	}
	var n int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments WHERE session_id = ? AND org_id = ?", sessionID, a.OrgID).Scan(&n); err != nil {
		return out, err
	}
	if n == 0 {
		return out, kairos.NotFound("Session")
	}
	sc, err := schedule(ctx, s.DB, sessionID)
	if err != nil {
		return out, err
	}
	out.Week = 0
	for _, m := range sc.Week {
		out.Week += m
	}
	for d := range sc.Days {
		out.DaysOff = append(out.DaysOff, d)
	}
	slices.Sort(out.DaysOff)
	return out, nil
}

// Month returns the OF's attestations of month m (of one session if
// sessionID is not 0), pre-filled, grouped by session.
func (s *Service) Month(ctx context.Context, a *kairos.Actor, m calendar.Month, sessionID int64) ([]*Attestation, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	if m.IsZero() {
		return nil, invalid("month", "Indiquez le mois (AAAA-MM).")
	}
	where, args := "e.org_id = ?", []any{a.OrgID}
	if sessionID != 0 {
		where += " AND e.session_id = ?"
		args = append(args, sessionID)
	}
	return s.load(ctx, s.DB, m, false, where, args...)
}

// Sessions groups list by session, in order.
func Sessions(list []*Attestation) []*Session {
	var out []*Session
	for _, x := range list {
		if len(out) == 0 || out[len(out)-1].ID != x.SessionID {
			out = append(out, &Session{ID: x.SessionID, Title: x.SessionTitle})
		}
		g := out[len(out)-1]
		g.List = append(g.List, x)
		if x.State == StASaisir && x.Open {
			g.ToDo++
		}
	}
	return out
}

// Get returns the attestation of one enrolment for month m with its history.
func (s *Service) Get(ctx context.Context, a *kairos.Actor, enrolmentID int64, m calendar.Month) (*Attestation, error) {
	var where string
	args := []any{enrolmentID}
	switch {
	case kairos.Authorize(a, ofRule) == nil:
		where, args = "e.id = ? AND e.org_id = ?", append(args, a.OrgID)
	case kairos.Authorize(a, ftRule) == nil:
		where = "e.id = ?"
	default:
		return nil, kairos.NotFound("Attestation")
	}
	list, err := s.load(ctx, s.DB, m, true, where, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, kairos.NotFound("Attestation")
	}
	return list[0], nil
}

// ToDo counts the OF's attestations of month m still to attest.
func (s *Service) ToDo(ctx context.Context, a *kairos.Actor, m calendar.Month) (int, error) {
	var n int
	open, args := openWhere(m, s.Today())
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM enrolments e WHERE e.org_id = ? AND `+activeWhere+open+`
		AND NOT EXISTS (SELECT 1 FROM attestations t WHERE t.enrolment_id = e.id AND t.month = ?)`, append(append([]any{a.OrgID, int64(m.Last()), int64(m.First())}, args...), int64(m))...).Scan(&n)
	return n, err
}

// openWhere restricts enrolments (alias e) active in m to those whose month
// can be attested today (OpensOn): all once m's last day has come, else the
// trainees who left during m before today.
func openWhere(m calendar.Month, today calendar.Date) (string, []any) {
	if m.Last() <= today {
		return "", nil
	}
	return " AND e.exit_on <> 0 AND e.exit_on >= ? AND e.exit_on < ?", []any{int64(m.First()), int64(today)}
}

// Schedule returns the rhythm of a session (enrolment.Schedules: absences
// are checked against it).
func (s *Service) Schedule(ctx context.Context, q store.Querier, sessionID int64) (attendance.Schedule, error) {
	return schedule(ctx, q, sessionID)
}

// Item is one attestation to attest: the enrolment and its figures (nil: the
// pre-filled ones).
type Item struct {
	EnrolmentID int64               `json:"enrolment_id"`
	Figures     *attendance.Figures `json:"-"`
	Hours       *Hours              `json:"figures,omitempty"`
}

// Result is the outcome of one item.
type Result struct {
	EnrolmentID int64             `json:"enrolment_id"`
	OK          bool              `json:"ok"`
	Attestation *Attestation      `json:"attestation,omitempty"`
	Code        kairos.Code       `json:"code,omitempty"`
	Error       string            `json:"error,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
	err         error
}

// Err returns the item's error, nil if attested.
func (r Result) Err() error { return r.err }

// chunk is how many items of an Attest call share one transaction.
const chunk = 500

// Attest attests the items of month m and transmits them to France Travail;
// it returns one result per item, in order. Each item is atomic on its own:
// items are written by chunks of 500 in one transaction; an invalid or
// conflicting item is refused before it writes anything and reported while
// the others are attested (and one commit serves the chunk). An error is returned only when nothing could be tried (rights,
// month, too many items) or on an internal error, which stops the call: the
// items of the chunk in progress are then not attested (their result says
// so) and attesting them again is safe.
func (s *Service) Attest(ctx context.Context, a *kairos.Actor, m calendar.Month, items []Item) ([]Result, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	if m.IsZero() {
		return nil, invalid("month", "Indiquez le mois (AAAA-MM).")
	}
	if cur := calendar.MonthOf(s.Today()); cur < m {
		return nil, invalid("month", NotOpen(m, OpensOn(m, 0)))
	}
	if len(items) > MaxBulk {
		return nil, invalid("items", "Au plus 10 000 attestations par envoi.")
	}
	out := make([]Result, len(items))
	for i, it := range items {
		out[i].EnrolmentID = it.EnrolmentID
	}
	now := s.now()
	for start := 0; start < len(items); start += chunk {
		part := items[start:min(start+chunk, len(items))]
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			return s.attestChunk(ctx, tx, a, m, part, out[start:start+len(part)], now)
		})
		if err != nil {
			for k := start; k < start+len(part); k++ {
				fail(&out[k], kairos.Errorf(kairos.EInternal, "Attestation non enregistrée (erreur interne) : renvoyez-la."))
			}
			return out, err
		}
	}
	return out, nil
}

// fail sets r to the refusal of its item by err.
func fail(r *Result, err error) {
	r.OK, r.Attestation, r.err = false, nil, err
	r.Code, r.Error, r.Fields = kairos.ErrorCode(err), kairos.ErrorMessage(err), kairos.FieldErrors(err)
}

// pending is an item of a chunk checked and about to be written.
type pending struct {
	res    *Result
	before *Attestation
	after  *Attestation
	change json.RawMessage
	dups   []*Result // later items of the same enrolment, refused because of this one
}

// attestChunk attests the items of one chunk in tx with set-based work: the
// chunk is read with the queries of load, every item is checked in memory,
// then the versions are written by one multi-row INSERT and their audit
// records and events by RecordMany. An item refused by a check writes
// nothing; one met by a concurrent attestation of the same (enrolment,
// month) is left out by ON CONFLICT DO NOTHING and refused without its audit
// records. Any other error stops the chunk (rolled back by the caller).
func (s *Service) attestChunk(ctx context.Context, tx *store.Tx, a *kairos.Actor, m calendar.Month, part []Item, out []Result, now time.Time) error {
	enr := make([]int64, len(part))
	for j, it := range part {
		enr[j] = it.EnrolmentID
	}
	// A few shapes of IN list, each statement prepared once (Stable).
	ph, args := store.Padded(enr)
	list, err := s.load(ctx, tx.Stable(), m, false, "e.org_id = ? AND e.id IN ("+ph+")", append([]any{a.OrgID}, args...)...)
	if err != nil {
		return err
	}
	byID := make(map[int64]*Attestation, len(list))
	for _, x := range list {
		byID[x.EnrolmentID] = x
	}
	var todo []*pending
	written := map[int64]*pending{} // by enrolment, in this chunk
	for j, it := range part {
		r := &out[j]
		before := byID[it.EnrolmentID]
		if before == nil {
			fail(r, kairos.NotFound("Attestation (stagiaire en formation ce mois-là)"))
			continue
		}
		if !before.Open {
			fail(r, invalid("month", NotOpen(m, before.OpensOn)))
			continue
		}
		if it.Figures == nil && it.Hours != nil {
			f := it.Hours.Figures()
			it.Figures = &f
		}
		v, err := check(m, before, it, false)
		if err != nil {
			fail(r, err)
			if p := written[it.EnrolmentID]; p != nil && kairos.ErrorCode(err) == kairos.EConflict {
				p.dups = append(p.dups, r) // attested by p, earlier in this chunk
			}
			continue
		}
		after, ch, err := s.version(a, m, before, v, "", false, now)
		if err != nil {
			return err
		}
		p := &pending{res: r, before: before, after: after, change: ch}
		todo = append(todo, p)
		// Later items of this chunk see it attested.
		byID[it.EnrolmentID], written[it.EnrolmentID] = after, p
	}
	if len(todo) == 0 {
		return nil
	}
	ids, err := insertVersions(ctx, tx, a, m, todo, now)
	if err != nil {
		return err
	}
	var changes []store.Change
	for _, p := range todo {
		id, ok := ids[p.before.EnrolmentID]
		if !ok {
			// A concurrent attestation committed first: nothing written.
			err := raced(p.before, m)
			fail(p.res, err)
			for _, d := range p.dups {
				fail(d, err)
			}
			continue
		}
		p.after.Current.ID = id
		p.res.OK, p.res.Attestation = true, p.after
		changes = append(changes,
			store.Change{Action: "attestation.attest", OrgID: p.before.OrgID, ObjectType: "attestation", ObjectID: id, After: p.change, At: now},
			// Transmission to France Travail (synchronous, see the package doc).
			store.Change{Action: "attestation.transmit", OrgID: p.before.OrgID, ObjectType: "attestation", ObjectID: id, After: p.change, At: now})
	}
	return tx.RecordMany(ctx, changes)
}

// insCols are the columns of an attestation version written, and insRow the
// placeholders of one row (current is 1).
const (
	insCols = `enrolment_id, org_id, agence_id, session_id, month, version, kind, state, current, planned, attended, justified, unjustified,
		reason, due_on, late, attested_by, attested_label, attested_at, transmitted_at`
	insRow = "(?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

// insArgs are the arguments of insRow for the version after of before.
func insArgs(a *kairos.Actor, m calendar.Month, before, after *Attestation, now time.Time) []any {
	v, f := after.Current, after.Current.Figures
	return []any{before.EnrolmentID, before.OrgID, before.AgenceID, before.SessionID, int64(m), v.Version, v.Kind, StTransmise, int64(f.Planned), int64(f.Attended), int64(f.Justified), int64(f.Unjustified),
		v.Reason, int64(before.Due), boolInt(v.Late), nullID(a.UserID), a.Label(), now, now}
}

// insertVersions writes the versions of todo (distinct enrolments) with one
// multi-row INSERT, in enrolment order (concurrent calls on PostgreSQL take
// the unique index's locks in one order), and returns the id of each version
// written by enrolment: a version already written by a concurrent
// transaction is skipped (ON CONFLICT DO NOTHING) and absent.
func insertVersions(ctx context.Context, tx *store.Tx, a *kairos.Actor, m calendar.Month, todo []*pending, now time.Time) (map[int64]int64, error) {
	sorted := slices.Clone(todo)
	slices.SortFunc(sorted, func(x, y *pending) int { return cmp.Compare(x.before.EnrolmentID, y.before.EnrolmentID) })
	args := make([]any, 0, 19*len(sorted))
	for _, p := range sorted {
		args = append(args, insArgs(a, m, p.before, p.after, now)...)
	}
	ids := make(map[int64]int64, len(sorted))
	err := tx.QueryValues(ctx, "INSERT INTO attestations ("+insCols+")", insRow, 19, args,
		" ON CONFLICT (enrolment_id, month, version) DO NOTHING RETURNING id, enrolment_id", func(rows *sql.Rows) error {
			var id, enrolment int64
			if err := rows.Scan(&id, &enrolment); err != nil {
				return err
			}
			ids[enrolment] = id
			return nil
		})
	return ids, err
}

// raced is the refusal of an attestation that a concurrent one wrote first.
func raced(before *Attestation, m calendar.Month) error {
	return conflict("L'attestation de " + before.DemandeurName + " pour " + m.French() + " a déjà été attestée ; corrigez-la par une attestation rectificative.")
}

// Rectify records a rectificative version of an attested attestation, with
// its reason; earlier versions are kept.
func (s *Service) Rectify(ctx context.Context, a *kairos.Actor, m calendar.Month, enrolmentID int64, f attendance.Figures, reason string) (*Attestation, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, invalid("reason", "Indiquez la raison de la rectification.")
	}
	if len([]rune(reason)) > 1000 {
		return nil, invalid("reason", "La raison ne doit pas dépasser 1000 caractères.")
	}
	now := s.now()
	var out *Attestation
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		list, err := s.load(ctx, tx, m, false, "e.id = ? AND e.org_id = ?", enrolmentID, a.OrgID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return kairos.NotFound("Attestation (stagiaire en formation ce mois-là)")
		}
		if _, err := s.write(ctx, tx, a, m, list[0], Item{EnrolmentID: enrolmentID, Figures: &f}, reason, true, now); err != nil {
			return err
		}
		list, err = s.load(ctx, tx, m, true, "e.id = ?", enrolmentID)
		if err != nil {
			return err
		}
		out = list[0]
		return nil
	})
	return out, err
}

// checked is an item checked against its attestation: the figures and
// the version to write.
type checked struct {
	figures attendance.Figures
	version int
	kind    string
}

// check validates it against before's attestation and returns the version
// to write (the initial one, or a rectificative), or the French reason why it
// is refused.
func check(m calendar.Month, before *Attestation, it Item, rectify bool) (checked, error) {
	f := before.Prefill
	if it.Figures != nil {
		f = *it.Figures
	}
	if err := f.Validate(); err != nil {
		return checked{}, err
	}
	switch {
	case rectify && before.Current == nil:
		return checked{}, conflict("Cette attestation n'a pas encore été attestée : attestez-la au lieu de la rectifier.")
	case rectify:
		if f == before.Current.Figures {
			return checked{}, invalid(attendance.FieldAttended, "Les heures sont inchangées : une rectification doit corriger au moins un chiffre.")
		}
		return checked{f, before.Current.Version + 1, KindRectificative}, nil
	case before.Current != nil:
		return checked{}, conflict("L'attestation de " + before.DemandeurName + " pour " + m.French() + " a déjà été attestée (" + before.Current.AttestedBy + ") ; corrigez-la par une attestation rectificative.")
	}
	return checked{f, 1, KindInitiale}, nil
}

// change is the state an attestation's audit records and events carry; its
// fields are in the order of their names (what json.Marshal of a map wrote
// before it).
type change struct {
	EnrolmentID int64          `json:"enrolment_id"`
	Figures     Hours          `json:"figures"`
	Kind        string         `json:"kind"`
	Month       calendar.Month `json:"month"`
	Reason      string         `json:"reason"`
	Version     int            `json:"version"`
}

// version returns before's attestation after the version v is written
// (its id still 0) and the JSON of the change.
func (s *Service) version(a *kairos.Actor, m calendar.Month, before *Attestation, v checked, reason string, rectify bool, now time.Time) (*Attestation, json.RawMessage, error) {
	f := v.figures
	late := !rectify && calendar.DateOf(now) > before.Due
	ch, err := json.Marshal(change{EnrolmentID: before.EnrolmentID, Month: m, Version: v.version, Kind: v.kind, Figures: HoursOf(f), Reason: reason})
	if err != nil {
		return nil, nil, err
	}
	after := *before
	t := now
	cur := Version{Version: v.version, Kind: v.kind, State: StTransmise, Figures: f, Reason: reason, Late: late, AttestedBy: a.Label(), AttestedAt: now, TransmittedAt: &t,
		Planned: f.Planned.String(), Attended: f.Attended.String(), Justified: f.Justified.String(), Unjustified: f.Unjustified.String()}
	after.Current, after.State, after.Figures, after.Hours, after.Overdue, after.History = &cur, StTransmise, f, HoursOf(f), false, nil
	return &after, ch, nil
}

// write records a version of before's attestation inside tx (the initial
// one, or a rectificative) and transmits it; it returns the attestation
// after, without its history.
func (s *Service) write(ctx context.Context, tx *store.Tx, a *kairos.Actor, m calendar.Month, before *Attestation, it Item, reason string, rectify bool, now time.Time) (*Attestation, error) {
	v, err := check(m, before, it, rectify)
	if err != nil {
		return nil, err
	}
	after, ch, err := s.version(a, m, before, v, reason, rectify, now)
	if err != nil {
		return nil, err
	}
	if rectify {
		if _, err := tx.Exec(ctx, "UPDATE attestations SET current = 0 WHERE enrolment_id = ? AND month = ? AND version = ?", it.EnrolmentID, int64(m), before.Current.Version); err != nil {
			return nil, err
		}
	}
	// The row is written transmitted: the transmission to France Travail is
	// synchronous (see the package doc), audited below after the attestation.
	id, err := tx.Insert(ctx, "INSERT INTO attestations ("+insCols+") VALUES "+insRow+" ON CONFLICT (enrolment_id, month, version) DO NOTHING",
		insArgs(a, m, before, after, now)...)
	if errors.Is(err, sql.ErrNoRows) || store.IsUniqueViolation(err) {
		return nil, raced(before, m)
	}
	if err != nil {
		return nil, err
	}
	after.Current.ID = id
	action := "attestation.attest"
	if rectify {
		action = "attestation.rectify"
	}
	var prev any
	if before.Current != nil {
		prev = before.Current
	}
	if err := tx.Record(ctx, store.Change{Action: action, OrgID: before.OrgID, ObjectType: "attestation", ObjectID: id, Before: prev, After: ch, At: now}); err != nil {
		return nil, err
	}
	// Transmission to France Travail (synchronous, see the package doc).
	if err := tx.Record(ctx, store.Change{Action: "attestation.transmit", OrgID: before.OrgID, ObjectType: "attestation", ObjectID: id, After: ch, At: now}); err != nil {
		return nil, err
	}
	return after, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// IsOverdue reports whether month m is past its due date now.
func (s *Service) IsOverdue(m calendar.Month) bool { return s.Due.IsOverdue(m, s.now()) }
