package chorus

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Scenarios of a question to the assistance, chosen by the marker
// "CHORUS-SANDBOX:<scenario>" in its description: by default the support
// takes it in charge one Step after it is sent (EN_COURS) and answers one
// Step later (REPONDUE).
const (
	QuestionAnswered  = "repondue"     // EN_COURS, then REPONDUE with an answer
	QuestionClosed    = "cloturee"     // EN_COURS, then CLOTUREE with a closing message
	QuestionUnhandled = "sans_reponse" // stays EN_COURS
)

// DefaultCategories are the categories of question the sandbox offers when
// Sandbox.Categories is empty (the real list is read from Chorus Pro).
var DefaultCategories = []CategorieSollicitation{
	{CodeCategorie: "SUIVI_FACTURE", LibelleCategorie: "Suivi du traitement d'une facture", IDTechniqueCategorie: 11},
	{CodeCategorie: "REJET_FACTURE", LibelleCategorie: "Rejet, recyclage ou suspension d'une facture", IDTechniqueCategorie: 12},
	{CodeCategorie: "PAIEMENT", LibelleCategorie: "Paiement d'une facture", IDTechniqueCategorie: 13},
	{CodeCategorie: "RACCORDEMENT_API", LibelleCategorie: "Raccordement API et compte technique", IDTechniqueCategorie: 14},
}

// Bounds of a question the sandbox enforces (to be verified in qualification).
const (
	MaxObjet       = 100
	MaxDescription = 4000
)

type sbQuestion struct {
	id          int64
	numero      string
	category    CategorieSollicitation
	objet       string
	description string
	invoice     string
	created     time.Time
	events      []sbEvent // planned statuses; comment: the support's message
}

func (s *Sandbox) categories() []CategorieSollicitation {
	if len(s.Categories) > 0 {
		return s.Categories
	}
	return DefaultCategories
}

func (s *Sandbox) rechercherCategories(body []byte) (int, any) {
	var q CategoriesSollicitationRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	var list []CategorieSollicitation
	for _, c := range s.categories() {
		if (q.CodeCategorie == "" || q.CodeCategorie == c.CodeCategorie) && (q.LibelleCategorie == "" || strings.Contains(strings.ToLower(c.LibelleCategorie), strings.ToLower(q.LibelleCategorie))) {
			list = append(list, c)
		}
	}
	size, page := 10, 1
	if p := q.Pagination; p != nil {
		if p.NbResultatsParPage > 0 {
			size = min(p.NbResultatsParPage, 500)
		}
		if p.PageResultatDemandee > 0 {
			page = p.PageResultatDemandee
		}
	}
	pages := max(1, (len(list)+size-1)/size)
	from, to := min((page-1)*size, len(list)), min(page*size, len(list))
	return http.StatusOK, CategoriesSollicitationResponse{Retour: ok(), ListeCategories: append([]CategorieSollicitation{}, list[from:to]...),
		ParametresRetour: &ParametresRetour{NbResultatsParPage: size, PageCourante: page, Pages: pages, Total: len(list)}}
}

// answers are the support's answers by category code.
var answers = map[string]string{
	"SUIVI_FACTURE":    "Bonjour, votre facture est bien intégrée dans Chorus Pro et a été mise à disposition du service exécutant de France Travail, qui en assure le traitement. Aucune action n'est attendue de votre part. Cordialement, le support Chorus Pro.",
	"REJET_FACTURE":    "Bonjour, le motif indiqué dans l'historique de la facture précise la donnée à corriger. Corrigez-la, puis recyclez la facture (ou complétez-la si elle est suspendue) depuis votre espace. Cordialement, le support Chorus Pro.",
	"PAIEMENT":         "Bonjour, le paiement relève du comptable de France Travail : le statut « Mise en paiement » indique que le virement est émis, il parvient sous quelques jours ouvrés. Cordialement, le support Chorus Pro.",
	"RACCORDEMENT_API": "Bonjour, votre compte technique est actif et rattaché à votre structure. Pensez à renouveler son mot de passe avant son expiration. Cordialement, le support Chorus Pro.",
}

