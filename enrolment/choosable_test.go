package enrolment_test

import (
	"strings"
	"testing"

	"kairos"
	"kairos/appointments"
	"kairos/enrolment"
)

// A session the catalogue says cannot be chosen (recruitment closed,
// withdrawn, ended, OF without adhesion) is refused with its reason.
func TestProposeRefusesSessionNotChoosable(t *testing.T) {
	e := newEnv(t, 1)
	svc := *e.svc
	svc.Sessions = appointments.StaticSessions{
		7: {ID: 7, Intitule: "Session fermée", OrgID: e.OFA, Debut: day(10), Fin: day(60), NotChoosable: "Recrutement fermé."},
	}
	_, err := svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: e.de[0].ID, SessionID: 7})
	wantCode(t, err, kairos.EInvalid)
	if msg := kairos.FieldErrors(err)["session_id"]; !strings.Contains(msg, "Recrutement fermé.") {
		t.Fatalf("reason not given: %q", msg)
	}
}
