package enrolment_test

import (
	"testing"

	"kairos"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/workflow/workflowtest"
)

// TestWorkflowMatrix runs every (state, action, role, habilitation) of the
// enrolment table through the shared helper, against the rules written by
// hand in transitions_test.go (expected).
func TestWorkflowMatrix(t *testing.T) {
	spec := workflowtest.Spec[string, string]{}
	for action, exp := range expected {
		spec[action] = workflowtest.Rule[string]{From: exp.from, By: exp.roles}
	}
	actors := workflowtest.Actors(kairos.HabCandidatures)
	n := workflowtest.Matrix(t, enrolment.Workflow, enrolment.States, actors, spec, func(action, _ string) enrolment.Cond {
		c := okCond()
		switch action {
		case "interrompre":
			c.Reason = "maladie"
		case "sortir":
			c.Reason = "fin_normale"
		}
		return c
	})
	if n != len(enrolment.States)*len(expected)*len(actors) {
		t.Fatalf("%d combinations", n)
	}
}

// TestWorkflowGuardMessages checks the French reason of each guard.
func TestWorkflowGuardMessages(t *testing.T) {
	of := roleCases[0].actor
	today := calendar.DateOf(tnow)
	with := func(mod func(*enrolment.Cond)) enrolment.Cond { c := okCond(); mod(&c); return c }
	type G = workflowtest.Guard[string, string, enrolment.Cond]
	workflowtest.Guards(t, enrolment.Workflow, []G{
		{Name: "proposal on an ended session", Action: "proposer", From: "", Actor: of, Cond: with(func(c *enrolment.Cond) { c.E.SessionFin = today.AddDays(-1) }), Code: kairos.EConflict, Message: "La session est terminée"},
		{Name: "inscription overlapping", Action: "inscrire", From: "proposee", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Overlaps = []int{9} }), Code: kairos.EConflict, Message: "se chevauchent"},
		{Name: "refusal without comment", Action: "refuser", From: "proposee", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Comment = " " }), Code: kairos.EInvalid, Field: "comment", Message: "Indiquez un commentaire"},
		{Name: "entry in the future", Action: "entrer", From: "inscrite", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Date = today.AddDays(1) }), Code: kairos.EInvalid, Field: "date", Message: "ne peut pas être dans le futur"},
		{Name: "entry before start", Action: "entrer", From: "inscrite", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Date = c.E.SessionDebut.AddDays(-1) }), Code: kairos.EInvalid, Field: "date", Message: "ne peut pas précéder le début"},
		{Name: "entry overlapping", Action: "entrer", From: "inscrite", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Overlaps = []int{9} }), Code: kairos.EConflict, Message: "déjà en formation"},
		{Name: "interruption without reason", Action: "interrompre", From: "entree", Actor: of, Cond: okCond(), Code: kairos.EInvalid, Field: "reason", Message: "motif de l'interruption"},
		{Name: "resumption before the interruption", Action: "reprendre", From: "interrompue", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Date = c.E.InterruptedOn.AddDays(-1) }), Code: kairos.EInvalid, Field: "date", Message: "ne peut pas précéder"},
		{Name: "exit without reason", Action: "sortir", From: "entree", Actor: of, Cond: okCond(), Code: kairos.EInvalid, Field: "reason", Message: "motif de sortie"},
		{Name: "exit « exclusion » without comment", Action: "sortir", From: "entree", Actor: of, Cond: with(func(c *enrolment.Cond) { c.Reason = "exclusion"; c.Comment = "" }), Code: kairos.EInvalid, Field: "comment", Message: "commentaire"},
		{Name: "state named in the refusal", Action: "entrer", From: "sortie", Actor: of, Cond: okCond(), Code: kairos.EConflict, Message: "dans l'état « Sorti(e) de formation »"},
	})
}
