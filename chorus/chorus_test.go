package chorus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kairos/calendar"
	"kairos/chorus"
	"kairos/einvoice"
	"kairos/einvoice/einvoicetest"
	"kairos/fixture"
)

var t0 = time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	sb     *chorus.Sandbox
	client *chorus.Client
	clock  *fixture.Clock
	tokens *atomic.Int32
	ctx    context.Context
}

func newEnv(t *testing.T, configure ...func(*chorus.Sandbox)) *env {
	t.Helper()
	clock := &fixture.Clock{T: t0}
	sb := &chorus.Sandbox{Clock: clock.Now, ClientID: "app", ClientSecret: "s3cret", Login: "TECH_1_kairos@cpro.fr", Password: "mdp-technique"}
	for _, f := range configure {
		f(sb)
	}
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == chorus.TokenPath {
			tokens.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := chorus.NewClient(chorus.SandboxConfig(srv.URL, "app", "s3cret", "TECH_1_kairos@cpro.fr", "mdp-technique"), clock.Now)
	return &env{sb: sb, client: c, clock: clock, tokens: &tokens, ctx: context.Background()}
}

// invoice is an invoice of an OF to France Travail; note, when set, is added as a note (scenario markers).
func invoice(number, note string) *einvoice.Invoice {
	lines, allowances := einvoice.PrepareLines([]einvoice.HoursItem{
		{Label: "Formation — mars 2026", Period: calendar.NewMonth(2026, time.March).Days(), QuarterHours: 4 * 100},
	}, 1250, 0, "DEV-2026-000042")
	inv := &einvoice.Invoice{
		Number: number, TypeCode: einvoice.TypeInvoice,
		IssueDate: calendar.NewDate(2026, time.June, 2), DueDate: calendar.NewDate(2026, time.July, 2),
		Seller: einvoice.Party{Name: "Formations & Avenir", SIRET: "73282932000074", NDA: "11755012375", VATID: "FR44732829320",
			Address: einvoice.Address{Line1: "12 rue de l'Échiquier", PostalCode: "75010", City: "Paris", Country: "FR"}},
		Buyer: einvoice.Party{Name: "France Travail", SIRET: chorus.FranceTravail.IdentifiantStructure,
			Address: einvoice.Address{Line1: "1 avenue du Docteur Gley", PostalCode: "75020", City: "Paris", Country: "FR"}},
		BuyerReference: "FT-SERV-75-AIF", OrderReference: "DEV-2026-000042",
		IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPP", Lines: lines, Allowances: allowances,
	}
	if note != "" {
		inv.Notes = []einvoice.Note{{Subject: "AAI", Content: note}}
	}
	inv.Compute()
	return inv
}

func facturX(t *testing.T, inv *einvoice.Invoice) []byte {
	t.Helper()
	pdf, err := einvoice.PDF(inv, einvoice.XML(inv), t0)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

func (e *env) deposit(t *testing.T, pdf []byte) string {
	t.Helper()
	r, err := e.client.DeposerFlux(e.ctx, "facture.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumeroFluxDepot == "" || r.DateDepot != "2026-06-02" || r.SyntaxeFlux != chorus.SyntaxeFacturX {
		t.Fatalf("deposit: %+v", r)
	}
	return r.NumeroFluxDepot
}

func (e *env) cr(t *testing.T, flux string) *chorus.ConsulterCRDetailleResponse {
	t.Helper()
	r, err := e.client.ConsulterCRDetaille(e.ctx, flux)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// found returns the only invoice of flux.
func (e *env) found(t *testing.T, flux string) chorus.FactureTrouvee {
	t.Helper()
	list, err := e.client.RechercherFournisseur(e.ctx, chorus.RechercherFournisseurRequest{NumeroFluxDepot: flux})
	if err != nil || len(list) != 1 {
		t.Fatalf("rechercher/fournisseur: %v %+v", err, list)
	}
	return list[0]
}

func (e *env) status(t *testing.T, id int64) string {
	t.Helper()
	h, err := e.client.ConsulterHistorique(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return h.StatutCourantCode
}

func TestTokenCachedUntilShortlyBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		if l, err := e.client.RechercherStructure(e.ctx, chorus.FranceTravail.IdentifiantStructure); err != nil || len(l) != 1 || l[0].IDStructureCPP != chorus.FranceTravail.IDStructureCPP {
			t.Fatalf("structures: %v %+v", err, l)
		}
	}
	if n := e.tokens.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	e.clock.Advance(time.Hour - chorus.TokenMargin - time.Second)
	e.client.RechercherStructure(e.ctx, "13000548100010")
	if n := e.tokens.Load(); n != 1 {
		t.Fatalf("token renewed %d times before the margin", n-1)
	}
	e.clock.Advance(2 * time.Second)
	if _, err := e.client.RechercherStructure(e.ctx, "13000548100010"); err != nil {
		t.Fatal(err)
	}
	if n := e.tokens.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2 (renewed %s before expiry)", n, chorus.TokenMargin)
	}
}

func TestStructureRequirements(t *testing.T) {
	e := newEnv(t)
	st, err := e.client.ConsulterStructure(e.ctx, chorus.FranceTravail.IDStructureCPP)
	if err != nil || st.IdentifiantStructure != "13000548100010" || st.Parametres.Required() != "service_and_engagement" || st.InformationGenerales.DesignationStructure != "FRANCE TRAVAIL" {
		t.Fatalf("consulter: %v %+v", err, st)
	}
	if _, err := e.client.ConsulterStructure(e.ctx, 1); err == nil {
		t.Fatal("unknown structure answered")
	}
	for _, c := range []struct {
		p    chorus.ParametresStructure
		want string
	}{{chorus.ParametresStructure{}, "none"}, {chorus.ParametresStructure{CodeServiceDoitEtreRenseigne: true}, "service"},
		{chorus.ParametresStructure{NumeroEJDoitEtreRenseigne: true}, "engagement"}, {chorus.ParametresStructure{GestionNumeroEJOuCodeService: true, CodeServiceDoitEtreRenseigne: true}, "service_or_engagement"}} {
		if got := c.p.Required(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.p, got, c.want)
		}
	}
	// An invoice without the code service France Travail requires is rejected.
	inv := invoice("FA-2026-00010", "")
	inv.BuyerReference = ""
	flux := e.deposit(t, facturX(t, inv))
	e.clock.Advance(time.Hour)
	if cr := e.cr(t, flux); cr.EtatCourantDepotFlux != chorus.FluxRejete || !strings.Contains(cr.ListeErreurDP[0].LibelleErreurDP, "BT-10") {
		t.Fatalf("without code service: %+v", cr)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	e := newEnv(t)
	cfg := e.client.Config
	cfg.Password = "faux"
	_, err := chorus.NewClient(cfg, e.clock.Now).RechercherStructure(e.ctx, "13000548100010")
	var ce *chorus.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized || !strings.Contains(ce.Libelle, "cpro-account") {
		t.Fatalf("bad technical account: %v", err)
	}
	cfg = e.client.Config
	cfg.ClientSecret = "faux"
	if _, err := chorus.NewClient(cfg, e.clock.Now).Token(e.ctx); !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
		t.Fatalf("bad client secret: %v", err)
	}
}

