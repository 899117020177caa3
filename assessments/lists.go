package assessments

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"kairos"
	"kairos/calendar"
	"kairos/mail"
	"kairos/store"
)

// Filter selects the OF's assessments.
type Filter struct {
	State State  // None: to write (exited, nothing transmitted); "tous": all
	Q     string // a trainee's name or session title
	Limit int    // default 200
	// After continues the list after the enrolment (AfterExit, AfterID) in
	// its order, the most recent exits first (keyset pagination); AfterID 0: from the start.
	AfterExit calendar.Date
	AfterID   int64
}

// All is the Filter.State of every assessment.
const All State = "tous"

// List returns the assessments of the OF's exited trainees, the most
// recent exits first.
func (s *Service) List(ctx context.Context, a *kairos.Actor, f Filter) ([]Assessment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	where := "e.org_id = ? AND e.state = 'sortie'"
	args := []any{a.OrgID}
	switch f.State {
	case All:
	case None:
		where += " AND (s.id IS NULL OR s.state <> 'transmis')"
	case Brouillon, Transmis, Retire:
		where += " AND s.state = ?"
		args = append(args, string(f.State))
	default:
		return nil, kairos.Invalid(map[string]string{"etat": "État inconnu."})
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		if len([]rune(q)) > 100 {
			return nil, kairos.Invalid(map[string]string{"q": "La recherche ne doit pas dépasser 100 caractères."})
		}
		where += " AND (LOWER(u.name) LIKE ? ESCAPE '\\' OR LOWER(e.session_title) LIKE ? ESCAPE '\\')"
		like := "%" + strings.NewReplacer("\\", "\\\\", "%", "\\%", "_", "\\_").Replace(strings.ToLower(q)) + "%"
		args = append(args, like, like)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	if f.AfterID > 0 {
		where += " AND (e.exit_on < ? OR (e.exit_on = ? AND e.id < ?))"
		args = append(args, int64(f.AfterExit), int64(f.AfterExit), f.AfterID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+cols+from+" WHERE "+where+" ORDER BY e.exit_on DESC, e.id DESC LIMIT "+itoa(int64(limit)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	today := s.Today()
	out := []Assessment{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		x.Due = s.DueOn(x.ExitOn)
		x.Overdue = x.State != Transmis && today > x.Due
		out = append(out, *x)
	}
	return out, rows.Err()
}

// Missing returns the OF's exited trainees whose assessment is not
// transmitted yet (the dashboard's « bilans à faire »), the oldest exits
// first, and how many are late.
func (s *Service) Missing(ctx context.Context, a *kairos.Actor) (list []Assessment, late int, err error) {
	list, err = s.List(ctx, a, Filter{State: None, Limit: 1000})
	if err != nil {
		return nil, 0, err
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	for _, x := range list {
		if x.Overdue {
			late++
		}
	}
	return list, late, nil
}

// WriteCSV writes the OF's list as CSV (UTF-8 with a byte order mark, ;).
func (s *Service) WriteCSV(ctx context.Context, a *kairos.Actor, f Filter, w io.Writer) error {
	f.Limit = 1000
	list, err := s.List(ctx, a, f)
	if err != nil {
		return err
	}
	cell := func(v string) string {
		if strings.ContainsAny(v, ";\"\r\n") {
			return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		return v
	}
	io.WriteString(w, "\uFEFFStagiaire;Identifiant France Travail;Session;Sortie;Bilan dû le;État;Résultat;En retard\r\n")
	for _, x := range list {
		late := "non"
		if x.Overdue {
			late = "oui"
		}
		io.WriteString(w, strings.Join([]string{cell(x.DemandeurName), cell(x.FTID), cell(x.SessionTitle), x.ExitOn.French(), x.Due.French(),
			cell(x.State.Label()), cell(x.Content.Result.Label()), late}, ";")+"\r\n")
	}
	return nil
}

// OFCount is, for one OF, its exited trainees and their assessments.
type OFCount struct {
	OrgID       int64  `json:"org_id"`
	OrgName     string `json:"org_name"`
	Exited      int    `json:"exited"`
	Transmitted int    `json:"transmitted"`
	Missing     int    `json:"missing"`
	Late        int    `json:"late"`
	Ready       int    `json:"ready_to_invoice"`
}

// Readiness is an exited trainee as France Travail's accounting sees him:
// ready to invoice when his AIF quote is validated, every month from his
// entry to his exit attested and his assessment transmitted; else what is
// missing.
type Readiness struct {
	EnrolmentID   int64         `json:"enrolment_id"`
	OrgID         int64         `json:"org_id"`
	OrgName       string        `json:"org_name"`
	DemandeurName string        `json:"demandeur_name"`
	FTID          string        `json:"ft_id"`
	SessionTitle  string        `json:"session_title"`
	EntryOn       calendar.Date `json:"entry_on"`
	ExitOn        calendar.Date `json:"exit_on"`
	QuoteNumber   string        `json:"quote_number,omitempty"`
	Assessment    State         `json:"assessment_state"`
	Result        Result        `json:"result,omitempty"`
	Attendance    Attendance    `json:"attendance"`
	Ready         bool          `json:"ready_to_invoice"`
	Missing       []string      `json:"missing"`
}

// Accounting is the accounting view: per OF, counts; and the trainees.
type Accounting struct {
	Region   string      `json:"region,omitempty"`
	OFs      []OFCount   `json:"organisations"`
	Trainees []Readiness `json:"trainees"`
}

// Accounting returns, for France Travail (its region's agences; national
// services: all), the exited trainees of every OF (or of one) and whether
// each is ready to invoice. ready filters: "" all, "oui", "non".
func (s *Service) Accounting(ctx context.Context, a *kairos.Actor, orgID int64, ready string) (*Accounting, error) {
	if err := kairos.Authorize(a, ftRule); err != nil {
		return nil, err
	}
	own, err := region(ctx, s.DB, a.OrgID)
	if err != nil {
		return nil, err
	}
	where, args := "e.state = 'sortie'", []any{}
	if own != "" {
		where += " AND e.agence_id IN (SELECT id FROM organisations WHERE region = ?)"
		args = append(args, own)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+cols+from+" WHERE "+where+" ORDER BY o.name, e.org_id, e.exit_on DESC, e.id DESC LIMIT 5000", args...)
	if err != nil {
		return nil, err
	}
	var list []*Assessment
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	quotes, err := validatedQuotes(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	out := &Accounting{Region: own, OFs: []OFCount{}, Trainees: []Readiness{}}
	today := s.Today()
	for _, x := range list {
		if x.Attendance, err = attendanceOf(ctx, s.DB, x); err != nil {
			return nil, err
		}
		r := Readiness{EnrolmentID: x.EnrolmentID, OrgID: x.OrgID, OrgName: x.OrgName, DemandeurName: x.DemandeurName, FTID: x.FTID, SessionTitle: x.SessionTitle,
			EntryOn: x.EntryOn, ExitOn: x.ExitOn, QuoteNumber: quotes[x.EnrolmentID], Assessment: x.State, Attendance: x.Attendance, Missing: []string{}}
		if x.State == Transmis {
			r.Result = x.Content.Result
		} else {
			r.Assessment = None
		}
		if r.QuoteNumber == "" {
			r.Missing = append(r.Missing, "Devis AIF validé")
		}
		for _, m := range x.Attendance.Missing {
			r.Missing = append(r.Missing, "Attestation de présence "+m.FrenchOf())
		}
		if x.State != Transmis {
			r.Missing = append(r.Missing, "Bilan de formation")
		}
		r.Ready = len(r.Missing) == 0
		if n := len(out.OFs); n == 0 || out.OFs[n-1].OrgID != x.OrgID {
			out.OFs = append(out.OFs, OFCount{OrgID: x.OrgID, OrgName: x.OrgName})
		}
		c := &out.OFs[len(out.OFs)-1]
		c.Exited++
		if x.State == Transmis {
			c.Transmitted++
		} else {
			c.Missing++
			if today > s.DueOn(x.ExitOn) {
				c.Late++
			}
		}
		if r.Ready {
			c.Ready++
		}
		if (orgID == 0 || orgID == x.OrgID) && (ready == "" || (ready == "oui") == r.Ready) {
			out.Trainees = append(out.Trainees, r)
		}
	}
	return out, nil
}

// validatedQuotes maps enrolments to the number of their validated AIF
// quote (the commitment reference of the invoice).
func validatedQuotes(ctx context.Context, q store.Querier) (map[int64]string, error) {
	rows, err := q.Query(ctx, "SELECT enrolment_id, number FROM quotes WHERE state = 'valide' AND enrolment_id IS NOT NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// ReminderJob is the kind of the scheduled job of the reminders.
const ReminderJob = "assessments.reminders"

// HandleReminders is the worker handler of ReminderJob.
func (s *Service) HandleReminders(ctx context.Context, _ json.RawMessage) error {
	_, err := s.Remind(ctx)
	return err
}

// Remind sends one e-mail per exited trainee whose assessment is past due
// and still not transmitted, to the OF's administrators and its users with
// the bilan habilitation; each trainee is reminded once (two instances: the
// insert decides). It returns how many trainees were reminded.
func (s *Service) Remind(ctx context.Context) (int, error) {
	today := s.Today()
	rows, err := s.DB.Query(ctx, `SELECT e.id, e.org_id, u.name, e.session_title, e.exit_on FROM enrolments e JOIN users u ON u.id = e.demandeur_id
		WHERE e.state = 'sortie' AND e.exit_on < ? AND NOT EXISTS (SELECT 1 FROM assessments s WHERE s.enrolment_id = e.id AND s.state = 'transmis')
		AND NOT EXISTS (SELECT 1 FROM assessment_reminders r WHERE r.enrolment_id = e.id) ORDER BY e.id`, int64(today.AddDays(-s.delay())))
	if err != nil {
		return 0, err
	}
	type todo struct {
		id, org     int64
		name, title string
		exit        calendar.Date
	}
	var list []todo
	for rows.Next() {
		var t todo
		if err := rows.Scan(&t.id, &t.org, &t.name, &t.title, &t.exit); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	now, sent := s.now(), 0
	for _, t := range list {
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO assessment_reminders (enrolment_id, sent_at) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM assessment_reminders WHERE enrolment_id = ?)`, t.id, now, t.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil
			}
			to, err := recipients(ctx, tx, t.org)
			if err != nil {
				return err
			}
			for _, addr := range to {
				if err := mail.Enqueue(ctx, tx, mail.Message{To: addr, Subject: "Bilan de formation en retard : " + t.name,
					Body: "Bonjour,\n\nLe bilan de formation de " + t.name + " (« " + t.title + " », sortie le " + t.exit.French() + ") était attendu le " +
						s.DueOn(t.exit).French() + ". Il est transmis au demandeur d'emploi, à son conseiller et au service comptable de France Travail, qui en a besoin pour payer la formation :\n" +
						s.link("/bilans/inscriptions/"+itoa(t.id)) + "\n\nKairos"}); err != nil {
					return err
				}
			}
			sent++
			return tx.Record(ctx, store.Change{Action: "assessment.remind", OrgID: t.org, ObjectType: "enrolment", ObjectID: t.id, After: map[string]any{"recipients": len(to)}, At: now})
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func recipients(ctx context.Context, q store.Querier, org int64) ([]string, error) {
	rows, err := q.Query(ctx, "SELECT email, role, habilitations FROM users WHERE org_id = ? AND status = 'active' ORDER BY id", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var email, role, habs string
		if err := rows.Scan(&email, &role, &habs); err != nil {
			return nil, err
		}
		if kairos.Role(role) == kairos.RoleOFAdmin || kairos.ParseHabSet(habs).Has(kairos.HabBilan) {
			out = append(out, email)
		}
	}
	return out, rows.Err()
}
