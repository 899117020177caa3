package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"kairos/chorus"
	"kairos/demo"
	"kairos/einvoice"
	"kairos/einvoice/einvoicetest"
	"kairos/store"
	"kairos/store/storetest"
)

// The deposit of invoices on Chorus Pro (issue 17), on the real binary and
// the real sandbox (`kairos chorus-sandbox`, its own process: it outlives a
// killed Kairos and says what it received).

const (
	e2eChorusID, e2eChorusSecret, e2eChorusLogin, e2eChorusPassword = "e2e", "e2e-secret", "TECH_e2e@cpro.fr", "e2e-mdp"
	wrongIBAN                                                       = "FR7630006000011234567890189"
	registeredIBAN                                                  = "FR1420041010050500013M02606"
)

// startSandbox runs `kairos chorus-sandbox` (one state every 150 ms, the
// Factur-X XSD) and returns its base URL.
func startSandbox(t *testing.T, args ...string) string {
	t.Helper()
	dir := einvoicetest.Need(t)
	addr := freePort(t)
	logs := &syncBuffer{}
	cmd := exec.Command(binary, append([]string{"chorus-sandbox", "--addr", addr, "--step", "150ms", "--schema", filepath.Join(dir, "facturx-1.09/en16931/Factur-X_EN16931.xsd")}, args...)...)
	cmd.Env = append(baseEnv(""), "KAIROS_CHORUS_CLIENT_ID="+e2eChorusID, "KAIROS_CHORUS_CLIENT_SECRET="+e2eChorusSecret, "KAIROS_CHORUS_LOGIN="+e2eChorusLogin, "KAIROS_CHORUS_PASSWORD="+e2eChorusPassword)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + chorus.FluxPath)
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not answering: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func chorusEnv(base string) []string {
	return []string{"KAIROS_CHORUS_API_URL=" + base, "KAIROS_CHORUS_OAUTH_URL=" + base + chorus.TokenPath, "KAIROS_CHORUS_CLIENT_ID=" + e2eChorusID,
		"KAIROS_CHORUS_CLIENT_SECRET=" + e2eChorusSecret, "KAIROS_CHORUS_LOGIN=" + e2eChorusLogin, "KAIROS_CHORUS_PASSWORD=" + e2eChorusPassword}
}

