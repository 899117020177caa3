// Package chorus speaks the Chorus Pro API through PISTE (DOMAIN §10,
// shared/einvoice/NOTES.md §1): a client for the real platform (OAuth2
// client credentials with a cached token, the cpro-account header of the
// technical account, JSON bodies as Chorus Pro has them), and Sandbox, a
// local qualification server that implements the same routes, JSON shapes
// and status machines, used by tests and the demo (`kairos chorus-sandbox`).
package chorus

// Routes of the supplier side (POST, JSON), relative to the API base URL.
const (
	RouteDeposerFlux           = "/cpro/factures/v1/deposer/flux"
	RouteRechercherFournisseur = "/cpro/factures/v1/rechercher/fournisseur"
	RouteConsulterHistorique   = "/cpro/factures/v1/consulter/historique"
	RouteRecycler              = "/cpro/factures/v1/recycler"
	RouteCompleter             = "/cpro/factures/v1/completer"
	RouteAjouterFichier        = "/cpro/transverses/v1/ajouter/fichier"
	RouteConsulterCRDetaille   = "/cpro/transverses/v1/consulterCRDetaille"
	RouteRechercherStructure   = "/cpro/structures/v1/rechercher"
	RouteConsulterStructure    = "/cpro/structures/v1/consulter"
	RouteHealthCheck           = "/cpro/transverses/v1/health-check" // GET
)

// SyntaxeFacturX is the flux syntax of a Factur-X PDF/A-3 (E2, interface FSO1117A).
const SyntaxeFacturX = "IN_DP_E2_CII_FACTURX"

// Flux (deposit) states (etatCourantDepotFlux).
const (
	FluxRecu           = "IN_RECU"
	FluxEnTraitement   = "IN_EN_COURS_TRAITEMENT_CPP"
	FluxIntegre        = "IN_INTEGRE"
	FluxIntegrePartiel = "IN_INTEGRE_PARTIEL"
	FluxRejete         = "IN_REJETE"
)

// FluxFinal reports whether a flux state is final (polling stops).
func FluxFinal(etat string) bool {
	return etat == FluxIntegre || etat == FluxIntegrePartiel || etat == FluxRejete
}

// Invoice states (statut, statutCourantCode).
const (
	StDeposee             = "DEPOSEE"
	StEnCoursAcheminement = "EN_COURS_ACHEMINEMENT"
	StMiseADisposition    = "MISE_A_DISPOSITION"
	StServiceFait         = "SERVICE_FAIT"
	StMandatee            = "MANDATEE"
	StMiseEnPaiement      = "MISE_EN_PAIEMENT"
	StARecycler           = "A_RECYCLER"
	StSuspendue           = "SUSPENDUE"
	StCompletee           = "COMPLETEE"
	StRejetee             = "REJETEE"
)

// InvoiceFinal reports whether an invoice state is final (polling stops).
func InvoiceFinal(st string) bool { return st == StMiseEnPaiement || st == StRejetee }

// Retour is the part every answer carries.
type Retour struct {
	CodeRetour int    `json:"codeRetour"`
	Libelle    string `json:"libelle"`
}

// Pagination of search requests and answers.
type Pagination struct {
	NbResultatsParPage   int    `json:"nbResultatsParPage,omitempty"`
	PageResultatDemandee int    `json:"pageResultatDemandee,omitempty"`
	TriColonne           string `json:"triColonne,omitempty"`
	TriSens              string `json:"triSens,omitempty"`
}

type ParametresRetour struct {
	NbResultatsParPage int `json:"nbResultatsParPage"`
	PageCourante       int `json:"pageCourante"`
	Pages              int `json:"pages"`
	Total              int `json:"total"`
}

// DeposerFluxRequest deposits a file as a flux.
type DeposerFluxRequest struct {
	FichierFlux          string `json:"fichierFlux"` // base64
	NomFichier           string `json:"nomFichier"`
	SyntaxeFlux          string `json:"syntaxeFlux"`
	AvecSignature        bool   `json:"avecSignature"`
	IDUtilisateurCourant int64  `json:"idUtilisateurCourant,omitempty"`
}

type DeposerFluxResponse struct {
	Retour
	NumeroFluxDepot string `json:"numeroFluxDepot"`
	DateDepot       string `json:"dateDepot"` // AAAA-MM-JJ
	SyntaxeFlux     string `json:"syntaxeFlux"`
}

