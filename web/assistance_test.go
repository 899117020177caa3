package web_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/chorus"
	"kairos/config"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/invoices"
	"kairos/metrics"
	"kairos/web"
)

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestInvoiceAssistanceSection: the section « Assistance Chorus Pro » of
// an invoice page: empty state, the OF's form (errors next to the field,
// CSRF, POST-redirect-GET with a confirmation, a double submit asks once),
// the answer read by the OF and by France Travail's accounting (without
// the form), another OF refused.
func TestInvoiceAssistanceSection(t *testing.T) {
	acc := fixture.MustAccounts(t)
	clock := &fixture.Clock{T: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	acc.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	db, ctx := w.DB(), fixture.Ctx()
	de, cons := w.Users[kairos.RoleDemandeur], w.Users[kairos.RoleConseiller]
	if err := (&appointments.Service{DB: db}).SetDemandeur(ctx, de.ID, "FT0001", w.Agence, cons.ID); err != nil {
		t.Fatal(err)
	}
	enr := &enrolment.Service{DB: db, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Soudeur TIG", OrgID: w.OFA, Debut: clock.T, Fin: clock.T.AddDate(0, 3, 0)}}}
	x, err := enr.Propose(ctx, cons.Actor(), enrolment.Proposal{DemandeurID: de.ID, SessionID: 1})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := db.Insert(ctx, `INSERT INTO invoices (org_id, enrolment_id, number, type_code, state, quote_number, issue_date, total_cents, model, xml, pdf, actor_label, created_at)
		VALUES (?, ?, 'F-2026-00077', '380', 'emise', 'AIF-2026-0000001-00', 20577, 1000, '{}', ?, ?, 'test', ?)`, w.OFA, x.ID, []byte("<x/>"), []byte("%PDF"), clock.T)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO chorus_deposits (invoice_id, org_id, number, phase, chorus_state, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, 'F-2026-00077', 'termine', 'MISE_EN_PAIEMENT', ?, ?, ?)`, inv, w.OFA, clock.T, clock.T, clock.T); err != nil {
		t.Fatal(err)
	}
	sb := &chorus.Sandbox{Clock: clock.Now, ClientID: "id", ClientSecret: "s", Login: "TECH@cpro.fr", Password: "p"}
	cs := httptest.NewServer(sb)
	t.Cleanup(cs.Close)
	iss := &invoices.Issuer{DB: db, Invoices: &invoices.Service{DB: db, Clock: clock.Now}, Clock: clock.Now}
	dep := &invoices.Depositor{DB: db, Issuer: iss, Clock: clock.Now, Client: chorus.NewClient(chorus.SandboxConfig(cs.URL, "id", "s", "TECH@cpro.fr", "p"), clock.Now)}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := web.New(&web.Server{Cfg: cfg, DB: db, Accounts: acc, Log: log, Metrics: metrics.New(), API: api.New(acc, log).Handler(),
		Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: iss, Chorus: dep})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &env{World: w, srv: srv}
	page := "/factures/documents/" + itoa(inv)

	ft := e.client(t)
	ft.login(w.Users[kairos.RoleFTComptable].Email)
	st, body := ft.get(page)
	body = html.UnescapeString(body)
	if st != http.StatusOK || !strings.Contains(body, "Assistance Chorus Pro") || !strings.Contains(body, "Aucune question n'a été posée") || strings.Contains(body, `id="form-question"`) {
		t.Fatalf("accounting, empty: %d", st)
	}
	of := e.client(t)
	of.login(w.Users[kairos.RoleOFAdmin].Email)
	_, body = of.get(page)
	body = html.UnescapeString(body)
	m := tokenRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Poser une question à l'assistance") || !strings.Contains(body, `<option value="13">Paiement d'une facture</option>`) {
		t.Fatalf("OF form: %v", m)
	}
	form := func(subject, message string) url.Values {
		return url.Values{"token": {m[1]}, "category_id": {"13"}, "subject": {subject}, "message": {message}}
	}
	for _, c := range []struct {
		name, subject, message, want string
	}{
		{"no subject", "", "Quand ?", "Indiquez l'objet de la question."},
		{"long subject", strings.Repeat("é", 81), "Quand ?", "Ce champ ne doit pas dépasser 80 caractères"},
		{"control character", "Paiement", "Quand\x00 ?", "caractère de contrôle"},
		{"bad UTF-8", "Paiement\xff", "Quand ?", "UTF-8"},
	} {
		resp, body := of.post(page, page+"/chorus/questions", form(c.subject, c.message))
		body = html.UnescapeString(body)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, %q not shown", c.name, resp.StatusCode, c.want)
		}
	}
	if resp, _ := of.rawPost(page+"/chorus/questions", form("Paiement", "Quand ?"), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d", resp.StatusCode)
	}
	resp, _ := of.post(page, page+"/chorus/questions", form("Date de paiement", "Bonjour,\nquand sera-t-elle payée ?"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"#assistance" {
		t.Fatalf("ask: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = of.get(page)
	body = html.UnescapeString(body)
	if !strings.Contains(body, "Question « Date de paiement » enregistrée") || !strings.Contains(body, "En cours d'envoi à l'assistance") {
		t.Fatal("no confirmation or question after the redirect")
	}
	if resp, _ := of.post(page, page+"/chorus/questions", form("Date de paiement", "Bonjour,\nquand sera-t-elle payée ?")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("double submit: %d", resp.StatusCode)
	}
	_, body = of.get(page)
	body = html.UnescapeString(body)
	if !strings.Contains(body, "elle n'est posée qu'une fois") || strings.Count(body, `class="kairos-question"`) != 1 {
		t.Fatal("double submit: two questions or no notice")
	}
	// Another OF: not found; nothing recorded.
	other := e.client(t)
	other.login(w.OFBAdmin.Email)
	if resp, _ := other.post("/accueil", page+"/chorus/questions", url.Values{"token": {"x"}, "category_id": {"13"}, "subject": {"s"}, "message": {"m"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another OF asks: %d", resp.StatusCode)
	}
	// Sent and answered on the clock; accounting reads the answer.
	list, err := iss.Questions(ctx, w.Users[kairos.RoleOFAdmin].Actor(), inv, 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("questions: %+v %v", list, err)
	}
	for range 4 {
		if err := dep.AdvanceQuestion(ctx, list[0].ID, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
	}
	_, body = ft.get(page)
	body = html.UnescapeString(body)
	if !strings.Contains(body, "Réponse de l'assistance") || !strings.Contains(body, "Répondue") || !strings.Contains(body, "Date de paiement") || strings.Contains(body, `id="form-question"`) {
		t.Fatal("accounting does not read the answer")
	}
}
