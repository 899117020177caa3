package quotes_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/mail"
	"kairos/quotes"
)

// trader is an adhesion answer the test sets (the real adhesion.Service is
// exercised end to end).
type trader struct {
	mu  sync.Mutex
	why map[int64]string
}

func (t *trader) CanTrade(_ context.Context, org int64) (bool, string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.why[org] == "", t.why[org], nil
}

type env struct {
	*fixture.World
	svc   *quotes.Service
	path  *enrolment.Service
	clock *fixture.Clock
	trade *trader
	of    *kairos.Actor // of_user with devis
	de    *kairos.Actor
	de2   *kairos.Actor
	cons  *kairos.Actor
	ft    *kairos.Actor
	ctx   context.Context
	cat   quotes.StaticCatalog
	ofB   *kairos.Actor
	debut calendar.Date
}

const sessionA, sessionOther, sessionB, sessionHidden = 101, 102, 201, 103

func newEnv(t *testing.T) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	clock := &fixture.Clock{T: tnow}
	acc.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	e := &env{World: w, clock: clock, trade: &trader{why: map[int64]string{}}, ctx: fixture.Ctx()}
	e.of = fixture.MustUser(t, acc, w.OFA, kairos.RoleOFUser, "devis@a.example", kairos.HabDevis).Actor()
	e.ofB = w.OFBAdmin.Actor()
	e.de = w.Users[kairos.RoleDemandeur].Actor()
	e.de2 = fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "de2@a.example").Actor()
	e.cons = w.Users[kairos.RoleConseiller].Actor()
	e.ft = w.Users[kairos.RoleFTGestionnaire].Actor()
	for i, u := range []*kairos.Actor{e.de, e.de2} {
		if _, err := w.DB().Exec(e.ctx, "INSERT INTO demandeurs (user_id, ft_id, agence_id, conseiller_id, created_at) VALUES (?, ?, ?, ?, ?)",
			u.UserID, []string{"1234567A", "7654321B"}[i], w.Agence, e.cons.UserID, tnow); err != nil {
			t.Fatal(err)
		}
	}
	today := calendar.DateOf(tnow)
	e.debut = today.AddDays(10)
	e.cat = quotes.StaticCatalog{
		sessionA: {ID: sessionA, OrgID: w.OFA, Source: "carif-76", FormationNumero: "F-1", ActionNumero: "A-1", SessionNumero: "S-1", Title: "Soudure TIG",
			Place: "Toulouse", Debut: e.debut, Fin: today.AddDays(60), HoursCentre: 400, HoursCompany: 80, HourlyCost: 1250, Visible: true},
		sessionOther: {ID: sessionOther, OrgID: w.OFA, Title: "Soudure MIG", Debut: today.AddDays(20), Fin: today.AddDays(70), HoursCentre: 800, HourlyCost: 1000, Visible: true},
		sessionHidden: {ID: sessionHidden, OrgID: w.OFA, Title: "Session fermée", Debut: today.AddDays(20), Fin: today.AddDays(70), HoursCentre: 800, HourlyCost: 1000,
			Hidden: "Recrutement fermé."},
		sessionB: {ID: sessionB, OrgID: w.OFB, Title: "Session de B", Debut: today.AddDays(20), Fin: today.AddDays(70), HoursCentre: 800, HourlyCost: 1000, Visible: true},
	}
	e.path = &enrolment.Service{DB: w.DB(), Clock: clock.Now}
	e.svc = &quotes.Service{DB: w.DB(), Catalog: e.cat, Trade: e.trade, Path: e.path, Clock: clock.Now, BaseURL: "http://kairos.test"}
	return e
}

