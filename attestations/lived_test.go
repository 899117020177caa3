package attestations_test

import (
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

// parisAt is h:m on day d in Paris.
func parisAt(d calendar.Date, h, m int) time.Time {
	return d.Midnight().Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute).UTC()
}

func TestMonthAttestedOnlyOnceLived(t *testing.T) {
	e := newEnv(t, 2)
	// 30 March 2026, 18:00: March is not over.
	e.clock.T = parisAt(calendar.NewDate(2026, 3, 30), 18, 0)
	if got := e.svc.DefaultMonth(); got != calendar.NewMonth(2026, time.February) {
		t.Fatalf("default month on 30 March: %s", got)
	}
	res, err := e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0]}, {EnrolmentID: e.ids[1]}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.OK || r.Code != kairos.EInvalid || !strings.Contains(r.Fields["month"], "Le mois de mars 2026 n'est pas encore vécu : il pourra être attesté à partir du mardi 31/03/2026.") {
			t.Fatalf("attested before the month's end: %+v", r)
		}
	}
	if n, _ := e.svc.ToDo(ctx(), e.of, march); n != 0 {
		t.Fatalf("to do before the month's end: %d", n)
	}
	// A month still to come is refused whole.
	if _, err := e.svc.Attest(ctx(), e.of, calendar.NewMonth(2026, time.April), []attestations.Item{{EnrolmentID: e.ids[0]}}); kairos.ErrorCode(err) != kairos.EInvalid ||
		!strings.Contains(kairos.FieldErrors(err)["month"], "d'avril 2026 n'est pas encore vécu") {
		t.Fatalf("April on 30 March: %v", err)
	}
	// The pre-fill counts the days lived only: 2 to 30 March, 21 weekdays.
	list, err := e.svc.Month(ctx(), e.of, march, 0)
	if err != nil || list[0].Prefill.Planned != h(21*7) || list[0].Open || list[0].OpensOn != calendar.NewDate(2026, 3, 31) {
		t.Fatalf("30 March: %+v %v", list[0], err)
	}
	// 31 March, 00:30 in Paris (30 March 22:30 UTC): its last day has come.
	e.clock.T = parisAt(calendar.NewDate(2026, 3, 31), 0, 30)
	if got := e.svc.DefaultMonth(); got != march {
		t.Fatalf("default month on 31 March: %s", got)
	}
	if n, _ := e.svc.ToDo(ctx(), e.of, march); n != 2 {
		t.Fatalf("to do on 31 March: %d", n)
	}
	res, err = e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0]}})
	if err != nil || !res[0].OK || res[0].Attestation.Figures.Planned != h(154) {
		t.Fatalf("31 March: %+v %v", res, err)
	}
}

func TestLeavingOnTheTenth(t *testing.T) {
	e := newEnv(t, 2)
	admin := e.Users[kairos.RoleOFAdmin].Actor()
	e.clock.T = parisAt(calendar.NewDate(2026, 4, 10), 18, 0)
	if _, err := e.enr.Do(ctx(), admin, e.ids[0], enrolment.Action{Action: enrolment.ActSortir, Date: calendar.NewDate(2026, 4, 10), Reason: "reprise_emploi"}); err != nil {
		t.Fatal(err)
	}
	april := calendar.NewMonth(2026, time.April)
	res, _ := e.svc.Attest(ctx(), e.of, april, []attestations.Item{{EnrolmentID: e.ids[0]}})
	if res[0].OK || !strings.Contains(res[0].Fields["month"], "à partir du samedi 11/04/2026") {
		t.Fatalf("on the day of the exit: %+v", res[0])
	}
	e.clock.T = parisAt(calendar.NewDate(2026, 4, 11), 9, 0)
	if n, _ := e.svc.ToDo(ctx(), e.of, april); n != 1 {
		t.Fatalf("to do on 11 April: %d, want the trainee who left", n)
	}
	if m, n, _, _ := e.svc.Pending(ctx(), e.of); m != march || n != 2 {
		t.Fatalf("pending: %s %d (March first)", m, n)
	}
	res, err := e.svc.Attest(ctx(), e.of, april, []attestations.Item{{EnrolmentID: e.ids[0]}, {EnrolmentID: e.ids[1]}})
	if err != nil {
		t.Fatal(err)
	}
	// 1 to 10 April: Wednesday 1 to Friday 10 less Easter Monday (6): 7 days.
	if !res[0].OK || res[0].Attestation.Figures != (attendance.Figures{Planned: h(49), Attended: h(49)}) {
		t.Fatalf("the trainee who left: %+v", res[0])
	}
	if res[1].OK || !strings.Contains(res[1].Fields["month"], "à partir du jeudi 30/04/2026") {
		t.Fatalf("the trainee still in training: %+v", res[1])
	}
}

