package chorus

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"kairos"
	"kairos/einvoice"
)

// Scenarios of the sandbox: what happens to an invoice once deposited. The
// default is Sandbox.Scenario; a deposited invoice chooses its own with the
// marker "CHORUS-SANDBOX:<scenario>" anywhere in its factur-x.xml (a note).
const (
	ScenarioPaid      = "payee"      // integrated, then mise à disposition, service fait, mandatée, mise en paiement
	ScenarioRejected  = "rejet"      // the flux is rejected (IN_REJETE) with a business error on the invoice
	ScenarioRecycle   = "a_recycler" // returned for routing data: waits for recycler
	ScenarioSuspended = "suspendue"  // returned for missing documents: waits for completer
	ScenarioRefused   = "rejetee"    // refused by the recipient (REJETEE), final
)

// Scenarios lists the valid scenario names.
var Scenarios = []string{ScenarioPaid, ScenarioRejected, ScenarioRecycle, ScenarioSuspended, ScenarioRefused}

// TokenPath is where the sandbox serves PISTE's OAuth2 token endpoint.
const TokenPath = "/api/oauth/token"

// Sandbox is a local Chorus Pro qualification server: PISTE's token
// endpoint and the supplier routes of the client, with the same JSON shapes.
// It extracts the deposited Factur-X, checks its XML (against SchemaPath
// with xmllint, or for well-formedness when SchemaPath is empty) and rejects
// as Chorus Pro does (IN_REJETE, ERR_XSD_001), checks the recipient SIRET
// and duplicates, then moves the invoice through its lifecycle on Clock, one
// Step per state, following its scenario. State is kept in memory.
type Sandbox struct {
	Clock        kairos.Clock
	ClientID     string
	ClientSecret string
	Login        string
	Password     string
	SchemaPath   string        // Factur-X EN 16931 XSD; "" checks well-formedness only
	Scenario     string        // default scenario (ScenarioPaid when empty)
	Step         time.Duration // time between two states (default 1 h)
	TokenTTL     time.Duration // lifetime of an access token (default 3600 s)
	Structures   []StructureTrouvee
	// BankAccounts are the IBANs each supplier (by SIRET) registered in its
	// Chorus Pro space: an invoice of such a supplier paid to another
	// account is rejected (listeErreurDP). A supplier absent: any IBAN.
	BankAccounts map[string][]string
	// Categories of question to the assistance (DefaultCategories when empty).
	Categories []CategorieSollicitation

	mu       sync.Mutex
	tokens   map[string]time.Time
	flux     map[string]*sbFlux
	invoices map[int64]*sbInvoice
	files    map[int64]string
	seq      int64

	questions map[int64]*sbQuestion
}

// FranceTravail is the structure the sandbox knows by default (its SIRET is
// the one of the demo data; the real one is configuration, NOTES §1.14).
// It requires a code service (BT-10) and an engagement number (BT-13).
var FranceTravail = StructureTrouvee{IDStructureCPP: 25000001, IdentifiantStructure: "13000548100010", TypeIdentifiantStructure: "SIRET",
	DesignationStructure: "FRANCE TRAVAIL", Statut: "ACTIF", Parametres: ParametresStructure{CodeServiceDoitEtreRenseigne: true, NumeroEJDoitEtreRenseigne: true}}

type sbEvent struct {
	at      time.Time
	code    string
	comment string
}

type sbFlux struct {
	numero     string
	name       string
	number     string // the invoice number read in the file ("" when unreadable)
	deposited  time.Time
	done       time.Time // end of processing
	rejected   bool
	techErrors []ErreurTechnique
	dpErrors   []ErreurDP
	invoiceID  int64
}

type sbInvoice struct {
	id        int64
	flux      *sbFlux
	number    string
	seller    string
	buyer     string
	service   string
	order     string
	totalTTC  float64
	scenario  string
	events    []sbEvent // planned; the current state is the last one at or before now
	recycled  bool
	completed bool
}

func (s *Sandbox) now() time.Time {
	return s.Clock.Now().UTC()
}

