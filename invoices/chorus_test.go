package invoices_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kairos"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/chorus"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/invoices"
	"kairos/worker"
)

// chorusEnv is an OF with a trainee invoiced (months attested, assessment
// transmitted, quote validated), a Chorus Pro sandbox on the same clock and
// a depositor talking to it.
type chorusEnv struct {
	*env
	clock *fixture.Clock
	sb    *chorus.Sandbox
	srv   *httptest.Server
	iss   *invoices.Issuer
	dep   *invoices.Depositor
	w     *worker.Worker
	rgc   *kairos.Actor
	enrID int64
}

func newChorusEnv(t *testing.T, scenario string) *chorusEnv {
	t.Helper()
	e := newEnv(t)
	e.mustAdhesion(t, e.OFA)
	if _, err := e.DB().Exec(e.ctx, `INSERT INTO qualiopi_certificates (adhesion_id, number, certifier, valid_from, valid_until, created_at, created_by)
		SELECT id, 'Q-1', 'AFNOR', ?, ?, ?, 'test' FROM adhesions WHERE org_id = ?`, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0), now, e.OFA); err != nil {
		t.Fatal(err)
	}
	rgc := e.Users[kairos.RoleOFAdmin].Actor()
	if _, err := e.svc.SetBilling(kairos.WithActor(e.ctx, rgc), rgc, goodInput); err != nil {
		t.Fatal(err)
	}
	clock := &fixture.Clock{T: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	db := e.DB()
	enr := &enrolment.Service{DB: db, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: e.OFA, Debut: clock.T, Fin: time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)}}}
	att := &attestations.Service{DB: db, Clock: clock.Now}
	bil := &assessments.Service{DB: db, Clock: clock.Now}
	iss := &invoices.Issuer{DB: db, Invoices: e.svc, CodeService: "FT-AIF-76", Clock: clock.Now}
	cons, de := e.Users[kairos.RoleConseiller], e.Users[kairos.RoleDemandeur]
	if err := (&appointments.Service{DB: db}).SetDemandeur(e.ctx, de.ID, "FT0001", e.Agence, cons.ID); err != nil {
		t.Fatal(err)
	}
	x, err := enr.Propose(e.ctx, cons.Actor(), enrolment.Proposal{DemandeurID: de.ID, SessionID: 1})
	if err == nil {
		_, err = enr.Do(e.ctx, rgc, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
	}
	if err == nil {
		_, err = enr.Do(e.ctx, rgc, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
	}
	if err != nil {
		t.Fatal(err)
	}
	clock.T = time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC)
	if _, err := enr.Do(e.ctx, rgc, x.ID, enrolment.Action{Action: enrolment.ActSortir, Date: calendar.NewDate(2026, 4, 10), Reason: "fin_normale"}); err != nil {
		t.Fatal(err)
	}
	clock.T = time.Date(2026, 4, 14, 8, 0, 0, 0, time.UTC)
	for _, m := range []calendar.Month{calendar.NewMonth(2026, 3), calendar.NewMonth(2026, 4)} {
		if res, err := att.Attest(e.ctx, rgc, m, []attestations.Item{{EnrolmentID: x.ID}}); err != nil || !res[0].OK {
			t.Fatalf("attest %s: %+v %v", m, res, err)
		}
	}
	if _, err := bil.Do(e.ctx, rgc, x.ID, assessments.Step{Action: assessments.ActTransmettre, Content: assessments.Content{Result: assessments.Obtenue, Skills: "Développer une application web."}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(e.ctx, `INSERT INTO quotes (number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place, session_debut, session_fin,
		certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents, comment, reason, review, enrolment_id, version, created_at, updated_at)
		VALUES ('AIF-2026-0000042-17', ?, '76', 1, 's', 'f', 'a', 's', 'Développeur web', 'Toulouse', 0, 0, 1, ?, ?, 'valide', 0, 0, 1250, 300000, 60000, 240000, '', '', 0, ?, 1, ?, ?)`,
		e.OFA, de.ID, e.Agence, x.ID, clock.T, clock.T); err != nil {
		t.Fatal(err)
	}
	sb := &chorus.Sandbox{Clock: clock.Now, ClientID: "id", ClientSecret: "secret", Login: "TECH_1@cpro.fr", Password: "mdp", Scenario: scenario}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	dep := &invoices.Depositor{DB: db, Issuer: iss, Clock: clock.Now,
		Client: chorus.NewClient(chorus.SandboxConfig(srv.URL, "id", "secret", "TECH_1@cpro.fr", "mdp"), clock.Now),
		Certificate: func(ctx context.Context, org, enrolmentID int64) (string, []byte, error) {
			return bil.Certificate(ctx, &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: org, Name: "Kairos"}, enrolmentID)
		}}
	w := &worker.Worker{DB: db, ID: "test", Clock: clock.Now, Handlers: map[string]worker.Handler{invoices.ChorusJob: dep.Handle}}
	return &chorusEnv{env: e, clock: clock, sb: sb, srv: srv, iss: iss, dep: dep, w: w, rgc: rgc, enrID: x.ID}
}

// drain runs every due job.
func (c *chorusEnv) drain(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		ran, err := c.w.RunOne(c.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return n
		}
		n++
		if n > 200 {
			t.Fatal("jobs do not end")
		}
	}
}

