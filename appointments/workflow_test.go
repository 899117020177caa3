package appointments_test

import (
	"testing"
	"time"

	"kairos"
	"kairos/appointments"
	"kairos/workflow/workflowtest"
)

// TestWorkflowMatrix runs every (state, action, role, habilitation) of both
// appointment tables through the shared helper, against rules written here.
func TestWorkflowMatrix(t *testing.T) {
	start := time.Date(2026, 6, 10, 7, 30, 0, 0, time.UTC)
	appt := &appointments.Appointment{StartsAt: start, EndsAt: start.Add(time.Hour), Status: appointments.ApptPlanned}
	of := []string{"of_admin", "of_user+rdv"}
	de := []string{"demandeur", "conseiller"}
	recorded := []string{appointments.StInscrit, appointments.StPresent, appointments.StExcuse, appointments.StAbsent}
	open := []string{appointments.StInscrit, appointments.StEnAttente}
	actors := workflowtest.Actors(kairos.HabRDV)

	participation := workflowtest.Spec[string, string]{
		"inscrire":    {From: []string{"", appointments.StDesinscrit}, By: de},
		"desinscrire": {From: open, By: de},
		"present":     {From: recorded, By: of},
		"excuse":      {From: recorded, By: of},
		"absent":      {From: recorded, By: of},
		"annule":      {From: open, By: of},
	}
	// Registrations are checked before the start, attendance after it: when
	// their guards hold.
	n := workflowtest.Matrix(t, appointments.ParticipationWorkflow, appointments.States, actors, participation,
		func(action, _ string) appointments.Cond {
			at := start.Add(time.Minute)
			if action == "inscrire" || action == "desinscrire" {
				at = start.Add(-time.Hour)
			}
			return appointments.Cond{Now: at, Appt: appt}
		})
	results := workflowtest.Spec[string, string]{}
	for _, r := range []string{"retenu", "non_retenu", "liste_attente", "desistement", "reoriente"} {
		results[r] = workflowtest.Rule[string]{From: appointments.Results, By: of}
	}
	n += workflowtest.Matrix(t, appointments.OutcomeWorkflow, appointments.Results, actors, results,
		func(string, string) appointments.Cond {
			return appointments.Cond{Now: start.Add(2 * time.Hour), Appt: appt, Status: appointments.StPresent, Motif: "Projet non validé"}
		})
	if want := len(appointments.States)*len(participation)*len(actors) + len(appointments.Results)*len(results)*len(actors); n != want {
		t.Fatalf("%d combinations, want %d", n, want)
	}
}

// TestWorkflowGuards checks each guard of the appointment tables and its message.
func TestWorkflowGuards(t *testing.T) {
	start := time.Date(2026, 6, 10, 7, 30, 0, 0, time.UTC)
	appt := &appointments.Appointment{StartsAt: start, EndsAt: start.Add(time.Hour), Status: appointments.ApptPlanned}
	cancelled := *appt
	cancelled.Status = appointments.ApptCancelled
	deadline := start.Add(-2 * time.Hour)
	late := *appt
	late.Deadline = &deadline
	de := &kairos.Actor{Role: kairos.RoleDemandeur, UserID: 5}
	of := &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: 1, UserID: 1}
	before, after := start.Add(-time.Hour), start.Add(time.Minute)
	type G = workflowtest.Guard[string, string, appointments.Cond]
	workflowtest.Guards(t, appointments.ParticipationWorkflow, []G{
		{Name: "registration on a cancelled appointment", Action: "inscrire", From: "", Actor: de, Cond: appointments.Cond{Now: before, Appt: &cancelled}, Code: kairos.EConflict, Message: "est annulé"},
		{Name: "registration after the start", Action: "inscrire", From: "", Actor: de, Cond: appointments.Cond{Now: after, Appt: appt}, Code: kairos.EConflict, Message: "les inscriptions sont closes"},
		{Name: "registration after the deadline", Action: "inscrire", From: "", Actor: de, Cond: appointments.Cond{Now: before, Appt: &late}, Code: kairos.EConflict, Message: "date limite d'inscription est dépassée"},
		{Name: "unregistration after the start", Action: "desinscrire", From: appointments.StInscrit, Actor: de, Cond: appointments.Cond{Now: after, Appt: appt}, Code: kairos.EConflict, Message: "la désinscription n'est plus possible"},
		{Name: "presence before the start", Action: "present", From: appointments.StInscrit, Actor: of, Cond: appointments.Cond{Now: before, Appt: appt}, Code: kairos.EConflict, Message: "qu'à partir du début"},
		{Name: "absence before the start", Action: "absent", From: appointments.StInscrit, Actor: of, Cond: appointments.Cond{Now: before, Appt: appt}, Code: kairos.EConflict, Message: "qu'à partir du début"},
		{Name: "excuse on a cancelled appointment", Action: "excuse", From: appointments.StInscrit, Actor: of, Cond: appointments.Cond{Now: after, Appt: &cancelled}, Code: kairos.EConflict, Message: "est annulé"},
		{Name: "state named in the refusal", Action: "present", From: appointments.StDesinscrit, Actor: of, Cond: appointments.Cond{Now: after, Appt: appt}, Code: kairos.EConflict, Message: "dans l'état « Désinscrit »"},
	})
	workflowtest.Guards(t, appointments.OutcomeWorkflow, []G{
		{Name: "result of an absent participant", Action: "retenu", From: "", Actor: of, Cond: appointments.Cond{Now: after, Appt: appt, Status: appointments.StAbsent}, Code: kairos.EConflict, Message: "participant présent"},
		{Name: "non retenu without motif", Action: "non_retenu", From: "", Actor: of, Cond: appointments.Cond{Now: after, Appt: appt, Status: appointments.StPresent}, Code: kairos.EInvalid, Message: "motif"},
		{Name: "non retenu with motif", Action: "non_retenu", From: "", Actor: of, Cond: appointments.Cond{Now: after, Appt: appt, Status: appointments.StPresent, Motif: "Projet non validé"}},
	})
}