func TestDepositIntegratedThenPaid(t *testing.T) {
	e := newEnv(t)
	flux := e.deposit(t, facturX(t, invoice("FA-2026-00001", "")))
	if cr := e.cr(t, flux); cr.EtatCourantDepotFlux != chorus.FluxEnTraitement || chorus.FluxFinal(cr.EtatCourantDepotFlux) {
		t.Fatalf("at once: %+v", cr)
	}
	if l, _ := e.client.RechercherFournisseur(e.ctx, chorus.RechercherFournisseurRequest{NumeroFluxDepot: flux}); len(l) != 0 {
		t.Fatalf("invoice visible before integration: %+v", l)
	}
	e.clock.Advance(time.Hour)
	cr := e.cr(t, flux)
	if cr.EtatCourantDepotFlux != chorus.FluxIntegre || cr.CodeInterfaceDepotFlux != "FSO1117A" || len(cr.ListeErreurTechnique) != 0 {
		t.Fatalf("integrated: %+v", cr)
	}
	f := e.found(t, flux)
	if f.NumeroFacture != "FA-2026-00001" || f.Statut != chorus.StDeposee || f.CodeServiceExecutant != "FT-SERV-75-AIF" || f.NumeroBonCommande != "DEV-2026-000042" || f.MontantTTC != 1250 {
		t.Fatalf("found %+v", f)
	}
	var seen []string
	for range 5 {
		seen = append(seen, e.status(t, f.IdentifiantFactureCPP))
		e.clock.Advance(time.Hour)
	}
	want := []string{chorus.StDeposee, chorus.StMiseADisposition, chorus.StServiceFait, chorus.StMandatee, chorus.StMiseEnPaiement}
	if !slices.Equal(seen, want) {
		t.Fatalf("lifecycle %v, want %v", seen, want)
	}
	h, _ := e.client.ConsulterHistorique(e.ctx, f.IdentifiantFactureCPP)
	if len(h.HistoriquesDesStatuts.HistoStatut) != 5 || h.HistoriquesDesStatuts.HistoStatut[0].HistoStatutCode != chorus.StMiseEnPaiement || !chorus.InvoiceFinal(h.StatutCourantCode) {
		t.Fatalf("history %+v", h)
	}
	// By invoice number (reconciliation before any new deposit).
	l, err := e.client.RechercherFournisseur(e.ctx, chorus.RechercherFournisseurRequest{NumeroFacture: "FA-2026-00001"})
	if err != nil || len(l) != 1 || l[0].NumeroFluxDepot != flux {
		t.Fatalf("by number: %v %+v", err, l)
	}
	// The same invoice deposited again is a duplicate: rejected.
	flux2 := e.deposit(t, facturX(t, invoice("FA-2026-00001", "")))
	e.clock.Advance(time.Hour)
	if cr := e.cr(t, flux2); cr.EtatCourantDepotFlux != chorus.FluxRejete || len(cr.ListeErreurDP) != 1 || !strings.Contains(cr.ListeErreurDP[0].LibelleErreurDP, "doublon") {
		t.Fatalf("duplicate: %+v", cr)
	}
}