func (c *chorusEnv) followup(t *testing.T, id int64) *invoices.Chorus {
	t.Helper()
	_, f, err := c.iss.ChorusFollowup(c.ctx, c.rgc, id)
	if err != nil || f == nil {
		t.Fatalf("followup: %+v %v", f, err)
	}
	return f
}

func codes(f *invoices.Chorus) []string {
	var out []string
	for _, e := range f.History {
		out = append(out, e.Code)
	}
	return out
}

func (c *chorusEnv) received(number string) int {
	n := 0
	for _, f := range c.sb.Received() {
		if f.NumeroFacture == number {
			n++
		}
	}
	return n
}

// TestChorusDepositToPayment: issuing records the intent; the job deposits
// the Factur-X and the 3 justificatifs (2 months, the attestation de fin de
// formation), then follows the flux and the invoice hour after hour to
// MISE_EN_PAIEMENT, each state with its date and its event; then it stops.
func TestChorusDepositToPayment(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	f := c.followup(t, inv.ID)
	if f.Phase != invoices.PhaseToDeposit || f.State != "" || f.StateLabel != "En attente de dépôt" || len(c.sb.Received()) != 0 {
		t.Fatalf("intent: %+v", f)
	}
	c.drain(t)
	f = c.followup(t, inv.ID)
	if f.Phase != invoices.PhaseFollow || f.FluxNumber == "" || len(f.Attachments) != 3 || f.State != chorus.FluxEnTraitement || c.received(inv.Number) != 1 {
		t.Fatalf("after the deposit: %+v", f)
	}
	for i := 0; i < 12 && !f.Final; i++ {
		c.clock.T = c.clock.T.Add(time.Hour)
		c.drain(t)
		f = c.followup(t, inv.ID)
	}
	want := []string{"IN_RECU", "IN_EN_COURS_TRAITEMENT_CPP", "IN_INTEGRE", "DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"}
	if !f.Final || f.State != chorus.StMiseEnPaiement || !slices.Equal(codes(f), want) || f.CPPID == 0 {
		t.Fatalf("followed: %v %+v", codes(f), f)
	}
	for i := 1; i < len(f.History); i++ {
		if f.History[i].At.Before(f.History[i-1].At) {
			t.Fatalf("history out of order: %+v", f.History)
		}
	}
	var events int
	if err := c.DB().QueryRow(c.ctx, "SELECT COUNT(*) FROM events WHERE type = 'invoice.chorus_status_changed' AND object_id = ?", itoa(inv.ID)).Scan(&events); err != nil || events != len(want) {
		t.Fatalf("events: %d %v", events, err)
	}
	// Final: no more polling.
	c.clock.T = c.clock.T.Add(24 * time.Hour)
	if n := c.drain(t); n > 1 {
		t.Fatalf("%d jobs after the final state", n)
	}
	var pending int
	c.DB().QueryRow(c.ctx, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND done_at IS NULL AND failed_at IS NULL", invoices.ChorusJob).Scan(&pending)
	if pending != 0 || c.received(inv.Number) != 1 {
		t.Fatalf("after the end: %d pending jobs, %d deposits", pending, c.received(inv.Number))
	}
	if f.NextStep == "" || !strings.Contains(f.NextStep, "paiement") {
		t.Fatalf("next step: %q", f.NextStep)
	}
	list, err := c.iss.List(c.ctx, c.rgc, "factures", "paiement")
	if err != nil || len(list) != 1 || list[0].ChorusLabel() != "Mise en paiement" {
		t.Fatalf("filter: %+v %v", list, err)
	}
	if list, err := c.iss.List(c.ctx, c.rgc, "factures", "action"); err != nil || len(list) != 0 {
		t.Fatalf("filter action: %+v %v", list, err)
	}
	if _, err := c.iss.List(c.ctx, c.rgc, "factures", "n'importe"); kairos.FieldErrors(err)["chorus"] == "" {
		t.Fatalf("bad filter: %v", err)
	}
}

// TestChorusNeverTwice: the process dies after Chorus Pro accepted the flux
// and before its answer is recorded (the hook panics); the next attempt
// finds nothing yet (the flux is being processed) and waits instead of
// depositing again; once integrated, rechercher/fournisseur finds it: the
// invoice is reconciled, deposited once.
func TestChorusNeverTwice(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	var crashed atomic.Bool
	c.dep.AfterDeposit = func(number, flux string) {
		if crashed.CompareAndSwap(false, true) {
			panic("crash between the deposit and its record")
		}
	}
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	f := c.followup(t, inv.ID)
	if !crashed.Load() || f.Phase != invoices.PhaseSending || f.FluxNumber != "" || c.received(inv.Number) != 1 {
		t.Fatalf("after the crash: %+v", f)
	}
	// Retries while the flux is processed: nothing found, nothing deposited.
	for i := 0; i < 5; i++ {
		c.clock.T = c.clock.T.Add(10 * time.Minute)
		c.drain(t)
	}
	f = c.followup(t, inv.ID)
	if f.Phase != invoices.PhaseSending || c.received(inv.Number) != 1 || !strings.Contains(f.LastError, "avant tout nouveau dépôt") {
		t.Fatalf("while processing: %+v, %d deposits", f, c.received(inv.Number))
	}
	if n, err := c.dep.Recover(c.ctx); err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	c.clock.T = c.clock.T.Add(time.Hour)
	c.drain(t)
	f = c.followup(t, inv.ID)
	if f.FluxNumber == "" || f.CPPID == 0 || f.Phase != invoices.PhaseFollow || c.received(inv.Number) != 1 || len(f.Attachments) != 3 {
		t.Fatalf("reconciled: %+v, %d deposits", f, c.received(inv.Number))
	}
	if !strings.Contains(f.History[0].Comment, "après une interruption") {
		t.Fatalf("history: %+v", f.History)
	}
}

// TestChorusRedepositWhenNeverReceived: the deposit's answer is lost and
// Chorus Pro never received the file (a proxy answers 502 without passing
// it on); rechercher/fournisseur finds nothing for the reconciliation
// window, then Kairos deposits again: once on Chorus Pro.
func TestChorusRedepositWhenNeverReceived(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	var dropped atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == chorus.RouteDeposerFlux && dropped.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		c.sb.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	c.dep.Client = chorus.NewClient(chorus.SandboxConfig(proxy.URL, "id", "secret", "TECH_1@cpro.fr", "mdp"), c.clock.Now)
	c.dep.ReconcileWindow = 3 * time.Hour
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	for i := 0; i < 2; i++ {
		c.clock.T = c.clock.T.Add(time.Hour)
		c.drain(t)
	}
	if f := c.followup(t, inv.ID); f.Phase != invoices.PhaseSending || c.received(inv.Number) != 0 {
		t.Fatalf("within the window: %+v", f)
	}
	c.clock.T = c.clock.T.Add(2 * time.Hour)
	c.drain(t)
	f := c.followup(t, inv.ID)
	if f.FluxNumber == "" || f.Deposits != 2 || c.received(inv.Number) != 1 {
		t.Fatalf("deposited again: %+v, %d on Chorus", f, c.received(inv.Number))
	}
}

// TestChorusRejectedThenReissued: Chorus Pro knows another bank account
// for the OF; the flux is rejected, its reason in French names the IBAN and
// what to fix, the list filters it as « rejet ». The OF corrects its billing
// details, cancels the invoice by a credit note (not deposited: Chorus Pro
// holds no such invoice) and issues a new one, which is integrated.
func TestChorusRejectedThenReissued(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	const registered = "FR1420041010050500013M02606"
	c.sb.BankAccounts = map[string][]string{"73282932000074": {registered}}
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	c.clock.T = c.clock.T.Add(time.Hour)
	c.drain(t)
	f := c.followup(t, inv.ID)
	if !f.Final || f.State != chorus.FluxRejete || !strings.Contains(f.Reason, "corrigez l'IBAN") || !strings.Contains(f.NextStep, "avoir") {
		t.Fatalf("rejected: %+v", f)
	}
	if l, err := c.iss.List(c.ctx, c.rgc, "", "rejet"); err != nil || len(l) != 1 || l[0].ID != inv.ID || l[0].ChorusLabel() != "Dépôt rejeté" {
		t.Fatalf("filter rejet: %+v %v", l, err)
	}
	if _, err := c.dep.ChorusAct(c.ctx, c.rgc, inv.ID, invoices.ChorusRecycle, invoices.RecycleForm{Comment: "x"}); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("recycle a rejected flux: %v", err)
	}
	if _, err := c.dep.ChorusAct(c.ctx, c.rgc, inv.ID, invoices.ChorusRefresh, invoices.RecycleForm{}); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("refresh a final state: %v", err)
	}
	fixed := goodInput
	fixed.IBAN = registered
	if _, err := c.svc.SetBilling(kairos.WithActor(c.ctx, c.rgc), c.rgc, fixed); err != nil {
		t.Fatal(err)
	}
	cn, err := c.iss.CreditNote(c.ctx, c.rgc, inv.ID, "Dépôt rejeté par Chorus Pro : IBAN corrigé")
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	c.clock.T = c.clock.T.Add(time.Hour)
	c.drain(t)
	if f := c.followup(t, again.ID); f.State != chorus.StDeposee || f.CPPID == 0 {
		t.Fatalf("re-issued: %v %+v", codes(f), f)
	}
	if f := c.followup(t, cn.ID); f.Phase != invoices.PhaseDone || c.received(cn.Number) != 0 || !strings.Contains(f.Reason, "pas déposé") || !strings.Contains(f.NextStep, "Rien à déposer") || f.StateLabel != "Non déposé (sans objet)" {
		t.Fatalf("credit note of a rejected invoice: %+v, %d deposits", f, c.received(cn.Number))
	}
}

