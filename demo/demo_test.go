package demo_test

import (
	"testing"

	"kairos"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/demo"
	"kairos/enrolment"
	"kairos/fixture"
)

// TestDemoIsAlwaysAlive loads the demo at fixture.Now (CI pins it on month
// ends, 1 January, 29 February, DST days…): whatever the day, it has a
// trainee in training, a late declaration, a previous month to attest, an
// attested and rectified month, and a trainee who left during a month.
func TestDemoIsAlwaysAlive(t *testing.T) {
	now := fixture.Now(t)
	acc := fixture.MustAccounts(t)
	acc.DB.Clock = kairos.FixedClock(now)
	ctx := fixture.Ctx()
	if _, _, err := demo.Load(ctx, acc); err != nil {
		t.Fatal(err)
	}
	cat := &catalogue.Service{DB: acc.DB}
	if _, err := demo.LoadCatalogue(ctx, cat, now); err != nil {
		t.Fatal(err)
	}
	att := &attestations.Service{DB: acc.DB}
	path := &enrolment.Service{DB: acc.DB, Sessions: appointments.CatalogueSessions{Catalogue: cat, Accounts: acc}, Schedules: att}
	if err := demo.LoadEnrolments(ctx, acc, path, now); err != nil {
		t.Fatalf("enrolments on %s: %v", now, err)
	}
	if err := demo.LoadAttestations(ctx, acc, att, now); err != nil {
		t.Fatalf("attestations on %s: %v", now, err)
	}
	bilans := &assessments.Service{DB: acc.DB}
	if err := demo.LoadAssessments(ctx, acc, bilans); err != nil {
		t.Fatalf("assessments on %s: %v", now, err)
	}
	of, err := acc.UserByEmail(ctx, demo.Accounts[1].Email)
	if err != nil {
		t.Fatal(err)
	}
	count := func(what, q string, args ...any) int {
		t.Helper()
		var n int
		if err := acc.DB.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return n
	}
	today := calendar.DateOf(now)
	prev := calendar.MonthOf(today).AddMonths(-1)
	if n := count("in training", "SELECT COUNT(*) FROM enrolments WHERE state = 'entree' AND org_id = ?", of.OrgID); n == 0 {
		t.Errorf("%s: nobody in training", today)
	}
	d, err := path.Dashboard(ctx, of.Actor(), 0)
	if err != nil {
		t.Fatal(err)
	}
	late := 0
	for _, x := range d.DueList {
		if x.Late {
			late++
		}
	}
	if late == 0 {
		t.Errorf("%s: no late declaration on the dashboard", today)
	}
	if n, err := att.ToDo(ctx, of.Actor(), prev); err != nil || n < 2 {
		t.Errorf("%s: %d attestations to do for %s (%v)", today, n, prev, err)
	}
	if n := count("rectified", "SELECT COUNT(*) FROM attestations WHERE kind = 'rectificative' AND org_id = ?", of.OrgID); n == 0 {
		t.Errorf("%s: no rectified month", today)
	}
	if n := count("left", "SELECT COUNT(*) FROM enrolments WHERE state = 'sortie' AND exit_on >= ? AND exit_on < ?", int64(prev.First()), int64(prev.Last())); n == 0 {
		t.Errorf("%s: nobody left during %s", today, prev)
	}
	if list, _, err := bilans.Missing(ctx, of.Actor()); err != nil || len(list) == 0 {
		t.Errorf("%s: no assessment to write (%v)", today, err)
	}
	if n := count("transmitted", "SELECT COUNT(*) FROM assessments WHERE state = 'transmis' AND org_id = ?", of.OrgID); n != 1 {
		t.Errorf("%s: %d assessments transmitted", today, n)
	}
	if n := count("absences", "SELECT COUNT(*) FROM enrolment_absences a JOIN enrolments e ON e.id = a.enrolment_id WHERE a.from_on >= ? AND a.from_on <= ?", int64(prev.First()), int64(prev.Last())); n == 0 {
		t.Errorf("%s: no absence in %s", today, prev)
	}
}
