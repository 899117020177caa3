package demo

import (
	"context"
	"fmt"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
)

// demoAdhesion is an OF's adhesion in the demo, driven to State by the
// demo's France Travail manager. Qualiopi dates are relative to the load.
type demoAdhesion struct {
	Name, SIRET, NDA, City, PostalCode string
	RGCName, RGCEmail                  string
	State                              adhesion.State
	Reason                             string
	QualiopiDaysLeft                   int
}

// Adhesions are the demo adhesions, all in Occitanie (the demo manager's
// region): Formapro Occitanie can trade; one OF's Qualiopi ends in 40 days;
// one request was refused; others wait or are suspended.
var Adhesions = []demoAdhesion{
	{"Formapro Occitanie", "44306184100047", "76310123456", "Toulouse", "31000", "Claire Martin", "rgc@formapro-occitanie.example", adhesion.Validee, "", 700},
	{"Occitanie Compétences Numériques", "81234567600017", "76340234567", "Montpellier", "34000", "Hugo Bernard", "rgc@ocn-formation.example", adhesion.Validee, "", 40},
	{"Institut Pyrénées Formation", "82345678500018", "76650345678", "Perpignan", "66000", "Émilie Rousseau", "direction@pyrenees-formation.example", adhesion.Refusee,
		"Le numéro de déclaration d'activité ne correspond pas à la raison sociale enregistrée auprès de la DREETS.", 500},
	{"Garonne Langues et Métiers", "83456789300013", "76310456789", "Toulouse", "31200", "Paul Girard", "contact@garonne-langues.example", adhesion.EnInstruction, "", 300},
	{"Sud Formation Pro", "84567890300012", "76300567890", "Nîmes", "30000", "Laura Mercier", "rgc@sud-formation-pro.example", adhesion.Demandee, "", 900},
	{"Méditerranée Sécurité Formation", "85678901100017", "76110678901", "Narbonne", "11100", "Yanis Morel", "rgc@med-securite.example", adhesion.Suspendue,
		"Contrôle de service fait en cours : pièces justificatives de présence manquantes.", 200},
}

// steps lists the decisions that lead from demandee to a state.
var steps = map[adhesion.State][]adhesion.Action{
	adhesion.Demandee:      nil,
	adhesion.EnInstruction: {adhesion.Instruire},
	adhesion.Validee:       {adhesion.Instruire, adhesion.Valider},
	adhesion.Refusee:       {adhesion.Instruire, adhesion.Refuser},
	adhesion.Suspendue:     {adhesion.Instruire, adhesion.Valider, adhesion.Suspendre},
}

// loadAdhesions creates the missing demo adhesions and returns how many
// organisations and accounts their validation created.
func loadAdhesions(ctx context.Context, acc *account.Service) (orgs, users int, err error) {
	svc := adhesion.New(acc)
	ft, err := acc.UserByEmail(ctx, "gestionnaire@francetravail.example")
	if err != nil {
		return 0, 0, err
	}
	actor := ft.Actor()
	fctx := kairos.WithActor(ctx, actor)
	today := acc.DB.Now()
	for _, d := range Adhesions {
		var n int
		if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM adhesions WHERE siret = ?", d.SIRET).Scan(&n); err != nil {
			return orgs, users, err
		}
		if n > 0 {
			continue
		}
		until := today.AddDate(0, 0, d.QualiopiDaysLeft)
		a, _, err := svc.Submit(ctx, adhesion.Application{
			RaisonSociale: d.Name, SIRET: d.SIRET, NDA: d.NDA, Address: "1 place du Capitole", PostalCode: d.PostalCode, City: d.City, Region: "76",
			RGCName: d.RGCName, RGCEmail: d.RGCEmail, QualiopiNumber: "QUA-" + d.SIRET[:9], QualiopiCertifier: "AFNOR Certification",
			QualiopiFrom: until.AddDate(-3, 0, 0).Format("2006-01-02"), QualiopiUntil: until.Format("2006-01-02"), AcceptConditions: true,
		})
		if err != nil {
			return orgs, users, fmt.Errorf("demo: adhesion %s: %w", d.Name, err)
		}
		for _, act := range steps[d.State] {
			if act == adhesion.Valider {
				if _, err := acc.OrganisationByName(ctx, kairos.OrgOF, d.Name); err != nil {
					orgs++
				}
				if _, err := acc.UserByEmail(ctx, d.RGCEmail); err != nil {
					users++
				}
			}
			reason := ""
			if adhesion.TransitionFor(act).ReasonRequired {
				reason = d.Reason
			}
			if _, err := svc.Decide(fctx, actor, a.ID, act, reason); err != nil {
				return orgs, users, fmt.Errorf("demo: adhesion %s, %s: %w", d.Name, act, err)
			}
		}
	}
	return orgs, users, nil
}