func (e *env) create(t *testing.T, session int64, ftID, nom string) *quotes.Quote {
	t.Helper()
	lines := []quotes.Line{{Funder: "2", Amount: 50000}}
	q, err := e.svc.Create(e.ctx, e.of, quotes.NewQuote{SessionID: session, FTID: ftID, Nom: nom, Content: quotes.Content{Lines: &lines}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return q
}

func (e *env) do(t *testing.T, a *kairos.Actor, id int64, act quotes.Action, reason string) *quotes.Quote {
	t.Helper()
	q, err := e.svc.Do(e.ctx, a, id, quotes.Step{Action: act, Reason: reason})
	if err != nil {
		t.Fatalf("%s: %v", act, err)
	}
	return q
}

func mailsTo(t *testing.T, e *env, to string) []mail.Mail {
	t.Helper()
	all, err := mail.List(context.Background(), e.DB(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Mail // oldest first
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].To == to {
			out = append(out, all[i])
		}
	}
	return out
}

// TestJourneyValidated: the OF creates the quote from the catalogue, the
// DE accepts it, the counsellor validates it: the enrolment is on the path
// with the quote number.
func TestJourneyValidated(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567a", "DEMANDEUR")
	// Pre-filled from the Carif data; 100 h at 12,50 € = 1 250 €, 500 € from the Région.
	if q.Title != "Soudure TIG" || q.SessionNumero != "S-1" || q.ActionNumero != "A-1" || q.FormationNumero != "F-1" || q.HoursCentre != 400 || q.HoursCompany != 80 ||
		q.Total != 125000 || q.Cofunding != 50000 || q.AIF != 75000 || q.State != quotes.Brouillon || !quotes.ValidNumber(q.Number) {
		t.Fatalf("created %+v", q)
	}
	if !strings.Contains(strings.Join(q.AllowedActions, ","), "transmettre") {
		t.Fatalf("allowed %v", q.AllowedActions)
	}
	// The DE does not see a draft.
	if _, err := e.svc.Get(e.ctx, e.de, q.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("DE reads a draft: %v", err)
	}
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	got, err := e.svc.Get(e.ctx, e.de, q.ID)
	if err != nil || strings.Join(got.AllowedActions, ",") != "accepter,refuser_de" {
		t.Fatalf("DE view: %v %v", got, err)
	}
	if n, _ := e.svc.ToDo(e.ctx, e.de); n != 1 {
		t.Fatalf("DE counter %d", n)
	}
	if len(mailsTo(t, e, "demandeur@a.example")) != 1 {
		t.Fatal("no mail to the DE")
	}
	e.do(t, e.de, q.ID, quotes.Accepter, "")
	if n, _ := e.svc.ToDo(e.ctx, e.cons); n != 1 {
		t.Fatalf("counsellor counter %d", n)
	}
	v := e.do(t, e.cons, q.ID, quotes.Valider, "")
	if v.State != quotes.Valide || v.EnrolmentID == 0 || v.Commitment() != q.Number {
		t.Fatalf("validated %+v", v)
	}
	en, err := e.path.Get(e.ctx, e.cons, v.EnrolmentID)
	if err != nil {
		t.Fatal(err)
	}
	if en.State != enrolment.StInscrite || en.SessionID != sessionA || en.DemandeurID != e.de.UserID {
		t.Fatalf("enrolment %+v", en)
	}
	found := false
	for _, m := range en.Movements {
		found = found || (m.Action == enrolment.ActInscrire && strings.Contains(m.Comment, q.Number))
	}
	if !found {
		t.Fatalf("the AIS does not carry the quote number: %+v", en.Movements)
	}
	of := mailsTo(t, e, "devis@a.example")
	if len(of) < 2 || !strings.Contains(of[len(of)-1].Body, "Numéro d'engagement") {
		t.Fatalf("OF mails %v", of)
	}
	var events int
	e.DB().QueryRow(e.ctx, "SELECT COUNT(*) FROM events WHERE type LIKE 'quote.%'").Scan(&events)
	if events != 4 {
		t.Fatalf("%d quote events", events)
	}
	pdf, err := quotes.PDF(v, tnow)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("pdf %v", err)
	}
	// Decided: nothing left to do for anyone, and the expiry leaves it alone.
	e.clock.Advance(30 * 24 * time.Hour)
	if n, err := e.svc.Expire(e.ctx); n != 0 || err != nil {
		t.Fatalf("expired a validated quote: %d %v", n, err)
	}
}

// TestJourneyRefusedAndCompleted: the counsellor asks for changes, the OF
// edits and transmits again, then the counsellor refuses; both parties
// read the reason.
func TestJourneyRefusedAndCompleted(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	e.do(t, e.de, q.ID, quotes.Accepter, "")
	if _, err := e.svc.Do(e.ctx, e.cons, q.ID, quotes.Step{Action: quotes.Refuser}); kairos.FieldErrors(err)["reason"] == "" {
		t.Fatalf("refusal without reason: %v", err)
	}
	e.do(t, e.cons, q.ID, quotes.Completer, "Précisez les heures en entreprise.")
	h := quotes.Quarters(40)
	if _, err := e.svc.Update(e.ctx, e.of, q.ID, quotes.Content{HoursCompany: &h}); err != nil {
		t.Fatal(err)
	}
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	e.do(t, e.de, q.ID, quotes.Accepter, "")
	r := e.do(t, e.cons, q.ID, quotes.Refuser, "Projet professionnel non validé.")
	for _, a := range []*kairos.Actor{e.of, e.de} {
		got, err := e.svc.Get(e.ctx, a, q.ID)
		if err != nil || got.State != quotes.Refuse || got.Reason != "Projet professionnel non validé." || len(got.AllowedActions) != 0 {
			t.Fatalf("%s reads %+v %v", a.Role, got, err)
		}
	}
	for _, to := range []string{"devis@a.example", "demandeur@a.example"} {
		m := mailsTo(t, e, to)
		if len(m) == 0 || !strings.Contains(m[len(m)-1].Body, "Motif : Projet professionnel non validé.") {
			t.Fatalf("%s was not told the reason", to)
		}
	}
	if r.EnrolmentID != 0 {
		t.Fatal("refused quote enrolled")
	}
}

// TestDERefusesThenRevision: the DE refuses with a reason; the OF takes the
// quote back as a draft.
func TestDERefusesThenRevision(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	if _, err := e.svc.Do(e.ctx, e.de, q.ID, quotes.Step{Action: quotes.RefuserDE, Reason: "  "}); kairos.FieldErrors(err)["reason"] == "" {
		t.Fatalf("no reason: %v", err)
	}
	r := e.do(t, e.de, q.ID, quotes.RefuserDE, "Je préfère la session de mars.")
	if r.State != quotes.RefuseParDE || r.Reason != "Je préfère la session de mars." {
		t.Fatalf("%+v", r)
	}
	if n, _ := e.svc.ToDo(e.ctx, e.of); n != 1 {
		t.Fatalf("OF counter %d", n)
	}
	b := e.do(t, e.of, q.ID, quotes.Reviser, "")
	if b.State != quotes.Brouillon || b.Reason != "" {
		t.Fatalf("%+v", b)
	}
}

// TestRegionalReview: above the threshold the counsellor's favourable
// opinion sends the quote to the regional manager, whose validation enrols.
func TestRegionalReview(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	rate := quotes.Cents(4000) // 100 h at 40 € = 4 000 €, AIF 3 500 € > 3 200 €
	q2, err := e.svc.Update(e.ctx, e.of, q.ID, quotes.Content{HourlyCost: &rate})
	if err != nil || !q2.Review || q2.AIF != 350000 {
		t.Fatalf("%+v %v", q2, err)
	}
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	e.do(t, e.de, q.ID, quotes.Accepter, "")
	_, err = e.svc.Do(e.ctx, e.cons, q.ID, quotes.Step{Action: quotes.Valider})
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "seuil régional") {
		t.Fatalf("validation above the threshold: %v", err)
	}
	got, _ := e.svc.Get(e.ctx, e.cons, q.ID)
	if strings.Join(got.AllowedActions, ",") != "soumettre_region,refuser,a_completer" {
		t.Fatalf("counsellor actions %v / %+v", got.AllowedActions, got.Actions)
	}
	e.do(t, e.cons, q.ID, quotes.Soumettre, "")
	if n, _ := e.svc.ToDo(e.ctx, e.ft); n != 1 {
		t.Fatalf("manager counter %d", n)
	}
	if _, err := e.svc.Do(e.ctx, e.cons, q.ID, quotes.Step{Action: quotes.ValiderRegion}); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("counsellor decides for the region: %v", err)
	}
	v := e.do(t, e.ft, q.ID, quotes.ValiderRegion, "")
	if v.State != quotes.Valide || v.EnrolmentID == 0 {
		t.Fatalf("%+v", v)
	}
	// A manager of another region sees nothing.
	other := fixture.MustOrg(t, e.Acc, kairos.OrgFTService, "DR Bretagne")
	e.DB().Exec(e.ctx, "UPDATE organisations SET region = '53' WHERE id = ?", other)
	ft2 := fixture.MustUser(t, e.Acc, other, kairos.RoleFTGestionnaire, "ft53@a.example").Actor()
	if _, err := e.svc.Get(e.ctx, ft2, q.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("other region: %v", err)
	}
}

