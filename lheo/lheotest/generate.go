// Package lheotest generates synthetic but valid LHÉO 2.3 documents, for
// tests and benchmarks of code that imports training offers.
package lheotest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"kairos/lheo"
)

// Generate writes a LHÉO 2.3 document holding exactly sessions sessions
// (at least one), spread over formations of 1 to 3 actions of 1 to 4
// sessions each. The output depends only on sessions and seed, and
// validates against the official XSD (every formation goes through
// lheo.Encoder, which validates it).
func Generate(w io.Writer, sessions int, seed uint64) error {
	if sessions < 1 {
		return fmt.Errorf("lheotest: %d sessions: at least 1 needed", sessions)
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x4c48454f))}
	enc := lheo.NewEncoder(w)
	for i := 0; sessions > 0; i++ {
		f := g.formation(i, &sessions)
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return enc.Close()
}

// MustGenerate returns a generated document, failing tb on error.
func MustGenerate(tb testing.TB, sessions int, seed uint64) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := Generate(&b, sessions, seed); err != nil {
		tb.Fatalf("lheotest.Generate(%d, %d): %v", sessions, seed, err)
	}
	return b.Bytes()
}

// NewReader returns the document of Generate as a stream produced on the
// fly, without holding it in memory. Close it when done.
func NewReader(sessions int, seed uint64) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(Generate(pw, sessions, seed))
	}()
	return pr
}

// Formation returns one synthetic formation with the given number of
// sessions, for tests that need a valid value to start from.
func Formation(seed uint64, sessions int) *lheo.Formation {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x4c48454f))}
	n := max(sessions, 1)
	f := g.formation(0, &n)
	for n > 0 { // g.formation caps actions at 3×4 sessions: add the rest
		a := &f.Actions[len(f.Actions)-1]
		a.Sessions = append(a.Sessions, g.session(0, len(a.Sessions)))
		n--
	}
	return f
}

type gen struct {
	r *rand.Rand
}

func (g *gen) pick(ss ...string) string { return ss[g.r.IntN(len(ss))] }

func (g *gen) code(t lheo.Table) string {
	e := lheo.Entries(t)
	return e[g.r.IntN(len(e))].Code
}

func (g *gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g *gen) ptr(n int) *int { return &n }

var (
	villes = []struct{ nom, cp, insee, dep, region string }{
		{"Toulouse", "31000", "31555", "31", "76"},
		{"Montpellier", "34000", "34172", "34", "76"},
		{"Lyon", "69003", "69383", "69", "84"},
		{"Clermont-Ferrand", "63000", "63113", "63", "84"},
		{"Quimperlé", "29300", "29233", "29", "53"},
		{"Rennes", "35000", "35238", "35", "53"},
		{"Lille", "59000", "59350", "59", "32"},
		{"Marseille", "13001", "13201", "13", "93"},
	}
	sujets = []string{
		"Soudage TIG", "Comptabilité gestion", "Aide-soignant", "Développeur web",
		"Cariste CACES R489", "Anglais professionnel", "Maçon du bâti ancien",
		"Secrétaire médical", "Agent de sûreté", "Électricien d'équipement",
	}
	publics = []string{"80001", "80006", "81024", "82044", "83056"}
)

func (g *gen) adresse() lheo.Adresse {
	v := villes[g.r.IntN(len(villes))]
	return lheo.Adresse{
		Lignes:           []string{fmt.Sprintf("%d rue %s", 1+g.r.IntN(120), g.pick("des Lilas", "de la Gare", "Jean Jaurès", "du Port"))},
		CodePostal:       v.cp,
		Ville:            v.nom,
		Departement:      v.dep,
		CodeINSEECommune: v.insee,
		Region:           v.region,
		Pays:             "FR",
		Geolocalisation: &lheo.Geolocalisation{
			Latitude:  fmt.Sprintf("%.6f", 43+g.r.Float64()*7),
			Longitude: fmt.Sprintf("%.6f", -4+g.r.Float64()*10),
		},
	}
}

func (g *gen) coordonnees() lheo.Coordonnees {
	a := g.adresse()
	return lheo.Coordonnees{
		Adresse:  &a,
		TelFixe:  []string{"05" + g.digits(8)},
		Courriel: fmt.Sprintf("contact%d@exemple.fr", g.r.IntN(1000)),
	}
}