func (s *Sandbox) creerSollicitation(body []byte) (int, any) {
	var q CreerSollicitationRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	var cat *CategorieSollicitation
	for _, c := range s.categories() {
		if c.IDTechniqueCategorie == q.IDTechniqueCategorie || (q.IDTechniqueCategorie == 0 && c.CodeCategorie == q.CodeCategorie) {
			cat = &c
			break
		}
	}
	switch {
	case cat == nil:
		return fail("Catégorie de sollicitation inconnue : " + strconv.FormatInt(q.IDTechniqueCategorie, 10) + " " + q.CodeCategorie + ".")
	case strings.TrimSpace(q.Objet) == "" || utf8.RuneCountInString(q.Objet) > MaxObjet:
		return fail(fmt.Sprintf("objet obligatoire (%d caractères au plus).", MaxObjet))
	case strings.TrimSpace(q.Description) == "" || utf8.RuneCountInString(q.Description) > MaxDescription:
		return fail(fmt.Sprintf("description obligatoire (%d caractères au plus).", MaxDescription))
	case !utf8.ValidString(q.Objet) || !utf8.ValidString(q.Description):
		return fail("objet et description doivent être en UTF-8.")
	}
	number := q.NumeroFacture
	if q.IDFacture != 0 {
		inv, err := s.invoice(q.IDFacture)
		if err != nil {
			return fail(err.Error())
		}
		if number != "" && number != inv.number {
			return fail("Le numéro de facture " + number + " ne correspond pas à la facture " + strconv.FormatInt(q.IDFacture, 10) + ".")
		}
		number = inv.number
	}
	for _, pj := range q.ListePiecesJointes {
		if _, found := s.files[pj.PieceJointeID]; !found {
			return fail("Pièce jointe " + strconv.FormatInt(pj.PieceJointeID, 10) + " inconnue : déposez-la d'abord (ajouter/fichier).")
		}
	}
	now := s.now()
	id := 900000 + s.next()
	sq := &sbQuestion{id: id, numero: fmt.Sprintf("SOL%010d", id), category: *cat, objet: q.Objet, description: q.Description, invoice: number, created: now}
	scenario := QuestionAnswered
	if m := reMarker.FindStringSubmatch(q.Description); m != nil {
		scenario = m[1]
	}
	step := s.step()
	sq.events = append(sq.events, sbEvent{now, SolTransmise, ""}, sbEvent{now.Add(step), SolEnCours, ""})
	switch scenario {
	case QuestionClosed:
		sq.events = append(sq.events, sbEvent{now.Add(2 * step), SolCloturee, "Bonjour, cette demande relève de France Travail et non du support Chorus Pro : nous la clôturons. Écrivez à l'adresse de France Travail dédiée à la facturation électronique. Cordialement, le support Chorus Pro."})
	case QuestionUnhandled:
	default:
		a := answers[cat.CodeCategorie]
		if a == "" {
			a = "Bonjour, nous avons bien pris en compte votre demande et vous confirmons que la facture " + number + " est suivie par nos services. Cordialement, le support Chorus Pro."
		}
		sq.events = append(sq.events, sbEvent{now.Add(2 * step), SolRepondue, a})
	}
	if s.questions == nil {
		s.questions = map[int64]*sbQuestion{}
	}
	s.questions[id] = sq
	return http.StatusOK, CreerSollicitationResponse{Retour: ok(), IDSollicitation: id, NumeroSollicitation: sq.numero, DateCreation: stamp(now), StatutSollicitation: SolTransmise}
}

func (s *Sandbox) currentQuestion(q *sbQuestion) sbEvent { return s.currentOf(q.events) }

func (s *Sandbox) rechercherSollicitations(body []byte) (int, any) {
	var q RechercherSollicitationRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	number := q.NumeroFacture
	if q.IDFacture != 0 {
		inv, err := s.invoice(q.IDFacture)
		if err != nil {
			return fail(err.Error())
		}
		number = inv.number
	}
	ids := make([]int64, 0, len(s.questions))
	for id := range s.questions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var list []SollicitationTrouvee
	for _, id := range ids {
		sq := s.questions[id]
		cur := s.currentQuestion(sq)
		if (number != "" && sq.invoice != number) || (len(q.StatutSollicitation) > 0 && !slices.Contains(q.StatutSollicitation, cur.code)) {
			continue
		}
		list = append(list, SollicitationTrouvee{IDSollicitation: sq.id, NumeroSollicitation: sq.numero, Objet: sq.objet, CodeCategorie: sq.category.CodeCategorie,
			StatutSollicitation: cur.code, NumeroFacture: sq.invoice, DateCreation: stamp(sq.created), DateDerniereModification: stamp(cur.at)})
	}
	size, page := 10, 1
	if p := q.Pagination; p != nil {
		if p.NbResultatsParPage > 0 {
			size = min(p.NbResultatsParPage, 500)
		}
		if p.PageResultatDemandee > 0 {
			page = p.PageResultatDemandee
		}
	}
	pages := max(1, (len(list)+size-1)/size)
	from, to := min((page-1)*size, len(list)), min(page*size, len(list))
	return http.StatusOK, RechercherSollicitationResponse{Retour: ok(), ListeSollicitations: append([]SollicitationTrouvee{}, list[from:to]...),
		ParametresRetour: &ParametresRetour{NbResultatsParPage: size, PageCourante: page, Pages: pages, Total: len(list)}}
}

func (s *Sandbox) consulterSollicitation(body []byte) (int, any) {
	var q ConsulterSollicitationRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	sq, found := s.questions[q.IDSollicitation]
	if !found {
		return fail("Sollicitation " + strconv.FormatInt(q.IDSollicitation, 10) + " inconnue.")
	}
	cur := s.currentQuestion(sq)
	r := ConsulterSollicitationResponse{Retour: ok(), IDSollicitation: sq.id, NumeroSollicitation: sq.numero, CodeCategorie: sq.category.CodeCategorie,
		Objet: sq.objet, Description: sq.description, NumeroFacture: sq.invoice, StatutSollicitation: cur.code, DateCreation: stamp(sq.created),
		DateDerniereModification: stamp(cur.at), ListeEchanges: []EchangeSollicitation{{DateEchange: stamp(sq.created), Emetteur: EmetteurDemandeur, Message: sq.description}}}
	now := s.now()
	for _, e := range sq.events {
		if e.comment != "" && !e.at.After(now) {
			r.ListeEchanges = append(r.ListeEchanges, EchangeSollicitation{DateEchange: stamp(e.at), Emetteur: EmetteurSupport, Message: e.comment})
		}
	}
	return http.StatusOK, r
}