// TestGuardsOnTheDatabase: CanTrade, visibility, another open quote
// overlapping, co-funding covering the total, tenant isolation.
func TestGuardsOnTheDatabase(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	e.trade.why[e.OFA] = "le certificat Qualiopi de l'organisme a expiré le 31/05/2026."
	_, err := e.svc.Do(e.ctx, e.of, q.ID, quotes.Step{Action: quotes.Transmettre})
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "Qualiopi") {
		t.Fatalf("CanTrade: %v", err)
	}
	got, _ := e.svc.Get(e.ctx, e.of, q.ID)
	for _, a := range got.Actions {
		if a.Action == "transmettre" && (a.Allowed || !strings.Contains(a.Reason, "Qualiopi")) {
			t.Fatalf("button without its reason: %+v", a)
		}
	}
	delete(e.trade.why, e.OFA)
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	// Another quote of the same DE on an overlapping session: created, not transmitted.
	q2 := e.create(t, sessionOther, "1234567A", "demandeur")
	_, err = e.svc.Do(e.ctx, e.of, q2.ID, quotes.Step{Action: quotes.Transmettre})
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), q.Number) {
		t.Fatalf("overlap: %v", err)
	}
	// A hidden session.
	q3 := e.create(t, sessionHidden, "7654321B", "demandeur")
	if _, err := e.svc.Do(e.ctx, e.of, q3.ID, quotes.Step{Action: quotes.Transmettre}); !strings.Contains(kairos.ErrorMessage(err), "Recrutement fermé") {
		t.Fatalf("hidden: %v", err)
	}
	// Co-funding covering the total is refused at once.
	lines := []quotes.Line{{Funder: "2", Amount: 200000}}
	if _, err := e.svc.Update(e.ctx, e.of, q3.ID, quotes.Content{Lines: &lines}); !strings.Contains(kairos.FieldErrors(err)["cofunding"], "couvre déjà") {
		t.Fatalf("co-funding ≥ total: %v", err)
	}
	bad := []quotes.Line{{Funder: "4", Amount: 100}, {Funder: "2", Amount: 0}, {Funder: "7", Amount: 100}, {Funder: "7", Amount: 100}}
	err = func() error { _, err := e.svc.Update(e.ctx, e.of, q3.ID, quotes.Content{Lines: &bad}); return err }()
	if f := kairos.FieldErrors(err); f["cofunding_1"] == "" || f["cofunding_2"] == "" || f["cofunding_4"] == "" || f["cofunding_3"] != "" {
		t.Fatalf("bad lines: %v", f)
	}
	huge := quotes.Quarters(quotes.MaxQuarters + 1)
	if _, err := e.svc.Update(e.ctx, e.of, q3.ID, quotes.Content{HoursCentre: &huge}); kairos.FieldErrors(err)["hours_centre"] == "" {
		t.Fatalf("huge hours: %v", err)
	}
	ctl := "Bonjour\x00"
	if _, err := e.svc.Update(e.ctx, e.of, q3.ID, quotes.Content{Comment: &ctl}); kairos.FieldErrors(err)["comment"] == "" {
		t.Fatalf("control char: %v", err)
	}
	// Another OF: not found; its own session only; a wrong name.
	if _, err := e.svc.Get(e.ctx, e.ofB, q.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("other OF reads: %v", err)
	}
	if _, err := e.svc.Do(e.ctx, e.ofB, q.ID, quotes.Step{Action: quotes.Annuler, Reason: "x"}); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("other OF cancels: %v", err)
	}
	if _, err := e.svc.Create(e.ctx, e.of, quotes.NewQuote{SessionID: sessionB, FTID: "1234567A", Nom: "demandeur"}); kairos.FieldErrors(err)["session_id"] == "" {
		t.Fatalf("another OF's session: %v", err)
	}
	if _, err := e.svc.Create(e.ctx, e.of, quotes.NewQuote{SessionID: sessionA, FTID: "1234567A", Nom: "Martin"}); kairos.FieldErrors(err)["ft_id"] == "" {
		t.Fatalf("wrong name: %v", err)
	}
	// An OF user without the devis habilitation.
	if _, err := e.svc.Get(e.ctx, e.Users[kairos.RoleOFUser].Actor(), q.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("no habilitation: %v", err)
	}
	// Another agence's counsellor.
	ag := fixture.MustOrg(t, e.Acc, kairos.OrgFTAgence, "Autre agence")
	c2 := fixture.MustUser(t, e.Acc, ag, kairos.RoleConseiller, "c2@a.example").Actor()
	if _, err := e.svc.Get(e.ctx, c2, q.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("other agence: %v", err)
	}
	// The DE cannot act on another DE's quote.
	if _, err := e.svc.Do(e.ctx, e.de2, q.ID, quotes.Step{Action: quotes.Accepter}); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("other DE: %v", err)
	}
	// A stale version is refused.
	if _, err := e.svc.Do(e.ctx, e.de, q.ID, quotes.Step{Action: quotes.Accepter, Version: 99}); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("stale: %v", err)
	}
}

