package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/api"
	"kairos/appointments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/config"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/metrics"
	"kairos/store"
	"kairos/web"
)

// listsEnv is a portal with job seekers in training (issue 11, lists):
// at 8 April 2026 (March attestations due on 5 April, 3 days late),
// OF A runs session 1 and OF B session 2 (agence of region 76), OF C
// session 3 for an agence of region 11 (another counsellor).
type listsEnv struct {
	*env
	clock  *fixture.Clock
	acc    *account.Service
	enr    *enrolment.Service
	att    *attestations.Service
	cons2  *account.User // counsellor of the other agence
	ofC    int64
	ofCAdm *account.User
	des    []*account.User // job seekers of the agence, in creation order
}

var listsNow = time.Date(2026, 4, 8, 8, 0, 0, 0, time.UTC)

// listsNames are the agence's job seekers: the first two are on session 1
// (entered), the third on session 2 (OF B, entered), the fourth only
// proposed, the fifth without a path; the last carries a formula.
var listsNames = []string{"Karim Benali", "Inès Garcia", "Zoé Martin", "Paul Durand", "Anne Petit", "=HYPERLINK(\"http://x\")"}

func newListsEnv(t *testing.T) *listsEnv {
	t.Helper()
	acc := fixture.MustAccounts(t)
	clock := &fixture.Clock{T: listsNow}
	acc.DB.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	cfg, err := config.Load(func(k string) string { return map[string]string{"KAIROS_DEMO": "1"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := fixture.Ctx()
	e := &listsEnv{clock: clock, acc: acc}
	agence2, err := acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgFTAgence, Name: "Agence Île-de-France", Region: "11"})
	if err != nil {
		t.Fatal(err)
	}
	e.ofC, err = acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgOF, Name: "Organisme C", SIRET: "73282932000074", Region: "11"})
	if err != nil {
		t.Fatal(err)
	}
	e.ofCAdm = fixture.MustUser(t, acc, e.ofC, kairos.RoleOFAdmin, "rgc@c.example")
	e.cons2 = fixture.MustUser(t, acc, agence2, kairos.RoleConseiller, "conseiller@idf.example")
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 8, 0, 0, 0, time.UTC) }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	appts := &appointments.Service{DB: acc.DB, BaseURL: "http://kairos.test", Log: log}
	e.enr = &enrolment.Service{DB: acc.DB, Log: log, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: day(3, 2), Fin: day(6, 30)},
		2: {ID: 2, Intitule: "Comptabilité", OrgID: w.OFB, Debut: day(3, 2), Fin: day(6, 30)},
		3: {ID: 3, Intitule: "Soudure", OrgID: e.ofC, Debut: day(3, 2), Fin: day(6, 30)},
	}}
	e.att = &attestations.Service{DB: acc.DB, Log: log}
	a := api.New(acc, log)
	s, err := web.New(&web.Server{Cfg: cfg, DB: acc.DB, Accounts: acc, Log: log, Metrics: metrics.New(), API: a.Handler(),
		Secret: []byte("0123456789abcdef0123456789abcdef"), Appointments: appts, Enrolment: e.enr, Attestations: e.att, Adhesions: adhesion.New(acc)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e.env = &env{World: w, srv: srv}
	cons := w.Users[kairos.RoleConseiller].Actor()
	enter := func(cons *kairos.Actor, de *account.User, session int64, org *kairos.Actor, entered bool) {
		t.Helper()
		x, err := e.enr.Propose(ctx, cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: session})
		if err != nil {
			t.Fatal(err)
		}
		if org == nil {
			return
		}
		if _, err := e.enr.Do(ctx, org, x.ID, enrolment.Action{Action: enrolment.ActInscrire}); err != nil {
			t.Fatal(err)
		}
		if entered {
			if _, err := e.enr.Do(ctx, org, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, name := range listsNames {
		u, err := acc.CreateUser(ctx, account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%d@a.example", i), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.SetDemandeur(ctx, u.ID, fmt.Sprintf("FT%06d", i), w.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		e.des = append(e.des, u)
	}
	ofA, ofB := w.Users[kairos.RoleOFAdmin].Actor(), w.OFBAdmin.Actor()
	enter(cons, e.des[0], 1, ofA, true)
	enter(cons, e.des[1], 1, ofA, true)
	enter(cons, e.des[2], 2, ofB, true)
	enter(cons, e.des[3], 1, nil, false)
	enter(cons, e.des[5], 1, ofA, true)
	// The other agence's job seeker, in training at OF C.
	other, err := acc.CreateUser(ctx, account.NewUser{Role: kairos.RoleDemandeur, Email: "autre@idf.example", Name: "Yann Autre"})
	if err != nil {
		t.Fatal(err)
	}
	if err := appts.SetDemandeur(ctx, other.ID, "FT999999", agence2, e.cons2.ID); err != nil {
		t.Fatal(err)
	}
	enter(e.cons2.Actor(), other, 3, e.ofCAdm.Actor(), true)
	return e
}

func (e *listsEnv) as(t *testing.T, role kairos.Role) *client {
	c := e.client(t)
	c.login(e.Users[role].Email)
	return c
}

// getCSV fetches an export and checks it is UTF-8 with BOM, semicolons.
func (c *client) getCSV(path string) []string {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(b), "\uFEFF") {
		c.t.Fatalf("%s: %d %s %.200q", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(b), "\uFEFF"), "\r\n"), "\r\n")
}

func rowsOf(body, prefix string) int { return strings.Count(body, `<tr id="`+prefix) }

func TestPortfolioList(t *testing.T) {
	e := newListsEnv(t)
	c := e.as(t, kairos.RoleConseiller)
	status, body := c.get("/conseiller/portefeuille")
	if status != 200 || rowsOf(body, "de-") != len(listsNames) || strings.Contains(body, "Yann Autre") {
		t.Fatalf("portfolio: %d, %d rows\n%s", status, rowsOf(body, "de-"), body)
	}
	// Search by name (case-insensitive) and by identifier.
	if _, body := c.get("/conseiller/portefeuille?q=karim"); rowsOf(body, "de-") != 1 || !strings.Contains(body, "Karim Benali") {
		t.Fatalf("search by name: %d rows", rowsOf(body, "de-"))
	}
	if _, body := c.get("/conseiller/portefeuille?q=FT000002"); rowsOf(body, "de-") != 1 || !strings.Contains(body, "Zoé Martin") {
		t.Fatal("search by identifier")
	}
	// Another agence's job seeker is never found.
	if _, body := c.get("/conseiller/portefeuille?q=FT999999"); rowsOf(body, "de-") != 0 || !strings.Contains(body, "Aucun résultat pour « FT999999 »") || !strings.Contains(body, `id="effacer-filtres" href="/conseiller/portefeuille"`) && !strings.Contains(body, `href="/conseiller/portefeuille" id="effacer-filtres"`) {
		t.Fatalf("other agence or empty state:\n%s", body)
	}
	// Filter by path state.
	if _, body := c.get("/conseiller/portefeuille?situation=en_formation"); rowsOf(body, "de-") != 4 || strings.Contains(body, "Paul Durand") {
		t.Fatalf("en_formation: %d rows", rowsOf(body, "de-"))
	}
	if _, body := c.get("/conseiller/portefeuille?situation=proposition"); rowsOf(body, "de-") != 1 || !strings.Contains(body, "Paul Durand") {
		t.Fatal("proposition")
	}
	// An unknown state is ignored (the whole list), not an error.
	if status, body := c.get("/conseiller/portefeuille?situation=%3Cscript%3E"); status != 200 || rowsOf(body, "de-") != len(listsNames) {
		t.Fatal("unknown state")
	}
	// Sort by name, both ways; the header says how it is sorted.
	_, body = c.get("/conseiller/portefeuille?tri=nom")
	if i, j := strings.Index(body, "Anne Petit"), strings.Index(body, "Zoé Martin"); i < 0 || j < i || !strings.Contains(body, `aria-sort="ascending"`) {
		t.Fatal("sort by name")
	}
	_, body = c.get("/conseiller/portefeuille?tri=-nom")
	if i, j := strings.Index(body, "Anne Petit"), strings.Index(body, "Zoé Martin"); j < 0 || i < j || !strings.Contains(body, `aria-sort="descending"`) {
		t.Fatal("sort by name descending")
	}
	// Pagination bounds: a page past the end shows the last one; an
	// unknown page size falls back to 25.
	if status, body := c.get("/conseiller/portefeuille?page=999999999999"); status != 200 || rowsOf(body, "de-") != len(listsNames) {
		t.Fatal("page out of range")
	}
	if status, body := c.get("/conseiller/portefeuille?par-page=100000&page=-3"); status != 200 || rowsOf(body, "de-") != len(listsNames) || !strings.Contains(body, `<option value="25" selected>`) {
		t.Fatal("page size")
	}
	// CSV: exactly the filtered rows, the formula neutralised.
	lines := c.getCSV("/conseiller/portefeuille/export.csv?situation=en_formation&tri=nom")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "Demandeur d'emploi;Identifiant France Travail;Situation") {
		t.Fatalf("csv: %q", lines)
	}
	if !strings.Contains(strings.Join(lines, "\n"), `"'=HYPERLINK(""http://x"")"`) || strings.Contains(strings.Join(lines, "\n"), "Paul Durand") {
		t.Fatalf("csv content: %q", lines)
	}
	if !strings.HasPrefix(lines[1], "'=HYPERLINK") && !strings.HasPrefix(lines[1], `"'=HYPERLINK`) {
		t.Fatalf("csv order: %q", lines[1])
	}
	// The other agence's counsellor sees only his own.
	c2 := e.client(t)
	c2.login(e.cons2.Email)
	if _, body := c2.get("/conseiller/portefeuille"); rowsOf(body, "de-") != 1 || !strings.Contains(body, "Yann Autre") {
		t.Fatal("other counsellor")
	}
	if lines := c2.getCSV("/conseiller/portefeuille/export.csv"); len(lines) != 2 || strings.Contains(strings.Join(lines, ""), "Karim") {
		t.Fatalf("other counsellor's csv: %q", lines)
	}
	// Roles without the right.
	for _, r := range []kairos.Role{kairos.RoleOFAdmin, kairos.RoleFTGestionnaire, kairos.RoleDemandeur} {
		c := e.as(t, r)
		for _, p := range []string{"/conseiller/portefeuille", "/conseiller/portefeuille/export.csv"} {
			if status, _ := c.get(p); status != http.StatusForbidden {
				t.Fatalf("%s on %s: %d", r, p, status)
			}
		}
	}
}

func TestPortfolioPagination(t *testing.T) {
	e := newListsEnv(t)
	ctx := context.Background()
	appts := &appointments.Service{DB: e.acc.DB}
	cons := e.Users[kairos.RoleConseiller]
	for i := 0; i < 30; i++ {
		u, err := e.acc.CreateUser(fixture.Ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("p%02d@a.example", i), Name: fmt.Sprintf("Personne %02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.SetDemandeur(ctx, u.ID, fmt.Sprintf("PP%04d", i), e.Agence, cons.ID); err != nil {
			t.Fatal(err)
		}
	}
	c := e.as(t, kairos.RoleConseiller)
	_, body := c.get("/conseiller/portefeuille?q=personne&tri=nom")
	if rowsOf(body, "de-") != 25 || !strings.Contains(body, "1 à 25 sur 30") || !strings.Contains(body, `href="/conseiller/portefeuille?page=2&amp;q=personne&amp;tri=nom"`) {
		t.Fatalf("page 1: %d rows\n%s", rowsOf(body, "de-"), body)
	}
	_, body = c.get("/conseiller/portefeuille?q=personne&tri=nom&page=2")
	if rowsOf(body, "de-") != 5 || !strings.Contains(body, "26 à 30 sur 30") || !strings.Contains(body, "Personne 29") || strings.Contains(body, "Personne 24") {
		t.Fatalf("page 2: %d rows", rowsOf(body, "de-"))
	}
	_, body = c.get("/conseiller/portefeuille?q=personne&par-page=50")
	if rowsOf(body, "de-") != 30 {
		t.Fatal("50 per page")
	}
	// The export has every page.
	if lines := c.getCSV("/conseiller/portefeuille/export.csv?q=personne&page=2"); len(lines) != 31 {
		t.Fatalf("csv lines %d", len(lines))
	}
}

func TestAttestationsMissingAndRemind(t *testing.T) {
	e := newListsEnv(t)
	c := e.as(t, kairos.RoleFTGestionnaire)
	const page = "/france-travail/attestations/manquantes?mois=2026-03"
	status, body := c.get(page)
	// OF A: 3 trainees (Karim, Inès, the formula), OF B: 1; OF C is in
	// another region: not shown to this regional service.
	if status != 200 || rowsOf(body, "of-") != 2 || !strings.Contains(body, "Karim Benali") || !strings.Contains(body, "Zoé Martin") || strings.Contains(body, "Organisme C") {
		t.Fatalf("missing: %d\n%s", status, body)
	}
	if !strings.Contains(body, "3 jours de retard") || strings.Index(body, "Organisme A") > strings.Index(body, "Organisme B") {
		t.Fatal("lateness or order (most missing first)")
	}
	// The overview links to it.
	if _, body := c.get("/france-travail/attestations?mois=2026-03"); !strings.Contains(body, `href="/france-travail/attestations/manquantes?mois=2026-03"`) {
		t.Fatal("no link from the overview")
	}
	// Search by OF name; sort by OF name descending.
	if _, body := c.get(page + "&q=organisme+b"); rowsOf(body, "of-") != 1 || strings.Contains(body, "Karim") {
		t.Fatal("search")
	}
	if _, body := c.get(page + "&tri=-organisme"); strings.Index(body, "Organisme B") > strings.Index(body, "Organisme A") {
		t.Fatal("sort")
	}
	if _, body := c.get(page + "&q=zzz"); !strings.Contains(body, "Aucun résultat pour « zzz »") || !strings.Contains(body, `href="/france-travail/attestations/manquantes?mois=2026-03" id="effacer-filtres"`) {
		t.Fatalf("empty state:\n%s", body)
	}
	// Attesting removes a trainee from the list.
	ofUser := e.Users[kairos.RoleOFUser].Actor()
	list, err := e.att.Month(fixture.Ctx(), ofUser, calendar.NewMonth(2026, time.March), 0)
	if err != nil || len(list) != 3 {
		t.Fatalf("%d %v", len(list), err)
	}
	var karim int64
	for _, x := range list {
		if x.DemandeurName == "Karim Benali" {
			karim = x.EnrolmentID
		}
	}
	if res, err := e.att.Attest(fixture.Ctx(), ofUser, calendar.NewMonth(2026, time.March), []attestations.Item{{EnrolmentID: karim}}); err != nil || !res[0].OK {
		t.Fatalf("%+v %v", res, err)
	}
	// CSV: the filtered rows only, formulas neutralised.
	lines := c.getCSV("/france-travail/attestations/manquantes/export.csv?mois=2026-03&q=organisme+a")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Mois;Organisme de formation;SIRET;Stagiaire") || strings.Contains(strings.Join(lines, ""), "Zoé") {
		t.Fatalf("csv: %q", lines)
	}
	if j := strings.Join(lines, "\n"); !strings.Contains(j, `"'=HYPERLINK(""http://x"")"`) || !strings.Contains(j, ";3;") || strings.Contains(j, "Karim") {
		t.Fatalf("csv content: %q", lines)
	}
	// Relancer OF A: mails to its account manager and its user habilitated
	// to attendance, audited, confirmed in French.
	resp, _ := c.post(page, "/france-travail/attestations/relances", url.Values{"organisme": {itoa(e.OFA)}, "mois": {"2026-03"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/france-travail/attestations/manquantes?mois=2026-03" {
		t.Fatalf("remind: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = c.get(page)
	if !strings.Contains(body, "Relance envoyée à « Organisme A » (2 destinataire(s)) pour ses 2 attestation(s) manquante(s) de mars 2026") ||
		!strings.Contains(body, `id="relance-`+itoa(e.OFA)+`">Relancé le 08/04/2026 à 10:00`) || strings.Contains(body, `id="relancer-`+itoa(e.OFA)+`"`) {
		t.Fatalf("confirmation:\n%s", body)
	}
	var mails, audits int
	db := e.acc.DB
	db.QueryRow(context.Background(), "SELECT COUNT(*) FROM mails WHERE subject LIKE 'France Travail vous relance%'").Scan(&mails)
	db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'attestation.relance' AND object_id = ?", itoa(e.OFA)).Scan(&audits)
	if mails != 2 || audits != 1 {
		t.Fatalf("mails %d audits %d", mails, audits)
	}
	// Not twice within a day (the form is gone, a replayed POST is refused
	// with when it was sent).
	resp, _ = c.post(page, "/france-travail/attestations/relances", url.Values{"organisme": {itoa(e.OFA)}, "mois": {"2026-03"}, "retour": {page + "&q=organisme"}})
	_, body = c.get(page)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"&q=organisme" || !strings.Contains(body, "a déjà été relancé pour mars 2026 le 08/04/2026 à 10:00") {
		t.Fatalf("second remind: %d\n%s", resp.StatusCode, body)
	}
	db.QueryRow(context.Background(), "SELECT COUNT(*) FROM mails WHERE subject LIKE 'France Travail vous relance%'").Scan(&mails)
	if mails != 2 {
		t.Fatalf("mails %d after a refused remind", mails)
	}
	// A day later, again.
	e.clock.Advance(24*time.Hour + time.Minute)
	if _, err := e.att.RemindOF(fixture.Ctx(), e.Users[kairos.RoleFTGestionnaire].Actor(), e.OFA, calendar.NewMonth(2026, time.March)); err != nil {
		t.Fatal(err)
	}
	c = e.as(t, kairos.RoleFTGestionnaire) // the session expired meanwhile
	// Another region's OF, an OF without missing attestations, a bad id: not found.
	for _, org := range []string{itoa(e.ofC), itoa(e.Agence), "abc", "-1"} {
		resp, _ := c.post(page, "/france-travail/attestations/relances", url.Values{"organisme": {org}, "mois": {"2026-03"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("remind %s: %d", org, resp.StatusCode)
		}
	}
	// Roles without the right.
	for _, r := range []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleDemandeur} {
		c := e.as(t, r)
		if status, _ := c.get(page); status != http.StatusForbidden {
			t.Fatalf("%s: %d", r, status)
		}
		resp, _ := c.post("/compte", "/france-travail/attestations/relances", url.Values{"organisme": {itoa(e.OFA)}, "mois": {"2026-03"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s remind: %d", r, resp.StatusCode)
		}
	}
}

func TestPunctualityPeriodAndDrillDown(t *testing.T) {
	e := newListsEnv(t)
	c := e.as(t, kairos.RoleFTGestionnaire)
	// Entries on 2 March declared on 8 April: late. OF C is in another region.
	status, body := c.get("/ponctualite")
	if status != 200 || rowsOf(body, "of-") != 2 || strings.Contains(body, "Organisme C") || strings.Index(body, "Organisme A") > strings.Index(body, "Organisme B") {
		t.Fatalf("punctuality: %d\n%s", status, body)
	}
	if _, body := c.get("/ponctualite?q=organisme+b"); rowsOf(body, "of-") != 1 || strings.Contains(body, ">Organisme A<") {
		t.Fatal("search")
	}
	if _, body := c.get("/ponctualite?du=2026-03-01&au=2026-03-31"); rowsOf(body, "of-") != 2 || !strings.Contains(body, "du 01/03/2026 au 31/03/2026") ||
		!strings.Contains(body, `href="/ponctualite/organismes/`+itoa(e.OFA)+`?au=2026-03-31&amp;du=2026-03-01"`) {
		t.Fatalf("period march:\n%s", body)
	}
	if _, body := c.get("/ponctualite?du=2026-04-01"); rowsOf(body, "of-") != 0 || !strings.Contains(body, "Aucune déclaration depuis le 01/04/2026") {
		t.Fatal("period april")
	}
	if status, body := c.get("/ponctualite?du=pas-une-date&au=2026-02-30"); status != 200 || !strings.Contains(body, "Du : « pas-une-date » n&#39;est pas une date valide") || !strings.Contains(body, `aria-invalid="true"`) || rowsOf(body, "of-") != 2 {
		t.Fatalf("bad dates: %d", status)
	}
	if _, body := c.get("/ponctualite?du=2026-03-10&au=2026-03-01"); !strings.Contains(body, "la fin de la période doit suivre son début") {
		t.Fatal("inverted period")
	}
	lines := c.getCSV("/ponctualite/export.csv?du=2026-03-01")
	if len(lines) != 3 || lines[1] != "Organisme A;3;3;100;depuis le 01/03/2026" {
		t.Fatalf("csv: %q", lines)
	}
	// Drill-down: OF A's late declarations.
	ofA := "/ponctualite/organismes/" + itoa(e.OFA)
	status, body = c.get(ofA)
	if status != 200 || rowsOf(body, "declaration-") != 3 || !strings.Contains(body, "Karim Benali") || !strings.Contains(body, "34 j de retard") || !strings.Contains(body, "05/03/2026") {
		t.Fatalf("drill-down: %d\n%s", status, body)
	}
	if _, body := c.get(ofA + "?du=2026-04-01"); rowsOf(body, "declaration-") != 0 {
		t.Fatal("drill-down period")
	}
	lines = c.getCSV(ofA + "/export.csv")
	if len(lines) != 4 || !strings.Contains(strings.Join(lines, "\n"), `;"'=HYPERLINK(""http://x"")";`) || !strings.HasSuffix(lines[1], ";oui;34") {
		t.Fatalf("drill-down csv: %q", lines)
	}
	// Another region's OF, an organisation that is not an OF: not found.
	for _, id := range []int64{e.ofC, e.Agence, 999999} {
		for _, p := range []string{"", "/export.csv"} {
			if status, _ := c.get("/ponctualite/organismes/" + itoa(id) + p); status != http.StatusNotFound {
				t.Fatalf("%d%s: %d", id, p, status)
			}
		}
	}
	for _, r := range []kairos.Role{kairos.RoleOFAdmin, kairos.RoleConseiller, kairos.RoleFTComptable} {
		c := e.as(t, r)
		for _, p := range []string{"/ponctualite", "/ponctualite/export.csv", ofA, ofA + "/export.csv"} {
			if status, _ := c.get(p); status != http.StatusForbidden {
				t.Fatalf("%s %s: %d", r, p, status)
			}
		}
	}
}

// luhnSIRET completes 13 digits with their Luhn key.
func luhnSIRET(body string) string {
	for k := 0; k <= 9; k++ {
		s := body + strconv.Itoa(k)
		sum := 0
		for i := len(s) - 1; i >= 0; i-- {
			d := int(s[i] - '0')
			if (len(s)-1-i)%2 == 1 {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		if sum%10 == 0 {
			return s
		}
	}
	return ""
}

func TestAdhesionsSearch(t *testing.T) {
	e := newListsEnv(t)
	adh := adhesion.New(e.acc)
	names := []string{"Formations du Midi", "Atelier Numérique", "=cmd|' /C calc'!A0", "Lycée hors région"}
	var sirets []string
	for i, n := range names {
		siret := luhnSIRET(luhnSIRET(fmt.Sprintf("8%07d", i+1)) + "0001")
		region := "76"
		if i == 3 {
			region = "11"
		}
		if _, _, err := adh.Submit(fixture.Ctx(), adhesion.Application{RaisonSociale: n, SIRET: siret, NDA: "76310123456", Address: "12 rue des Lilas",
			PostalCode: "31000", City: "Toulouse", Region: region, RGCName: "Alice Durand", RGCEmail: fmt.Sprintf("rgc%d@of.example", i),
			QualiopiNumber: "QUALIOPI-2025-001", QualiopiCertifier: "AFNOR Certification", QualiopiFrom: "2025-01-15", QualiopiUntil: "2028-01-14", AcceptConditions: true}); err != nil {
			t.Fatal(err)
		}
		sirets = append(sirets, siret)
		e.clock.Advance(time.Hour)
	}
	c := e.as(t, kairos.RoleFTGestionnaire)
	status, body := c.get("/adhesions")
	if status != 200 || rowsOf(body, "adhesion-") != 3 || strings.Contains(body, "Lycée hors région") || strings.Index(body, "Formations du Midi") > strings.Index(body, "Atelier Numérique") {
		t.Fatalf("queue: %d\n%s", status, body)
	}
	// By name (case-insensitive), by SIRET (spaces allowed), by reference.
	if _, body := c.get("/adhesions?q=atelier"); rowsOf(body, "adhesion-") != 1 || !strings.Contains(body, "Atelier Numérique") {
		t.Fatal("by name")
	}
	spaced := sirets[0][:3] + " " + sirets[0][3:6] + " " + sirets[0][6:9] + " " + sirets[0][9:]
	if _, body := c.get("/adhesions?q=" + url.QueryEscape(spaced)); rowsOf(body, "adhesion-") != 1 || !strings.Contains(body, "Formations du Midi") {
		t.Fatal("by SIRET")
	}
	if _, body := c.get("/adhesions?q=" + sirets[3]); rowsOf(body, "adhesion-") != 0 || !strings.Contains(body, "Aucun résultat pour") {
		t.Fatal("another region's SIRET")
	}
	if _, body := c.get("/adhesions?q=adh-000002"); rowsOf(body, "adhesion-") != 1 || !strings.Contains(body, "Atelier Numérique") {
		t.Fatal("by reference")
	}
	// Filter by state; sort by name.
	if _, body := c.get("/adhesions?etat=validee"); rowsOf(body, "adhesion-") != 0 || !strings.Contains(body, `id="effacer-filtres"`) {
		t.Fatal("state filter")
	}
	if _, body := c.get("/adhesions?etat=demandee&tri=-deposee"); rowsOf(body, "adhesion-") != 3 || strings.Index(body, "Formations du Midi") < strings.Index(body, "Atelier Numérique") {
		t.Fatal("newest first")
	}
	if _, body := c.get("/adhesions?tri=organisme"); strings.Index(body, "=cmd") > strings.Index(body, "Atelier Numérique") {
		t.Fatal("by name")
	}
	lines := c.getCSV("/adhesions/export.csv?q=cmd")
	if len(lines) != 2 || !strings.Contains(lines[1], `;'=cmd|' /C calc'!A0;`) {
		t.Fatalf("csv: %q", lines)
	}
	if lines := c.getCSV("/adhesions/export.csv"); len(lines) != 4 {
		t.Fatalf("csv: %d lines", len(lines))
	}
	for _, r := range []kairos.Role{kairos.RoleOFAdmin, kairos.RoleConseiller, kairos.RoleFTComptable} {
		if status, _ := e.as(t, r).get("/adhesions/export.csv"); status != http.StatusForbidden {
			t.Fatalf("%s: %d", r, status)
		}
	}
}

func TestAdminUsersListAndActions(t *testing.T) {
	e := newListsEnv(t)
	ofAdmin := e.Users[kairos.RoleOFAdmin].Actor()
	invited, err := e.acc.Invite(fixture.Ctx(), ofAdmin, "nouvelle@a.example", "@SUM(1+1) Nouvelle", kairos.ParseHabSet(""))
	if err != nil {
		t.Fatal(err)
	}
	c := e.as(t, kairos.RoleAdmin)
	var total int
	e.acc.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM users").Scan(&total)
	_, body := c.get("/admin/utilisateurs?par-page=100")
	if rowsOf(body, "utilisateur-") != total || !strings.Contains(body, `href="/admin/utilisateurs/`+itoa(invited.ID)+`"`) {
		t.Fatalf("list: %d rows of %d", rowsOf(body, "utilisateur-"), total)
	}
	if _, body := c.get("/admin/utilisateurs?role=of_admin"); rowsOf(body, "utilisateur-") != 3 {
		t.Fatalf("role: %d", rowsOf(body, "utilisateur-"))
	}
	if _, body := c.get("/admin/utilisateurs?etat=invited&role=of_user"); rowsOf(body, "utilisateur-") != 1 || !strings.Contains(body, "Nouvelle") {
		t.Fatalf("status: %d\n%s", rowsOf(body, "utilisateur-"), body)
	}
	if _, body := c.get("/admin/utilisateurs?organisation=" + itoa(e.OFB)); rowsOf(body, "utilisateur-") != 2 || !strings.Contains(body, `id="filtre-organisation"`) {
		t.Fatal("organisation")
	}
	if _, body := c.get("/admin/utilisateurs?organisation=abc"); rowsOf(body, "utilisateur-") != 25 && rowsOf(body, "utilisateur-") != total {
		t.Fatal("bad organisation ignored")
	}
	if _, body := c.get("/admin/utilisateurs?q=organisme+b"); rowsOf(body, "utilisateur-") != 2 {
		t.Fatal("search by organisation name")
	}
	if _, body := c.get("/admin/utilisateurs?q=%25"); rowsOf(body, "utilisateur-") != 0 {
		t.Fatal("% is not a wildcard")
	}
	lines := c.getCSV("/admin/utilisateurs/export.csv?etat=invited&role=of_user")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "'@SUM(1+1) Nouvelle;nouvelle@a.example;") {
		t.Fatalf("csv: %q", lines)
	}
	// Deactivate, confirmed first, audited; the person cannot log in.
	target := e.Users[kairos.RoleOFUser]
	page := "/admin/utilisateurs/" + itoa(target.ID)
	if _, body := c.get(page); !strings.Contains(body, `href="`+page+`/confirmation?action=desactiver"`) {
		t.Fatal("no deactivate action")
	}
	if _, body := c.get(page + "/confirmation?action=desactiver"); !strings.Contains(body, "Désactiver le compte de "+target.Name+" ?") || !strings.Contains(body, `id="confirmer"`) {
		t.Fatal("confirmation page")
	}
	resp, _ := c.post(page+"/confirmation?action=desactiver", page+"/statut", url.Values{"action": {"desactiver"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", resp.StatusCode)
	}
	if _, body := c.get(page); !strings.Contains(body, "Compte désactivé") || !strings.Contains(body, `id="etat">Désactivé`) {
		t.Fatal("not deactivated")
	}
	var ip string
	if err := e.acc.DB.QueryRow(context.Background(), "SELECT ip FROM audit_log WHERE action = 'user.disable' AND object_id = ?", itoa(target.ID)).Scan(&ip); err != nil || ip == "" {
		t.Fatalf("audit: %q %v", ip, err)
	}
	lc := e.client(t)
	if resp, _ := lc.post("/connexion", "/connexion", url.Values{"email": {target.Email}, "password": {fixture.Password}}); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a disabled user logged in")
	}
	resp, _ = c.post(page+"/confirmation?action=reactiver", page+"/statut", url.Values{"action": {"reactiver"}})
	if _, body := c.get(page); resp.StatusCode != http.StatusSeeOther || !strings.Contains(body, `id="etat">Actif`) {
		t.Fatal("not reactivated")
	}
	// Resend the activation link.
	var before, after int
	e.acc.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM mails WHERE to_addr = 'nouvelle@a.example'").Scan(&before)
	ip2 := "/admin/utilisateurs/" + itoa(invited.ID)
	resp, _ = c.post(ip2+"/confirmation?action=invitation", ip2+"/invitation", url.Values{})
	e.acc.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM mails WHERE to_addr = 'nouvelle@a.example'").Scan(&after)
	if resp.StatusCode != http.StatusSeeOther || after != before+1 {
		t.Fatalf("resend: %d, mails %d → %d", resp.StatusCode, before, after)
	}
	// An active account has no activation to resend.
	resp, _ = c.post(page, page+"/invitation", url.Values{})
	if _, body := c.get(page); !strings.Contains(body, "déjà activé") {
		t.Fatal("resend to an active account")
	}
	// Not on oneself; an unknown user is not found.
	self := "/admin/utilisateurs/" + itoa(e.Users[kairos.RoleAdmin].ID)
	resp, _ = c.post(self, self+"/statut", url.Values{"action": {"desactiver"}})
	if _, body := c.get(self); !strings.Contains(body, "propre compte") {
		t.Fatal("self")
	}
	if status, _ := c.get("/admin/utilisateurs/999999"); status != http.StatusNotFound {
		t.Fatalf("unknown: %d", status)
	}
	// Other roles: forbidden (an OF's account manager included).
	for _, r := range []kairos.Role{kairos.RoleOFAdmin, kairos.RoleFTGestionnaire} {
		c := e.as(t, r)
		for _, p := range []string{"/admin/utilisateurs", "/admin/utilisateurs/export.csv", page, page + "/confirmation?action=desactiver"} {
			if status, _ := c.get(p); status != http.StatusForbidden {
				t.Fatalf("%s %s: %d", r, p, status)
			}
		}
		if resp, _ := c.post("/compte", page+"/statut", url.Values{"action": {"desactiver"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s deactivates: %d", r, resp.StatusCode)
		}
	}
}

func TestAuditLogLabelsNamesOrderFilters(t *testing.T) {
	e := newListsEnv(t)
	ctx := context.Background()
	db := e.acc.DB
	// A record dated before the others but written last: shown last.
	old := listsNow.Add(-30 * 24 * time.Hour)
	mallory := kairos.WithActor(ctx, &kairos.Actor{Name: "=2+3", Role: kairos.RoleAdmin})
	if err := db.Tx(mallory, func(tx *store.Tx) error {
		return tx.Record(mallory, store.Change{Action: "organisation.create", ObjectType: "organisation", ObjectID: e.OFB, At: old})
	}); err != nil {
		t.Fatal(err)
	}
	var karim int64
	db.QueryRow(ctx, "SELECT id FROM enrolments WHERE demandeur_id = ?", e.des[0].ID).Scan(&karim)
	c := e.as(t, kairos.RoleAdmin)
	status, body := c.get("/admin/journal?par-page=100")
	if status != 200 || !strings.Contains(body, "Entrée en formation déclarée (AES)") || !strings.Contains(body, "Inscription de Karim Benali — Développeur web") ||
		!strings.Contains(body, `href="/admin/journal?objet=enrolment:`+itoa(karim)+`"`) {
		t.Fatalf("journal: %d\n%s", status, body)
	}
	if i, j := strings.Index(body, "Inscription confirmée (AIS)"), strings.Index(body, "=2&#43;3"); i < 0 || j < i {
		t.Fatal("not newest first")
	}
	// Filters: one action, a family, an author, a period, one object.
	count := func(q string) int {
		_, body := c.get("/admin/journal?par-page=100&" + q)
		return rowsOf(body, "audit-")
	}
	if n := count("action=enrolment.entrer"); n != 5 {
		t.Fatalf("entries: %d", n)
	}
	if n, m := count("action=enrolment."), count("action=enrolment.inscrire"); n <= m || m != 5 {
		t.Fatalf("family %d, inscrire %d", n, m)
	}
	if n := count("du=2026-04-08&au=2026-04-08"); n == 0 || n == count("") {
		t.Fatalf("period: %d of %d", n, count(""))
	}
	if _, body := c.get("/admin/journal?du=2026-04-09"); !strings.Contains(body, `id="effacer-filtres"`) || rowsOf(body, "audit-") != 0 {
		t.Fatal("empty period")
	}
	_, body = c.get("/admin/journal?objet=enrolment:" + itoa(karim))
	if rowsOf(body, "audit-") != 3 || !strings.Contains(body, "Historique de <strong>Inscription de Karim Benali — Développeur web</strong>") {
		t.Fatalf("object history: %d", rowsOf(body, "audit-"))
	}
	if n := count("action=pas.une.action"); n != count("") {
		t.Fatal("an unknown action is ignored")
	}
	// The IP of a web action is recorded and shown.
	page := "/admin/utilisateurs/" + itoa(e.Users[kairos.RoleOFUser].ID)
	c.post(page, page+"/statut", url.Values{"action": {"desactiver"}})
	if _, body := c.get("/admin/journal?action=user.disable"); !strings.Contains(body, "<td>127.0.0.1</td>") || !strings.Contains(body, "Compte désactivé") {
		t.Fatalf("ip:\n%s", body)
	}
	if n := count("auteur=ADMIN%40a.example"); n != 1 {
		t.Fatalf("author: %d", n)
	}
	// CSV: the filtered rows, labels, names, formulas neutralised.
	lines := c.getCSV("/admin/journal/export.csv?action=organisation.create")
	var n int
	db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'organisation.create'").Scan(&n)
	if len(lines) != n+1 || !strings.HasPrefix(lines[len(lines)-1], "30/03/2026 ") && !strings.HasPrefix(lines[len(lines)-1], "09/03/2026 ") {
		t.Fatalf("csv %d lines for %d: %q", len(lines), n, lines[len(lines)-1])
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, ";'=2+3;") || !strings.Contains(last, ";Organisation créée;organisation.create;Organisme B;") {
		t.Fatalf("csv row: %q", last)
	}
	for _, r := range []kairos.Role{kairos.RoleOFAdmin, kairos.RoleFTGestionnaire} {
		c := e.as(t, r)
		for _, p := range []string{"/admin/journal", "/admin/journal/export.csv"} {
			if status, _ := c.get(p); status != http.StatusForbidden {
				t.Fatalf("%s %s: %d", r, p, status)
			}
		}
	}
}

func TestRosterList(t *testing.T) {
	e := newListsEnv(t)
	c := e.as(t, kairos.RoleOFAdmin)
	// OF A: Karim, Inès, the formula (entered), Paul (proposed).
	status, body := c.get("/stagiaires")
	if status != 200 || rowsOf(body, "inscription-") != 4 || strings.Contains(body, "Zoé Martin") || strings.Contains(body, "Yann Autre") {
		t.Fatalf("roster: %d %d\n%s", status, rowsOf(body, "inscription-"), body)
	}
	if _, body := c.get("/tableau-de-bord"); !strings.Contains(body, `href="/stagiaires"`) {
		t.Fatal("no link from the dashboard")
	}
	if _, body := c.get("/stagiaires?etat=proposee"); rowsOf(body, "inscription-") != 1 || !strings.Contains(body, "Paul Durand") {
		t.Fatal("state")
	}
	if _, body := c.get("/stagiaires?q=ft000001"); rowsOf(body, "inscription-") != 1 || !strings.Contains(body, "Inès Garcia") {
		t.Fatal("search by identifier")
	}
	if _, body := c.get("/stagiaires?q=zoé"); rowsOf(body, "inscription-") != 0 || !strings.Contains(body, "Aucun résultat pour « zoé »") {
		t.Fatal("another OF's trainee")
	}
	if _, body := c.get("/stagiaires?session=2"); rowsOf(body, "inscription-") != 0 {
		t.Fatal("another OF's session")
	}
	if _, body := c.get("/stagiaires?session=abc"); rowsOf(body, "inscription-") != 4 {
		t.Fatal("bad session ignored")
	}
	_, body = c.get("/stagiaires?tri=-nom")
	if i, j := strings.Index(body, "Paul Durand"), strings.Index(body, "Inès Garcia"); i < 0 || j < i {
		t.Fatal("sort")
	}
	lines := c.getCSV("/stagiaires/export.csv?etat=entree")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], `"'=HYPERLINK(""http://x"")";FT000005;Développeur web;1;02/03/2026;30/06/2026;`) {
		t.Fatalf("csv: %q", lines)
	}
	// OF B sees its own only; counsellors and FT cannot open it.
	cb := e.client(t)
	cb.login(e.OFBAdmin.Email)
	if _, body := cb.get("/stagiaires"); rowsOf(body, "inscription-") != 1 || !strings.Contains(body, "Zoé Martin") {
		t.Fatal("OF B")
	}
	for _, r := range []kairos.Role{kairos.RoleConseiller, kairos.RoleFTGestionnaire, kairos.RoleDemandeur, kairos.RoleAdmin} {
		if status, _ := e.as(t, r).get("/stagiaires/export.csv"); status != http.StatusForbidden {
			t.Fatalf("%s: %d", r, status)
		}
	}
}

func TestOrgUsersList(t *testing.T) {
	e := newListsEnv(t)
	c := e.as(t, kairos.RoleOFAdmin)
	if _, err := e.acc.Invite(fixture.Ctx(), e.Users[kairos.RoleOFAdmin].Actor(), "+33612345678@a.example", "+33 6 12 34 56 78", kairos.ParseHabSet("rdv")); err != nil {
		t.Fatal(err)
	}
	_, body := c.get("/organisme/utilisateurs")
	if rowsOf(body, "utilisateur-") != 3 || strings.Contains(body, "b.example") {
		t.Fatalf("users: %d", rowsOf(body, "utilisateur-"))
	}
	if _, body := c.get("/organisme/utilisateurs?habilitation=assiduite"); rowsOf(body, "utilisateur-") != 2 { // the account manager and the of_user
		t.Fatalf("habilitation: %d", rowsOf(body, "utilisateur-"))
	}
	if _, body := c.get("/organisme/utilisateurs?etat=invited"); rowsOf(body, "utilisateur-") != 1 {
		t.Fatal("status")
	}
	if _, body := c.get("/organisme/utilisateurs?q=secret.user"); rowsOf(body, "utilisateur-") != 0 || !strings.Contains(body, "Aucun résultat") {
		t.Fatal("another OF's user")
	}
	lines := c.getCSV("/organisme/utilisateurs/export.csv?etat=invited")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "'+33 6 12 34 56 78;") {
		t.Fatalf("csv: %q", lines)
	}
	if status, _ := e.as(t, kairos.RoleOFUser).get("/organisme/utilisateurs/export.csv"); status != http.StatusForbidden {
		t.Fatal("of_user")
	}
}