func (s *Sandbox) step() time.Duration {
	if s.Step > 0 {
		return s.Step
	}
	return time.Hour
}

func (s *Sandbox) init() {
	if s.tokens == nil {
		s.tokens, s.flux, s.invoices, s.files = map[string]time.Time{}, map[string]*sbFlux{}, map[int64]*sbInvoice{}, map[int64]string{}
		if len(s.Structures) == 0 {
			s.Structures = []StructureTrouvee{FranceTravail}
		}
	}
}

// ServeHTTP serves the token endpoint and the API routes.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if r.URL.Path == TokenPath {
		s.token(w, r)
		return
	}
	if r.URL.Path == FluxPath && r.Method == http.MethodGet {
		answer(w, http.StatusOK, s.received())
		return
	}
	if r.URL.Path == RouteHealthCheck && r.Method == http.MethodGet {
		answer(w, http.StatusOK, Retour{CodeRetour: 0, Libelle: "TRA_MSG_00.000"})
		return
	}
	handlers := map[string]func(body []byte) (int, any){
		RouteDeposerFlux: s.deposerFlux, RouteConsulterCRDetaille: s.consulterCR, RouteRechercherFournisseur: s.rechercher,
		RouteConsulterHistorique: s.historique, RouteRecycler: s.recycler, RouteCompleter: s.completer,
		RouteAjouterFichier: s.ajouterFichier, RouteRechercherStructure: s.structures, RouteConsulterStructure: s.consulterStructure,
		RouteRechercherCategoriesSollicitation: s.rechercherCategories, RouteCreerSollicitation: s.creerSollicitation,
		RouteRechercherSollicitation: s.rechercherSollicitations, RouteConsulterSollicitation: s.consulterSollicitation,
	}
	h, ok := handlers[r.URL.Path]
	if !ok {
		// PISTE answers 403 for a route the application is not subscribed to.
		answer(w, http.StatusForbidden, Retour{CodeRetour: 403, Libelle: "Route inconnue ou non souscrite : " + r.URL.Path})
		return
	}
	if r.Method != http.MethodPost {
		answer(w, http.StatusMethodNotAllowed, Retour{CodeRetour: 405, Libelle: "Méthode non autorisée : POST attendu."})
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := s.tokens[tok]; !ok || !s.now().Before(exp) {
		answer(w, http.StatusUnauthorized, Retour{CodeRetour: 401, Libelle: "Jeton d'accès PISTE absent, inconnu ou expiré."})
		return
	}
	if r.Header.Get("cpro-account") != CproAccount(s.Login, s.Password) {
		answer(w, http.StatusUnauthorized, Retour{CodeRetour: 401, Libelle: "Compte technique Chorus Pro (en-tête cpro-account) refusé."})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20+1))
	if err != nil || len(body) > 32<<20 {
		answer(w, http.StatusRequestEntityTooLarge, Retour{CodeRetour: 20001, Libelle: "Requête trop volumineuse."})
		return
	}
	code, out := h(body)
	answer(w, code, out)
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(msg string) (int, any) { return http.StatusBadRequest, Retour{CodeRetour: 1, Libelle: msg} }

func ok() Retour { return Retour{CodeRetour: 0, Libelle: "TRA_MSG_00.000"} }

func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		answer(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		answer(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if r.PostForm.Get("client_id") != s.ClientID || r.PostForm.Get("client_secret") != s.ClientSecret {
		answer(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "client_id ou client_secret inconnu"})
		return
	}
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.tokens[tok] = s.now().Add(ttl)
	answer(w, http.StatusOK, TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second), Scope: "openid"})
}

func (s *Sandbox) next() int64 { s.seq++; return s.seq }

// FluxPath is the sandbox's own route (not Chorus Pro's) listing every flux
// it received, so that tests check what was deposited (GET, no credentials:
// the sandbox holds test data only).
const FluxPath = "/sandbox/flux"

// ReceivedFlux is one flux the sandbox received.
type ReceivedFlux struct {
	NumeroFluxDepot string    `json:"numeroFluxDepot"`
	NomFichier      string    `json:"nomFichier"`
	NumeroFacture   string    `json:"numeroFacture"`
	DateDepot       time.Time `json:"dateDepot"`
	Rejete          bool      `json:"rejete"`
}