// TestExpiryByTheClock: an undecided quote expires when its session has
// started; both parties are told.
func TestExpiryByTheClock(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	draft := e.create(t, sessionHidden, "7654321B", "demandeur")
	if n, err := e.svc.Expire(e.ctx); n != 0 || err != nil {
		t.Fatalf("expired too early: %d %v", n, err)
	}
	e.clock.T = e.debut.Midnight().Add(36 * time.Hour) // the day after the start
	n, err := e.svc.Expire(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	got, _ := e.svc.Get(e.ctx, e.de, q.ID)
	if got.State != quotes.Expire || len(got.AllowedActions) != 0 {
		t.Fatalf("%+v", got)
	}
	if d, _ := e.svc.Get(e.ctx, e.of, draft.ID); d.State != quotes.Brouillon {
		t.Fatalf("draft of a later session: %s", d.State)
	}
	m := mailsTo(t, e, "demandeur@a.example")
	if len(m) != 2 || !strings.Contains(m[1].Body, "expiré") {
		t.Fatalf("DE mails %v", m)
	}
}

// TestConcurrentAccept: two accepts at once, one wins.
func TestConcurrentAccept(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	e.do(t, e.of, q.ID, quotes.Transmettre, "")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.Do(e.ctx, e.de, q.ID, quotes.Step{Action: quotes.Accepter})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if kairos.ErrorCode(err) != kairos.EConflict {
			t.Fatalf("%v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d accepts succeeded", ok)
	}
}

func TestListSearchCSV(t *testing.T) {
	e := newEnv(t)
	q := e.create(t, sessionA, "1234567A", "demandeur")
	e.create(t, sessionHidden, "7654321B", "demandeur")
	p, err := e.svc.List(e.ctx, e.of, quotes.Filter{Search: "tig"})
	if err != nil || p.Total != 1 || p.Items[0].ID != q.ID {
		t.Fatalf("%+v %v", p, err)
	}
	if p, _ := e.svc.List(e.ctx, e.of, quotes.Filter{State: quotes.Brouillon}); p.Total != 2 {
		t.Fatalf("state filter %d", p.Total)
	}
	if _, err := e.svc.List(e.ctx, e.of, quotes.Filter{State: "nimporte"}); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("bad state %v", err)
	}
	if p, _ := e.svc.List(e.ctx, e.ofB, quotes.Filter{}); p.Total != 0 {
		t.Fatal("other OF lists")
	}
	if p, _ := e.svc.List(e.ctx, e.de, quotes.Filter{}); p.Total != 0 {
		t.Fatal("DE lists drafts")
	}
	var b strings.Builder
	if err := e.svc.WriteCSV(e.ctx, e.of, quotes.Filter{}, &b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.Contains(b.String(), q.Number) || !strings.Contains(lines[0], "AIF (€)") {
		t.Fatalf("csv %q", b.String())
	}
	_ = account.StatusActive
}
