package appointments_test

import (
	"testing"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/catalogue"
	"kairos/demo"
	"kairos/fixture"
)

// TestCatalogueSessions checks the seam between appointments and the
// catalogue on the demo offer: an OF links its own current sessions.
func TestCatalogueSessions(t *testing.T) {
	acc := fixture.MustAccounts(t)
	ctx := fixture.Ctx()
	formapro, err := acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgOF, Name: "Formapro Occitanie", SIRET: "44306184100047"})
	if err != nil {
		t.Fatal(err)
	}
	other := fixture.MustOrg(t, acc, kairos.OrgOF, "Sans offre")
	cat := &catalogue.Service{DB: acc.DB}
	today := fixture.Now(t)
	if _, err := demo.LoadCatalogue(ctx, cat, today); err != nil {
		t.Fatal(err)
	}
	cs := appointments.CatalogueSessions{Catalogue: cat, Accounts: acc, Clock: kairos.FixedClock(today)}
	refs, err := cs.ForOrg(ctx, formapro)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 {
		t.Fatal("Formapro has no current session to link")
	}
	for _, r := range refs {
		if r.OrgID != formapro || r.Intitule == "" || r.Fin.Before(today.AddDate(0, 0, -1)) {
			t.Errorf("session %+v", r)
		}
	}
	got, err := cs.Session(ctx, refs[0].ID)
	if err != nil || got.OrgID != formapro || got.Intitule != refs[0].Intitule {
		t.Fatalf("Session(%d) = %+v, %v", refs[0].ID, got, err)
	}
	if refs, err := cs.ForOrg(ctx, other); err != nil || len(refs) != 0 {
		t.Fatalf("an OF without SIRET lists %v (%v)", refs, err)
	}
	var foreign int64
	if err := acc.DB.QueryRow(ctx, "SELECT id FROM catalogue_sessions WHERE siret <> ? ORDER BY id LIMIT 1", "44306184100047").Scan(&foreign); err != nil {
		t.Fatal(err)
	}
	if got, err := cs.Session(ctx, foreign); err != nil || got.OrgID != 0 {
		t.Fatalf("a session of an OF unknown to Kairos belongs to %d (%v)", got.OrgID, err)
	}
	if _, err := cs.Session(ctx, 999999); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("unknown session: %v", err)
	}
}
