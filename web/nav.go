package web

import (
	"fmt"
	"strings"

	"kairos"
)

// navItem is an entry of the main menu. Its visibility comes from the rule
// of the route it points to, so the menu never shows what the server would
// refuse.
type navItem struct {
	Label string
	Path  string
	Desc  string // shown on the home page's tiles
	// Group gathers entries under one drop-down menu of the bar, when more
	// than one of them is shown; barless entries (« Mon compte », already a
	// button of the header) are tiles of the home page only.
	Group string
}

// Groups of the menu bar, so that the longest menus (an OF's account
// manager has 15 entries) fit on one line at 1280 px.
const (
	groupOffer = "Offre de formation"
	groupOrg   = "Organisme et API"
	groupAdmin = "Administration"
	barless    = "-"
)

// navItems is the main menu, in order. Later capabilities add their entries here.
var navItems = []navItem{
	{"Accueil", "/accueil", "", ""},
	{"Tableau de bord", "/tableau-de-bord", "Entrées du jour, déclarations à faire et en retard, interruptions en cours : le suivi de vos stagiaires.", ""},
	{"Attestations du mois", "/attestations", "Les heures de présence de vos stagiaires, pré-remplies : corrigez et attestez chaque session en une fois.", ""},
	{"Bilans de formation", "/bilans", "Les bilans de vos stagiaires sortis : à rédiger, en retard, transmis ; l'attestation de fin de formation.", ""},
	{"Factures", "/factures", "Les factures de vos stagiaires sortis, préparées à partir du devis, des attestations et du bilan : vérifiez, émettez, annulez par avoir.", ""},
	{"Factures reçues", "/france-travail/factures", "Les factures et avoirs des organismes de formation, au format Factur-X.", ""},
	{"Bilans et facturation", "/france-travail/bilans", "Par organisme, les stagiaires sortis prêts à facturer (devis, attestations, bilan) et ce qui manque aux autres.", ""},
	{"Attestations de présence", "/france-travail/attestations", "Attestations mensuelles reçues, manquantes et en retard par agence ; export pour la rémunération des stagiaires.", ""},
	{"Mon parcours", "/mon-parcours", "Vos inscriptions en formation, votre entrée, vos absences et votre sortie, avec leurs attestations.", ""},
	{"Mon portefeuille", "/conseiller/portefeuille", "Le parcours de formation de chacun de vos demandeurs d'emploi et ce qui demande votre attention.", ""},
	{"Devis AIF", "/devis", "Vos devis d'aide individuelle à la formation, pré-remplis depuis le catalogue : transmission, décisions et numéros d'engagement.", ""},
	{"Mes devis", "/mes-devis", "Les devis de formation que les organismes vous ont transmis : lisez-les, acceptez-les ou refusez-les.", ""},
	{"Devis à instruire", "/conseiller/devis", "Les devis AIF acceptés par vos demandeurs d'emploi : validez, refusez ou demandez des compléments.", ""},
	{"Devis au-delà du seuil", "/france-travail/devis", "Les devis AIF au-delà du seuil régional, qui attendent la décision régionale.", ""},
	{"Mon organisme", "/mon-organisme", "Adhésion, convention, certificat Qualiopi, utilisateurs et clés d'API de votre organisme.", groupOrg},
	{"Adhésions", "/adhesions", "Instruisez les demandes d'adhésion des organismes de formation de votre région.", ""},
	{"Ponctualité des organismes", "/ponctualite", "Les déclarations d'entrée, d'interruption et de sortie de chaque organisme, et celles faites hors délai.", ""},
	{"Catalogue", "/catalogue", "Les sessions de formation reçues des Carif-Oref : recherche par mots, métier, lieu et dates.", groupOffer},
	{"Mon offre", "/organisme/offre", "Vos sessions telles que France Travail les reçoit, visibles ou non pour la prescription, et pourquoi.", groupOffer},
	{"Imports LHÉO", "/catalogue/imports", "Déposez l'export LHÉO de la région et consultez le rapport de chaque import.", groupOffer},
	{"Rendez-vous", "/rendez-vous", "Informations collectives et entretiens : inscrits, présences et résultats.", ""},
	{"Mes rendez-vous", "/mes-rendez-vous", "Vos convocations, vos inscriptions et les informations collectives proposées.", ""},
	{"Rendez-vous de mes demandeurs", "/conseiller/rendez-vous", "Les rendez-vous à venir de vos demandeurs d'emploi et leurs résultats.", ""},
	{"Utilisateurs", "/organisme/utilisateurs", "Invitez vos collaborateurs et attribuez-leur leurs habilitations.", groupOrg},
	{"Clés d'API", "/organisme/cles-api", "Reliez votre logiciel de gestion à Kairos, sans double saisie.", groupOrg},
	{"API", "/developpeurs", "L'API pour les développeurs : opérations, exemples curl, événements et vérification des signatures.", groupOrg},
	{"Webhooks", "/organisme/webhooks", "Recevez chaque changement dans votre logiciel, en temps réel, signé et rejoué en cas de panne.", groupOrg},
	{"Utilisateurs de la plateforme", "/admin/utilisateurs", "Tous les comptes, toutes organisations confondues.", groupAdmin},
	{"Journal d'audit", "/admin/journal", "Qui a fait quoi, quand et depuis quelle adresse.", groupAdmin},
	{"Chorus Pro", "/admin/chorus", "Les dépôts de factures sur Chorus Pro et l'expiration du mot de passe du compte technique.", groupAdmin},
	{"Mon compte", "/compte", "Votre identité, votre rôle et votre dernière connexion.", barless},
}

type navLink struct {
	Label, Path, Desc string
	Current           bool
	group             string
	// Menu is the entries of a drop-down (Path empty), ID its element's id.
	Menu []navLink
	ID   string
}

// nav returns the menu entries the actor may use.
func (s *Server) nav(a *kairos.Actor, current string) []navLink {
	if a == nil {
		return nil
	}
	var out []navLink
	best := -1 // one entry only is the current page: the longest match
	for _, it := range navItems {
		rule, ok := s.ruleFor("GET " + it.Path)
		if !ok || kairos.Authorize(a, rule) != nil {
			continue
		}
		cur := current == it.Path || (it.Path != "/accueil" && strings.HasPrefix(current, it.Path+"/"))
		if cur && (best < 0 || len(it.Path) > len(out[best].Path)) {
			best = len(out)
		}
		out = append(out, navLink{Label: it.Label, Path: it.Path, Desc: it.Desc, group: it.Group})
	}
	if best >= 0 {
		out[best].Current = true
	}
	return out
}

// navBar arranges the entries of nav for the menu bar: a group of more than
// one shown entry becomes one drop-down where its first entry stood, current
// when one of its entries is; barless entries are left out.
func navBar(links []navLink) []navLink {
	count := map[string]int{}
	for _, l := range links {
		count[l.group]++
	}
	var out []navLink
	at := map[string]int{}
	for _, l := range links {
		switch {
		case l.group == barless:
			continue
		case l.group == "" || count[l.group] == 1:
			out = append(out, l)
			continue
		}
		i, ok := at[l.group]
		if !ok {
			i = len(out)
			at[l.group] = i
			out = append(out, navLink{Label: l.group, ID: fmt.Sprintf("menu-%d", i)})
		}
		out[i].Menu = append(out[i].Menu, l)
		out[i].Current = out[i].Current || l.Current
	}
	return out
}

func (s *Server) ruleFor(pattern string) (kairos.Rule, bool) {
	for _, r := range s.routes {
		if r.pattern == pattern {
			return r.rule, true
		}
	}
	return kairos.Rule{}, false
}
