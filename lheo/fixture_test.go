package lheo_test

import (
	"reflect"
	"testing"

	"kairos/lheo"
)

func ptr[T any](v T) *T { return &v }

func fullAdresse(v string) *lheo.Adresse {
	return &lheo.Adresse{
		Attrs:            lheo.Attrs{Numero: "AD" + v, Ref: "r", Info: "i", Tag: "t"},
		Denomination:     "Campus " + v,
		Lignes:           []string{"5 allées Antonio Machado", "Bâtiment " + v},
		CodePostal:       "31000",
		Ville:            "Toulouse",
		Departement:      "31",
		CodeINSEECommune: "31555",
		CodeINSEECanton:  "3199",
		Region:           "76",
		Pays:             "FR",
		Geolocalisation: &lheo.Geolocalisation{
			Latitude: "43.6", Longitude: "1.433333",
			Extras: []lheo.RawXML{`<extras info="geo"><extra info="source">BAN</extra></extras>`},
		},
		Extras: []lheo.RawXML{lheo.RawXML(`<extras info="adresse"><extra>` + v + `</extra></extras>`)},
	}
}

func fullCoordonnees(v string) lheo.Coordonnees {
	return lheo.Coordonnees{
		Attrs:    lheo.Attrs{Numero: "CO" + v, Ref: "r", Info: "i", Tag: "t"},
		Civilite: "Madame",
		Nom:      "Service formation " + v,
		Prenom:   "Accueil",
		Lignes:   []string{"Service de la formation continue"},
		Adresse:  fullAdresse(v),
		TelFixe:  []string{"05 61 50 47 18", "0561504719"},
		Portable: []string{"+33 6 12 34 56 78"},
		Fax:      []string{"05 61 50 00 00"},
		Courriel: "contact@exemple.fr",
		Web:      []string{"https://www.exemple.fr/"},
		Extras:   []lheo.RawXML{lheo.RawXML(`<extras><extra info="c">` + v + `</extra></extras>`)},
	}
}

func fullContact(v string) lheo.Contact {
	return lheo.Contact{
		Type:        "3",
		Coordonnees: fullCoordonnees(v),
		Extras:      []lheo.RawXML{`<extras info="contact"></extras>`},
	}
}

func fullRefCertif() lheo.ReferenceCertification {
	return lheo.ReferenceCertification{
		CodeRNCP: "28217", CodeCERTIFINFO: "21072", CodeRS: "RS5432",
		Extras: []lheo.RawXML{`<extras><extra>ref</extra></extras>`},
	}
}

