package adhesion_test

import (
	"testing"

	"kairos"
	"kairos/adhesion"
	"kairos/workflow/workflowtest"
)

// TestWorkflowMatrix runs every (state, action, role, habilitation) of the
// adhesion table through the shared helper, against rules written here.
func TestWorkflowMatrix(t *testing.T) {
	ft := []string{"ft_gestionnaire"}
	spec := workflowtest.Spec[adhesion.Action, adhesion.State]{
		adhesion.Instruire: {From: []adhesion.State{adhesion.Demandee}, By: ft},
		adhesion.Valider:   {From: []adhesion.State{adhesion.EnInstruction}, By: ft},
		adhesion.Refuser:   {From: []adhesion.State{adhesion.Demandee, adhesion.EnInstruction}, By: ft},
		adhesion.Suspendre: {From: []adhesion.State{adhesion.Validee}, By: ft},
		adhesion.Reactiver: {From: []adhesion.State{adhesion.Suspendue}, By: ft},
		adhesion.Resilier:  {From: []adhesion.State{adhesion.Validee, adhesion.Suspendue}, By: []string{"ft_gestionnaire", "of_admin"}},
	}
	okCert := &adhesion.Certificate{ValidFrom: now.AddDate(-1, 0, 0), ValidUntil: now.AddDate(1, 0, 0)}
	n := workflowtest.Matrix(t, adhesion.Workflow, adhesion.States, workflowtest.Actors(kairos.HabDevis), spec,
		func(_ adhesion.Action, s adhesion.State) adhesion.Cond {
			return adhesion.Cond{A: &adhesion.Adhesion{State: s, Qualiopi: okCert}, Now: now}
		})
	if n != len(adhesion.States)*len(adhesion.Transitions)*(len(kairos.Roles)+1) {
		t.Fatalf("%d combinations", n)
	}
}

// TestWorkflowGuards checks each guard of the adhesion table and its message.
func TestWorkflowGuards(t *testing.T) {
	ft := &kairos.Actor{Role: kairos.RoleFTGestionnaire, OrgID: 3}
	expired := &adhesion.Certificate{ValidFrom: now.AddDate(-3, 0, 0), ValidUntil: now.AddDate(0, 0, -1)}
	type G = workflowtest.Guard[adhesion.Action, adhesion.State, adhesion.Cond]
	workflowtest.Guards(t, adhesion.Workflow, []G{
		{Name: "validation without Qualiopi", Action: adhesion.Valider, From: adhesion.EnInstruction, Actor: ft,
			Cond: adhesion.Cond{A: &adhesion.Adhesion{State: adhesion.EnInstruction}, Now: now}, Code: kairos.EConflict, Message: "Aucun certificat Qualiopi"},
		{Name: "validation with an expired Qualiopi", Action: adhesion.Valider, From: adhesion.EnInstruction, Actor: ft,
			Cond: adhesion.Cond{A: &adhesion.Adhesion{State: adhesion.EnInstruction, Qualiopi: expired}, Now: now}, Code: kairos.EConflict, Message: "n'est pas valide aujourd'hui"},
		{Name: "reactivation with an expired Qualiopi", Action: adhesion.Reactiver, From: adhesion.Suspendue, Actor: ft,
			Cond: adhesion.Cond{A: &adhesion.Adhesion{State: adhesion.Suspendue, Qualiopi: expired}, Now: now}, Code: kairos.EConflict, Message: "Qualiopi"},
		{Name: "state refused with its label", Action: adhesion.Valider, From: adhesion.Refusee, Actor: ft,
			Cond: adhesion.Cond{A: &adhesion.Adhesion{State: adhesion.Refusee}, Now: now}, Code: kairos.EConflict, Message: "l'adhésion est « Refusée »"},
	})
}
