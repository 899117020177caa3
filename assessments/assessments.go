package assessments

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/mail"
	"kairos/store"
	"kairos/workflow"
)

// DefaultDelay is how many days after the exit an assessment is due.
const DefaultDelay = 15

// Version kinds.
const (
	KindInitiale   = "initiale"
	KindCorrection = "correction"
)

// Attendance is the trainee's attendance over the whole training, from the
// current versions of his attested months (rectificatives included).
type Attendance struct {
	Planned     attendance.Minutes `json:"-"`
	Attended    attendance.Minutes `json:"-"`
	Justified   attendance.Minutes `json:"-"`
	Unjustified attendance.Minutes `json:"-"`
	Months      int                `json:"months_attested"`
	Rectified   int                `json:"months_rectified"`
	// Missing are the months from the entry to the exit not attested yet.
	Missing []calendar.Month `json:"months_missing"`
	// Hours for the API, "129,5".
	PlannedHours  string `json:"planned_hours"`
	AttendedHours string `json:"attended_hours"`
	RateText      string `json:"rate"`
}

// Permille is attended / planned in thousandths (0 when nothing planned).
func (x Attendance) Permille() int {
	if x.Planned <= 0 {
		return 0
	}
	return int((int64(x.Attended)*1000 + int64(x.Planned)/2) / int64(x.Planned))
}

// Rate is the attendance rate in French, "92,5 %" ("—" when nothing planned).
func (x Attendance) Rate() string {
	if x.Planned <= 0 {
		return "—"
	}
	p := x.Permille()
	s := strconv.Itoa(p / 10)
	if p%10 != 0 {
		s += "," + strconv.Itoa(p%10)
	}
	return s + " %"
}

func (x *Attendance) fill() {
	x.PlannedHours, x.AttendedHours, x.RateText = x.Planned.Decimal(), x.Attended.Decimal(), x.Rate()
	if x.Missing == nil {
		x.Missing = []calendar.Month{}
	}
}

// Version is one transmitted version.
type Version struct {
	Version    int        `json:"version"`
	Kind       string     `json:"kind"`
	Content    Content    `json:"content"`
	Attendance Attendance `json:"attendance"`
	Reason     string     `json:"reason,omitempty"`
	ActorLabel string     `json:"actor"`
	At         time.Time  `json:"at"`
}

// Event is an entry of the history.
type Event struct {
	Action     string    `json:"action"`
	Label      string    `json:"label"`
	From       State     `json:"from"`
	To         State     `json:"to"`
	Reason     string    `json:"reason,omitempty"`
	ActorLabel string    `json:"actor"`
	At         time.Time `json:"at"`
}

// Assessment is the bilan of one enrolment, with what it is about.
type Assessment struct {
	ID             int64         `json:"id,omitempty"`
	EnrolmentID    int64         `json:"enrolment_id"`
	OrgID          int64         `json:"org_id"`
	OrgName        string        `json:"org_name"`
	OrgSIRET       string        `json:"org_siret"`
	AgenceID       int64         `json:"agence_id"`
	DemandeurID    int64         `json:"demandeur_id"`
	DemandeurName  string        `json:"demandeur_name"`
	FTID           string        `json:"ft_id"`
	SessionID      int64         `json:"session_id"`
	SessionTitle   string        `json:"session_title"`
	SessionDebut   calendar.Date `json:"session_debut"`
	SessionFin     calendar.Date `json:"session_fin"`
	EnrolmentState string        `json:"enrolment_state"`
	EntryOn        calendar.Date `json:"entry_on,omitempty"`
	ExitOn         calendar.Date `json:"exit_on,omitempty"`
	ExitReason     string        `json:"exit_reason,omitempty"`

	State         State         `json:"state"`
	Version       int           `json:"version"`
	Content       Content       `json:"content"`
	InvoiceRef    string        `json:"invoice_ref,omitempty"`
	TransmittedAt *time.Time    `json:"transmitted_at,omitempty"`
	UpdatedAt     *time.Time    `json:"updated_at,omitempty"`
	Due           calendar.Date `json:"due_on,omitempty"`
	Overdue       bool          `json:"overdue"`

	// Attendance is computed now from the attested months; Current is the
	// current transmitted version (its own attendance as transmitted).
	Attendance     Attendance        `json:"attendance"`
	Current        *Version          `json:"current,omitempty"`
	Versions       []Version         `json:"versions,omitempty"`
	Events         []Event           `json:"history,omitempty"`
	AllowedActions []string          `json:"allowed_actions"`
	Actions        []workflow.Action `json:"-"`
}

