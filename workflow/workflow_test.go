package workflow_test

import (
	"testing"

	"kairos"
	"kairos/workflow"
	"kairos/workflow/workflowtest"
)

type cond struct{ ok bool }

var tbl = workflow.Table[string, string, cond]{
	Subject: "le dossier",
	Rows: []workflow.Transition[string, string, cond]{
		{Action: "ouvrir", Label: "Ouvrir", From: []string{"ferme"}, To: "ouvert", Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabDevis,
			Guard: func(c cond) error {
				if !c.ok {
					return kairos.Invalid(map[string]string{"motif": "Indiquez le motif."})
				}
				return nil
			}},
		{Action: "fermer", Label: "Fermer", From: []string{"ouvert"}, To: "ferme", Roles: []kairos.Role{kairos.RoleConseiller}, Habilitation: kairos.HabDevis},
	},
}

func TestMatrixAndGuards(t *testing.T) {
	n := workflowtest.Matrix(t, tbl, []string{"ouvert", "ferme"}, workflowtest.Actors(kairos.HabDevis), workflowtest.Spec[string, string]{
		"ouvrir": {From: []string{"ferme"}, By: []string{"of_admin", "of_user+devis"}},
		// The habilitation concerns OF users only: a counsellor needs none.
		"fermer": {From: []string{"ouvert"}, By: []string{"conseiller"}},
	}, func(string, string) cond { return cond{ok: true} })
	if n != 2*2*(len(kairos.Roles)+1) {
		t.Fatalf("%d", n)
	}
	workflowtest.Guards(t, tbl, []workflowtest.Guard[string, string, cond]{
		{Name: "guard", Action: "ouvrir", From: "ferme", Actor: &kairos.Actor{Role: kairos.RoleOFAdmin}, Code: kairos.EInvalid, Field: "motif", Message: "Indiquez le motif."},
		{Name: "state", Action: "fermer", From: "ferme", Actor: &kairos.Actor{Role: kairos.RoleConseiller}, Code: kairos.EConflict, Message: "le dossier est « ferme »"},
		{Name: "role", Action: "fermer", From: "ouvert", Actor: &kairos.Actor{Role: kairos.RoleDemandeur}, Code: kairos.EForbidden, Message: "Fermer"},
	})
}

func TestActionsGiveTheReason(t *testing.T) {
	got := tbl.Actions("ferme", &kairos.Actor{Role: kairos.RoleOFAdmin}, cond{})
	if len(got) != 1 || got[0].Allowed || got[0].Reason != "Indiquez le motif." {
		t.Fatalf("%+v", got)
	}
	if a := tbl.AllowedActions("ferme", &kairos.Actor{Role: kairos.RoleOFAdmin}, cond{ok: true}); len(a) != 1 || a[0] != "ouvrir" {
		t.Fatalf("%v", a)
	}
	if a := tbl.AllowedActions("ouvert", nil, cond{ok: true}); a == nil || len(a) != 0 {
		t.Fatalf("nil actor: %v", a)
	}
}