// sandboxReceived counts the flux the sandbox received for an invoice number.
func sandboxReceived(t *testing.T, base, number string) int {
	t.Helper()
	resp, err := http.Get(base + chorus.FluxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []chorus.ReceivedFlux
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range list {
		if f.NumeroFacture == number {
			n++
		}
	}
	return n
}

// readyToInvoice gives the demo trainee whose months are attested and whose
// assessment is transmitted (Sarah Lopez) a validated AIF quote and the OF
// its billing details (iban); it returns the enrolment and the OF's SIRET.
func readyToInvoice(t *testing.T, db *store.DB, iban string) (enrolmentID int64, siret string) {
	t.Helper()
	ctx := context.Background()
	var org, de, agence int64
	if err := db.QueryRow(ctx, "SELECT e.id, e.org_id, e.demandeur_id, e.agence_id FROM enrolments e JOIN users u ON u.id = e.demandeur_id WHERE u.name = 'Sarah Lopez'").Scan(&enrolmentID, &org, &de, &agence); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO quotes (number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place, session_debut, session_fin,
		certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents, comment, reason, review, enrolment_id, version, created_at, updated_at)
		VALUES ('AIF-2026-0000007-42', ?, '76', 1, 's', 'f', 'a', 's', 'Soudeur TIG', 'Toulouse', 0, 0, 1, ?, ?, 'valide', 0, 0, 1100, 900000, 0, 900000, '', '', 0, ?, 1, ?, ?)`,
		org, de, agence, enrolmentID, testNow, testNow); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO billing_details (org_id, iban, bic, account_name, vat_id, updated_at, updated_by) VALUES (?, ?, 'AGRIFRPP', 'Formapro Occitanie', ?, ?, 'test') "+
		"ON CONFLICT (org_id) DO UPDATE SET iban = excluded.iban, bic = excluded.bic, account_name = excluded.account_name, vat_id = excluded.vat_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
		org, iban, einvoice.FrenchVATID("443061841"), testNow); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, "SELECT siret FROM adhesions WHERE org_id = ? ORDER BY id DESC LIMIT 1", org).Scan(&siret); err != nil {
		t.Fatal(err)
	}
	return enrolmentID, siret
}

// issue issues the prepared invoice of enrolment id and returns its page.
func issue(t *testing.T, in *Instance, of *Browser, id int64) string {
	t.Helper()
	draft := in.URL + "/factures/inscriptions/" + strconv.FormatInt(id, 10)
	st, body := of.Submit(draft, draft, url.Values{})
	if st != http.StatusSeeOther || !strings.Contains(body, "/factures/documents/") {
		t.Fatalf("issue: %d %s", st, body)
	}
	return in.URL + strings.TrimSpace(strings.SplitN(body, "\n", 2)[0])
}

// followUntil refreshes the Chorus Pro follow-up of doc (the page's
// « Actualiser le suivi ») until its page shows want.
func followUntil(t *testing.T, b *Browser, doc, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, page := b.Get(doc)
		if strings.Contains(page, want) {
			return page
		}
		if time.Now().After(deadline) {
			i := strings.Index(page, `id="chorus"`)
			t.Fatalf("%s: %q not reached:\n%s", doc, want, page[max(0, i):min(len(page), max(0, i)+3000)])
		}
		if strings.Contains(page, `action="`+strings.TrimPrefix(doc, docBase(doc))+`/chorus/actualiser"`) {
			b.Submit(doc, doc+"/chorus/actualiser", url.Values{})
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func docBase(doc string) string {
	u, _ := url.Parse(doc)
	return u.Scheme + "://" + u.Host
}

func docNumber(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, "<h1>")
	j := strings.Index(page[i:], "</h1>")
	f := strings.Fields(page[i+4 : i+j])
	return f[len(f)-1]
}

// TestChorusCrashBetweenDepositAndRecord (acceptance): Kairos is killed
// (SIGKILL) after Chorus Pro accepted the flux and before its answer is
// recorded (the test hook KAIROS_CHORUS_CRASH_AFTER_DEPOSIT holds the
// deposit there); restarted, it reconciles the invoice through
// rechercher/fournisseur: the sandbox received it exactly once.
func TestChorusCrashBetweenDepositAndRecord(t *testing.T) {
	base := startSandbox(t)
	dbURL := storetest.URL(t)
	ctx := context.Background()

	// The demo's invoices are deposited first, by an instance without the
	// hook: the hook must hold the deposit of this test's invoice, not theirs.
	pre := MustStart(t, dbURL, chorusEnv(base)...)
	predb, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	for wait := time.Now().Add(30 * time.Second); ; {
		var pending int
		if err := predb.QueryRow(ctx, "SELECT COUNT(*) FROM chorus_deposits WHERE phase IN ('a_deposer', 'envoi')").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("%d demo deposits still pending\n%s", pending, pre.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	predb.Close()
	pre.Stop()

	// The first instance, with the hook; started by hand: it dies by SIGKILL.
	addr := freePort(t)
	logs := &syncBuffer{}
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(append(baseEnv(dbURL), "KAIROS_ADDR="+addr, "KAIROS_BASE_URL=http://"+addr, "KAIROS_CHORUS_CRASH_AFTER_DEPOSIT=1"), chorusEnv(base)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	first := &Instance{URL: "http://" + addr, logs: logs}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(first.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, _ := readyToInvoice(t, db, wrongIBAN)
	of := NewBrowser(t)
	if st := of.Login(first, demo.Accounts[0].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	doc := issue(t, first, of, id)
	_, page := of.Get(doc)
	number := docNumber(t, page)
	for !strings.Contains(logs.String(), "chorus crash hook: "+number) {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("the hook was not reached\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	done <- nil // for the cleanup
	var phase, flux string
	if err := db.QueryRow(ctx, "SELECT phase, flux_number FROM chorus_deposits d JOIN invoices i ON i.id = d.invoice_id WHERE i.number = ?", number).Scan(&phase, &flux); err != nil {
		t.Fatal(err)
	}
	if phase != "envoi" || flux != "" || sandboxReceived(t, base, number) != 1 {
		t.Fatalf("after the kill: phase %q, flux %q, %d flux on the sandbox", phase, flux, sandboxReceived(t, base, number))
	}

	// Restarted without the hook: reconciled, not deposited again.
	in := MustStart(t, dbURL, chorusEnv(base)...)
	deadline = time.Now().Add(30 * time.Second)
	var cpp int64
	for {
		if err := db.QueryRow(ctx, "SELECT phase, flux_number, cpp_id FROM chorus_deposits d JOIN invoices i ON i.id = d.invoice_id WHERE i.number = ?", number).Scan(&phase, &flux, &cpp); err != nil {
			t.Fatal(err)
		}
		if flux != "" && cpp != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reconciled: phase %q\n%s", phase, in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // any second deposit would be there by now
	if n := sandboxReceived(t, base, number); n != 1 {
		t.Fatalf("the sandbox received %s %d times", number, n)
	}
	of = NewBrowser(t)
	of.Login(in, demo.Accounts[0].Email, demo.Password)
	_, page = of.Get(strings.Replace(doc, first.URL, in.URL, 1))
	wantIn(t, page, "reconciled invoice", "Suivi sur Chorus Pro", "après une interruption", flux)
	t.Logf("%s: one flux (%s) on the sandbox, reconciled as Chorus Pro invoice %d after SIGKILL", number, flux, cpp)
}

// TestChorusJourney (acceptance): the invoice of a trainee (quote validated,
// months attested, exit, assessment) is issued and deposited on the
// sandbox, which knows another bank account of the OF: rejected, its reason
// in French. The OF fixes its IBAN, cancels the invoice by a credit note
// (not deposited) and issues a new one: deposited with its justificatifs,
// integrated, service fait, mise en paiement, visible to the OF and to
// France Travail's accounting, filtered by Chorus Pro state.
func TestChorusJourney(t *testing.T) {
	dbURL := storetest.URL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The demo database first (the SIRET of the OF), then the sandbox.
	pre := MustStart(t, dbURL)
	pre.Stop()
	id, siret := readyToInvoice(t, db, wrongIBAN)
	base := startSandbox(t, "--iban", siret+":"+registeredIBAN)
	in := MustStart(t, dbURL, chorusEnv(base)...)
	of, ft := NewBrowser(t), NewBrowser(t)
	if st := of.Login(in, demo.Accounts[0].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if st := ft.Login(in, demo.Accounts[4].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login FT: %d", st)
	}

	// Rejected: the OF reads why, in French.
	doc := issue(t, in, of, id)
	page := followUntil(t, of, doc, "Dépôt rejeté")
	wantIn(t, page, "rejection", "corrigez l'IBAN", "Prochaine étape", "annulez cette facture par un avoir", "Infos pratiques", "communaute-chorus-pro.finances.gouv.fr")
	rejected := docNumber(t, page)
	_, list := of.Get(in.URL + "/factures?vue=emises&chorus=rejet")
	wantIn(t, list, "filter rejet", rejected, "Dépôt rejeté")

	// The OF fixes its IBAN, cancels, issues again.
	form := in.URL + "/mon-organisme/facturation"
	if st, body := of.Submit(form, form, url.Values{"iban": {registeredIBAN}, "bic": {"AGRIFRPP"}, "titulaire": {"Formapro Occitanie"}, "tva": {einvoice.FrenchVATID("443061841")}}); st != http.StatusSeeOther {
		t.Fatalf("billing: %d %s", st, body)
	}
	st, body := of.Submit(doc, doc+"/avoir", url.Values{"reason": {"Dépôt rejeté par Chorus Pro : IBAN corrigé"}})
	if st != http.StatusSeeOther {
		t.Fatalf("credit note: %d %s", st, body)
	}
	_, page = of.Get(in.URL + strings.TrimSpace(strings.SplitN(body, "\n", 2)[0]))
	wantIn(t, page, "credit note", "Rien à déposer", "pas déposé sur Chorus Pro")
	doc = issue(t, in, of, id)
	page = followUntil(t, of, doc, "Mise en paiement</span>")
	number := docNumber(t, page)
	wantIn(t, page, "paid", "Historique Chorus Pro", "Déposée sur Chorus Pro (flux reçu)", "Intégrée dans Chorus Pro", "Mise à disposition de France Travail",
		"Service fait", "Mandatée", "presence-", "attestation-fin-formation", "Le paiement est émis")
	if strings.Contains(page, `/chorus/actualiser"`) {
		t.Error("the refresh is offered on a final state")
	}
	if n := sandboxReceived(t, base, number); n != 1 {
		t.Fatalf("%s deposited %d times", number, n)
	}
	// France Travail's accounting sees the same history.
	_, page = ft.Get(doc)
	wantIn(t, page, "FT", "Historique Chorus Pro", "Service fait", "Mise en paiement")
	_, list = ft.Get(in.URL + "/france-travail/factures?chorus=paiement")
	wantIn(t, list, "FT filter", number, "Mise en paiement")
	if strings.Contains(list, rejected+"<") {
		t.Errorf("the rejected invoice is listed as paid")
	}
	_, list = of.Get(in.URL + "/factures?vue=emises&chorus=bidon")
	if !strings.Contains(list, "Filtre inconnu") {
		t.Errorf("an unknown filter is not refused clearly")
	}
	// Another OF reads nothing, refreshes nothing.
	other := NewBrowser(t)
	other.Login(in, "rgc@competences-plus.example", demo.Password)
	if st, _ := other.Submit(in.URL+"/factures", doc+"/chorus/actualiser", url.Values{}); st != http.StatusNotFound {
		t.Fatalf("another OF refreshes: %d", st)
	}
}