// StateLabel is the French label of the assessment's state.
func (x *Assessment) StateLabel() string { return x.State.Label() }

// Service implements the assessments over the store.
type Service struct {
	DB      *store.DB
	Clock   kairos.Clock
	BaseURL string
	Delay   int // days after the exit an assessment is due (0: DefaultDelay)
	Log     *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

// Today is today's civil date in Paris.
func (s *Service) Today() calendar.Date { return calendar.DateOf(s.now()) }

func (s *Service) delay() int {
	if s.Delay > 0 {
		return s.Delay
	}
	return DefaultDelay
}

// DueOn is the day an assessment is due for a trainee who left on exit.
func (s *Service) DueOn(exit calendar.Date) calendar.Date { return exit.AddDays(s.delay()) }

var (
	ofRule      = kairos.Rule{Roles: ofRoles}
	ftRule      = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTComptable, kairos.RoleFTGestionnaire}}
	ofBilanRule = kairos.Rule{Roles: ofRoles, Habilitation: kairos.HabBilan}
)

const cols = `e.id, e.org_id, o.name, COALESCE(o.siret, ''), e.agence_id, e.demandeur_id, u.name, COALESCE(d.ft_id, ''), e.session_id, e.session_title,
	e.session_debut, e.session_fin, e.state, e.entry_on, e.exit_on, e.exit_reason,
	COALESCE(s.id, 0), COALESCE(s.state, ''), COALESCE(s.version, 0), COALESCE(s.result, ''), COALESCE(s.blocks, ''), COALESCE(s.skills, ''),
	COALESCE(s.comments, ''), COALESCE(s.next_steps, ''), COALESCE(s.invoice_ref, ''), s.transmitted_at, s.updated_at`

const from = ` FROM enrolments e JOIN organisations o ON o.id = e.org_id JOIN users u ON u.id = e.demandeur_id
	LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id LEFT JOIN assessments s ON s.enrolment_id = e.id`

func scan(sc interface{ Scan(...any) error }) (*Assessment, error) {
	var x Assessment
	var tr, up sql.NullTime
	var state, result string
	if err := sc.Scan(&x.EnrolmentID, &x.OrgID, &x.OrgName, &x.OrgSIRET, &x.AgenceID, &x.DemandeurID, &x.DemandeurName, &x.FTID, &x.SessionID, &x.SessionTitle,
		&x.SessionDebut, &x.SessionFin, &x.EnrolmentState, &x.EntryOn, &x.ExitOn, &x.ExitReason,
		&x.ID, &state, &x.Version, &result, &x.Content.Blocks, &x.Content.Skills, &x.Content.Comments, &x.Content.NextSteps, &x.InvoiceRef, &tr, &up); err != nil {
		return nil, err
	}
	x.State, x.Content.Result = State(state), Result(result)
	if tr.Valid {
		t := tr.Time.UTC()
		x.TransmittedAt = &t
	}
	if up.Valid {
		t := up.Time.UTC()
		x.UpdatedAt = &t
	}
	return &x, nil
}

// region returns the region of an FT service (empty: national).
func region(ctx context.Context, q store.Querier, orgID int64) (string, error) {
	var r string
	err := q.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", orgID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", kairos.Errorf(kairos.EForbidden, "Cette page est réservée aux services de France Travail.")
	}
	return r, err
}

// mayRead checks a may read x: its OF (every user, drafts included); the
// job seeker himself, the counsellors of his agence and France Travail's
// services of its region (national ones: all), who see a transmitted
// assessment only. isOF tells whether a reads as the OF.
func (s *Service) mayRead(ctx context.Context, q store.Querier, a *kairos.Actor, x *Assessment) (isOF bool, err error) {
	notFound := kairos.NotFound("Bilan")
	switch {
	case a == nil:
		return false, notFound
	case (a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser) && a.OrgID == x.OrgID:
		return true, nil
	case a.Role == kairos.RoleDemandeur && a.UserID == x.DemandeurID:
	case a.Role == kairos.RoleConseiller && a.OrgID == x.AgenceID:
	case kairos.Authorize(a, ftRule) == nil:
		own, err := region(ctx, q, a.OrgID)
		if err != nil {
			return false, err
		}
		if own != "" {
			ag, err := region(ctx, q, x.AgenceID)
			if err != nil || ag != own {
				return false, notFound
			}
		}
	default:
		return false, notFound
	}
	return false, nil
}

