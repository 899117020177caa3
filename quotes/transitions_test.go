package quotes_test

import (
	"testing"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/quotes"
	"kairos/workflow/workflowtest"
)

var tnow = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// okQuote satisfies every content guard: 100 h at 20 € = 2 000 €, 500 € of Région.
func okQuote() *quotes.Quote {
	today := calendar.DateOf(tnow)
	return &quotes.Quote{Number: "AIF-2026-0000001-00", SessionDebut: today.AddDays(10), SessionFin: today.AddDays(60), HoursCentre: 400, HourlyCost: 2000,
		Total: 200000, Cofunding: 50000, AIF: 150000, Lines: []quotes.Line{{Funder: "2", Amount: 50000}}}
}

// okCond satisfies every guard for action (below the threshold for
// valider, above it for soumettre_region, the session started for expirer).
func okCond(action quotes.Action, _ quotes.State) quotes.Cond {
	c := quotes.Cond{Q: okQuote(), Now: tnow, Reason: "Un motif", Threshold: quotes.DefaultThreshold}
	switch action {
	case quotes.Soumettre:
		c.Q.AIF = 400000
	case quotes.Expirer:
		c.Now = tnow.AddDate(0, 0, 11)
	}
	return c
}

// TestWorkflowMatrix checks every (state, action, role, habilitation)
// against rules written here, independently of the table.
func TestWorkflowMatrix(t *testing.T) {
	of := []string{"of_admin", "of_user+devis"}
	de := []string{"demandeur"}
	cons := []string{"conseiller"}
	ft := []string{"ft_gestionnaire"}
	edit := []quotes.State{quotes.Brouillon, quotes.ACompleter}
	spec := workflowtest.Spec[quotes.Action, quotes.State]{
		quotes.Modifier:       {From: edit, By: of},
		quotes.Transmettre:    {From: edit, By: of},
		quotes.Accepter:       {From: []quotes.State{quotes.TransmisAuDE}, By: de},
		quotes.RefuserDE:      {From: []quotes.State{quotes.TransmisAuDE}, By: de},
		quotes.Reviser:        {From: []quotes.State{quotes.RefuseParDE}, By: of},
		quotes.Valider:        {From: []quotes.State{quotes.AccepteParDE}, By: cons},
		quotes.Soumettre:      {From: []quotes.State{quotes.AccepteParDE}, By: cons},
		quotes.Refuser:        {From: []quotes.State{quotes.AccepteParDE}, By: cons},
		quotes.Completer:      {From: []quotes.State{quotes.AccepteParDE}, By: cons},
		quotes.ValiderRegion:  {From: []quotes.State{quotes.EnInstruction}, By: ft},
		quotes.RefuserRegion:  {From: []quotes.State{quotes.EnInstruction}, By: ft},
		quotes.CompleterRegio: {From: []quotes.State{quotes.EnInstruction}, By: ft},
		quotes.Annuler:        {From: []quotes.State{quotes.Brouillon, quotes.TransmisAuDE, quotes.AccepteParDE, quotes.RefuseParDE, quotes.EnInstruction, quotes.ACompleter}, By: of},
		quotes.Expirer:        {From: []quotes.State{quotes.Brouillon, quotes.TransmisAuDE, quotes.AccepteParDE, quotes.RefuseParDE, quotes.EnInstruction, quotes.ACompleter}, By: []string{"admin"}},
	}
	actors := workflowtest.Actors(kairos.HabDevis)
	n := workflowtest.Matrix(t, quotes.Workflow, quotes.States, actors, spec, okCond)
	if n != len(quotes.States)*len(spec)*len(actors) {
		t.Fatalf("%d combinations", n)
	}
	t.Logf("%d combinations", n)
}

