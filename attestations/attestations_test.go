package attestations_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
)

// 3 April 2026, 10:00 in Paris: March 2026 is due on 5 April.
var tnow = time.Date(2026, 4, 3, 8, 0, 0, 0, time.UTC)

var march = calendar.NewMonth(2026, time.March)

type env struct {
	*fixture.World
	clock *fixture.Clock
	enr   *enrolment.Service
	svc   *attestations.Service
	of    *kairos.Actor // OF A, habilitation assiduite
	ids   []int64       // enrolments of session 1
}

func ctx() context.Context { return fixture.Ctx() }

// newEnv enrols n job seekers on session 1 of OF A (2 March – 30 June 2026);
// the first enters on 2 March, the second on 16 March, the others are only
// enrolled.
func newEnv(t testing.TB, n int) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	e := &env{World: w, clock: &fixture.Clock{T: tnow}}
	e.enr = &enrolment.Service{DB: acc.DB, Clock: e.clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Fin: time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)},
	}}
	e.svc = &attestations.Service{DB: acc.DB, Clock: e.clock.Now}
	e.of = w.Users[kairos.RoleOFUser].Actor()
	cons := w.Users[kairos.RoleConseiller].Actor()
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	appts := &appointments.Service{DB: acc.DB}
	for i := 0; i < n; i++ {
		u, err := acc.CreateUser(ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%02d@a.example", i), Name: fmt.Sprintf("Demandeur %02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.SetDemandeur(ctx(), u.ID, fmt.Sprintf("FT%06d", i), w.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		x, err := e.enr.Propose(ctx(), cons, enrolment.Proposal{DemandeurID: u.ID, SessionID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire}); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			on := calendar.NewDate(2026, 3, 2+14*i)
			if _, err := e.enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: on}); err != nil {
				t.Fatal(err)
			}
		}
		e.ids = append(e.ids, x.ID)
	}
	return e
}

func h(x float64) attendance.Minutes { return attendance.Minutes(x * 60) }