func (g *gen) formation(i int, left *int) *lheo.Formation {
	sujet := sujets[g.r.IntN(len(sujets))]
	siret := g.digits(14)
	f := &lheo.Formation{
		Attrs:    lheo.Attrs{Numero: fmt.Sprintf("99_F%07d", i)},
		DateCrea: lheo.NewDate(2024, 1+g.r.IntN(12), 1+g.r.IntN(28)),
		DateMaj:  lheo.NewDate(2025, 1+g.r.IntN(12), 1+g.r.IntN(28)),
		Domaine: lheo.DomaineFormation{
			Formacodes: []lheo.Code{{Value: g.digits(5), Ref: "V14", Tag: "principal"}},
			NSF:        []lheo.Code{{Value: g.digits(3)}},
			ROME:       []lheo.Code{{Value: g.pick("H", "M", "J", "F") + g.digits(4)}},
		},
		Intitule: fmt.Sprintf("%s (session %d)", sujet, i),
		Objectif: "<p>Acquérir les compétences du métier : " + strings.ToLower(sujet) +
			".</p><ul><li>maîtriser les gestes professionnels</li><li>respecter les règles de sécurité</li></ul>",
		ResultatsAttendus: g.pick("-", "Titre professionnel", "Attestation de fin de formation"),
		Contenu:           strings.Repeat("Module théorique et pratique. ", 1+g.r.IntN(10)),
		Certifiante:       g.r.IntN(2) == 1,
		Contacts:          []lheo.Contact{{Coordonnees: lheo.Coordonnees{Courriel: "formation@exemple.fr"}}},
		Parcours:          g.code(lheo.TableTypeParcours),
		NiveauEntree:      g.code(lheo.TableNiveaux),
		ObjectifGeneral:   g.code(lheo.TableAIS),
		URLs:              []string{fmt.Sprintf("https://formation.exemple.fr/f/%d", i)},
		OrganismeResponsable: lheo.OrganismeFormationResponsable{
			Attrs:          lheo.Attrs{Numero: "99_OF" + siret[:6]},
			NumeroActivite: g.digits(11),
			SIRET:          siret,
			Nom:            "Organisme " + siret[:4],
			RaisonSociale:  "SARL Organisme " + siret[:4],
			Coordonnees:    g.coordonnees(),
			Contacts:       []lheo.Contact{{Type: "4", Coordonnees: g.coordonnees()}},
		},
		Extras: []lheo.RawXML{`<extras info="FLUX-CARIF"><extra info="numero-CARIF">99</extra></extras>`},
	}
	if f.Certifiante {
		f.Certifications = []lheo.Certification{{CodeRNCP: g.digits(5), CodeCERTIFINFO: g.digits(5)}}
	}
	for a := 0; a < 1+g.r.IntN(3) && *left > 0; a++ {
		f.Actions = append(f.Actions, g.action(i, a, left))
	}
	return f
}

func (g *gen) action(i, a int, left *int) lheo.Action {
	heures := 35 * (1 + g.r.IntN(40))
	conv := g.r.IntN(2) == 1
	act := lheo.Action{
		Attrs:                      lheo.Attrs{Numero: fmt.Sprintf("99_A%07d_%d", i, a)},
		Rythme:                     g.pick("Temps plein", "Temps partiel", "-"),
		PublicsVises:               []lheo.Code{{Value: publics[g.r.IntN(len(publics))], Ref: "V14"}},
		NiveauEntreeObligatoire:    g.r.IntN(2) == 1,
		ModalitesAlternance:        "-",
		ModalitesEnseignement:      g.code(lheo.TableModalitesEnseignement),
		ConditionsSpecifiques:      g.pick("Aucune", "-", "Entretien de motivation et tests de positionnement"),
		PriseEnChargeFraisPossible: g.r.IntN(2) == 1,
		LieuxDeFormation:           []lheo.LieuDeFormation{{Attrs: lheo.Attrs{Tag: "principal"}, Coordonnees: g.coordonnees()}},
		ModalitesEntreesSorties:    g.code(lheo.TableModalitesES),
		Langues:                    []string{"fr"},
		PrixTotalTTC:               lheo.Prix(fmt.Sprintf("%d,%02d", 500+g.r.IntN(9000), g.r.IntN(100))),
		NombreHeuresCentre:         g.ptr(heures),
		NombreHeuresTotal:          g.ptr(heures + 35*g.r.IntN(5)),
		Conventionnement:           &conv,
		Financeurs: []lheo.Financeur{
			{Code: g.code(lheo.TableFinanceurs), NbPlacesFinancees: g.ptr(1 + g.r.IntN(15))},
		},
		OrganismesFormateurs: []lheo.OrganismeFormateur{{SIRET: g.digits(14), RaisonSociale: "Centre de formation"}},
	}
	for s := 0; s < 1+g.r.IntN(4) && *left > 0; s++ {
		act.Sessions = append(act.Sessions, g.session(i, s))
		*left--
	}
	return act
}

func (g *gen) session(i, s int) lheo.Session {
	start := lheo.NewDate(2025+g.r.IntN(2), 1+g.r.IntN(12), 1+g.r.IntN(28))
	end := lheo.NewDate(start.Year()+1, 1+g.r.IntN(12), 0) // month precision
	if g.r.IntN(10) == 0 {
		end = lheo.UnknownEnd
	}
	return lheo.Session{
		Attrs:              lheo.Attrs{Numero: fmt.Sprintf("99_S%07d_%d", i, s)},
		Periode:            lheo.Periode{Debut: start, Fin: end},
		AdresseInscription: g.adresse(),
		EtatRecrutement:    g.code(lheo.TableEtatRecrutement),
	}
}
