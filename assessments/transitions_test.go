package assessments_test

import (
	"testing"

	"kairos"
	"kairos/assessments"
	"kairos/workflow/workflowtest"
)

type (
	A = assessments.Action
	S = assessments.State
)

var ofStaff = []string{"of_admin", "of_user+bilan"}

func okCond(A, S) assessments.Cond {
	return assessments.Cond{Exited: true, Changed: true, Reason: "Erreur de saisie",
		Content: assessments.Content{Result: assessments.Obtenue, Skills: "Développer une application web sécurisée."}}
}

// TestTransitionsEveryStateActionRole: every (state, action, role,
// habilitation) against an expectation written by hand.
func TestTransitionsEveryStateActionRole(t *testing.T) {
	spec := workflowtest.Spec[A, S]{
		assessments.ActEnregistrer: {From: []S{assessments.None, assessments.Brouillon}, By: ofStaff},
		assessments.ActTransmettre: {From: []S{assessments.None, assessments.Brouillon}, By: ofStaff},
		assessments.ActCorriger:    {From: []S{assessments.Transmis}, By: ofStaff},
		assessments.ActRetirer:     {From: []S{assessments.Transmis}, By: ofStaff},
		assessments.ActRouvrir:     {From: []S{assessments.Retire}, By: ofStaff},
	}
	n := workflowtest.Matrix(t, assessments.Table, assessments.States, workflowtest.Actors(kairos.HabBilan), spec, okCond)
	t.Logf("%d combinations", n)
}

func TestGuards(t *testing.T) {
	of := &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: 1, UserID: 1}
	with := func(f func(*assessments.Cond)) assessments.Cond {
		c := okCond("", "")
		f(&c)
		return c
	}
	type G = workflowtest.Guard[A, S, assessments.Cond]
	workflowtest.Guards(t, assessments.Table, []G{
		{Name: "before the exit", Action: assessments.ActEnregistrer, From: assessments.None, Actor: of, Cond: with(func(c *assessments.Cond) { c.Exited = false }),
			Code: kairos.EConflict, Message: "Le bilan se rédige une fois la sortie de formation déclarée."},
		{Name: "transmit before the exit", Action: assessments.ActTransmettre, From: assessments.Brouillon, Actor: of, Cond: with(func(c *assessments.Cond) { c.Exited = false }),
			Code: kairos.EConflict, Message: "une fois la sortie de formation déclarée"},
		{Name: "a draft may be incomplete", Action: assessments.ActEnregistrer, From: assessments.None, Actor: of, Cond: with(func(c *assessments.Cond) { c.Content = assessments.Content{} })},
		{Name: "no result", Action: assessments.ActTransmettre, From: assessments.Brouillon, Actor: of, Cond: with(func(c *assessments.Cond) { c.Content.Result = "" }),
			Code: kairos.EInvalid, Field: "result", Message: "Indiquez le résultat de la formation."},
		{Name: "unknown result", Action: assessments.ActEnregistrer, From: assessments.Brouillon, Actor: of, Cond: with(func(c *assessments.Cond) { c.Content.Result = "admis" }),
			Code: kairos.EInvalid, Field: "result", Message: "Choisissez un résultat de la liste."},
		{Name: "partial without blocks", Action: assessments.ActTransmettre, From: assessments.Brouillon, Actor: of, Cond: with(func(c *assessments.Cond) { c.Content.Result = assessments.Partielle }),
			Code: kairos.EInvalid, Field: "blocks_validated", Message: "Indiquez les blocs de compétences validés."},
		{Name: "no skills", Action: assessments.ActTransmettre, From: assessments.None, Actor: of, Cond: with(func(c *assessments.Cond) { c.Content.Skills = "" }),
			Code: kairos.EInvalid, Field: "skills", Message: "Décrivez les compétences acquises"},
		{Name: "a correction needs its reason", Action: assessments.ActCorriger, From: assessments.Transmis, Actor: of, Cond: with(func(c *assessments.Cond) { c.Reason = "" }),
			Code: kairos.EInvalid, Field: "reason", Message: "Indiquez la raison"},
		{Name: "a correction changes something", Action: assessments.ActCorriger, From: assessments.Transmis, Actor: of, Cond: with(func(c *assessments.Cond) { c.Changed = false }),
			Code: kairos.EInvalid, Field: "skills", Message: "Le bilan est inchangé"},
		{Name: "withdrawn without a reason", Action: assessments.ActRetirer, From: assessments.Transmis, Actor: of, Cond: with(func(c *assessments.Cond) { c.Reason = "" }),
			Code: kairos.EInvalid, Field: "reason", Message: "Indiquez la raison"},
		{Name: "withdrawn once invoiced", Action: assessments.ActRetirer, From: assessments.Transmis, Actor: of, Cond: with(func(c *assessments.Cond) { c.InvoiceRef = "FA-2026-000012" }),
			Code: kairos.EConflict, Message: "Ce bilan est repris par la facture FA-2026-000012 : il ne peut plus être retiré"},
		{Name: "a text too long", Action: assessments.ActEnregistrer, From: assessments.Brouillon, Actor: of, Cond: with(func(c *assessments.Cond) { c.Content.Comments = string(make([]rune, 4001)) }),
			Code: kairos.EInvalid, Field: "comments", Message: "Ce texte dépasse 4000 caractères"},
	})
}
