package adhesion_test

import (
	"strings"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/fixture"
)

// Issue 16, finding 1: an adhesion filed by a stranger with the SIRET of an
// OF already on Kairos (its adhesion not active) is shown to France Travail
// as such, and its validation gives the stranger no access.
func TestAdhesionForExistingOFGivesNoAccess(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	in := application(11)
	orgID, err := e.Acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgOF, Name: "Organisme installé", SIRET: in.SIRET, Region: "76"})
	if err != nil {
		t.Fatal(err)
	}
	owner := fixture.MustUser(t, e.Acc, orgID, kairos.RoleOFAdmin, "vraie.rgc@installe.example")
	in.RGCEmail = "attaquant@evil.example"
	a, _, err := e.svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if a.Existing != nil {
		t.Fatal("the anonymous submitter learns about the existing organisation")
	}
	ft := actorOf(e, kairos.RoleFTGestionnaire)
	fctx := kairos.WithActor(ctx, ft)
	seen, err := e.svc.Get(fctx, ft, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Existing == nil || seen.Existing.ID != orgID || !seen.Existing.Takeover() || len(seen.Existing.Admins) != 1 || seen.Existing.Admins[0] != owner.Email {
		t.Fatalf("FT is not warned: %+v", seen.Existing)
	}
	if _, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Instruire, ""); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Valider, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.OrgID != orgID {
		t.Fatalf("convention of org %d, want %d", v.OrgID, orgID)
	}
	if u, err := e.Acc.UserByEmail(ctx, "attaquant@evil.example"); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("the stranger got an account: %+v %v", u, err)
	}
	warned := false
	for _, m := range mails(t, e, owner.Email) {
		warned = warned || strings.Contains(m.Body, "attaquant@evil.example")
	}
	if !warned {
		t.Fatal("the existing account manager is not told")
	}
	for _, m := range mails(t, e, "attaquant@evil.example") {
		if strings.Contains(m.Body, "/mot-de-passe/nouveau?token=") {
			t.Fatalf("activation link sent to the stranger: %s", m.Body)
		}
	}
	// The existing account manager decides: he may invite the new person.
	if _, err := e.Acc.Invite(ctx, owner.Actor(), "attaquant@evil.example", "Nouvelle personne", nil); err != nil {
		t.Fatal(err)
	}
}