// TestChorusScenarioRejection: the sandbox's « rejet » scenario; the
// French reason of an ERR_XSD error.
func TestChorusScenarioRejection(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioRejected)
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	c.clock.T = c.clock.T.Add(time.Hour)
	c.drain(t)
	if f := c.followup(t, inv.ID); f.State != chorus.FluxRejete || !strings.Contains(f.Reason, "engagement") {
		t.Fatalf("rejected: %+v", f)
	}
	msg := invoices.RejectionText(&chorus.ConsulterCRDetailleResponse{ListeErreurTechnique: []chorus.ErreurTechnique{{CodeErreur: "ERR_XSD_001",
		LibelleErreur: "IRRECEVABILITE: cvc-complex-type.2.4.a: Invalid content - ligne: 14"}}})
	if !strings.Contains(msg, "ligne 14") || !strings.Contains(msg, "ne vient pas de vos données") {
		t.Fatalf("ERR_XSD: %q", msg)
	}
	for code, want := range map[string]string{"": "En attente de dépôt", "MISE_EN_PAIEMENT": "Mise en paiement", "A_RECYCLER": "À recycler", "IN_REJETE": "Dépôt rejeté", "SOMETHING_NEW": "SOMETHING NEW"} {
		if got := invoices.ChorusLabel(code); got != want {
			t.Errorf("label %q: %q", code, got)
		}
	}
}