// Received lists the flux received, in order.
func (s *Sandbox) Received() []ReceivedFlux {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.received()
}

func (s *Sandbox) received() []ReceivedFlux {
	out := []ReceivedFlux{}
	for _, f := range s.flux {
		out = append(out, ReceivedFlux{NumeroFluxDepot: f.numero, NomFichier: f.name, NumeroFacture: f.number, DateDepot: f.deposited, Rejete: f.rejected})
	}
	slices.SortFunc(out, func(a, b ReceivedFlux) int { return strings.Compare(a.NumeroFluxDepot, b.NumeroFluxDepot) })
	return out
}

var reMarker = regexp.MustCompile(`CHORUS-SANDBOX:([a-z_]+)`)

// ciiSummary is what the sandbox reads of a CII invoice.
type ciiSummary struct {
	Number    string `xml:"ExchangedDocument>ID"`
	Agreement struct {
		BuyerReference string `xml:"BuyerReference"`
		Seller         string `xml:"SellerTradeParty>SpecifiedLegalOrganization>ID"`
		Buyer          string `xml:"BuyerTradeParty>SpecifiedLegalOrganization>ID"`
		Order          string `xml:"BuyerOrderReferencedDocument>IssuerAssignedID"`
	} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeAgreement"`
	Grand string `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement>SpecifiedTradeSettlementHeaderMonetarySummation>GrandTotalAmount"`
	IBAN  string `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement>SpecifiedTradeSettlementPaymentMeans>PayeePartyCreditorFinancialAccount>IBANID"`
}

func (s *Sandbox) deposerFlux(body []byte) (int, any) {
	var q DeposerFluxRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	if q.SyntaxeFlux != SyntaxeFacturX {
		return fail("syntaxeFlux non prise en charge par le bac à sable : " + q.SyntaxeFlux + " (attendu " + SyntaxeFacturX + ").")
	}
	if q.NomFichier == "" || len(q.NomFichier) > 200 {
		return fail("nomFichier obligatoire (200 caractères au plus).")
	}
	pdf, err := base64.StdEncoding.DecodeString(q.FichierFlux)
	if err != nil || len(pdf) == 0 {
		return fail("fichierFlux n'est pas un contenu base64 valide.")
	}
	if len(pdf) > 10<<20 {
		return http.StatusBadRequest, Retour{CodeRetour: 20001, Libelle: "GDP_MSG_11.022 : fichier trop volumineux (10 Mo au plus)."}
	}
	now := s.now()
	f := &sbFlux{numero: fmt.Sprintf("CPP%013d", s.next()), name: q.NomFichier, deposited: now, done: now.Add(s.step())}
	s.flux[f.numero] = f
	s.check(f, pdf)
	return http.StatusOK, DeposerFluxResponse{Retour: ok(), NumeroFluxDepot: f.numero, DateDepot: now.Format("2006-01-02"), SyntaxeFlux: SyntaxeFacturX}
}

