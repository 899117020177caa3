package enrolment_test

import (
	"strings"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/enrolment"
	"kairos/fixture"
)

// Issue 16, findings 5 and 9: punctuality is limited to the caller's region;
// a job seeker sees the names of the staff in his history, not their
// e-mail addresses; the proposal form names only a job seeker the OF may
// propose.
func TestPunctualityByRegionAndNoStaffEmails(t *testing.T) {
	e := newEnv(t, 1)
	m := must[*enrolment.Enrolment](t)
	de := e.de[0]
	x := m(e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 1}))
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "inscrire"}))
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "entrer", Date: today(e).AddDays(-1)}))

	if pun := must[[]enrolment.Punctuality](t)(e.svc.PunctualityByOF(ctx(), e.Users[kairos.RoleFTGestionnaire].Actor())); len(pun) != 1 {
		t.Fatalf("own region: %+v", pun)
	}
	ara, err := e.Acc.CreateOrganisation(fixture.Ctx(), account.Organisation{Kind: kairos.OrgFTService, Name: "DR ARA", Region: "84"})
	if err != nil {
		t.Fatal(err)
	}
	other := fixture.MustUser(t, e.Acc, ara, kairos.RoleFTGestionnaire, "gest@ara.example").Actor()
	if pun := must[[]enrolment.Punctuality](t)(e.svc.PunctualityByOF(ctx(), other)); len(pun) != 0 {
		t.Fatalf("another region sees %+v", pun)
	}

	mine := m(e.svc.Get(ctx(), de.Actor(), x.ID))
	path := must[*enrolment.Path](t)(e.svc.Mine(ctx(), de.Actor()))
	for _, mv := range append(mine.Movements, path.Enrolments[0].Movements...) {
		if strings.Contains(mv.ActorLabel, "@") {
			t.Fatalf("the job seeker sees %q", mv.ActorLabel)
		}
	}
	if staff := m(e.svc.Get(ctx(), e.of, x.ID)); !strings.Contains(staff.Movements[len(staff.Movements)-1].ActorLabel, "@") {
		t.Fatalf("the OF lost the full label: %q", staff.Movements[len(staff.Movements)-1].ActorLabel)
	}

	// The OF retained no one: no name; the counsellor of his agence: his name.
	if name, err := e.svc.ProposableName(ctx(), e.of, de.ID); err != nil || name != "" {
		t.Fatalf("OF: %q %v", name, err)
	}
	assid := fixture.MustUser(t, e.Acc, e.OFA, kairos.RoleOFUser, "assid@a.example", kairos.HabAssiduite).Actor()
	if name, _ := e.svc.ProposableName(ctx(), assid, de.ID); name != "" {
		t.Fatalf("assiduite-only user: %q", name)
	}
	if name, _ := e.svc.ProposableName(ctx(), e.cons, de.ID); name != de.Name {
		t.Fatalf("counsellor: %q", name)
	}
}
