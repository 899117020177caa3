package appointments_test

import (
	"testing"
	"time"

	"kairos"
)

// Once an appointment has started it cannot be cancelled any more (issue 11):
// its participants may already be there.
func TestNoCancellationOnceStarted(t *testing.T) {
	e := newEnv(t, 0)
	appt, err := e.svc.Create(e.ctx(), e.rdv, input(5))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.T = appt.StartsAt.Add(time.Minute)
	_, err = e.svc.Cancel(e.ctx(), e.rdv, appt.ID, "Formateur absent")
	wantCode(t, err, kairos.EConflict)
}