// check decides at deposit what processing will find.
func (s *Sandbox) check(f *sbFlux, pdf []byte) {
	reject := func(code, nature, msg string) {
		f.rejected = true
		f.techErrors = append(f.techErrors, ErreurTechnique{CodeErreur: code, NatureErreur: nature, LibelleErreur: "IRRECEVABILITE: " + msg})
	}
	x, err := einvoice.ExtractFacturX(pdf)
	if err != nil {
		reject("ERR_FORMAT_001", "ERR_FORMAT", "le fichier n'est pas un PDF Factur-X : aucun factur-x.xml n'y est joint.")
		return
	}
	if msg := s.xsd(x); msg != "" {
		reject("ERR_XSD_001", "ERR_XSD", msg)
		return
	}
	var c ciiSummary
	if err := xml.Unmarshal(x, &c); err != nil {
		reject("ERR_XSD_001", "ERR_XSD", err.Error())
		return
	}
	f.number = c.Number
	dp := func(msg string) {
		f.rejected = true
		f.dpErrors = append(f.dpErrors, ErreurDP{NumeroDP: c.Number, IdentifiantFournisseur: c.Agreement.Seller, IdentifiantDestinataire: c.Agreement.Buyer, LibelleErreurDP: msg})
	}
	scenario := s.Scenario
	if m := reMarker.FindSubmatch(x); m != nil && slices.Contains(Scenarios, string(m[1])) {
		scenario = string(m[1])
	}
	if scenario == "" {
		scenario = ScenarioPaid
	}
	if st := s.structure(c.Agreement.Buyer); st == nil {
		dp("Le destinataire " + c.Agreement.Buyer + " n'est pas une structure publique active de Chorus Pro.")
	} else {
		p := st.Parametres
		service, ej := c.Agreement.BuyerReference != "", c.Agreement.Order != ""
		switch {
		case p.GestionNumeroEJOuCodeService && !service && !ej:
			dp("Le destinataire exige le code service (BT-10) ou le numéro d'engagement (BT-13).")
		case !p.GestionNumeroEJOuCodeService && p.CodeServiceDoitEtreRenseigne && !service:
			dp("Le destinataire exige le code service exécutant (BT-10).")
		case !p.GestionNumeroEJOuCodeService && p.NumeroEJDoitEtreRenseigne && !ej:
			dp("Le destinataire exige le numéro d'engagement juridique (BT-13).")
		}
	}
	if known, ok := s.BankAccounts[c.Agreement.Seller]; ok && c.IBAN != "" && !slices.Contains(known, c.IBAN) {
		dp("Les coordonnées bancaires de la facture (IBAN " + maskIBAN(c.IBAN) + ") ne font pas partie de celles enregistrées pour le fournisseur " + c.Agreement.Seller +
			" dans Chorus Pro : corrigez l'IBAN de la facture, ou enregistrez ce compte dans l'espace Chorus Pro du fournisseur.")
	}
	for _, inv := range s.invoices {
		if inv.seller == c.Agreement.Seller && inv.number == c.Number {
			dp("La facture " + c.Number + " a déjà été déposée par ce fournisseur (doublon).")
			break
		}
	}
	if scenario == ScenarioRejected {
		dp("Le numéro d'engagement " + c.Agreement.Order + " est inconnu du destinataire (scénario de rejet du bac à sable).")
	}
	if f.rejected {
		return
	}
	total, _ := strconv.ParseFloat(c.Grand, 64)
	inv := &sbInvoice{id: 100000 + s.next(), flux: f, number: c.Number, seller: c.Agreement.Seller, buyer: c.Agreement.Buyer,
		service: c.Agreement.BuyerReference, order: c.Agreement.Order, totalTTC: total, scenario: scenario}
	t := f.done
	step := s.step()
	add := func(code, comment string) {
		inv.events = append(inv.events, sbEvent{t, code, comment})
		t = t.Add(step)
	}
	add(StDeposee, "")
	switch scenario {
	case ScenarioRecycle:
		add(StARecycler, "Code service exécutant "+c.Agreement.BuyerReference+" inconnu : corrigez les données d'acheminement.")
	case ScenarioSuspended:
		add(StMiseADisposition, "")
		add(StSuspendue, "Pièce justificative manquante : joignez les attestations de présence et le bilan.")
	case ScenarioRefused:
		add(StMiseADisposition, "")
		add(StRejetee, "Montant non conforme au devis AIF validé.")
	default:
		s.paidPath(inv, t, StMiseADisposition)
	}
	f.invoiceID = inv.id
	s.invoices[inv.id] = inv
}

// maskIBAN keeps the country, the key and the last 4 characters.
func maskIBAN(iban string) string {
	if len(iban) < 8 {
		return iban
	}
	return iban[:4] + strings.Repeat("•", 4) + iban[len(iban)-4:]
}

