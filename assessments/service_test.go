package assessments_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/store"
)

func ctx() context.Context { return fixture.Ctx() }

type env struct {
	*fixture.World
	clock *fixture.Clock
	enr   *enrolment.Service
	att   *attestations.Service
	svc   *assessments.Service
	of    *kairos.Actor // OF A, habilitation bilan
	de    *account.User
	id    int64 // the enrolment
}

func at(y int, m time.Month, d, h int) time.Time {
	return calendar.NewDate(y, m, d).Midnight().Add(time.Duration(h) * time.Hour).UTC()
}

// newEnv: a trainee of OF A entered on Monday 2 March 2026 on a session
// from 2 March to 30 June 2026.
func newEnv(t *testing.T) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	e := &env{World: w, clock: &fixture.Clock{T: at(2026, 3, 2, 9)}}
	e.enr = &enrolment.Service{DB: acc.DB, Clock: e.clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: at(2026, 3, 2, 8), Fin: at(2026, 6, 30, 8)}}}
	e.att = &attestations.Service{DB: acc.DB, Clock: e.clock.Now}
	e.svc = &assessments.Service{DB: acc.DB, Clock: e.clock.Now, BaseURL: "http://kairos.test"}
	e.of = fixture.MustUser(t, acc, w.OFA, kairos.RoleOFUser, "bilan@a.example", kairos.HabBilan, kairos.HabAssiduite).Actor()
	cons := w.Users[kairos.RoleConseiller]
	e.de = w.Users[kairos.RoleDemandeur]
	if err := (&appointments.Service{DB: acc.DB}).SetDemandeur(ctx(), e.de.ID, "FT0001", w.Agence, cons.ID); err != nil {
		t.Fatal(err)
	}
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	x, err := e.enr.Propose(ctx(), cons.Actor(), enrolment.Proposal{DemandeurID: e.de.ID, SessionID: 1})
	if err == nil {
		_, err = e.enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
	}
	if err == nil {
		_, err = e.enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
	}
	if err != nil {
		t.Fatal(err)
	}
	e.id = x.ID
	return e
}

func (e *env) exit(t *testing.T, on calendar.Date) {
	t.Helper()
	e.clock.T = on.Midnight().Add(17 * time.Hour).UTC()
	if _, err := e.enr.Do(ctx(), e.Users[kairos.RoleOFAdmin].Actor(), e.id, enrolment.Action{Action: enrolment.ActSortir, Date: on, Reason: "fin_normale"}); err != nil {
		t.Fatal(err)
	}
}

var good = assessments.Content{Result: assessments.Partielle, Blocks: "Bloc 1 : développer la partie front-end", Skills: "Maquetter une application, réaliser une interface web.",
	Comments: "Stagiaire assidu.", NextSteps: "Présenter le bloc 2 à la prochaine session d'examen."}

func h(x float64) attendance.Minutes { return attendance.Minutes(x * 60) }

func TestNoAssessmentBeforeExit(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActEnregistrer, Content: good})
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "une fois la sortie de formation déclarée") {
		t.Fatalf("before the exit: %v", err)
	}
	x, err := e.svc.Get(ctx(), e.of, e.id)
	if err != nil || x.State != assessments.None || len(x.AllowedActions) != 0 {
		t.Fatalf("%+v %v", x, err)
	}
}

// TestAttendanceFromAttestationsWithARectificative: the rate over the
// training comes from the current versions of the attested months.
func TestAttendanceFromAttestationsWithARectificative(t *testing.T) {
	e := newEnv(t)
	e.exit(t, calendar.NewDate(2026, 4, 10))
	e.clock.T = at(2026, 4, 11, 9)
	march, april := calendar.NewMonth(2026, 3), calendar.NewMonth(2026, 4)
	for _, m := range []calendar.Month{march, april} {
		res, err := e.att.Attest(ctx(), e.of, m, []attestations.Item{{EnrolmentID: e.id}})
		if err != nil || !res[0].OK {
			t.Fatalf("attest %s: %+v %v", m, res, err)
		}
	}
	x, _ := e.svc.Get(ctx(), e.of, e.id)
	// March: 22 days of 7 h; April 1–10: 7 days (Easter Monday off).
	if x.Attendance.Planned != h(203) || x.Attendance.Attended != h(203) || x.Attendance.Rate() != "100 %" || len(x.Attendance.Missing) != 0 {
		t.Fatalf("before the rectificative: %+v", x.Attendance)
	}
	if _, err := e.att.Rectify(ctx(), e.of, march, e.id, attendance.Figures{Planned: h(154), Attended: h(140), Unjustified: h(14)}, "Deux jours d'absence non signalés"); err != nil {
		t.Fatal(err)
	}
	x, _ = e.svc.Get(ctx(), e.of, e.id)
	if x.Attendance.Attended != h(189) || x.Attendance.Rectified != 1 || x.Attendance.Rate() != "93,1 %" || x.Attendance.Permille() != 931 {
		t.Fatalf("after the rectificative: %+v (%s)", x.Attendance, x.Attendance.Rate())
	}
}