// hide blanks what a reader other than the OF may not see: a draft or a
// withdrawn assessment.
func hide(x *Assessment) {
	if x.State == Transmis {
		return
	}
	x.ID, x.State, x.Version, x.Content, x.Current, x.Versions, x.Events, x.InvoiceRef, x.UpdatedAt = 0, None, 0, Content{}, nil, nil, nil, "", nil
}

// load reads the assessment of enrolment id (State None if nothing written).
func (s *Service) load(ctx context.Context, q store.Querier, id int64, lock bool) (*Assessment, error) {
	query := "SELECT " + cols + from + " WHERE e.id = ?"
	if lock && q.Engine() == store.Postgres {
		query += " FOR UPDATE OF e"
	}
	x, err := scan(q.QueryRow(ctx, query, id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Bilan")
	}
	if x.ExitOn != 0 {
		x.Due = s.DueOn(x.ExitOn)
		x.Overdue = x.State != Transmis && s.Today() > x.Due
	}
	if x.Attendance, err = attendanceOf(ctx, q, x); err != nil {
		return nil, err
	}
	return x, nil
}

// attendanceOf sums the current versions of the trainee's attested months
// and lists the months from the entry to the exit (or today) not attested.
func attendanceOf(ctx context.Context, q store.Querier, x *Assessment) (Attendance, error) {
	var out Attendance
	rows, err := q.Query(ctx, "SELECT month, version, planned, attended, justified, unjustified FROM attestations WHERE enrolment_id = ? AND current = 1 ORDER BY month", x.EnrolmentID)
	if err != nil {
		return out, err
	}
	done := map[calendar.Month]bool{}
	for rows.Next() {
		var m calendar.Month
		var v int
		var f attendance.Figures
		if err := rows.Scan(&m, &v, &f.Planned, &f.Attended, &f.Justified, &f.Unjustified); err != nil {
			rows.Close()
			return out, err
		}
		done[m] = true
		out.Months++
		if v > 1 {
			out.Rectified++
		}
		out.Planned += f.Planned
		out.Attended += f.Attended
		out.Justified += f.Justified
		out.Unjustified += f.Unjustified
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	if !x.EntryOn.IsZero() && !x.ExitOn.IsZero() {
		for m := calendar.MonthOf(x.EntryOn); m <= calendar.MonthOf(x.ExitOn); m = m.AddMonths(1) {
			if !done[m] {
				out.Missing = append(out.Missing, m)
			}
		}
	}
	out.fill()
	return out, nil
}

func (s *Service) details(ctx context.Context, q store.Querier, x *Assessment) error {
	if x.ID == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT version, kind, result, blocks, skills, comments, next_steps, planned_minutes, attended_minutes, months, reason, actor_label, at
		FROM assessment_versions WHERE assessment_id = ? ORDER BY version`, x.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v Version
		var result string
		if err := rows.Scan(&v.Version, &v.Kind, &result, &v.Content.Blocks, &v.Content.Skills, &v.Content.Comments, &v.Content.NextSteps,
			&v.Attendance.Planned, &v.Attendance.Attended, &v.Attendance.Months, &v.Reason, &v.ActorLabel, &v.At); err != nil {
			rows.Close()
			return err
		}
		v.Content.Result, v.At = Result(result), v.At.UTC()
		v.Attendance.fill()
		x.Versions = append(x.Versions, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range x.Versions {
		if x.Versions[i].Version == x.Version && x.State == Transmis {
			x.Current = &x.Versions[i]
		}
	}
	rows, err = q.Query(ctx, "SELECT action, from_state, to_state, reason, actor_label, at FROM assessment_events WHERE assessment_id = ? ORDER BY id", x.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Action, &e.From, &e.To, &e.Reason, &e.ActorLabel, &e.At); err != nil {
			return err
		}
		e.At = e.At.UTC()
		if t := Table.Find(Action(e.Action)); t != nil {
			e.Label = t.Event
		}
		x.Events = append(x.Events, e)
	}
	return rows.Err()
}

func (s *Service) cond(x *Assessment, c Content, reason string) Cond {
	c.clean()
	cur := Content{}
	if x.Current != nil {
		cur = x.Current.Content
	}
	return Cond{Exited: x.EnrolmentState == "sortie", Content: c, Changed: c != cur, Reason: strings.TrimSpace(reason), InvoiceRef: x.InvoiceRef}
}

func (s *Service) withActions(a *kairos.Actor, x *Assessment) {
	c := s.cond(x, x.Content, "")
	c.Reason = "-" // reasons come with the form: the buttons show
	c.Changed = true
	x.Actions = Table.Actions(x.State, a, c)
	x.AllowedActions = Table.AllowedActions(x.State, a, c)
}

// Get returns the assessment of enrolment id to those who may read it.
func (s *Service) Get(ctx context.Context, a *kairos.Actor, enrolmentID int64) (*Assessment, error) {
	x, err := s.load(ctx, s.DB, enrolmentID, false)
	if err != nil {
		return nil, err
	}
	isOF, err := s.mayRead(ctx, s.DB, a, x)
	if err != nil {
		return nil, err
	}
	if err := s.details(ctx, s.DB, x); err != nil {
		return nil, err
	}
	if !isOF {
		hide(x)
		x.AllowedActions = []string{}
		return x, nil
	}
	s.withActions(a, x)
	return x, nil
}

// Step is an action requested on an assessment, with the content it sets
// (enregistrer, transmettre, corriger) and its reason (corriger, retirer).
type Step struct {
	Action  Action  `json:"action"`
	Content Content `json:"content"`
	Reason  string  `json:"reason,omitempty"`
}

// Do performs one action of the table on the assessment of enrolment id.
func (s *Service) Do(ctx context.Context, a *kairos.Actor, enrolmentID int64, in Step) (*Assessment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		x, err := s.load(ctx, tx, enrolmentID, true)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, x.OrgID, "Bilan"); err != nil {
			return err
		}
		if err := s.details(ctx, tx, x); err != nil {
			return err
		}
		content := in.Content
		if in.Action == ActRetirer || in.Action == ActRouvrir {
			content = x.Content
		}
		c := s.cond(x, content, in.Reason)
		t, err := Table.Check(in.Action, x.State, a, c)
		if err != nil {
			return err
		}
		before := *x
		version := x.Version
		if t.Action == ActTransmettre || t.Action == ActCorriger {
			version++
		}
		if x.ID == 0 {
			x.ID, err = tx.Insert(ctx, `INSERT INTO assessments (enrolment_id, org_id, agence_id, demandeur_id, state, version, result, blocks, skills, comments, next_steps, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 0, '', '', '', '', '', ?, ?)`, x.EnrolmentID, x.OrgID, x.AgenceID, x.DemandeurID, string(Brouillon), now, now)
			if store.IsUniqueViolation(err) {
				return kairos.Errorf(kairos.EConflict, "Ce bilan vient d'être créé par quelqu'un d'autre : rechargez la page.")
			}
			if err != nil {
				return err
			}
		}
		set := "state = ?, version = ?, updated_at = ?"
		args := []any{string(t.To), version, now}
		if t.Action != ActRetirer && t.Action != ActRouvrir {
			set += ", result = ?, blocks = ?, skills = ?, comments = ?, next_steps = ?"
			args = append(args, string(c.Content.Result), c.Content.Blocks, c.Content.Skills, c.Content.Comments, c.Content.NextSteps)
		}
		if t.To == Transmis {
			set += ", transmitted_at = ?"
			args = append(args, now)
		}
		if _, err := tx.Exec(ctx, "UPDATE assessments SET "+set+" WHERE id = ?", append(args, x.ID)...); err != nil {
			return err
		}
		if version != x.Version {
			kind := KindInitiale
			if version > 1 {
				kind = KindCorrection
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assessment_versions (assessment_id, version, kind, result, blocks, skills, comments, next_steps, planned_minutes, attended_minutes, months, reason, actor_id, actor_label, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, x.ID, version, kind, string(c.Content.Result), c.Content.Blocks, c.Content.Skills, c.Content.Comments, c.Content.NextSteps,
				int64(x.Attendance.Planned), int64(x.Attendance.Attended), x.Attendance.Months, reasonOf(t, c), nullID(a.UserID), a.Label(), now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO assessment_events (assessment_id, action, from_state, to_state, reason, actor_label, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			x.ID, string(t.Action), string(x.State), string(t.To), reasonOf(t, c), a.Label(), now); err != nil {
			return err
		}
		after := map[string]any{"enrolment_id": x.EnrolmentID, "state": t.To, "version": version, "content": c.Content, "reason": reasonOf(t, c),
			"attendance": map[string]any{"planned_hours": x.Attendance.PlannedHours, "attended_hours": x.Attendance.AttendedHours, "rate": x.Attendance.RateText}}
		if err := tx.Record(ctx, store.Change{Action: "assessment." + string(t.Action), OrgID: x.OrgID, ObjectType: "assessment", ObjectID: x.ID,
			Before: map[string]any{"state": before.State, "version": before.Version}, After: after, At: now}); err != nil {
			return err
		}
		if t.Action == ActTransmettre || t.Action == ActCorriger || t.Action == ActRetirer {
			return s.notify(ctx, tx, x, t, reasonOf(t, c))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, enrolmentID)
}

func reasonOf(t *Transition, c Cond) string {
	if t.ReasonRequired {
		return c.Reason
	}
	return ""
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Service) link(path string) string { return strings.TrimRight(s.BaseURL, "/") + path }

// notify e-mails the job seeker and his counsellor when the assessment is
// transmitted, corrected or withdrawn.
func (s *Service) notify(ctx context.Context, tx *store.Tx, x *Assessment, t *Transition, reason string) error {
	var deEmail, consEmail string
	if err := tx.QueryRow(ctx, `SELECT u.email, COALESCE(c.email, '') FROM users u LEFT JOIN demandeurs d ON d.user_id = u.id LEFT JOIN users c ON c.id = d.conseiller_id WHERE u.id = ?`,
		x.DemandeurID).Scan(&deEmail, &consEmail); err != nil {
		return err
	}
	url := s.link("/bilans/inscriptions/" + itoa(x.EnrolmentID))
	var subject, body string
	switch t.Action {
	case ActTransmettre:
		subject = "Bilan de formation : " + x.SessionTitle
		body = "Bonjour,\n\n" + x.OrgName + " a transmis le bilan de la formation « " + x.SessionTitle + " » de " + x.DemandeurName +
			", avec l'attestation de fin de formation :\n" + url + "\n\nLes compétences acquises et les suites conseillées y sont décrites.\n\nKairos"
	case ActCorriger:
		subject = "Bilan de formation corrigé : " + x.SessionTitle
		body = "Bonjour,\n\n" + x.OrgName + " a corrigé le bilan de la formation « " + x.SessionTitle + " » de " + x.DemandeurName +
			".\nRaison : " + reason + "\n\n" + url + "\n\nKairos"
	default:
		subject = "Bilan de formation retiré : " + x.SessionTitle
		body = "Bonjour,\n\n" + x.OrgName + " a retiré le bilan de la formation « " + x.SessionTitle + " » de " + x.DemandeurName +
			".\nRaison : " + reason + "\n\nUn nouveau bilan sera transmis.\n\nKairos"
	}
	for _, to := range []string{deEmail, consEmail} {
		if to == "" {
			continue
		}
		if err := mail.Enqueue(ctx, tx, mail.Message{To: to, Subject: subject, Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// Lock records that invoice ref refers to the assessment of enrolment id,
// inside the invoice's transaction: the assessment must be transmitted, and
// can no longer be withdrawn afterwards.
func Lock(ctx context.Context, tx *store.Tx, enrolmentID int64, ref string) error {
	res, err := tx.Exec(ctx, "UPDATE assessments SET invoice_ref = ? WHERE enrolment_id = ? AND state = 'transmis' AND invoice_ref = ''", ref, enrolmentID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return kairos.Errorf(kairos.EConflict, "Le bilan de formation doit être transmis (et non déjà repris par une facture) avant la facture.")
	}
	return nil
}

func paris() *time.Location { return calendar.Paris() }