// paidPath plans the states from first to MISE_EN_PAIEMENT from t on.
func (s *Sandbox) paidPath(inv *sbInvoice, t time.Time, first string) {
	path := []string{StMiseADisposition, StServiceFait, StMandatee, StMiseEnPaiement}
	if first == StCompletee {
		path = []string{StCompletee, StServiceFait, StMandatee, StMiseEnPaiement}
	}
	for _, code := range path {
		inv.events = append(inv.events, sbEvent{t, code, ""})
		t = t.Add(s.step())
	}
}

var reLintLine = regexp.MustCompile(`^[^:]*:(\d+): (.*)$`)

// xsd checks x against the schema (xmllint), or for well-formedness.
func (s *Sandbox) xsd(x []byte) string {
	if s.SchemaPath == "" {
		d := xml.NewDecoder(bytes.NewReader(x))
		for {
			if _, err := d.Token(); err == io.EOF {
				return ""
			} else if err != nil {
				return err.Error()
			}
		}
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", s.SchemaPath, "-")
	cmd.Stdin = bytes.NewReader(x)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return ""
	}
	for _, l := range strings.Split(string(out), "\n") {
		if m := reLintLine.FindStringSubmatch(l); m != nil {
			return m[2] + " - ligne: " + m[1]
		}
	}
	return strings.TrimSpace(string(out))
}

func (s *Sandbox) structure(siret string) *StructureTrouvee {
	for i := range s.Structures {
		if s.Structures[i].IdentifiantStructure == siret && s.Structures[i].Statut == "ACTIF" {
			return &s.Structures[i]
		}
	}
	return nil
}

func stamp(t time.Time) string { return t.Format("2006-01-02T15:04:05Z07:00") }

func (s *Sandbox) consulterCR(body []byte) (int, any) {
	var q ConsulterCRDetailleRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	f, found := s.flux[q.NumeroFluxDepot]
	if !found {
		return fail("Flux " + q.NumeroFluxDepot + " inconnu.")
	}
	r := ConsulterCRDetailleResponse{Retour: ok(), NomFichier: f.name, DateDepotFlux: stamp(f.deposited), CodeInterfaceDepotFlux: "FSO1117A"}
	if s.now().Before(f.done) {
		r.EtatCourantDepotFlux, r.DateHeureEtatCourantFlux = FluxEnTraitement, stamp(f.deposited)
		return http.StatusOK, r
	}
	r.DateHeureEtatCourantFlux = stamp(f.done)
	if f.rejected {
		r.EtatCourantDepotFlux, r.ListeErreurTechnique, r.ListeErreurDP = FluxRejete, f.techErrors, f.dpErrors
	} else {
		r.EtatCourantDepotFlux = FluxIntegre
	}
	return http.StatusOK, r
}

// visible reports whether inv exists yet (its flux has been integrated).
func (s *Sandbox) visible(inv *sbInvoice) bool { return !s.now().Before(inv.flux.done) }

func (s *Sandbox) current(inv *sbInvoice) sbEvent { return s.currentOf(inv.events) }

// currentOf is the last of events (in time order, the first one already
// there) that has happened by the sandbox's clock.
func (s *Sandbox) currentOf(events []sbEvent) sbEvent {
	now := s.now()
	cur := events[0]
	for _, e := range events {
		if !e.at.After(now) {
			cur = e
		}
	}
	return cur
}