func TestAbsencesCount(t *testing.T) {
	e := newEnv(t, 1)
	before, err := e.svc.Month(ctx(), e.of, march, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A declared absence lowers the pre-fill by exactly its hours.
	ab, err := e.enr.AddAbsence(ctx(), e.of, e.ids[0], enrolment.AbsenceInput{From: calendar.NewDate(2026, 3, 12), Minutes: int(h(2.75))})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := e.svc.Month(ctx(), e.of, march, 0)
	if d := before[0].Prefill.Attended - after[0].Prefill.Attended; d != h(2.75) || after[0].Prefill.Unjustified != h(2.75) || after[0].Prefill.Planned != before[0].Prefill.Planned {
		t.Fatalf("before %+v, after %+v", before[0].Prefill, after[0].Prefill)
	}
	// 20 h on a 7 h day is refused, naming the day; so is more than what is left of it.
	_, err = e.enr.AddAbsence(ctx(), e.of, e.ids[0], enrolment.AbsenceInput{From: calendar.NewDate(2026, 3, 13), Minutes: int(h(20))})
	if msg := kairos.FieldErrors(err)["hours"]; msg != "Le vendredi 13/03/2026 ne compte que 7 h de formation prévues : l'absence ne peut pas dépasser 7 h." {
		t.Fatalf("20 h on a 7 h day: %v %q", err, msg)
	}
	_, err = e.enr.AddAbsence(ctx(), e.of, e.ids[0], enrolment.AbsenceInput{From: calendar.NewDate(2026, 3, 12), Minutes: int(h(4.5))})
	if msg := kairos.FieldErrors(err)["hours"]; !strings.Contains(msg, "dont 2,75 h déjà déclarées en absence : au plus 4,25 h de plus") {
		t.Fatalf("more than what is left: %q", msg)
	}
	_, err = e.enr.AddAbsence(ctx(), e.of, e.ids[0], enrolment.AbsenceInput{From: calendar.NewDate(2026, 3, 1), Minutes: 60})
	if msg := kairos.FieldErrors(err)["from"]; !strings.Contains(msg, "avant l'entrée en formation") {
		t.Fatalf("before the entry: %q", msg)
	}
	// Attested, then the absence is corrected: the attestation is « à rectifier ».
	res, err := e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0]}})
	if err != nil || !res[0].OK || res[0].Attestation.Figures.Unjustified != h(2.75) {
		t.Fatalf("attest: %+v %v", res, err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.enr.CorrectAbsence(ctx(), e.of, ab.ID, enrolment.AbsenceInput{From: ab.From, Minutes: int(h(3)), Justified: true}, ""); kairos.FieldErrors(err)["comment"] == "" {
		t.Fatalf("a correction without its reason: %v", err)
	}
	if _, err := e.enr.CorrectAbsence(ctx(), e.OFBAdmin.Actor(), ab.ID, enrolment.AbsenceInput{From: ab.From, Minutes: int(h(3)), Justified: true}, "x"); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("another OF corrects: %v", err)
	}
	if _, err := e.enr.CorrectAbsence(ctx(), e.of, ab.ID, enrolment.AbsenceInput{From: ab.From, Minutes: int(h(3)), Justified: true}, "Certificat médical reçu"); err != nil {
		t.Fatal(err)
	}
	x, err := e.svc.Get(ctx(), e.of, e.ids[0], march)
	if err != nil || !x.ToRectify || x.Prefill.Justified != h(3) || x.Prefill.Unjustified != 0 || !strings.Contains(x.ToRectifyWhy, "après l'attestation") {
		t.Fatalf("after the correction: %+v %v", x, err)
	}
	var sum attendance.Minutes
	for _, d := range x.Days {
		sum += d.Attended
	}
	if sum != x.Prefill.Attended {
		t.Fatalf("the days add up to %s, the pre-fill says %s", sum, x.Prefill.Attended)
	}
	e.clock.Advance(time.Hour)
	x, err = e.svc.Rectify(ctx(), e.of, march, e.ids[0], x.Prefill, "Absence justifiée par certificat")
	if err != nil || x.ToRectify {
		t.Fatalf("rectified: %+v %v", x, err)
	}
	// Withdrawn: it counts for nothing, its history stays.
	e.clock.Advance(time.Hour)
	if err := e.enr.WithdrawAbsence(ctx(), e.of, ab.ID, "Déclarée sur le mauvais stagiaire"); err != nil {
		t.Fatal(err)
	}
	if err := e.enr.WithdrawAbsence(ctx(), e.of, ab.ID, "deux fois"); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("withdrawn twice: %v", err)
	}
	x, _ = e.svc.Get(ctx(), e.of, e.ids[0], march)
	if !x.ToRectify || x.Prefill.Justified != 0 || x.Prefill.Attended != x.Prefill.Planned {
		t.Fatalf("after the withdrawal: %+v", x)
	}
	en, err := e.enr.Get(ctx(), e.of, e.ids[0])
	if err != nil || len(en.Absences) != 1 || en.Absences[0].WithdrawnAt == nil || len(en.Absences[0].Changes) != 3 || en.Absences[0].Changes[1].Comment != "Certificat médical reçu" {
		t.Fatalf("history: %+v %v", en.Absences, err)
	}
}