// fullFormation returns a valid formation in which every field of every
// type is set (TestFullFormationIsFull checks it), so that a round trip
// proves the mapping of every element in both directions.
func fullFormation() *lheo.Formation {
	x := func(s string) []lheo.RawXML {
		return []lheo.RawXML{lheo.RawXML(`<extras info="` + s + `"><extra info="k" ref="V1" numero="1" tag="t">` + s + `</extra></extras>`)}
	}
	return &lheo.Formation{
		Attrs:    lheo.Attrs{Numero: "15_464888", Ref: "159047", Info: "info", Tag: "tag"},
		DateCrea: lheo.NewDate(2018, 6, 5),
		DateMaj:  lheo.NewDate(2018, 9, 11),
		Href:     "http://www.exemple.fr/fiche?formation=464888&session=927411",
		File:     "formation-464888.xml",
		Line:     1, // ignored by the encoder
		Domaine: lheo.DomaineFormation{
			Formacodes: []lheo.Code{{Value: "15093", Ref: "V12", Tag: "principal"}, {Value: "15094", Ref: "V12"}},
			NSF:        []lheo.Code{{Value: "410", Ref: "r", Tag: "t"}},
			ROME:       []lheo.Code{{Value: "K2111", Ref: "V3", Tag: "t"}},
			Extras:     x("domaine"),
		},
		Intitule:          "Diplôme d'accès aux études universitaires <option A> & co",
		Objectif:          "<p>Être titulaire d'un diplôme équivalent au baccalauréat</p>\nligne 2\ttab",
		ResultatsAttendus: "DAEU A",
		Contenu:           "-",
		Certifiante:       true,
		Contacts:          []lheo.Contact{fullContact("f1"), fullContact("f2")},
		Parcours:          "4",
		NiveauEntree:      "14",
		ObjectifGeneral:   "6",
		Certifications: []lheo.Certification{{
			CodeRNCP: "28217", CodeCERTIFINFO: "21072", CodeRS: "RS5432", CodeCPF: "CPF1234",
			ReferenceCodeFORMACODE: "15093", Extras: x("certification"),
		}},
		TypesFormation: []lheo.CodeTypeFormation{{CodeCPF: "CPF9999", CodeELU: "ELU1234", Extras: x("ctf")}},
		NiveauSortie:   "15",
		URLs:           []string{"http://www.exemple.fr/a", "http://www.exemple.fr/b"},
		Actions: []lheo.Action{{
			Attrs:                      lheo.Attrs{Numero: "15_927411", Ref: "264909", Info: "i", Tag: "t"},
			DateCrea:                   lheo.NewDate(2018, 6, 0),
			DateMaj:                    lheo.UnknownEnd,
			Line:                       2,
			Rythme:                     "Temps plein",
			PublicsVises:               []lheo.Code{{Value: "80001", Ref: "V12", Tag: "t"}, {Value: "83056", Ref: "V12"}},
			InfoPublicVise:             "Demandeurs d'emploi",
			NiveauEntreeObligatoire:    true,
			ModalitesAlternance:        "-",
			ModalitesEnseignement:      "1",
			ConditionsSpecifiques:      "Avoir interrompu ses études depuis deux ans",
			PriseEnChargeFraisPossible: true,
			LieuxDeFormation: []lheo.LieuDeFormation{{
				Attrs:       lheo.Attrs{Numero: "L1", Ref: "r", Info: "i", Tag: "principal"},
				SIRET:       "19311383400389",
				CodeUAI:     "0311383K",
				Coordonnees: fullCoordonnees("lieu"),
				Extras:      x("lieu"),
			}},
			ModalitesEntreesSorties: "1",
			URLs:                    []string{"http://www.exemple.fr/action"},
			DureeCycle:              ptr(2),
			Sessions: []lheo.Session{{
				Attrs:                lheo.Attrs{Numero: "927411", Ref: "302127", Info: "i", Tag: "t"},
				DateCrea:             lheo.NewDate(2018, 0, 0),
				DateMaj:              lheo.NewDate(2018, 9, 11),
				Line:                 3,
				Periode:              lheo.Periode{Debut: lheo.NewDate(2018, 10, 1), Fin: lheo.UnknownEnd},
				AdresseInscription:   *fullAdresse("inscription"),
				ModalitesInscription: "Dossier à constituer",
				PeriodeInscription:   &lheo.Periode{Debut: lheo.NewDate(2018, 4, 0), Fin: lheo.NewDate(2018, 6, 30)},
				EtatRecrutement:      lheo.EtatRecrutementOuvert,
				Recrutements: []lheo.Recrutement{{
					Modalite:       "9",
					CodePerimetre:  "0",
					InfosPerimetre: "Occitanie et départements limitrophes",
					ADistance:      ptr(false),
					Adresse:        fullAdresse("recrutement"),
					URL:            "https://www.exemple.fr/ico",
					NbPlaces:       ptr(20),
					Periode:        &lheo.Periode{Debut: lheo.NewDate(2018, 5, 2), Fin: lheo.NewDate(2018, 5, 2)},
					HeureDebut:     "9h",
					HeureFin:       "12h30",
					Commentaire:    "Information collective",
					Extras:         x("recrutement"),
				}},
				URLs:                    []string{"http://www.exemple.fr/session"},
				Contacts:                []lheo.Contact{fullContact("session")},
				ReferencesCertification: []lheo.ReferenceCertification{fullRefCertif()},
				BlocsCompetences: []lheo.BlocsCompetences{{
					Validation:             "2",
					ReferenceCertification: fullRefCertif(),
					Blocs: []lheo.BlocCompetences{
						{Libelle: "Bloc 1", Code: "RNCP28217BC01", Extras: x("bloc")},
						{Libelle: "Bloc 2", Code: "RNCP28217BC02"},
					},
					Extras: x("blocs"),
				}},
				Cycles: []lheo.Cycle{{
					Type:               "1",
					Annees:             []int{1, 2},
					EffectifMinimal:    ptr(8),
					CapaciteSimultanee: ptr(15),
					CapaciteCumulee:    ptr(30),
					Alternance: &lheo.Alternance{
						Type: "1",
						Rythme: &lheo.RythmeAlternance{
							Unite: "3", UnitesEntreprise: 2, UnitesCentre: 1, Extras: x("rythme"),
						},
						Extras: x("alternance"),
					},
					Extras: x("cycle"),
				}},
				Extras: x("session"),
			}},
			AdresseInformation:         fullAdresse("information"),
			DatesInformation:           []lheo.Date{lheo.NewDate(2018, 5, 2), lheo.UnknownDate},
			Restauration:               "Restaurant universitaire",
			Hebergement:                "Non",
			Transport:                  "Tramway ligne A",
			AccesHandicapes:            "Locaux accessibles",
			Langues:                    []string{"fr", "en"},
			ModalitesRecrutement:       "Entretien",
			ModalitesPedagogiques:      "Cours du soir",
			ModalitesPedagogiquesCodes: []lheo.Code{{Value: "96311", Ref: "V12", Tag: "t"}},
			Equipements: []lheo.Equipement{{
				Type: "6", CoutIndicatif: ptr(80), Commentaire: "Chaussures de sécurité", Extras: x("equipement"),
			}},
			FraisRestants:                 "Frais d'inscription 186 €",
			CodePerimetreRecrutement:      "3",
			InfosPerimetreRecrutement:     "Occitanie",
			PrixHoraireTTC:                "12,50",
			PrixTotalTTC:                  "3125,00",
			DureeIndicative:               "8 mois",
			NombreHeuresCentre:            ptr(250),
			NombreHeuresEntreprise:        ptr(0),
			NombreHeuresTotal:             ptr(250),
			DetailConditionsPriseEnCharge: "Région Occitanie",
			Conventionnement:              ptr(true),
			DureeConventionnee:            ptr(250),
			OrganismesFormateurs: []lheo.OrganismeFormateur{{
				Attrs:                   lheo.Attrs{Numero: "15_13903", Ref: "r", Info: "i", Tag: "t"},
				SIRET:                   "19311383400389",
				RaisonSociale:           "Université de Toulouse Jean Jaurès",
				Contacts:                []lheo.Contact{fullContact("formateur")},
				Potentiel:               []lheo.Code{{Value: "11052", Ref: "V12", Tag: "t"}},
				CodeUAI:                 "0311383K",
				ReferencesCertification: []lheo.ReferenceCertification{fullRefCertif()},
				Extras:                  x("formateur"),
			}},
			Financeurs: []lheo.Financeur{
				{Code: "2", NbPlacesFinancees: ptr(12), Extras: x("financeur")},
				{Code: "20"},
			},
			Enseignements: []lheo.Enseignement{{
				Libelle: "Anglais", Type: "5", Obligatoire: true, Commentaire: "Niveau B1", Extras: x("enseignement"),
			}},
			Extras: x("action"),
		}},
		OrganismeResponsable: lheo.OrganismeFormationResponsable{
			Attrs:                     lheo.Attrs{Numero: "19_7300144", Ref: "159047", Info: "i", Tag: "t"},
			Href:                      "http://www.exemple.fr/of",
			File:                      "of.xml",
			NumeroActivite:            "7331P001531",
			SIRET:                     "19311383400389",
			Nom:                       "UT2J FC",
			RaisonSociale:             "Université de Toulouse Jean Jaurès",
			Coordonnees:               fullCoordonnees("of"),
			Contacts:                  []lheo.Contact{fullContact("of")},
			RenseignementsSpecifiques: "Qualiopi",
			Potentiel:                 []lheo.Code{{Value: "12513", Ref: "V12", Tag: "t"}},
			CodeUAI:                   "0311383K",
			Extras:                    x("of"),
		},
		IdentifiantModule: "MOD-1",
		Positionnement:    "2",
		SousModules:       []lheo.SousModule{{ReferenceModule: "MOD-2", TypeModule: "1", Extras: x("sm")}},
		ModulesPrerequis:  []string{"MOD-0"},
		Extras:            x("formation"),
	}
}

// TestFullFormationIsFull makes sure fullFormation sets every field, so that
// a field added to the types without mapping breaks the round-trip test.
func TestFullFormationIsFull(t *testing.T) {
	var check func(v reflect.Value, path string)
	check = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[lheo.Periode]() {
				return // Debut or Fin may legitimately be UnknownDate
			}
			for i := 0; i < v.NumField(); i++ {
				check(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Pointer:
			if v.IsNil() {
				t.Errorf("%s is nil", path)
				return
			}
			if v.Elem().Kind() == reflect.Struct {
				check(v.Elem(), path)
			}
		case reflect.Slice:
			if v.Len() == 0 {
				t.Errorf("%s is empty", path)
				return
			}
			check(v.Index(0), path+"[0]")
		case reflect.Bool:
			// false is a value too
		default:
			if v.IsZero() && v.Type() != reflect.TypeFor[lheo.Date]() {
				t.Errorf("%s is not set", path)
			}
		}
	}
	check(reflect.ValueOf(fullFormation()).Elem(), "Formation")
}