func (s *Sandbox) rechercher(body []byte) (int, any) {
	var q RechercherFournisseurRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	var list []FactureTrouvee
	ids := make([]int64, 0, len(s.invoices))
	for id := range s.invoices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		inv := s.invoices[id]
		if !s.visible(inv) || (q.NumeroFluxDepot != "" && inv.flux.numero != q.NumeroFluxDepot) || (q.NumeroFacture != "" && inv.number != q.NumeroFacture) {
			continue
		}
		cur := s.current(inv)
		if len(q.StatutCourant) > 0 && !slices.Contains(q.StatutCourant, cur.code) {
			continue
		}
		list = append(list, FactureTrouvee{IdentifiantFactureCPP: inv.id, NumeroFacture: inv.number, Statut: cur.code, DateDepot: inv.flux.deposited.Format("2006-01-02"),
			DateHeureEtatCourant: stamp(cur.at), CodeDestinataire: inv.buyer, CodeServiceExecutant: inv.service, NumeroBonCommande: inv.order,
			MontantTTC: inv.totalTTC, CommentaireEtatCourant: cur.comment, NumeroFluxDepot: inv.flux.numero})
	}
	size, page := 10, 1
	if p := q.RechercheFactureParFournisseur; p != nil {
		if p.NbResultatsParPage > 0 {
			size = min(p.NbResultatsParPage, 500)
		}
		if p.PageResultatDemandee > 0 {
			page = p.PageResultatDemandee
		}
	}
	pages := max(1, (len(list)+size-1)/size)
	from, to := min((page-1)*size, len(list)), min(page*size, len(list))
	return http.StatusOK, RechercherFournisseurResponse{Retour: ok(), ListeFactures: append([]FactureTrouvee{}, list[from:to]...),
		ParametresRetour: &ParametresRetour{NbResultatsParPage: size, PageCourante: page, Pages: pages, Total: len(list)}}
}

func (s *Sandbox) invoice(id int64) (*sbInvoice, error) {
	inv, found := s.invoices[id]
	if !found || !s.visible(inv) {
		return nil, errors.New("Facture " + strconv.FormatInt(id, 10) + " inconnue.")
	}
	return inv, nil
}

func (s *Sandbox) historique(body []byte) (int, any) {
	var q ConsulterHistoriqueRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	inv, err := s.invoice(q.IDFacture)
	if err != nil {
		return fail(err.Error())
	}
	r := ConsulterHistoriqueResponse{Retour: ok(), NumeroFacture: inv.number, ModeDepot: "DEPOT_FLUX", StatutCourantCode: s.current(inv).code}
	now := s.now()
	for i := len(inv.events) - 1; i >= 0; i-- { // latest first, as Chorus Pro lists them
		if e := inv.events[i]; !e.at.After(now) {
			r.HistoriquesDesStatuts.HistoStatut = append(r.HistoriquesDesStatuts.HistoStatut, HistoStatut{HistoStatutCode: e.code, HistoStatutDatePassage: stamp(e.at), HistoStatutCommentaire: e.comment})
		}
	}
	return http.StatusOK, r
}

func (s *Sandbox) recycler(body []byte) (int, any) {
	var q RecyclerRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	inv, err := s.invoice(q.IdentifiantFactureCPP)
	if err != nil {
		return fail(err.Error())
	}
	if cur := s.current(inv); cur.code != StARecycler {
		return fail("La facture est « " + cur.code + " » : seule une facture à recycler (A_RECYCLER) peut l'être.")
	}
	if s.structure(q.Destinataire.CodeDestinataire) == nil {
		return fail("Le destinataire " + q.Destinataire.CodeDestinataire + " n'est pas une structure publique active.")
	}
	if q.Destinataire.CodeServiceExecutant == "" {
		return fail("Le code service exécutant est obligatoire pour ce destinataire.")
	}
	inv.buyer, inv.service, inv.recycled = q.Destinataire.CodeDestinataire, q.Destinataire.CodeServiceExecutant, true
	if q.Reference != nil && q.Reference.NumeroBonCommande != "" {
		inv.order = q.Reference.NumeroBonCommande
	}
	now := s.now()
	inv.events = append(inv.events, sbEvent{now, StDeposee, "Facture recyclée : " + q.Commentaire})
	s.paidPath(inv, now.Add(s.step()), StMiseADisposition)
	return http.StatusOK, ActionResponse{Retour: ok(), IdentifiantFactureCPP: inv.id, StatutFacture: StDeposee}
}