func TestVersionsVisibilityAndInvoiceLock(t *testing.T) {
	e := newEnv(t)
	e.exit(t, calendar.NewDate(2026, 3, 27))
	e.clock.T = at(2026, 3, 31, 9)
	if res, err := e.att.Attest(ctx(), e.of, calendar.NewMonth(2026, 3), []attestations.Item{{EnrolmentID: e.id}}); err != nil || !res[0].OK {
		t.Fatalf("%+v %v", res, err)
	}
	// A draft: the OF sees it, the job seeker, the counsellor and FT do not.
	draft := good
	draft.Skills = ""
	x, err := e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActEnregistrer, Content: draft})
	if err != nil || x.State != assessments.Brouillon || x.Due != calendar.NewDate(2026, 4, 11) {
		t.Fatalf("draft: %+v %v", x, err)
	}
	readers := []*kairos.Actor{e.de.Actor(), e.Users[kairos.RoleConseiller].Actor(), e.Users[kairos.RoleFTComptable].Actor()}
	for _, r := range readers {
		y, err := e.svc.Get(ctx(), r, e.id)
		if err != nil || y.State != assessments.None || y.Content.Comments != "" {
			t.Fatalf("%s reads the draft: %+v %v", r.Role, y, err)
		}
	}
	// Outsiders: not found.
	otherDE := fixture.MustUser(t, e.Acc, 0, kairos.RoleDemandeur, "autre@de.example").Actor()
	for _, r := range []*kairos.Actor{e.OFBAdmin.Actor(), otherDE} {
		if _, err := e.svc.Get(ctx(), r, e.id); kairos.ErrorCode(err) != kairos.ENotFound {
			t.Fatalf("%s: %v", r.Role, err)
		}
		if _, err := e.svc.Do(ctx(), r, e.id, assessments.Step{Action: assessments.ActTransmettre, Content: good}); kairos.ErrorCode(err) == "" {
			t.Fatalf("%s transmits", r.Role)
		}
	}
	// Incomplete: refused; an OF user without the habilitation: forbidden.
	if _, err := e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActTransmettre, Content: draft}); kairos.FieldErrors(err)["skills"] == "" {
		t.Fatalf("incomplete: %v", err)
	}
	rdv := fixture.MustUser(t, e.Acc, e.OFA, kairos.RoleOFUser, "rdv@a.example", kairos.HabRDV).Actor()
	if _, err := e.svc.Do(ctx(), rdv, e.id, assessments.Step{Action: assessments.ActTransmettre, Content: good}); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("without the habilitation: %v", err)
	}
	e.clock.Advance(time.Hour)
	x, err = e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActTransmettre, Content: good})
	if err != nil || x.State != assessments.Transmis || x.Version != 1 || x.Current == nil || x.Current.Attendance.Planned != h(140) || x.Overdue {
		t.Fatalf("transmit: %+v %v", x, err)
	}
	for _, r := range readers {
		y, err := e.svc.Get(ctx(), r, e.id)
		if err != nil || y.State != assessments.Transmis || y.Content.Skills != good.Skills {
			t.Fatalf("%s reads the assessment: %+v %v", r.Role, y, err)
		}
	}
	// A correction is a new version with its reason; the first is kept.
	fixed := good
	fixed.Result, fixed.Blocks = assessments.Obtenue, ""
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActCorriger, Content: fixed}); kairos.FieldErrors(err)["reason"] == "" {
		t.Fatalf("correction without reason: %v", err)
	}
	x, err = e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActCorriger, Content: fixed, Reason: "Le jury a validé les trois blocs."})
	if err != nil || x.Version != 2 || len(x.Versions) != 2 || x.Versions[0].Content.Result != assessments.Partielle || x.Versions[1].Reason != "Le jury a validé les trois blocs." || x.Content.Result != assessments.Obtenue {
		t.Fatalf("correction: %+v %v", x, err)
	}
	// Once an invoice refers to it, it cannot be withdrawn.
	if err := e.Acc.DB.Tx(ctx(), func(tx *store.Tx) error { return assessments.Lock(ctx(), tx, e.id, "FA-2026-000001") }); err != nil {
		t.Fatal(err)
	}
	if err := e.Acc.DB.Tx(ctx(), func(tx *store.Tx) error { return assessments.Lock(ctx(), tx, e.id, "FA-2026-000002") }); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("locked twice: %v", err)
	}
	_, err = e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActRetirer, Reason: "Erreur"})
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "FA-2026-000001") {
		t.Fatalf("withdrawn once invoiced: %v", err)
	}
	// The job seeker and his counsellor were told (transmission, correction).
	var n int
	if err := e.Acc.DB.QueryRow(ctx(), "SELECT COUNT(*) FROM mails WHERE subject LIKE 'Bilan de formation%'").Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d mails (%v)", n, err)
	}
	// The attestation de fin de formation is a text PDF with its fields.
	name, pdf, err := e.svc.Certificate(ctx(), e.de.Actor(), e.id)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) || !strings.HasSuffix(name, ".pdf") {
		t.Fatalf("certificate: %s %v", name, err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed: the text of the PDF is not checked")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Attestation de fin de formation", "Organisme A", e.de.Name, "FT0001", "Développeur web", "du 02/03/2026 au 30/06/2026",
		"Entrée en formation 02/03/2026", "Sortie de formation 27/03/2026 — Fin normale de la formation", "Heures prévues 140 h", "Heures réalisées 140 h (assiduité 100 %",
		"Certification obtenue", "Maquetter une application", "version 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}
}

func TestDueMissingRemindedOnceAndAccounting(t *testing.T) {
	e := newEnv(t)
	e.exit(t, calendar.NewDate(2026, 3, 27))
	e.clock.T = at(2026, 4, 11, 9) // due on 11 April: not late yet
	list, late, err := e.svc.Missing(ctx(), e.of)
	if err != nil || len(list) != 1 || late != 0 || list[0].Due != calendar.NewDate(2026, 4, 11) {
		t.Fatalf("missing: %+v %d %v", list, late, err)
	}
	if n, err := e.svc.Remind(ctx()); err != nil || n != 0 {
		t.Fatalf("reminded before the due date: %d %v", n, err)
	}
	e.clock.T = at(2026, 4, 12, 9)
	if _, late, _ = e.svc.Missing(ctx(), e.of); late != 1 {
		t.Fatalf("late %d", late)
	}
	if n, err := e.svc.Remind(ctx()); err != nil || n != 1 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	if n, _ := e.svc.Remind(ctx()); n != 0 {
		t.Fatalf("reminded twice: %d", n)
	}
	// Accounting: what is missing, then ready once everything is there (a
	// validated quote is stood for by a row of the quotes table).
	ft := e.Users[kairos.RoleFTComptable].Actor()
	acc, err := e.svc.Accounting(ctx(), ft, 0, "")
	if err != nil || len(acc.Trainees) != 1 || acc.Trainees[0].Ready || strings.Join(acc.Trainees[0].Missing, " | ") != "Devis AIF validé | Attestation de présence de mars 2026 | Bilan de formation" {
		t.Fatalf("accounting: %+v %v", acc, err)
	}
	if _, err := e.svc.Accounting(ctx(), e.of, 0, ""); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("an OF reads the accounting view: %v", err)
	}
	if res, err := e.att.Attest(ctx(), e.of, calendar.NewMonth(2026, 3), []attestations.Item{{EnrolmentID: e.id}}); err != nil || !res[0].OK {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := e.svc.Do(ctx(), e.of, e.id, assessments.Step{Action: assessments.ActTransmettre, Content: good}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Acc.DB.Exec(ctx(), `INSERT INTO quotes (number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place, session_debut, session_fin,
		certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents, comment, reason, review, enrolment_id, version, created_at, updated_at)
		VALUES ('AIF-2026-0000001-00', ?, '76', 1, 's', 'f', 'a', 's', 'Développeur web', 'Toulouse', 0, 0, 1, ?, ?, 'valide', 0, 0, 0, 0, 0, 0, '', '', 0, ?, 1, ?, ?)`,
		e.OFA, e.de.ID, e.Agence, e.id, e.clock.T, e.clock.T); err != nil {
		t.Fatal(err)
	}
	acc, _ = e.svc.Accounting(ctx(), ft, 0, "oui")
	if len(acc.Trainees) != 1 || !acc.Trainees[0].Ready || acc.Trainees[0].QuoteNumber != "AIF-2026-0000001-00" || acc.OFs[0].Ready != 1 {
		t.Fatalf("ready: %+v", acc)
	}
	if list, _, _ := e.svc.Missing(ctx(), e.of); len(list) != 0 {
		t.Fatalf("still missing: %+v", list)
	}
}
