package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/config"
	"kairos/fixture"
	"kairos/metrics"
	"kairos/web"
)

// newRdvEnv is newEnv with the appointment pages, one OF user with the rdv
// habilitation and the demandeur of the World in the counsellor's portfolio.
func newRdvEnv(t *testing.T) (*env, *appointments.Service, *kairos.Actor) {
	t.Helper()
	acc := fixture.MustAccounts(t)
	acc.DB.Clock = kairos.FixedClock(fixture.Now(t)) // the pages and the test agree on the day
	w := fixture.MustWorld(t, acc)
	cfg, _ := config.Load(func(k string) string { return map[string]string{"KAIROS_DEMO": "1"}[k] })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &appointments.Service{DB: acc.DB, BaseURL: "http://kairos.test"}
	s, err := web.New(&web.Server{Cfg: cfg, DB: acc.DB, Accounts: acc, Log: log, Metrics: metrics.New(),
		API: api.New(acc, log).Handler(), Secret: []byte("0123456789abcdef0123456789abcdef"), Appointments: svc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	rdv := fixture.MustUser(t, acc, w.OFA, kairos.RoleOFUser, "rdv@a.example", kairos.HabRDV)
	if err := svc.SetDemandeur(fixture.Ctx(), w.Users[kairos.RoleDemandeur].ID, "FT0001", w.Agence, w.Users[kairos.RoleConseiller].ID); err != nil {
		t.Fatal(err)
	}
	return &env{World: w, srv: srv}, svc, rdv.Actor()
}

func TestAppointmentPagesRulesAndTenants(t *testing.T) {
	e, svc, rdv := newRdvEnv(t)
	day := fixture.Now(t).In(appointments.Paris).AddDate(0, 0, 3).Format("2006-01-02")

	of := e.client(t)
	of.login("rdv@a.example")
	resp, body := of.post("/rendez-vous/nouveau", "/rendez-vous", url.Values{"kind": {"collectif"}, "title": {"ICO Soudeur"}, "date": {day},
		"start": {"14:00"}, "end": {"13:00"}, "place": {"Atelier"}, "capacity": {"10"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "L&#39;heure de fin doit être après l&#39;heure de début.") || !strings.Contains(body, `value="ICO Soudeur"`) {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	resp, _ = of.post("/rendez-vous/nouveau", "/rendez-vous", url.Values{"kind": {"collectif"}, "title": {"ICO Soudeur"}, "date": {day},
		"start": {"14:00"}, "end": {"16:00"}, "place": {"Atelier"}, "capacity": {"10"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/rendez-vous/") {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	if status, body := of.get("/rendez-vous"); status != 200 || !strings.Contains(body, "ICO Soudeur") {
		t.Fatalf("list: %d", status)
	}
	for _, p := range []string{loc, loc + "/modifier", "/rendez-vous/a-completer", "/rendez-vous/calendrier", "/rendez-vous/calendrier?vue=mois", "/rendez-vous/abonnement"} {
		if status, _ := of.get(p); status != 200 {
			t.Errorf("GET %s: %d", p, status)
		}
	}

	// Another OF: not found; an OF user without rdv, a job seeker: forbidden.
	other := e.client(t)
	other.login(e.OFBUser.Email)
	if status, body := other.get(loc); status != http.StatusNotFound || strings.Contains(body, "ICO Soudeur") {
		t.Fatalf("other OF: %d", status)
	}
	if _, body := other.get("/rendez-vous"); strings.Contains(body, "ICO Soudeur") {
		t.Fatal("listed to another OF")
	}
	noHab := e.client(t)
	noHab.login(e.Users[kairos.RoleOFUser].Email)
	if status, _ := noHab.get("/rendez-vous"); status != http.StatusForbidden {
		t.Fatalf("of_user without rdv: %d", status)
	}

	// The job seeker registers from the appointment page, then sees it in « Mes rendez-vous ».
	id := strings.TrimPrefix(loc, "/rendez-vous/")
	de := e.client(t)
	de.login(e.Users[kairos.RoleDemandeur].Email)
	if status, _ := de.get(loc); status != http.StatusForbidden {
		t.Fatalf("job seeker on the OF's page: %d", status)
	}
	resp, _ = de.post("/rendez-vous-proposes/"+id, "/rendez-vous-proposes/"+id+"/inscription", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	if _, body := de.get("/mes-rendez-vous"); !strings.Contains(body, "ICO Soudeur") || !strings.Contains(body, "Me désinscrire") {
		t.Fatal("not in « Mes rendez-vous »")
	}
	// The counsellor sees it; another agence's job seeker cannot unregister him.
	cons := e.client(t)
	cons.login(e.Users[kairos.RoleConseiller].Email)
	if _, body := cons.get("/conseiller/rendez-vous"); !strings.Contains(body, "ICO Soudeur") {
		t.Fatal("the counsellor does not see his job seeker's appointment")
	}
	ps, _ := svc.Participants(fixture.Ctx(), rdv, mustAtoi(t, id))
	if len(ps) != 1 {
		t.Fatalf("%d participants", len(ps))
	}
	resp, _ = other.post("/rendez-vous", "/participations/"+itoa(ps[0].ID)+"/desinscription", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("OF unregistering through the job seekers' route: %d", resp.StatusCode)
	}
	resp, _ = de.post("/mes-rendez-vous", "/participations/"+itoa(ps[0].ID)+"/desinscription", url.Values{"retour": {"https://evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accueil" {
		t.Fatalf("unregister: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The feed: generated once, served at its secret address, 404 otherwise.
	resp, body = of.post("/rendez-vous/abonnement", "/rendez-vous/abonnement", url.Values{})
	i := strings.Index(body, "/agenda/agenda_")
	if resp.StatusCode != http.StatusCreated || i < 0 {
		t.Fatalf("feed: %d", resp.StatusCode)
	}
	feed := body[i : i+strings.Index(body[i:], "<")]
	if status, ics := of.get(feed); status != 200 || !strings.Contains(ics, "SUMMARY:Information collective — ICO Soudeur") {
		t.Fatalf("feed: %d %s", status, ics)
	}
	if status, _ := e.client(t).get("/agenda/agenda_inconnu.ics"); status != http.StatusNotFound {
		t.Fatalf("unknown feed: %d", status)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// The OF's appointments list is searched, filtered and exported (issue 11):
// the CSV holds exactly the filtered rows, its cells cannot start a formula,
// and another OF's appointments appear in neither.
func TestAppointmentListSearchFiltersAndCSV(t *testing.T) {
	e, _, _ := newRdvEnv(t)
	day := fixture.Now(t).In(appointments.Paris).AddDate(0, 0, 3).Format("2006-01-02")
	of := e.client(t)
	of.login("rdv@a.example")
	for _, x := range []struct{ kind, title, place, capacity string }{
		{"collectif", "ICO Soudeur", "Atelier Nord", "10"},
		{"individuel", "=HYPERLINK(\"x\") Entretien", "Bureau 2", "1"},
		{"collectif", "ICO Comptabilité", "Salle Éole", "10"},
	} {
		resp, body := of.post("/rendez-vous/nouveau", "/rendez-vous", url.Values{"kind": {x.kind}, "title": {x.title}, "date": {day},
			"start": {"14:00"}, "end": {"16:00"}, "place": {x.place}, "capacity": {x.capacity}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %s: %d %s", x.title, resp.StatusCode, body)
		}
	}
	if _, body := of.get("/rendez-vous?q=eole"); !strings.Contains(body, "ICO Comptabilité") || strings.Contains(body, "ICO Soudeur") {
		t.Error("search by place (accents folded) does not narrow the list")
	}
	if _, body := of.get("/rendez-vous?type=individuel"); !strings.Contains(body, "Entretien") || strings.Contains(body, "ICO Soudeur") {
		t.Error("the kind filter does not narrow the list")
	}
	if _, body := of.get("/rendez-vous?q=introuvable"); !strings.Contains(body, "Aucun rendez-vous à venir ne correspond") || !strings.Contains(body, "Effacer les filtres") {
		t.Error("no empty state for a search without result")
	}
	if _, body := of.get("/rendez-vous?etat=nimporte&type=autre&page=-3"); !strings.Contains(body, "ICO Soudeur") {
		t.Error("unknown filter values are not dropped")
	}
	if status, _ := of.get("/rendez-vous?q=%00"); status != http.StatusUnprocessableEntity {
		t.Errorf("a control character in the search: %d", status)
	}
	status, csv := of.get("/rendez-vous/export.csv?type=collectif")
	if status != 200 || !strings.HasPrefix(csv, "\uFEFF") || !strings.Contains(csv, "ICO Soudeur") || !strings.Contains(csv, "ICO Comptabilité") || strings.Contains(csv, "Entretien") {
		t.Fatalf("csv of the filtered rows: %d %q", status, csv)
	}
	if _, all := of.get("/rendez-vous/export.csv"); !strings.Contains(all, "'=HYPERLINK") {
		t.Errorf("a formula cell is not neutralised: %q", all)
	}
	other := e.client(t)
	other.login(e.OFBUser.Email)
	if status, body := other.get("/rendez-vous/export.csv"); status == 200 && strings.Contains(body, "ICO") {
		t.Error("another OF exports these appointments")
	}
	dem := e.client(t)
	dem.login(e.Users[kairos.RoleDemandeur].Email)
	if status, _ := dem.get("/rendez-vous/export.csv"); status != http.StatusForbidden {
		t.Errorf("job seeker: %d", status)
	}
}