// ConsulterCRDetailleRequest asks for a flux's deposit report.
type ConsulterCRDetailleRequest struct {
	NumeroFluxDepot string `json:"numeroFluxDepot"`
	SyntaxeFlux     string `json:"syntaxeFlux,omitempty"`
}

type ErreurTechnique struct {
	CodeErreur    string `json:"codeErreur"`
	LibelleErreur string `json:"libelleErreur"`
	NatureErreur  string `json:"natureErreur"`
}

type ErreurDP struct {
	NumeroDP                string `json:"numeroDP"`
	IdentifiantFournisseur  string `json:"identifiantFournisseur"`
	IdentifiantDestinataire string `json:"identifiantDestinataire"`
	LibelleErreurDP         string `json:"libelleErreurDP"`
}

type ConsulterCRDetailleResponse struct {
	Retour
	NomFichier               string            `json:"nomFichier"`
	DateDepotFlux            string            `json:"dateDepotFlux"`
	CodeInterfaceDepotFlux   string            `json:"codeInterfaceDepotFlux"`
	EtatCourantDepotFlux     string            `json:"etatCourantDepotFlux"`
	DateHeureEtatCourantFlux string            `json:"dateHeureEtatCourantFlux"`
	ListeErreurTechnique     []ErreurTechnique `json:"listeErreurTechnique,omitempty"`
	ListeErreurDP            []ErreurDP        `json:"listeErreurDP,omitempty"`
}

// RechercherFournisseurRequest searches the supplier's invoices.
type RechercherFournisseurRequest struct {
	NumeroFluxDepot                string      `json:"numeroFluxDepot,omitempty"`
	NumeroFacture                  string      `json:"numeroFacture,omitempty"`
	StatutCourant                  []string    `json:"statutCourant,omitempty"`
	RechercheFactureParFournisseur *Pagination `json:"rechercheFactureParFournisseur,omitempty"`
}

type FactureTrouvee struct {
	IdentifiantFactureCPP  int64   `json:"identifiantFactureCPP"`
	NumeroFacture          string  `json:"numeroFacture"`
	Statut                 string  `json:"statut"`
	DateDepot              string  `json:"dateDepot"`
	DateHeureEtatCourant   string  `json:"dateHeureEtatCourant"`
	CodeDestinataire       string  `json:"codeDestinataire"`
	CodeServiceExecutant   string  `json:"codeServiceExecutant"`
	NumeroBonCommande      string  `json:"numeroBonCommande"`
	MontantTTC             float64 `json:"montantTTC"`
	CommentaireEtatCourant string  `json:"commentaireEtatCourant,omitempty"`
	NumeroFluxDepot        string  `json:"numeroFluxDepot"`
}

type RechercherFournisseurResponse struct {
	Retour
	ListeFactures    []FactureTrouvee  `json:"listeFactures"`
	ParametresRetour *ParametresRetour `json:"parametresRetour,omitempty"`
}

// ConsulterHistoriqueRequest reads one invoice's status history.
type ConsulterHistoriqueRequest struct {
	IDFacture            int64 `json:"idFacture"`
	IDUtilisateurCourant int64 `json:"idUtilisateurCourant,omitempty"`
}

type HistoStatut struct {
	HistoStatutCode        string `json:"histoStatutCode"`
	HistoStatutDatePassage string `json:"histoStatutDatePassage"`
	HistoStatutCommentaire string `json:"histoStatutCommentaire,omitempty"`
}

type ConsulterHistoriqueResponse struct {
	Retour
	NumeroFacture         string `json:"numeroFacture"`
	StatutCourantCode     string `json:"statutCourantCode"`
	ModeDepot             string `json:"modeDepot"`
	DerniereAction        string `json:"derniereAction,omitempty"`
	HistoriquesDesStatuts struct {
		HistoStatut []HistoStatut `json:"histoStatut"`
	} `json:"historiquesDesStatuts"`
}

// RecyclerRequest fixes the routing data of an A_RECYCLER invoice.
type RecyclerRequest struct {
	IdentifiantFactureCPP int64 `json:"identifiantFactureCPP"`
	Destinataire          struct {
		CodeDestinataire     string `json:"codeDestinataire"`
		CodeServiceExecutant string `json:"codeServiceExecutant,omitempty"`
	} `json:"destinataire"`
	Reference *struct {
		NumeroBonCommande string `json:"numeroBonCommande,omitempty"`
		NumeroMarche      string `json:"numeroMarche,omitempty"`
	} `json:"reference,omitempty"`
	Commentaire string `json:"commentaire,omitempty"`
}