func TestPrefillAttestRectify(t *testing.T) {
	e := newEnv(t, 3)
	if _, err := e.enr.AddAbsence(ctx(), e.of, e.ids[0], enrolment.AbsenceInput{From: calendar.NewDate(2026, 3, 10), Minutes: 210, Justified: true, Reason: "Rendez-vous médical"}); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.Month(ctx(), e.of, march, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d attestations, want 2 (the third trainee has not entered)", len(list))
	}
	// 22 weekdays of 7 h; 12 from 16 March.
	want0 := attendance.Figures{Planned: h(154), Attended: h(150.5), Justified: h(3.5)}
	want1 := attendance.Figures{Planned: h(84), Attended: h(84)}
	if list[0].Prefill != want0 || list[1].Prefill != want1 || list[0].State != attestations.StASaisir {
		t.Fatalf("%+v %+v", list[0].Prefill, list[1].Prefill)
	}
	if n, _ := e.svc.ToDo(ctx(), e.of, march); n != 2 {
		t.Fatalf("to do %d", n)
	}
	// A month not started yet cannot be attested; another OF's user cannot attest.
	if _, err := e.svc.Attest(ctx(), e.of, calendar.NewMonth(2026, time.May), []attestations.Item{{EnrolmentID: e.ids[0]}}); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatal(err)
	}
	if res, err := e.svc.Attest(ctx(), e.OFBAdmin.Actor(), march, []attestations.Item{{EnrolmentID: e.ids[0]}}); err != nil || res[0].Code != kairos.ENotFound {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := e.svc.Attest(ctx(), e.Users[kairos.RoleConseiller].Actor(), march, nil); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatal(err)
	}
	// Bulk: one corrected, one invalid, one unknown.
	fixed := want0
	fixed.Attended, fixed.Unjustified = h(150), h(0.5)
	bad := want1
	bad.Attended = h(90)
	res, err := e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0], Figures: &fixed}, {EnrolmentID: e.ids[1], Figures: &bad}, {EnrolmentID: e.ids[2]}})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].OK || res[1].OK || res[1].Code != kairos.EInvalid || res[1].Fields[attendance.FieldAttended] == "" || res[2].Code != kairos.ENotFound {
		t.Fatalf("%+v", res)
	}
	x := res[0].Attestation
	if x.State != attestations.StTransmise || x.Current.Version != 1 || x.Current.TransmittedAt == nil || x.Figures != fixed || x.Current.AttestedBy == "" {
		t.Fatalf("%+v %+v", x, x.Current)
	}
	// Attesting twice is refused.
	res, _ = e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0]}})
	if res[0].Code != kairos.EConflict {
		t.Fatalf("%+v", res[0])
	}
	// Another OF sees nothing.
	if _, err := e.svc.Rectify(ctx(), e.OFBAdmin.Actor(), march, e.ids[0], want0, "x"); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatal(err)
	}
	// Rectificative: reason needed, earlier version kept.
	if _, err := e.svc.Rectify(ctx(), e.of, march, e.ids[0], want0, " "); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatal(err)
	}
	if _, err := e.svc.Rectify(ctx(), e.of, march, e.ids[1], want1, "x"); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatal(err)
	}
	x, err = e.svc.Rectify(ctx(), e.of, march, e.ids[0], want0, "Absence justifiée de 3,5 h, pas d'absence injustifiée")
	if err != nil {
		t.Fatal(err)
	}
	if x.Current.Version != 2 || x.Current.Kind != attestations.KindRectificative || len(x.History) != 2 || x.History[0].Figures != fixed || x.History[1].Figures != want0 || x.Figures != want0 {
		t.Fatalf("%+v", x)
	}
	g, err := e.svc.Get(ctx(), e.Users[kairos.RoleFTComptable].Actor(), e.ids[0], march)
	if err != nil || len(g.History) != 2 {
		t.Fatalf("%+v %v", g, err)
	}
	// France Travail: one received, one missing; the export has the current version.
	ft := e.Users[kairos.RoleFTComptable].Actor()
	o, err := e.svc.Overview(ctx(), ft, march, "")
	if err != nil || len(o.Agences) != 1 || o.Total.Expected != 2 || o.Total.Received != 1 || o.Total.Missing != 1 || o.Total.Late != 0 {
		t.Fatalf("%+v %v", o, err)
	}
	var buf strings.Builder
	if err := e.svc.Export(ctx(), ft, march, &buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\r\n")
	if !strings.HasPrefix(lines[0], "\uFEFFMois;Identifiant France Travail;Stagiaire;") || len(lines) != 2 ||
		!strings.Contains(lines[1], ";154;150,5;3,5;0;2;rectificative;Absence justifiée") {
		t.Fatalf("%q", lines)
	}
	if err := e.svc.Export(ctx(), e.of, march, &buf); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatal(err)
	}
	// A regional service sees its region only; a national one sees them all.
	other := fixture.MustOrg(t, e.Acc, kairos.OrgFTService, "Direction régionale Auvergne-Rhône-Alpes")
	if _, err := e.Acc.DB.Exec(ctx(), "UPDATE organisations SET region = '84' WHERE id = ?", other); err != nil {
		t.Fatal(err)
	}
	ara := fixture.MustUser(t, e.Acc, other, kairos.RoleFTComptable, "comptable@ara.example").Actor()
	if o, err := e.svc.Overview(ctx(), ara, march, "76"); err != nil || len(o.Agences) != 0 || o.Total.Expected != 0 {
		t.Fatalf("another region's service sees %+v (%v)", o, err)
	}
	buf.Reset()
	if err := e.svc.Export(ctx(), ara, march, &buf); err != nil || len(strings.Split(strings.TrimSpace(buf.String()), "\r\n")) != 1 {
		t.Fatalf("another region's export: %q (%v)", buf.String(), err)
	}
	national := fixture.MustOrg(t, e.Acc, kairos.OrgFTService, "Direction générale")
	if _, err := e.Acc.DB.Exec(ctx(), "UPDATE organisations SET region = '' WHERE id = ?", national); err != nil {
		t.Fatal(err)
	}
	dg := fixture.MustUser(t, e.Acc, national, kairos.RoleFTComptable, "comptable@dg.example").Actor()
	if o, err := e.svc.Overview(ctx(), dg, march, ""); err != nil || o.Total.Expected != 2 {
		t.Fatalf("the national service sees %+v (%v)", o, err)
	}
	// The session attested after the due date is late.
	e.clock.T = time.Date(2026, 4, 7, 8, 0, 0, 0, time.UTC)
	list, _ = e.svc.Month(ctx(), e.of, march, 1)
	if !list[1].Overdue || list[0].Overdue {
		t.Fatalf("%+v %+v", list[0], list[1])
	}
	res, _ = e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[1]}})
	if !res[0].OK || !res[0].Attestation.Current.Late {
		t.Fatalf("%+v", res[0])
	}
	if o, _ := e.svc.Overview(ctx(), ft, march, ""); o.Total.Received != 2 || o.Total.Late != 1 || o.Total.Missing != 0 {
		t.Fatalf("%+v", o.Total)
	}
}