// TestChorusRecycleAndCompleteFromThePage: Chorus Pro returns the invoice
// (à recycler; suspendue); the OF reads what France Travail asks, a form
// without its comment is refused next to the field, the corrected one is
// sent to Chorus Pro (POST-redirect-GET, French confirmation, audited) and
// the invoice goes on to its payment.
func TestChorusRecycleAndCompleteFromThePage(t *testing.T) {
	for _, c := range []struct{ scenario, state, action, ask string }{
		{chorus.ScenarioRecycle, "À recycler", "recycler", "Code service exécutant"},
		{chorus.ScenarioSuspended, "Suspendue", "completer", "Pièce justificative manquante"},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			dbURL := storetest.URL(t)
			ctx := context.Background()
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			pre := MustStart(t, dbURL)
			pre.Stop()
			id, _ := readyToInvoice(t, db, wrongIBAN)
			base := startSandbox(t, "--scenario", c.scenario)
			in := MustStart(t, dbURL, chorusEnv(base)...)
			of := NewBrowser(t)
			of.Login(in, demo.Accounts[0].Email, demo.Password)
			doc := issue(t, in, of, id)
			page := followUntil(t, of, doc, c.state+"</span>")
			wantIn(t, page, "returned", "Ce que demande France Travail", c.ask, `id="form-`+c.action+`"`)
			ft := NewBrowser(t)
			ft.Login(in, demo.Accounts[4].Email, demo.Password)
			if _, p := ft.Get(doc); strings.Contains(p, `id="form-`+c.action+`"`) {
				t.Fatal("France Travail is offered the OF's action")
			}
			if st, _ := ft.Submit(doc, doc+"/chorus/"+c.action, url.Values{"commentaire": {"x"}}); st != http.StatusForbidden {
				t.Fatalf("France Travail %s: %d", c.action, st)
			}
			st, body := of.Submit(doc, doc+"/chorus/"+c.action, url.Values{"commentaire": {" "}})
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("without comment: %d", st)
			}
			wantIn(t, body, "field error", "Indiquez un commentaire pour France Travail", `aria-invalid="true"`)
			form := url.Values{"commentaire": {"Données corrigées"}}
			if c.action == "recycler" {
				form.Set("code_destinataire", chorus.FranceTravail.IdentifiantStructure)
				form.Set("code_service_executant", "FT-AIF-76")
			}
			st, body = of.Submit(doc, doc+"/chorus/"+c.action, form)
			if st != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", c.action, st, body)
			}
			_, page = of.Get(doc)
			wantIn(t, page, "confirmation", "sur Chorus Pro", "Données corrigées", "par Claire Martin")
			followUntil(t, of, doc, "Mise en paiement</span>")
			var audited int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "invoice.chorus_"+c.action).Scan(&audited)
			if audited != 1 {
				t.Fatalf("audit: %d", audited)
			}
		})
	}
}