func (s *Sandbox) completer(body []byte) (int, any) {
	var q CompleterRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	inv, err := s.invoice(q.IdentifiantFactureCPP)
	if err != nil {
		return fail(err.Error())
	}
	if cur := s.current(inv); cur.code != StSuspendue {
		return fail("La facture est « " + cur.code + " » : seule une facture suspendue (SUSPENDUE) peut être complétée.")
	}
	if len(q.PieceJointeComplementaire) == 0 {
		return fail("Joignez au moins une pièce justificative (pieceJointeComplementaire).")
	}
	for _, pj := range q.PieceJointeComplementaire {
		if _, found := s.files[pj.PieceJointeComplementaireID]; !found {
			return fail("Pièce jointe " + strconv.FormatInt(pj.PieceJointeComplementaireID, 10) + " inconnue : déposez-la d'abord (ajouter/fichier).")
		}
	}
	inv.completed = true
	s.paidPath(inv, s.now(), StCompletee)
	return http.StatusOK, ActionResponse{Retour: ok(), IdentifiantFactureCPP: inv.id, StatutFacture: StCompletee}
}

// Extensions Chorus Pro accepts for attachments (NOTES §1.11).
var extensions = strings.Fields("BMP GIF FAX ODT PPT TIFF XLS BZ2 GZ JPEG P7S RTF TXT XML CSV GZIP JPG PDF SVG XHTML XLSX DOC HTM ODP PNG TGZ XLC ZIP DOCX HTML ODS PPS TIF XLM PPTX")

func (s *Sandbox) ajouterFichier(body []byte) (int, any) {
	var q AjouterFichierRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	data, err := base64.StdEncoding.DecodeString(q.PieceJointeFichier)
	switch {
	case err != nil || len(data) == 0:
		return fail("pieceJointeFichier vide ou non base64.")
	case len(data) > 10<<20:
		return http.StatusBadRequest, Retour{CodeRetour: 20001, Libelle: "GDP_MSG_11.022 : fichier trop volumineux (10 Mo au plus)."}
	case q.PieceJointeNom == "" || len([]rune(q.PieceJointeNom)) > 50:
		return fail("pieceJointeNom obligatoire, 50 caractères au plus extension comprise.")
	case !slices.Contains(extensions, strings.ToUpper(q.PieceJointeExtension)) || !strings.HasSuffix(strings.ToUpper(q.PieceJointeNom), "."+strings.ToUpper(q.PieceJointeExtension)):
		return fail("Extension " + q.PieceJointeExtension + " refusée ou différente de celle du nom du fichier.")
	}
	id := 700000 + s.next()
	s.files[id] = q.PieceJointeNom
	return http.StatusOK, AjouterFichierResponse{Retour: ok(), PieceJointeID: id}
}

func (s *Sandbox) structures(body []byte) (int, any) {
	var q RechercherStructureRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	var list []StructureTrouvee
	for _, st := range s.Structures {
		if st.IdentifiantStructure == q.Structure.IdentifiantStructure && (q.Structure.TypeIdentifiantStructure == "" || q.Structure.TypeIdentifiantStructure == st.TypeIdentifiantStructure) {
			list = append(list, st)
		}
	}
	return http.StatusOK, RechercherStructureResponse{Retour: ok(), ListeStructures: list,
		ParametresRetour: &ParametresRetour{NbResultatsParPage: 10, PageCourante: 1, Pages: 1, Total: len(list)}}
}

func (s *Sandbox) consulterStructure(body []byte) (int, any) {
	var q ConsulterStructureRequest
	if err := json.Unmarshal(body, &q); err != nil {
		return fail("Corps JSON invalide : " + err.Error())
	}
	for _, st := range s.Structures {
		if st.IDStructureCPP == q.IDStructureCPP {
			r := ConsulterStructureResponse{Retour: ok(), IDStructureCPP: st.IDStructureCPP, IdentifiantStructure: st.IdentifiantStructure, Parametres: st.Parametres}
			r.InformationGenerales.DesignationStructure = st.DesignationStructure
			return http.StatusOK, r
		}
	}
	return fail("Structure " + strconv.FormatInt(q.IDStructureCPP, 10) + " inconnue.")
}

// Sandbox URLs for a client: the API base and the token endpoint under base.
func SandboxConfig(base, clientID, secret, login, password string) Config {
	u, _ := url.Parse(base)
	return Config{APIURL: u.String(), OAuthURL: u.JoinPath(TokenPath).String(), ClientID: clientID, ClientSecret: secret, Login: login, Password: password}
}