// TestChorusRecycleAndComplete: an invoice to recycle is recycled by the OF
// (form checked, another OF refused) and paid; a suspended one is completed
// with the justificatifs Kairos deposited.
func TestChorusRecycleAndComplete(t *testing.T) {
	for _, sc := range []string{chorus.ScenarioRecycle, chorus.ScenarioSuspended} {
		t.Run(sc, func(t *testing.T) {
			c := newChorusEnv(t, sc)
			inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
			if err != nil {
				t.Fatal(err)
			}
			var f *invoices.Chorus
			for i := 0; i < 5; i++ {
				c.drain(t)
				c.clock.T = c.clock.T.Add(time.Hour)
			}
			c.drain(t)
			f = c.followup(t, inv.ID)
			action := invoices.ChorusRecycle
			if sc == chorus.ScenarioSuspended {
				action = invoices.ChorusComplete
			}
			if !f.NeedsAction() || f.Reason == "" {
				t.Fatalf("returned: %+v", f)
			}
			if _, err := c.dep.ChorusAct(c.ctx, c.OFBAdmin.Actor(), inv.ID, action, invoices.RecycleForm{Comment: "x"}); kairos.ErrorCode(err) != kairos.ENotFound {
				t.Fatalf("another OF: %v", err)
			}
			if _, err := c.dep.ChorusAct(c.ctx, c.rgc, inv.ID, action, invoices.RecycleForm{}); kairos.FieldErrors(err)["commentaire"] == "" {
				t.Fatalf("no comment: %v", err)
			}
			form := invoices.RecycleForm{Comment: "Corrigé", CodeDestinataire: chorus.FranceTravail.IdentifiantStructure, CodeServiceExecutant: "FT-AIF-76"}
			if f, err = c.dep.ChorusAct(c.ctx, c.rgc, inv.ID, action, form); err != nil || len(f.Actions) != 1 {
				t.Fatalf("%s: %+v %v", action, f, err)
			}
			for i := 0; i < 8 && !f.Final; i++ {
				c.clock.T = c.clock.T.Add(time.Hour)
				c.drain(t)
				f = c.followup(t, inv.ID)
			}
			if f.State != chorus.StMiseEnPaiement {
				t.Fatalf("after %s: %v %+v", action, codes(f), f)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestChorusPasswordReminder: the administrators are mailed 15 days before
// the technical account's password expires, once, then once when it has
// expired; the notice says how many days are left.
func TestChorusPasswordReminder(t *testing.T) {
	e := newEnv(t)
	clock := &fixture.Clock{T: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	p := &invoices.PasswordReminder{DB: e.DB(), Expires: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), Days: 15, BaseURL: "http://kairos.test", Clock: clock.Now}
	mails := func() int {
		var n int
		e.DB().QueryRow(e.ctx, "SELECT COUNT(*) FROM mails WHERE subject LIKE ?", "%compte technique Chorus Pro%").Scan(&n)
		return n
	}
	if n := p.Notice(); n.Level != "info" || n.DaysLeft != 19 || !strings.Contains(n.Message, "19 jours") {
		t.Fatalf("notice: %+v", n)
	}
	if err := p.Handle(e.ctx, nil); err != nil || mails() != 0 {
		t.Fatalf("19 days before: %d mails %v", mails(), err)
	}
	clock.T = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for range 3 {
		if err := p.Handle(e.ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	admins := mails()
	if admins == 0 || p.Notice().Level != "warning" {
		t.Fatalf("15 days before: %d mails, %+v", admins, p.Notice())
	}
	clock.T = time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	p.Handle(e.ctx, nil)
	p.Handle(e.ctx, nil)
	if mails() != 2*admins || p.Notice().Level != "error" || !strings.Contains(p.Notice().Message, "a expiré") {
		t.Fatalf("expired: %d mails, %+v", mails(), p.Notice())
	}
	if (&invoices.PasswordReminder{DB: e.DB()}).Notice() != nil {
		t.Fatal("notice without a date")
	}
}

// TestChorusReconciledUnderAFrozenClock: the portal lives at a frozen
// instant (KAIROS_NOW) and times its attempts on the moving clock, as the
// binary does. The process dies between the deposit and its record; the
// search finds nothing yet (the flux is being integrated) and is retried
// 10 s later on the timing clock, where the frozen clock would never come
// to it: reconciled, deposited once, its facts dated at the frozen instant.
func TestChorusReconciledUnderAFrozenClock(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	frozen := c.clock.T
	timing := &fixture.Clock{T: frozen}
	c.sb.Clock, c.sb.Step = timing.Now, time.Minute // Chorus Pro lives in real time
	c.dep.Timing, c.w.Clock = timing.Now, timing.Now
	var crashed atomic.Bool
	c.dep.AfterDeposit = func(number, flux string) {
		if crashed.CompareAndSwap(false, true) {
			panic("crash between the deposit and its record")
		}
	}
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	if n, err := c.dep.Recover(c.ctx); err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	c.drain(t)
	f := c.followup(t, inv.ID)
	if f.Phase != invoices.PhaseSending || !strings.Contains(f.LastError, "avant tout nouveau dépôt") {
		t.Fatalf("before the flux is integrated: %+v", f)
	}
	for i := 0; i < 12 && f.FluxNumber == ""; i++ {
		timing.T = timing.T.Add(10 * time.Second)
		c.drain(t)
		f = c.followup(t, inv.ID)
	}
	if f.FluxNumber == "" || f.CPPID == 0 || c.received(inv.Number) != 1 {
		t.Fatalf("not reconciled after 2 min of timing clock: %+v, %d deposits", f, c.received(inv.Number))
	}
	if timing.T.Sub(frozen) > 90*time.Second {
		t.Errorf("reconciled only %s after the deposit", timing.T.Sub(frozen))
	}
	var recorded time.Time
	if err := c.DB().QueryRow(c.ctx, "SELECT recorded_at FROM chorus_history WHERE invoice_id = ? ORDER BY recorded_at DESC LIMIT 1", inv.ID).Scan(&recorded); err != nil || !recorded.Equal(frozen) {
		t.Fatalf("history recorded at %s, want the frozen %s (%v)", recorded, frozen, err)
	}
}