func TestMismatchedTotalsAreRefusedWithTheGap(t *testing.T) {
	e := newEnv(t, 1)
	res, err := e.svc.Attest(ctx(), e.of, march, []attestations.Item{{EnrolmentID: e.ids[0], Figures: &attendance.Figures{Planned: h(154), Attended: h(150)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].OK || res[0].Fields[attendance.FieldAttended] != "Les heures réalisées et les absences (150 h au total) doivent faire les heures prévues (154 h) : il manque 4 h." {
		t.Fatalf("%+v", res[0])
	}
}

func TestOneDayInterruption(t *testing.T) {
	e := newEnv(t, 2)
	admin := e.Users[kairos.RoleOFAdmin].Actor()
	// Trainee 0: interrupted on Thursday 12 March, back on Friday 13.
	// Trainee 1: interrupted and back on Tuesday 17 March (the same day).
	for _, c := range []struct {
		id       int64
		from, to calendar.Date
	}{{e.ids[0], calendar.NewDate(2026, 3, 12), calendar.NewDate(2026, 3, 13)}, {e.ids[1], calendar.NewDate(2026, 3, 17), calendar.NewDate(2026, 3, 17)}} {
		e.clock.T = parisAt(c.from, 17, 0)
		if _, err := e.enr.Do(ctx(), admin, c.id, enrolment.Action{Action: enrolment.ActInterrompre, Date: c.from, Reason: "maladie"}); err != nil {
			t.Fatal(err)
		}
		e.clock.T = parisAt(c.to, 18, 0)
		x, err := e.enr.Do(ctx(), admin, c.id, enrolment.Action{Action: enrolment.ActReprendre, Date: c.to})
		if err != nil || x.State != enrolment.StEntree {
			t.Fatalf("resumption on %s: %v", c.to, err)
		}
	}
	e.clock.T = tnow
	list, err := e.svc.Month(ctx(), e.of, march, 0)
	if err != nil {
		t.Fatal(err)
	}
	if list[0].Prefill.Planned != h(154-7) || list[1].Prefill.Planned != h(84) {
		t.Fatalf("one-day interruption %+v, same-day %+v", list[0].Prefill, list[1].Prefill)
	}
	// An absence during the interruption is refused, naming the day.
	_, err = e.enr.AddAbsence(ctx(), e.of, e.ids[0], enrolment.AbsenceInput{From: calendar.NewDate(2026, 3, 12), Minutes: 60})
	if msg := kairos.FieldErrors(err)["from"]; !strings.Contains(msg, "Le jeudi 12/03/2026, la formation est interrompue") {
		t.Fatalf("absence during the interruption: %q", msg)
	}
}

// TestTodaysMonths runs at fixture.Now (CI pins it on month ends, 1
// January, 29 February, DST days…): whatever the day, the latest month that
// can be attested can be, the current one only on its last day, and no day
// to come is pre-filled.
func TestTodaysMonths(t *testing.T) {
	now := fixture.Now(t)
	today := calendar.DateOf(now)
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: now}
	start := calendar.MonthOf(today).AddMonths(-2).First()
	enr := &enrolment.Service{DB: acc.DB, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Session de l'année", OrgID: w.OFA, Debut: start.Midnight(), Fin: today.AddDays(90).Midnight()},
	}}
	svc := &attestations.Service{DB: acc.DB, Clock: clock.Now}
	u, err := acc.CreateUser(ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: "de@a.example", Name: "Demandeur"})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&appointments.Service{DB: acc.DB}).SetDemandeur(ctx(), u.ID, "FT000001", w.Agence, w.Users[kairos.RoleConseiller].ID); err != nil {
		t.Fatal(err)
	}
	admin, of := w.Users[kairos.RoleOFAdmin].Actor(), w.Users[kairos.RoleOFUser].Actor()
	x, err := enr.Propose(ctx(), w.Users[kairos.RoleConseiller].Actor(), enrolment.Proposal{DemandeurID: u.ID, SessionID: 1})
	if err != nil {
		t.Fatal(err)
	}
	clock.T = parisAt(start, 9, 0)
	if _, err := enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire}); err != nil {
		t.Fatal(err)
	}
	if _, err := enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: start}); err != nil {
		t.Fatal(err)
	}
	clock.T = now
	cur := calendar.MonthOf(today)
	latest := svc.DefaultMonth()
	lastDay := today == cur.Last()
	if (lastDay && latest != cur) || (!lastDay && latest != cur.AddMonths(-1)) {
		t.Fatalf("today %s: latest month %s", today, latest)
	}
	list, err := svc.Month(ctx(), of, cur, 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	var future attendance.Minutes
	for d := today.AddDays(1); d <= cur.Last(); d = d.AddDays(1) {
		future += attendance.DefaultSchedule().On(d)
	}
	var all attendance.Minutes
	for d := cur.First(); d <= cur.Last(); d = d.AddDays(1) {
		all += attendance.DefaultSchedule().On(d)
	}
	if list[0].Prefill.Planned != all-future {
		t.Fatalf("today %s: %s pre-filled, %s planned in the month of which %s to come", today, list[0].Prefill.Planned, all, future)
	}
	res, err := svc.Attest(ctx(), of, cur, []attestations.Item{{EnrolmentID: x.ID}})
	if err != nil || res[0].OK != lastDay {
		t.Fatalf("today %s: attesting the current month: %+v %v", today, res, err)
	}
	if !lastDay {
		res, err = svc.Attest(ctx(), of, latest, []attestations.Item{{EnrolmentID: x.ID}})
		if err != nil || !res[0].OK {
			t.Fatalf("today %s: attesting %s: %+v %v", today, latest, res, err)
		}
	}
	if _, err := svc.Attest(ctx(), of, cur.AddMonths(1), []attestations.Item{{EnrolmentID: x.ID}}); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("next month: %v", err)
	}
}