// TestWorkflowGuards checks each guard and its French reason.
func TestWorkflowGuards(t *testing.T) {
	of := &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: 1, UserID: 1}
	de := &kairos.Actor{Role: kairos.RoleDemandeur, UserID: 5}
	cons := &kairos.Actor{Role: kairos.RoleConseiller, OrgID: 2, UserID: 4}
	ft := &kairos.Actor{Role: kairos.RoleFTGestionnaire, OrgID: 3, UserID: 6}
	with := func(action quotes.Action, mod func(*quotes.Cond)) quotes.Cond {
		c := okCond(action, "")
		mod(&c)
		return c
	}
	started := func(c *quotes.Cond) { c.Now = tnow.AddDate(0, 0, 11) }
	type G = workflowtest.Guard[quotes.Action, quotes.State, quotes.Cond]
	workflowtest.Guards(t, quotes.Workflow, []G{
		{Name: "transmit: OF cannot trade", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Trade = "le certificat Qualiopi a expiré." }), Code: kairos.EConflict, Message: "Qualiopi a expiré"},
		{Name: "transmit: session hidden", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Hidden = "Recrutement fermé." }), Code: kairos.EConflict, Message: "pas visible pour la prescription : Recrutement fermé."},
		{Name: "transmit: session started", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of, Cond: with(quotes.Transmettre, started), Code: kairos.EConflict, Message: "La session a commencé le"},
		{Name: "transmit: within the entry tolerance", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Now = tnow.AddDate(0, 0, 12); c.Tolerance = 2 })},
		{Name: "transmit: beyond the entry tolerance", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Now = tnow.AddDate(0, 0, 13); c.Tolerance = 2 }), Code: kairos.EConflict, Message: "tolérance de 2 jour(s) dépassée"},
		{Name: "transmit: another open quote", Action: quotes.Transmettre, From: quotes.ACompleter, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Overlap = "AIF-2026-0000009-11" }), Code: kairos.EConflict, Message: "déjà un devis en cours (n° AIF-2026-0000009-11)"},
		{Name: "transmit: no hours", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Q.HoursCentre = 0 }), Code: kairos.EInvalid, Field: "hours_centre", Message: "nombre d'heures"},
		{Name: "transmit: co-funding covers the total", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Q.Cofunding, c.Q.AIF = 200000, 0 }), Code: kairos.EInvalid, Field: "cofunding", Message: "couvre déjà le coût total"},
		{Name: "transmit: certifying without CPF declared", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) { c.Q.Certifying = true }), Code: kairos.EInvalid, Field: "cofunding", Message: "déclarez le montant du CPF"},
		{Name: "transmit: certifying fully payable by the CPF", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) {
				c.Q.Certifying = true
				c.Q.Lines = []quotes.Line{{Funder: quotes.FunderCPF, Amount: 200000}}
			}), Code: kairos.EInvalid, Field: "cofunding", Message: "ne relève pas de l'AIF"},
		{Name: "transmit: certifying with CPF declared at 0 €", Action: quotes.Transmettre, From: quotes.Brouillon, Actor: of,
			Cond: with(quotes.Transmettre, func(c *quotes.Cond) {
				c.Q.Certifying = true
				c.Q.Lines = append(c.Q.Lines, quotes.Line{Funder: quotes.FunderCPF})
			})},
		{Name: "accept: session started", Action: quotes.Accepter, From: quotes.TransmisAuDE, Actor: de, Cond: with(quotes.Accepter, started), Code: kairos.EConflict, Message: "ne peut plus être décidé"},
		{Name: "refuse (DE): no reason", Action: quotes.RefuserDE, From: quotes.TransmisAuDE, Actor: de,
			Cond: with(quotes.RefuserDE, func(c *quotes.Cond) { c.Reason = " " }), Code: kairos.EInvalid, Field: "reason", Message: "Indiquez le motif"},
		{Name: "validate: above the AIF threshold", Action: quotes.Valider, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Valider, func(c *quotes.Cond) { c.Q.AIF = 320001 }), Code: kairos.EConflict, Message: "Au-delà du seuil régional (AIF de 3\u202f200,01\u00a0€ supérieure à 3\u202f200,00\u00a0€)"},
		{Name: "validate: exactly the AIF threshold", Action: quotes.Valider, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Valider, func(c *quotes.Cond) { c.Q.AIF = 320000 })},
		{Name: "validate: above the hours threshold", Action: quotes.Valider, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Valider, func(c *quotes.Cond) { c.Q.HoursCompany = 1201 }), Code: kairos.EConflict, Message: "401 h de formation, plus de 400 h"},
		{Name: "validate: OF cannot trade any more", Action: quotes.Valider, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Valider, func(c *quotes.Cond) { c.Trade = "adhésion suspendue." }), Code: kairos.EConflict, Message: "adhésion suspendue."},
		{Name: "validate: already in another training", Action: quotes.Valider, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Valider, func(c *quotes.Cond) { c.Enrolled = "Le demandeur d'emploi est déjà inscrit sur « X »." }), Code: kairos.EConflict, Message: "déjà inscrit sur « X »"},
		{Name: "validate: session started", Action: quotes.Valider, From: quotes.AccepteParDE, Actor: cons, Cond: with(quotes.Valider, started), Code: kairos.EConflict, Message: "La session a commencé"},
		{Name: "submit: below the threshold", Action: quotes.Soumettre, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Valider, func(*quotes.Cond) {}), Code: kairos.EConflict, Message: "sous le seuil régional"},
		{Name: "refuse: no reason", Action: quotes.Refuser, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Refuser, func(c *quotes.Cond) { c.Reason = "" }), Code: kairos.EInvalid, Field: "reason", Message: "motif"},
		{Name: "to complete: no reason", Action: quotes.Completer, From: quotes.AccepteParDE, Actor: cons,
			Cond: with(quotes.Completer, func(c *quotes.Cond) { c.Reason = "" }), Code: kairos.EInvalid, Field: "reason", Message: "motif"},
		{Name: "regional validation: session started", Action: quotes.ValiderRegion, From: quotes.EnInstruction, Actor: ft, Cond: with(quotes.ValiderRegion, started), Code: kairos.EConflict, Message: "La session a commencé"},
		{Name: "regional refusal: no reason", Action: quotes.RefuserRegion, From: quotes.EnInstruction, Actor: ft,
			Cond: with(quotes.RefuserRegion, func(c *quotes.Cond) { c.Reason = "" }), Code: kairos.EInvalid, Field: "reason", Message: "motif"},
		{Name: "cancel: no reason", Action: quotes.Annuler, From: quotes.TransmisAuDE, Actor: of,
			Cond: with(quotes.Annuler, func(c *quotes.Cond) { c.Reason = "" }), Code: kairos.EInvalid, Field: "reason", Message: "motif"},
		{Name: "expire: session not started", Action: quotes.Expirer, From: quotes.TransmisAuDE, Actor: kairos.System,
			Cond: with(quotes.Accepter, func(*quotes.Cond) {}), Code: kairos.EConflict, Message: "n'a pas commencé"},
		{Name: "state named in the refusal", Action: quotes.Accepter, From: quotes.Valide, Actor: de, Cond: okCond(quotes.Accepter, ""), Code: kairos.EConflict, Message: "le devis est « Validé »"},
	})
}