func TestDepositRejectedByTheSchema(t *testing.T) {
	dir := einvoicetest.Need(t)
	e := newEnv(t, func(s *chorus.Sandbox) {
		s.SchemaPath = filepath.Join(dir, "facturx-1.09/en16931/Factur-X_EN16931.xsd")
	})
	inv := invoice("FA-2026-00002", "")
	x := strings.Replace(string(einvoice.XML(inv)), "<ram:TypeCode>380</ram:TypeCode>", "<ram:TypeCode>380</ram:TypeCode><ram:Inconnu>x</ram:Inconnu>", 1)
	pdf, err := einvoice.PDF(inv, []byte(x), t0)
	if err != nil {
		t.Fatal(err)
	}
	flux := e.deposit(t, pdf)
	e.clock.Advance(time.Hour)
	cr := e.cr(t, flux)
	if cr.EtatCourantDepotFlux != chorus.FluxRejete || len(cr.ListeErreurTechnique) != 1 {
		t.Fatalf("rejected: %+v", cr)
	}
	te := cr.ListeErreurTechnique[0]
	if te.CodeErreur != "ERR_XSD_001" || te.NatureErreur != "ERR_XSD" || !strings.Contains(te.LibelleErreur, "Inconnu") || !strings.Contains(te.LibelleErreur, "ligne: ") {
		t.Fatalf("technical error %+v", te)
	}
	// The valid invoice passes the same schema.
	flux = e.deposit(t, facturX(t, invoice("FA-2026-00003", "")))
	e.clock.Advance(time.Hour)
	if cr := e.cr(t, flux); cr.EtatCourantDepotFlux != chorus.FluxIntegre {
		t.Fatalf("valid invoice: %+v", cr)
	}
	// A PDF without factur-x.xml.
	flux = e.deposit(t, []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"))
	e.clock.Advance(time.Hour)
	if cr := e.cr(t, flux); cr.EtatCourantDepotFlux != chorus.FluxRejete || cr.ListeErreurTechnique[0].CodeErreur != "ERR_FORMAT_001" {
		t.Fatalf("not Factur-X: %+v", cr)
	}
}

func TestRecycleScenario(t *testing.T) {
	e := newEnv(t)
	flux := e.deposit(t, facturX(t, invoice("FA-2026-00004", "CHORUS-SANDBOX:a_recycler")))
	e.clock.Advance(2 * time.Hour)
	f := e.found(t, flux)
	if f.Statut != chorus.StARecycler || !strings.Contains(f.CommentaireEtatCourant, "FT-SERV-75-AIF") {
		t.Fatalf("à recycler: %+v", f)
	}
	var r chorus.RecyclerRequest
	r.IdentifiantFactureCPP = f.IdentifiantFactureCPP
	r.Destinataire.CodeDestinataire = "13000548100010"
	if _, err := e.client.Recycler(e.ctx, r); err == nil {
		t.Fatal("recycled without a service code")
	}
	r.Destinataire.CodeServiceExecutant = "FT-SERV-75-AIF-2"
	r.Commentaire = "Code service corrigé"
	if a, err := e.client.Recycler(e.ctx, r); err != nil || a.StatutFacture != chorus.StDeposee {
		t.Fatalf("recycler: %v %+v", err, a)
	}
	if _, err := e.client.Recycler(e.ctx, r); err == nil {
		t.Fatal("recycled twice")
	}
	e.clock.Advance(time.Hour)
	if f := e.found(t, flux); f.Statut != chorus.StMiseADisposition || f.CodeServiceExecutant != "FT-SERV-75-AIF-2" {
		t.Fatalf("after recycling: %+v", f)
	}
	e.clock.Advance(3 * time.Hour)
	if st := e.status(t, f.IdentifiantFactureCPP); st != chorus.StMiseEnPaiement {
		t.Fatalf("end: %s", st)
	}
}

func TestSuspendedScenarioCompleted(t *testing.T) {
	e := newEnv(t)
	flux := e.deposit(t, facturX(t, invoice("FA-2026-00005", "CHORUS-SANDBOX:suspendue")))
	e.clock.Advance(3 * time.Hour)
	f := e.found(t, flux)
	if f.Statut != chorus.StSuspendue {
		t.Fatalf("suspendue: %+v", f)
	}
	if _, err := e.client.Completer(e.ctx, chorus.CompleterRequest{IdentifiantFactureCPP: f.IdentifiantFactureCPP}); err == nil {
		t.Fatal("completed without attachment")
	}
	if _, err := e.client.AjouterFichier(e.ctx, "attestation.exe", "application/octet-stream", []byte("MZ")); err == nil {
		t.Fatal(".exe accepted")
	}
	if _, err := e.client.AjouterFichier(e.ctx, strings.Repeat("a", 47)+".pdf", "application/pdf", []byte("%PDF")); err == nil {
		t.Fatal("51-character name accepted")
	}
	pj, err := e.client.AjouterFichier(e.ctx, "attestations-mars-2026.pdf", "application/pdf", []byte("%PDF-1.7 …"))
	if err != nil || pj == 0 {
		t.Fatalf("ajouter/fichier: %v", err)
	}
	a, err := e.client.Completer(e.ctx, chorus.CompleterRequest{IdentifiantFactureCPP: f.IdentifiantFactureCPP, Commentaire: "Attestations jointes",
		PieceJointeComplementaire: []chorus.PieceJointeComplementaire{{PieceJointeComplementaireDesignation: "Attestations", PieceJointeComplementaireID: pj}}})
	if err != nil || a.StatutFacture != chorus.StCompletee {
		t.Fatalf("completer: %v %+v", err, a)
	}
	if st := e.status(t, f.IdentifiantFactureCPP); st != chorus.StCompletee {
		t.Fatalf("after completing: %s", st)
	}
	e.clock.Advance(3 * time.Hour)
	if st := e.status(t, f.IdentifiantFactureCPP); st != chorus.StMiseEnPaiement {
		t.Fatalf("end: %s", st)
	}
}

func TestRejectedAndRefusedScenarios(t *testing.T) {
	e := newEnv(t, func(s *chorus.Sandbox) { s.Scenario = chorus.ScenarioRejected })
	flux := e.deposit(t, facturX(t, invoice("FA-2026-00006", "")))
	e.clock.Advance(time.Hour)
	if cr := e.cr(t, flux); cr.EtatCourantDepotFlux != chorus.FluxRejete || len(cr.ListeErreurDP) != 1 || cr.ListeErreurDP[0].NumeroDP != "FA-2026-00006" {
		t.Fatalf("rejected: %+v", cr)
	}
	flux = e.deposit(t, facturX(t, invoice("FA-2026-00007", "CHORUS-SANDBOX:rejetee")))
	e.clock.Advance(3 * time.Hour)
	if f := e.found(t, flux); f.Statut != chorus.StRejetee || !chorus.InvoiceFinal(f.Statut) {
		t.Fatalf("refused: %+v", f)
	}
	// A buyer that is not a Chorus Pro structure.
	inv := invoice("FA-2026-00008", "")
	inv.Buyer.SIRET = "73282932000074"
	flux = e.deposit(t, facturX(t, inv))
	e.clock.Advance(time.Hour)
	if cr := e.cr(t, flux); cr.EtatCourantDepotFlux != chorus.FluxRejete || !strings.Contains(cr.ListeErreurDP[0].LibelleErreurDP, "structure publique") {
		t.Fatalf("unknown buyer: %+v", cr)
	}
	if _, err := e.client.ConsulterCRDetaille(e.ctx, "CPP-INCONNU"); err == nil {
		t.Fatal("unknown flux answered")
	}
}

func TestPaginationOfSearch(t *testing.T) {
	e := newEnv(t)
	for i := range 23 {
		e.deposit(t, facturX(t, invoice(fmt.Sprintf("FA-2026-1%03d", i), "")))
	}
	e.clock.Advance(time.Hour)
	l, err := e.client.RechercherFournisseur(e.ctx, chorus.RechercherFournisseurRequest{StatutCourant: []string{chorus.StDeposee}})
	if err != nil || len(l) != 23 {
		t.Fatalf("%d invoices, want 23: %v", len(l), err)
	}
	var q chorus.RechercherFournisseurRequest
	q.RechercheFactureParFournisseur = &chorus.Pagination{NbResultatsParPage: 10, PageResultatDemandee: 3}
	var out chorus.RechercherFournisseurResponse
	if err := e.client.Post(e.ctx, chorus.RouteRechercherFournisseur, q, &out); err != nil || len(out.ListeFactures) != 3 || out.ParametresRetour.Pages != 3 || out.ParametresRetour.Total != 23 {
		t.Fatalf("page 3: %v %+v", err, out.ParametresRetour)
	}
}

// keys lists the JSON object keys of v, recursively, as paths.
func keys(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				out = append(out, prefix+k)
				walk(prefix+k+".", c)
			}
		case []any:
			for _, c := range x {
				walk(prefix+"[].", c)
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return slices.Compact(out)
}

// TestPayloadShapes compares each request the client sends, and each answer
// it reads, with the JSON of NOTES.md (§1.2–1.5, §1.3 table).
func TestPayloadShapes(t *testing.T) {
	marshal := func(v any) []byte { b, _ := json.Marshal(v); return b }
	var structure chorus.RechercherStructureRequest
	structure.Structure.IdentifiantStructure, structure.Structure.TypeIdentifiantStructure = "13000548100010", "SIRET"
	var recycler chorus.RecyclerRequest
	recycler.IdentifiantFactureCPP, recycler.Destinataire.CodeDestinataire, recycler.Destinataire.CodeServiceExecutant, recycler.Commentaire = 1, "x", "y", "z"
	requests := []struct {
		name string
		got  any
		want string
	}{
		{"deposer/flux (§1.4)", chorus.DeposerFluxRequest{FichierFlux: "JVBERi0=", NomFichier: "facture_FA-2026-0001.pdf", SyntaxeFlux: chorus.SyntaxeFacturX},
			`{"fichierFlux":"JVBERi0=","nomFichier":"facture_FA-2026-0001.pdf","syntaxeFlux":"IN_DP_E2_CII_FACTURX","avecSignature":false}`},
		{"structures/rechercher (§1.3)", structure, `{"structure":{"identifiantStructure":"13000548100010","typeIdentifiantStructure":"SIRET"}}`},
		{"consulterCRDetaille (§1.3)", chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: "CPP1", SyntaxeFlux: chorus.SyntaxeFacturX}, `{"numeroFluxDepot":"CPP1","syntaxeFlux":"IN_DP_E2_CII_FACTURX"}`},
		{"consulter/historique (§1.3)", chorus.ConsulterHistoriqueRequest{IDFacture: 42}, `{"idFacture":42}`},
		{"structures/consulter (§1.3)", chorus.ConsulterStructureRequest{IDStructureCPP: 25000001}, `{"idStructureCPP":25000001}`},
		{"rechercher/fournisseur (§1.3)", chorus.RechercherFournisseurRequest{NumeroFluxDepot: "CPP1", RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 100, PageResultatDemandee: 1}},
			`{"numeroFluxDepot":"CPP1","rechercheFactureParFournisseur":{"nbResultatsParPage":100,"pageResultatDemandee":1}}`},
		{"recycler (§1.3)", recycler, `{"identifiantFactureCPP":1,"destinataire":{"codeDestinataire":"x","codeServiceExecutant":"y"},"commentaire":"z"}`},
		{"completer (§1.3)", chorus.CompleterRequest{IdentifiantFactureCPP: 1, Commentaire: "c", PieceJointeComplementaire: []chorus.PieceJointeComplementaire{{PieceJointeComplementaireDesignation: "d", PieceJointeComplementaireID: 2}}},
			`{"identifiantFactureCPP":1,"pieceJointeComplementaire":[{"pieceJointeComplementaireDesignation":"d","pieceJointeComplementaireId":2}],"commentaire":"c"}`},
		{"ajouter/fichier (§1.3)", chorus.AjouterFichierRequest{PieceJointeFichier: "AA==", PieceJointeNom: "a.pdf", PieceJointeTypeMime: "application/pdf", PieceJointeExtension: "PDF"},
			`{"pieceJointeFichier":"AA==","pieceJointeNom":"a.pdf","pieceJointeTypeMime":"application/pdf","pieceJointeExtension":"PDF"}`},
	}
	for _, c := range requests {
		if got := string(marshal(c.got)); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}

	// Answers of NOTES.md decode into the client's types, every field read.
	var dep chorus.DeposerFluxResponse
	json.Unmarshal([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","numeroFluxDepot":"CPP0011","dateDepot":"2026-10-15","syntaxeFlux":"IN_DP_E2_CII_FACTURX"}`), &dep)
	if dep.NumeroFluxDepot != "CPP0011" || dep.DateDepot != "2026-10-15" || dep.Libelle != "TRA_MSG_00.000" {
		t.Errorf("deposer/flux answer: %+v", dep)
	}
	const realCR = `{"codeRetour":0,"libelle":"TRA_MSG_00.000","nomFichier":"FSO1117A_CPP001_CPP0011117000000001273055",
 "dateDepotFlux":"2023-08-14T17:09:27+02:00","codeInterfaceDepotFlux":"FSO1117A",
 "etatCourantDepotFlux":"IN_REJETE","dateHeureEtatCourantFlux":"2023-08-14T17:09:27+02:00",
 "listeErreurTechnique":[{"natureErreur":"ERR_XSD","codeErreur":"ERR_XSD_001",
  "libelleErreur":"IRRECEVABILITE: cvc-complex-type.2.2: Element 'ram:Content' must have no element [children] - ligne: 14 - position: 207"}]}`
	var cr chorus.ConsulterCRDetailleResponse
	json.Unmarshal([]byte(realCR), &cr)
	if cr.EtatCourantDepotFlux != chorus.FluxRejete || cr.CodeInterfaceDepotFlux != "FSO1117A" || len(cr.ListeErreurTechnique) != 1 || cr.ListeErreurTechnique[0].CodeErreur != "ERR_XSD_001" {
		t.Errorf("real CR: %+v", cr)
	}
	if got, want := keys(t, marshal(cr)), keys(t, []byte(realCR)); !slices.Equal(got, want) {
		t.Errorf("CR keys:\n got  %v\n want %v", got, want)
	}
	var tok chorus.TokenResponse
	tb := []byte(`{"access_token": "abc", "token_type": "Bearer", "expires_in": 3600, "scope": "openid"}`)
	json.Unmarshal(tb, &tok)
	if got, want := keys(t, marshal(tok)), keys(t, tb); tok.ExpiresIn != 3600 || !slices.Equal(got, want) {
		t.Errorf("token: %+v %v", tok, got)
	}

	// The sandbox answers with the keys of the types (no extra, no missing).
	e := newEnv(t)
	flux := e.deposit(t, facturX(t, invoice("FA-2026-00009", "")))
	e.clock.Advance(2 * time.Hour)
	f := e.found(t, flux)
	for _, c := range []struct {
		route string
		body  any
		typ   any
	}{
		{chorus.RouteConsulterCRDetaille, chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: flux}, &chorus.ConsulterCRDetailleResponse{}},
		{chorus.RouteRechercherFournisseur, chorus.RechercherFournisseurRequest{NumeroFluxDepot: flux}, &chorus.RechercherFournisseurResponse{}},
		{chorus.RouteConsulterHistorique, chorus.ConsulterHistoriqueRequest{IDFacture: f.IdentifiantFactureCPP}, &chorus.ConsulterHistoriqueResponse{}},
		{chorus.RouteRechercherStructure, structure, &chorus.RechercherStructureResponse{}},
		{chorus.RouteConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: chorus.FranceTravail.IDStructureCPP}, &chorus.ConsulterStructureResponse{}},
	} {
		var raw json.RawMessage
		if err := e.client.Post(e.ctx, c.route, c.body, &raw); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(raw, c.typ)
		if got, want := keys(t, raw), keys(t, marshal(c.typ)); !slices.Equal(got, want) {
			t.Errorf("%s keys:\n sandbox %v\n type    %v", c.route, got, want)
		}
	}
}
