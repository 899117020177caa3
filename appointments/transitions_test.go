package appointments_test

import (
	"slices"
	"testing"
	"time"

	"kairos"
	"kairos/appointments"
)

// actors are one actor per role, plus an of_user without the rdv habilitation.
func actors() map[string]*kairos.Actor {
	out := map[string]*kairos.Actor{}
	for _, r := range kairos.Roles {
		a := &kairos.Actor{UserID: 1, OrgID: 1, Role: r}
		if r == kairos.RoleOFUser {
			a.Habilitations = kairos.HabSet{kairos.HabRDV}
		}
		out[string(r)] = a
	}
	out["of_user_sans_rdv"] = &kairos.Actor{UserID: 1, OrgID: 1, Role: kairos.RoleOFUser, Habilitations: kairos.HabSet{kairos.HabAssiduite}}
	return out
}

// TestParticipationTransitions checks Check on every (state, action, actor),
// before and after the start of the appointment, against the expected
// rules written here independently of the table.
func TestParticipationTransitions(t *testing.T) {
	start := time.Date(2026, 6, 10, 7, 30, 0, 0, time.UTC)
	appt := &appointments.Appointment{StartsAt: start, EndsAt: start.Add(time.Hour), Status: appointments.ApptPlanned}
	of := []string{"of_admin", "of_user"}
	de := []string{"demandeur", "conseiller"}
	recorded := []string{appointments.StInscrit, appointments.StPresent, appointments.StExcuse, appointments.StAbsent}
	type rule struct {
		from    []string
		who     []string
		before  bool // allowed before the start
		after   bool // allowed after the start
		outcome string
	}
	want := map[string]rule{
		"inscrire":    {[]string{"", appointments.StDesinscrit}, de, true, false, appointments.StInscrit},
		"desinscrire": {[]string{appointments.StInscrit, appointments.StEnAttente}, de, true, false, appointments.StDesinscrit},
		"present":     {recorded, of, false, true, appointments.StPresent},
		"excuse":      {recorded, of, true, true, appointments.StExcuse},
		"absent":      {recorded, of, false, true, appointments.StAbsent},
		"annule":      {[]string{appointments.StInscrit, appointments.StEnAttente}, of, true, true, appointments.StAnnule},
	}
	if len(want) != len(appointments.Participation) {
		t.Fatalf("the table has %d actions, the test knows %d", len(appointments.Participation), len(want))
	}
	n := 0
	for action, r := range want {
		for _, from := range appointments.States {
			for name, a := range actors() {
				for _, at := range []time.Time{start.Add(-time.Hour), start.Add(time.Minute)} {
					ok := slices.Contains(r.from, from) && slices.Contains(r.who, name) && ((at.Before(start) && r.before) || (!at.Before(start) && r.after))
					tr, err := appointments.Check(appointments.Participation, action, from, a, appointments.Cond{Now: at, Appt: appt})
					n++
					if ok != (err == nil) {
						t.Errorf("%s from %q by %s at %s: err %v, want allowed=%v", action, from, name, at.Format("15:04"), err, ok)
						continue
					}
					if ok && tr.To != r.outcome {
						t.Errorf("%s leads to %s, want %s", action, tr.To, r.outcome)
					}
					if !ok {
						code := kairos.ErrorCode(err)
						if code != kairos.EConflict && code != kairos.EForbidden {
							t.Errorf("%s from %q by %s: code %s", action, from, name, code)
						}
					}
				}
			}
		}
	}
	// Nothing is allowed on a cancelled appointment.
	cancelled := *appt
	cancelled.Status = appointments.ApptCancelled
	for _, from := range appointments.States {
		for _, a := range actors() {
			if got := appointments.Allowed(appointments.Participation, from, a, appointments.Cond{Now: start, Appt: &cancelled}); len(got) != 0 {
				t.Errorf("cancelled appointment allows %v from %q", got, from)
			}
		}
	}
	// Past the registration deadline, no registration.
	deadline := start.Add(-2 * time.Hour)
	late := *appt
	late.Deadline = &deadline
	if _, err := appointments.Check(appointments.Participation, "inscrire", "", actors()["demandeur"], appointments.Cond{Now: start.Add(-time.Hour), Appt: &late}); kairos.ErrorCode(err) != kairos.EConflict {
		t.Errorf("registration after the deadline: %v", err)
	}
	if _, err := appointments.Check(appointments.Participation, "nimporte", "", actors()["of_admin"], appointments.Cond{Now: start, Appt: appt}); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Errorf("unknown action: %v", err)
	}
	t.Logf("%d cases", n)
}

// TestOutcomeTransitions checks every (result, action, actor, participation state).
func TestOutcomeTransitions(t *testing.T) {
	start := time.Date(2026, 6, 10, 7, 30, 0, 0, time.UTC)
	appt := &appointments.Appointment{StartsAt: start, EndsAt: start.Add(time.Hour), Status: appointments.ApptPlanned}
	actions := []string{"retenu", "non_retenu", "liste_attente", "desistement", "reoriente"}
	if len(actions) != len(appointments.Outcome) {
		t.Fatalf("the table has %d results, the test knows %d", len(appointments.Outcome), len(actions))
	}
	for _, action := range actions {
		for _, from := range appointments.Results {
			for name, a := range actors() {
				for _, status := range appointments.States {
					for _, motif := range []string{"", "Projet non validé"} {
						ok := (name == "of_admin" || name == "of_user") && status == appointments.StPresent && (action != "non_retenu" || motif != "")
						tr, err := appointments.Check(appointments.Outcome, action, from, a, appointments.Cond{Now: start.Add(2 * time.Hour), Appt: appt, Status: status, Motif: motif})
						if ok != (err == nil) {
							t.Errorf("%s from %q by %s (participant %q, motif %q): %v, want allowed=%v", action, from, name, status, motif, err, ok)
						}
						if ok && tr.To != action {
							t.Errorf("%s leads to %s", action, tr.To)
						}
					}
				}
			}
		}
	}
}
