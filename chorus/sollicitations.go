package chorus

import (
	"context"
	"errors"
)

// The assistance of Chorus Pro ("sollicitations"): a question of the
// supplier to the support, about an invoice, and its answer.
//
// Verified in public sources (the Transverses API as public clients call
// it): RouteRechercherCategoriesSollicitation and the shapes of
// CategoriesSollicitationRequest/Response (codeCategorie,
// libelleCategorie, idTechniqueCategorie, listeCategories,
// parametresRetour).
//
// TO BE VERIFIED in qualification (no public source found for them): the
// routes creer/sollicitation, rechercher/sollicitation and
// consulter/sollicitation and their bodies, built on the conventions of
// the other routes (POST JSON, codeRetour/libelle, pagination and
// parametresRetour, camelCase French names, idFacture/numeroFacture as in
// consulter/historique and rechercher/fournisseur, pieceJointeId as in
// ajouter/fichier). They are constants here and in the sandbox only.
const (
	RouteRechercherCategoriesSollicitation = "/cpro/transverses/v1/rechercher/categorieSollicitation" // verified
	RouteCreerSollicitation                = "/cpro/transverses/v1/creer/sollicitation"               // to be verified
	RouteRechercherSollicitation           = "/cpro/transverses/v1/rechercher/sollicitation"          // to be verified
	RouteConsulterSollicitation            = "/cpro/transverses/v1/consulter/sollicitation"           // to be verified
)

// Statuses of a sollicitation (statutSollicitation; to be verified).
const (
	SolTransmise = "TRANSMISE" // received by the support
	SolEnCours   = "EN_COURS"  // taken in charge
	SolRepondue  = "REPONDUE"  // answered
	SolCloturee  = "CLOTUREE"  // closed
)

// SollicitationFinal reports whether a status is final (polling stops).
func SollicitationFinal(st string) bool { return st == SolRepondue || st == SolCloturee }

// CategoriesSollicitationRequest searches the categories of sollicitation.
type CategoriesSollicitationRequest struct {
	CodeCategorie    string      `json:"codeCategorie,omitempty"`
	LibelleCategorie string      `json:"libelleCategorie,omitempty"`
	EstActif         bool        `json:"estActif,omitempty"`
	Pagination       *Pagination `json:"pagination,omitempty"`
}

// CategorieSollicitation is one category of question.
type CategorieSollicitation struct {
	CodeCategorie        string `json:"codeCategorie"`
	LibelleCategorie     string `json:"libelleCategorie"`
	IDTechniqueCategorie int64  `json:"idTechniqueCategorie"`
}

type CategoriesSollicitationResponse struct {
	Retour
	ListeCategories  []CategorieSollicitation `json:"listeCategories"`
	ParametresRetour *ParametresRetour        `json:"parametresRetour,omitempty"`
}

// PieceJointeSollicitation is an attachment of a question, uploaded first
// with ajouter/fichier.
type PieceJointeSollicitation struct {
	PieceJointeID  int64  `json:"pieceJointeId"`
	PieceJointeNom string `json:"pieceJointeNom"`
}

// CreerSollicitationRequest asks the assistance a question about an invoice.
type CreerSollicitationRequest struct {
	IDTechniqueCategorie int64                      `json:"idTechniqueCategorie"`
	CodeCategorie        string                     `json:"codeCategorie"`
	Objet                string                     `json:"objet"`
	Description          string                     `json:"description"`
	IDFacture            int64                      `json:"idFacture,omitempty"`
	NumeroFacture        string                     `json:"numeroFacture,omitempty"`
	ListePiecesJointes   []PieceJointeSollicitation `json:"listePiecesJointes,omitempty"`
}

type CreerSollicitationResponse struct {
	Retour
	IDSollicitation     int64  `json:"idSollicitation"`
	NumeroSollicitation string `json:"numeroSollicitation"`
	DateCreation        string `json:"dateCreation"`
	StatutSollicitation string `json:"statutSollicitation"`
}

// RechercherSollicitationRequest searches the supplier's questions.
type RechercherSollicitationRequest struct {
	NumeroFacture       string      `json:"numeroFacture,omitempty"`
	IDFacture           int64       `json:"idFacture,omitempty"`
	StatutSollicitation []string    `json:"statutSollicitation,omitempty"`
	Pagination          *Pagination `json:"pagination,omitempty"`
}

