package demo_test

import (
	"testing"

	"kairos"
	"kairos/adhesion"
	"kairos/appointments"
	"kairos/attestations"
	"kairos/catalogue"
	"kairos/demo"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/quotes"
)

// TestDemoQuotesInEveryState loads the demo at fixture.Now: whatever the
// day, Formapro Occitanie has a quote in every state.
func TestDemoQuotesInEveryState(t *testing.T) {
	now := fixture.Now(t)
	acc := fixture.MustAccounts(t)
	acc.DB.Clock = kairos.FixedClock(now)
	ctx := fixture.Ctx()
	if _, _, err := demo.Load(ctx, acc); err != nil {
		t.Fatal(err)
	}
	adh := adhesion.New(acc)
	cat := &catalogue.Service{DB: acc.DB, Trade: adh}
	if _, err := demo.LoadCatalogue(ctx, cat, now); err != nil {
		t.Fatal(err)
	}
	att := &attestations.Service{DB: acc.DB}
	path := &enrolment.Service{DB: acc.DB, Sessions: appointments.CatalogueSessions{Catalogue: cat, Accounts: acc}, Schedules: att}
	if err := demo.LoadEnrolments(ctx, acc, path, now); err != nil {
		t.Fatal(err)
	}
	svc := &quotes.Service{DB: acc.DB, Catalog: quotes.CatalogueSource{Catalogue: cat, Accounts: acc}, Trade: adh, Path: path}
	if err := demo.LoadQuotes(ctx, acc, svc, now); err != nil {
		t.Fatalf("quotes on %s: %v", now, err)
	}
	if err := demo.LoadQuotes(ctx, acc, svc, now); err != nil {
		t.Fatalf("second load: %v", err)
	}
	for _, st := range quotes.States {
		var n int
		if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM quotes WHERE state = ?", string(st)).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s: no quote %s (%v)", now, st, err)
		}
	}
}
