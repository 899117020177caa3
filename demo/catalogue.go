package demo

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"time"

	"kairos/catalogue"
	"kairos/lheo"
)

//go:embed lheo/*.xml
var lheoFS embed.FS

// LoadCatalogue imports the demo training offer: two real LHÉO samples
// (Intercarif Occitanie, ONISEP) and a small generated offer of « Formapro
// Occitanie » whose sessions show each visibility case in « Mon offre ».
// Loading again changes nothing (imports are idempotent); the generated
// dates follow today's date.
func LoadCatalogue(ctx context.Context, cat *catalogue.Service, today time.Time) (sessions int, err error) {
	for _, f := range []struct{ file, source string }{
		{"lheo/intercarif-occitanie-daeu.lheo22.xml", "demo-intercarif-occitanie"},
		{"lheo/onisep-bts-nrc.lheo22.xml", "demo-onisep"},
	} {
		b, err := lheoFS.ReadFile(f.file)
		if err != nil {
			return sessions, err
		}
		imp, err := cat.Import(ctx, bytes.NewReader(b), catalogue.ImportOptions{Source: f.source, FileName: f.file[5:]})
		if err != nil {
			return sessions, err
		}
		sessions += imp.Counts.Sessions.Created
	}
	var buf bytes.Buffer
	if err := formaproOffer(&buf, today); err != nil {
		return sessions, err
	}
	imp, err := cat.Import(ctx, &buf, catalogue.ImportOptions{Source: "demo-formapro", FileName: "formapro-occitanie.xml"})
	if err != nil {
		return sessions, err
	}
	if imp.Status != catalogue.StatusDone {
		return sessions, fmt.Errorf("demo: offre Formapro rejetée : %s", imp.ErrorMessage)
	}
	return sessions + imp.Counts.Sessions.Created, nil
}

// formaproOffer writes the generated offer of Formapro Occitanie (SIRET of
// the demo organisation), with sessions open, closed, suspended and ended.
func formaproOffer(buf *bytes.Buffer, today time.Time) error {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return err
	}
	month := func(m int) lheo.Date {
		t := time.Date(today.Year(), today.Month()+time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		return lheo.NewDate(t.Year(), int(t.Month()), t.Day())
	}
	daysAgo := func(n int) lheo.Date {
		t := today.In(paris).AddDate(0, 0, -n)
		return lheo.NewDate(t.Year(), int(t.Month()), t.Day())
	}
	addr := func(ville, cp, insee, dep string) lheo.Adresse {
		return lheo.Adresse{Lignes: []string{"12 allée des Demoiselles"}, CodePostal: cp, Ville: ville, Departement: dep, CodeINSEECommune: insee, Region: "76", Pays: "FR"}
	}
	tls := addr("Toulouse", "31400", "31555", "31")
	mtp := addr("Montpellier", "34000", "34172", "34")
	h := func(n int) *int { return &n }
	org := lheo.OrganismeFormationResponsable{
		Attrs: lheo.Attrs{Numero: "DEMO_OF_FORMAPRO"}, NumeroActivite: "76310000031", SIRET: "44306184100047",
		Nom: "Formapro Occitanie", RaisonSociale: "Formapro Occitanie SAS",
		Coordonnees: lheo.Coordonnees{Adresse: &tls, Courriel: "contact@formapro-occitanie.example"},
		Contacts:    []lheo.Contact{{Type: "4", Coordonnees: lheo.Coordonnees{Nom: "Martin", Prenom: "Claire", Courriel: "rgc@formapro-occitanie.example"}}},
	}
	type sess struct {
		numero     string
		debut, fin lheo.Date
		etat       string
	}
	mk := func(num, titre, objectif, formacode, rome string, heures int, place lheo.Adresse, ss []sess) *lheo.Formation {
		var sessions []lheo.Session
		for _, s := range ss {
			sessions = append(sessions, lheo.Session{Attrs: lheo.Attrs{Numero: s.numero}, Periode: lheo.Periode{Debut: s.debut, Fin: s.fin}, AdresseInscription: place, EtatRecrutement: s.etat})
		}
		p := place
		return &lheo.Formation{
			Attrs: lheo.Attrs{Numero: num}, DateCrea: lheo.NewDate(2025, 9, 1), DateMaj: lheo.NewDate(2026, 1, 15),
			Domaine:  lheo.DomaineFormation{Formacodes: []lheo.Code{{Value: formacode, Ref: "V14", Tag: "principal"}}, ROME: []lheo.Code{{Value: rome}}},
			Intitule: titre, Objectif: objectif, ResultatsAttendus: "Titre professionnel", Contenu: "Modules théoriques, mises en situation en plateau technique et stage en entreprise.",
			Certifiante: true, Contacts: []lheo.Contact{{Coordonnees: lheo.Coordonnees{Courriel: "formations@formapro-occitanie.example"}}},
			Parcours: "1", NiveauEntree: "0", ObjectifGeneral: "6", NiveauSortie: "3",
			Actions: []lheo.Action{{
				Attrs: lheo.Attrs{Numero: num + "_A1"}, Rythme: "Temps plein", PublicsVises: []lheo.Code{{Value: "80001", Ref: "V14"}},
				ModalitesAlternance: "-", ModalitesEnseignement: "0", ConditionsSpecifiques: "Entretien de motivation et tests de positionnement",
				PriseEnChargeFraisPossible: true, ModalitesEntreesSorties: "0",
				LieuxDeFormation: []lheo.LieuDeFormation{{Attrs: lheo.Attrs{Tag: "principal"}, Coordonnees: lheo.Coordonnees{Adresse: &p}}},
				PrixTotalTTC:     "6450,00", NombreHeuresCentre: h(heures - 210), NombreHeuresEntreprise: h(210), NombreHeuresTotal: h(heures),
				Financeurs: []lheo.Financeur{{Code: "4", NbPlacesFinancees: h(12)}, {Code: "10"}},
				Sessions:   sessions,
			}},
			OrganismeResponsable: org,
		}
	}
	forms := []*lheo.Formation{
		mk("DEMO_F_SOUDEUR", "Soudeur TIG électrode enrobée", "Souder en sécurité des ensembles métalliques aux procédés TIG et à l'électrode enrobée.", "23054", "H2913", 805, tls, []sess{
			{"DEMO_S_SOUD_1", month(1), month(7), lheo.EtatRecrutementOuvert},
			{"DEMO_S_SOUD_2", month(4), month(10), lheo.EtatRecrutementSuspendu},
			{"DEMO_S_SOUD_0", month(-9), month(-3), lheo.EtatRecrutementFerme},
		}),
		// Its session started 5 days ago: the training path demo (demo/enrolments.go) has trainees on it.
		mk("DEMO_F_DWWM", "Développeur web et web mobile", "Concevoir, développer et déployer des applications web et web mobile sécurisées.", "31054", "M1805", 1190, tls, []sess{
			{"DEMO_S_DWWM_1", daysAgo(5), month(7), lheo.EtatRecrutementFerme},
		}),
		mk("DEMO_F_COMPTA", "Gestionnaire comptable et fiscal", "Tenir la comptabilité, établir les déclarations fiscales et préparer les comptes annuels d'une entreprise.", "32663", "M1203", 1050, mtp, []sess{
			{"DEMO_S_COMPTA_1", month(2), month(11), lheo.EtatRecrutementOuvert},
			// Started on the first day of the previous month: there is always a month to attest.
			{"DEMO_S_COMPTA_2", month(-1), month(8), lheo.EtatRecrutementFerme},
		}),
	}
	enc := lheo.NewEncoder(buf)
	for _, f := range forms {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return enc.Close()
}