type SollicitationTrouvee struct {
	IDSollicitation          int64  `json:"idSollicitation"`
	NumeroSollicitation      string `json:"numeroSollicitation"`
	Objet                    string `json:"objet"`
	CodeCategorie            string `json:"codeCategorie"`
	StatutSollicitation      string `json:"statutSollicitation"`
	NumeroFacture            string `json:"numeroFacture"`
	DateCreation             string `json:"dateCreation"`
	DateDerniereModification string `json:"dateDerniereModification"`
}

type RechercherSollicitationResponse struct {
	Retour
	ListeSollicitations []SollicitationTrouvee `json:"listeSollicitations"`
	ParametresRetour    *ParametresRetour      `json:"parametresRetour,omitempty"`
}

// ConsulterSollicitationRequest reads one question and its exchanges.
type ConsulterSollicitationRequest struct {
	IDSollicitation int64 `json:"idSollicitation"`
}

// EchangeSollicitation is one message of a question: the supplier's
// (DEMANDEUR) or the support's (SUPPORT).
type EchangeSollicitation struct {
	DateEchange string `json:"dateEchange"`
	Emetteur    string `json:"emetteur"`
	Message     string `json:"message"`
}

// Emitters of an exchange.
const (
	EmetteurDemandeur = "DEMANDEUR"
	EmetteurSupport   = "SUPPORT"
)

type ConsulterSollicitationResponse struct {
	Retour
	IDSollicitation          int64                  `json:"idSollicitation"`
	NumeroSollicitation      string                 `json:"numeroSollicitation"`
	CodeCategorie            string                 `json:"codeCategorie"`
	Objet                    string                 `json:"objet"`
	Description              string                 `json:"description"`
	NumeroFacture            string                 `json:"numeroFacture"`
	StatutSollicitation      string                 `json:"statutSollicitation"`
	DateCreation             string                 `json:"dateCreation"`
	DateDerniereModification string                 `json:"dateDerniereModification"`
	ListeEchanges            []EchangeSollicitation `json:"listeEchanges"`
}

// Answer is the last message of the support ("" before any).
func (r *ConsulterSollicitationResponse) Answer() (string, string) {
	for i := len(r.ListeEchanges) - 1; i >= 0; i-- {
		if e := r.ListeEchanges[i]; e.Emetteur == EmetteurSupport {
			return e.Message, e.DateEchange
		}
	}
	return "", ""
}

// CategoriesSollicitation lists the active categories of question.
func (c *Client) CategoriesSollicitation(ctx context.Context) ([]CategorieSollicitation, error) {
	var all []CategorieSollicitation
	for page := 1; page <= 20; page++ {
		var out CategoriesSollicitationResponse
		if err := c.Post(ctx, RouteRechercherCategoriesSollicitation, CategoriesSollicitationRequest{EstActif: true,
			Pagination: &Pagination{NbResultatsParPage: 100, PageResultatDemandee: page}}, &out); err != nil {
			return nil, err
		}
		all = append(all, out.ListeCategories...)
		if out.ParametresRetour == nil || page >= out.ParametresRetour.Pages {
			return all, nil
		}
	}
	return all, errors.New("chorus: rechercher/categorieSollicitation: more than 20 pages")
}

// CreerSollicitation sends a question to the assistance.
func (c *Client) CreerSollicitation(ctx context.Context, q CreerSollicitationRequest) (*CreerSollicitationResponse, error) {
	var out CreerSollicitationResponse
	err := c.Post(ctx, RouteCreerSollicitation, q, &out)
	return &out, err
}

// RechercherSollicitations lists the questions about an invoice (every page).
func (c *Client) RechercherSollicitations(ctx context.Context, q RechercherSollicitationRequest) ([]SollicitationTrouvee, error) {
	var all []SollicitationTrouvee
	for page := 1; page <= 100; page++ {
		q.Pagination = &Pagination{NbResultatsParPage: 100, PageResultatDemandee: page}
		var out RechercherSollicitationResponse
		if err := c.Post(ctx, RouteRechercherSollicitation, q, &out); err != nil {
			return nil, err
		}
		all = append(all, out.ListeSollicitations...)
		if out.ParametresRetour == nil || page >= out.ParametresRetour.Pages {
			return all, nil
		}
	}
	return all, errors.New("chorus: rechercher/sollicitation: more than 100 pages")
}

// ConsulterSollicitation reads a question, its status and its exchanges.
func (c *Client) ConsulterSollicitation(ctx context.Context, id int64) (*ConsulterSollicitationResponse, error) {
	var out ConsulterSollicitationResponse
	err := c.Post(ctx, RouteConsulterSollicitation, ConsulterSollicitationRequest{IDSollicitation: id}, &out)
	return &out, err
}