// PieceJointeComplementaire is an attachment given by its id (from ajouter/fichier).
type PieceJointeComplementaire struct {
	PieceJointeComplementaireDesignation string `json:"pieceJointeComplementaireDesignation"`
	PieceJointeComplementaireID          int64  `json:"pieceJointeComplementaireId"`
	PieceJointeComplementaireType        string `json:"pieceJointeComplementaireType,omitempty"`
}

// CompleterRequest completes a SUSPENDUE invoice.
type CompleterRequest struct {
	IdentifiantFactureCPP     int64                       `json:"identifiantFactureCPP"`
	PieceJointeComplementaire []PieceJointeComplementaire `json:"pieceJointeComplementaire,omitempty"`
	Commentaire               string                      `json:"commentaire,omitempty"`
}

// ActionResponse answers recycler and completer.
type ActionResponse struct {
	Retour
	IdentifiantFactureCPP int64  `json:"identifiantFactureCPP"`
	StatutFacture         string `json:"statutFacture,omitempty"`
}

// AjouterFichierRequest uploads an attachment.
type AjouterFichierRequest struct {
	PieceJointeFichier   string `json:"pieceJointeFichier"` // base64
	PieceJointeNom       string `json:"pieceJointeNom"`
	PieceJointeTypeMime  string `json:"pieceJointeTypeMime"`
	PieceJointeExtension string `json:"pieceJointeExtension"`
}

type AjouterFichierResponse struct {
	Retour
	PieceJointeID int64 `json:"pieceJointeId"`
}

// RechercherStructureRequest finds a public structure by SIRET.
type RechercherStructureRequest struct {
	Structure struct {
		IdentifiantStructure     string `json:"identifiantStructure"`
		TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
	} `json:"structure"`
}

type StructureTrouvee struct {
	IDStructureCPP           int64  `json:"idStructureCPP"`
	IdentifiantStructure     string `json:"identifiantStructure"`
	TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
	DesignationStructure     string `json:"designationStructure"`
	Statut                   string `json:"statut"`

	// Of the sandbox only: what consulter answers (not in rechercher's JSON).
	Parametres ParametresStructure `json:"-"`
}

type RechercherStructureResponse struct {
	Retour
	ListeStructures  []StructureTrouvee `json:"listeStructures"`
	ParametresRetour *ParametresRetour  `json:"parametresRetour,omitempty"`
}

// ConsulterStructureRequest reads what a public buyer requires.
type ConsulterStructureRequest struct {
	IDStructureCPP int64  `json:"idStructureCPP"`
	CodeLangue     string `json:"codeLangue,omitempty"`
}

// ParametresStructure are the references a structure requires on invoices.
type ParametresStructure struct {
	CodeServiceDoitEtreRenseigne       bool `json:"codeServiceDoitEtreRenseigne"`
	NumeroEJDoitEtreRenseigne          bool `json:"numeroEJDoitEtreRenseigne"`
	GestionNumeroEJOuCodeService       bool `json:"gestionNumeroEJOuCodeService"`
	StatutMiseEnPaiementNestPasRemonte bool `json:"statutMiseEnPaiementNestPasRemonte"`
}

// Required names what the structure requires, as OCA's connector does:
// "service_or_engagement", "service_and_engagement", "service",
// "engagement" or "none".
func (p ParametresStructure) Required() string {
	switch {
	case p.GestionNumeroEJOuCodeService:
		return "service_or_engagement"
	case p.CodeServiceDoitEtreRenseigne && p.NumeroEJDoitEtreRenseigne:
		return "service_and_engagement"
	case p.CodeServiceDoitEtreRenseigne:
		return "service"
	case p.NumeroEJDoitEtreRenseigne:
		return "engagement"
	}
	return "none"
}

type ConsulterStructureResponse struct {
	Retour
	IDStructureCPP       int64  `json:"idStructureCPP"`
	IdentifiantStructure string `json:"identifiantStructure"`
	InformationGenerales struct {
		DesignationStructure             string `json:"designationStructure"`
		DateExpirationMotPasseCompteTech string `json:"dateExpirationMotPasseCompteTech,omitempty"`
	} `json:"informationGenerales"`
	Parametres ParametresStructure `json:"parametres"`
}

// TokenResponse is PISTE's OAuth2 answer.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}