func TestInterruptionAndExit(t *testing.T) {
	e := newEnv(t, 1)
	admin := e.Users[kairos.RoleOFAdmin].Actor()
	e.clock.T = time.Date(2026, 5, 20, 8, 0, 0, 0, time.UTC)
	// Interrupted 13–17 April (resumed Monday 20), exits on 30 April.
	for _, a := range []enrolment.Action{
		{Action: enrolment.ActInterrompre, Date: calendar.NewDate(2026, 4, 13), Reason: "maladie"},
		{Action: enrolment.ActReprendre, Date: calendar.NewDate(2026, 4, 20)},
		{Action: enrolment.ActSortir, Date: calendar.NewDate(2026, 4, 30), Reason: "fin_normale"},
	} {
		if _, err := e.enr.Do(ctx(), admin, e.ids[0], a); err != nil {
			t.Fatalf("%s: %v", a.Action, err)
		}
	}
	list, err := e.svc.Month(ctx(), e.of, calendar.NewMonth(2026, time.April), 0)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	// April 2026: 22 weekdays, Easter Monday (6) off, 13–17 interrupted: 16 days.
	if list[0].Prefill.Planned != h(16*7) {
		t.Fatalf("%+v", list[0].Prefill)
	}
	if list, _ := e.svc.Month(ctx(), e.of, calendar.NewMonth(2026, time.May), 0); len(list) != 0 {
		t.Fatalf("May: %d", len(list))
	}
}

func TestRemindersSentOnce(t *testing.T) {
	e := newEnv(t, 2)
	count := func() int {
		var n int
		if err := e.DB().QueryRow(ctx(), "SELECT COUNT(*) FROM mails WHERE subject LIKE '%ttestations de présence de mars 2026%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	remind := func(at time.Time) int {
		t.Helper()
		e.clock.T = at
		n, err := e.svc.Remind(ctx())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := remind(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)); n != 0 || count() != 0 {
		t.Fatalf("too early: %d", n)
	}
	// From 3 April (due 5 April): once, to the assiduite user and the admin.
	if n := remind(tnow); n != 1 {
		t.Fatalf("before: %d", n)
	}
	sent := count()
	if sent != 2 || remind(tnow.Add(time.Hour)) != 0 || count() != sent {
		t.Fatalf("before, sent %d then %d", sent, count())
	}
	// After the due date: once more.
	if n := remind(time.Date(2026, 4, 6, 8, 0, 0, 0, time.UTC)); n != 1 || remind(time.Date(2026, 4, 7, 8, 0, 0, 0, time.UTC)) != 0 {
		t.Fatalf("after: %d", n)
	}
	// Nothing to do, nothing sent.
	e.clock.T = tnow
	if _, err := e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0]}, {EnrolmentID: e.ids[1]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB().Exec(ctx(), "DELETE FROM attestation_reminders"); err != nil {
		t.Fatal(err)
	}
	if n := remind(time.Date(2026, 4, 8, 8, 0, 0, 0, time.UTC)); n != 0 {
		t.Fatalf("all attested: %d", n)
	}
}

func TestSessionSchedule(t *testing.T) {
	e := newEnv(t, 1)
	// 28 h a week over Monday–Friday (5,75 h Monday–Wednesday, 5,25 h
	// Thursday and Friday) and Friday 13 March off.
	sc := attestations.Schedule{SessionID: 1, Week: h(28), DaysOff: []calendar.Date{calendar.NewDate(2026, 3, 13)}}
	if err := e.svc.SetSchedule(ctx(), e.OFBAdmin.Actor(), sc); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatal(err)
	}
	if err := e.svc.SetSchedule(ctx(), e.of, attestations.Schedule{SessionID: 1, Week: 7}); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatal(err)
	}
	if err := e.svc.SetSchedule(ctx(), e.of, sc); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.ScheduleOf(ctx(), e.of, 1)
	if err != nil || got.Week != h(28) || len(got.DaysOff) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	list, err := e.svc.Month(ctx(), e.of, march, 0)
	if err != nil {
		t.Fatal(err)
	}
	week := attendance.Spread(h(28), time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	var want attendance.Minutes
	for d := range march.Days().Days() {
		if d != calendar.NewDate(2026, 3, 13) {
			want += week[d.Weekday()]
		}
	}
	if list[0].Prefill.Planned != want {
		t.Fatalf("planned %s, want %s", list[0].Prefill.Planned, want)
	}
}
