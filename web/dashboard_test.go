package web_test

import (
	"fmt"
	"strings"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
)

// The OF dashboard (issue 18): short lists with their whole count and a
// link to the whole list; its cached data shows a change at the next page;
// an OF never sees another's.
func TestDashboardShortListsCacheAndTenants(t *testing.T) {
	e := newListsEnv(t)
	ctx := fixture.Ctx()
	ofA := e.Users[kairos.RoleOFAdmin].Actor()
	cons := e.Users[kairos.RoleConseiller].Actor()
	appts := &appointments.Service{DB: e.acc.DB}
	// 12 confirmed trainees of session 1 (2 March): 12 late entries to declare.
	for i := range 12 {
		u, err := e.acc.CreateUser(ctx, account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("st%02d@a.example", i), Name: fmt.Sprintf("Stagiaire %02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.SetDemandeur(ctx, u.ID, fmt.Sprintf("FT1%05d", i), e.World.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		x, err := e.enr.Propose(ctx, cons, enrolment.Proposal{DemandeurID: u.ID, SessionID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.enr.Do(ctx, ofA, x.ID, enrolment.Action{Action: enrolment.ActInscrire}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.as(t, kairos.RoleOFAdmin)
	status, body := c.get("/tableau-de-bord")
	if status != 200 || rowsOf(body, "due-") != 10 || !strings.Contains(body, "Déclarations à faire (12)") ||
		!strings.Contains(body, `href="/stagiaires?a-declarer=1&amp;tri=echeance">Voir les 12 déclarations à faire</a>`) {
		t.Fatalf("dashboard: %d, %d rows\n%s", status, rowsOf(body, "due-"), body)
	}
	// The forms of the rows (rendered once for the organisation) carry this session's CSRF token.
	if toks := csrfRE.FindAllStringSubmatch(body, -1); len(toks) != 11 || func() bool {
		for _, m := range toks {
			if m[1] != toks[0][1] {
				return true
			}
		}
		return false
	}() {
		t.Fatalf("CSRF tokens: %q", toks)
	}
	if !strings.Contains(body, "Propositions d'inscription à confirmer (1)") || !strings.Contains(body, "Voir la proposition à confirmer") ||
		!strings.Contains(body, `id="compteur-a-declarer">0<`) || !strings.Contains(body, `id="compteur-retard">12<`) {
		t.Fatal("counts")
	}
	// The whole list behind the link: the 12, and only them.
	if _, list := c.get("/stagiaires?a-declarer=1&tri=echeance"); rowsOf(list, "inscription-") != 12 || strings.Contains(list, "Karim Benali") {
		t.Fatalf("due roster: %d rows", rowsOf(list, "inscription-"))
	}
	if _, list := c.get("/stagiaires?a-declarer=1&session=1&etat=proposee"); rowsOf(list, "inscription-") != 0 {
		t.Fatal("due and proposed")
	}

	// A proposal (by the counsellor, another organisation) shows on the next page.
	if _, err := e.enr.Propose(ctx, cons, enrolment.Proposal{DemandeurID: e.des[4].ID, SessionID: 1}); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get("/tableau-de-bord"); !strings.Contains(body, "Propositions d'inscription à confirmer (2)") || !strings.Contains(body, "Anne Petit") ||
		!strings.Contains(body, `href="/stagiaires?etat=proposee&amp;tri=echeance">Voir les 2 propositions à confirmer</a>`) {
		t.Fatalf("the new proposal is not shown:\n%s", body)
	}
	// An interruption (a movement) too.
	entered, err := e.enr.List(ctx, ofA, enrolment.Filter{State: enrolment.StEntree})
	if err != nil {
		t.Fatal(err)
	}
	var karim int64
	for _, x := range entered {
		if x.DemandeurName == "Karim Benali" {
			karim = x.ID
		}
	}
	if _, err := e.enr.Do(ctx, ofA, karim, enrolment.Action{Action: enrolment.ActInterrompre, Date: calendar.NewDate(2026, 4, 7), Reason: "maladie"}); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get("/tableau-de-bord"); !strings.Contains(body, "Interruptions en cours (1)") || !strings.Contains(body, `<a href="/parcours/inscriptions/`+itoa(karim)+`">Karim Benali</a>`) {
		t.Fatal("the interruption is not shown")
	}
	// A declaration made on the page (POST, redirect, GET) leaves the list at once.
	_, body = c.get("/tableau-de-bord")
	first := body[strings.Index(body, `<tr id="due-`)+len(`<tr id="due-`):]
	first = first[:strings.IndexByte(first, '"')]
	x, err := e.enr.Get(ctx, ofA, mustInt(t, first))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := c.post("/tableau-de-bord", "/parcours/inscriptions/"+first+"/actions", map[string][]string{"action": {"entrer"}, "date": {"2026-03-02"},
		"version": {itoa(int64(x.Version))}, "retour": {"/tableau-de-bord"}})
	if resp.StatusCode != 303 {
		t.Fatalf("declare: %d", resp.StatusCode)
	}
	if _, body := c.get("/tableau-de-bord"); strings.Contains(body, `id="due-`+first+`"`) || !strings.Contains(body, "Voir les 11 déclarations à faire") {
		t.Fatal("the declared entry is still listed")
	}

	// Another user of the same OF gets the same lists with his own token.
	c2 := e.as(t, kairos.RoleOFAdmin)
	_, body2 := c2.get("/tableau-de-bord")
	_, body = c.get("/tableau-de-bord")
	t1, t2 := csrfRE.FindAllStringSubmatch(body, -1), csrfRE.FindAllStringSubmatch(body2, -1)
	if len(t1) != 11 || len(t2) != 11 || t1[0][1] == t2[0][1] || t1[10][1] != t1[0][1] || t2[10][1] != t2[0][1] {
		t.Fatal("each session has its token in the rows' forms")
	}

	// A user of the same OF without the assiduite and rdv habilitations does
	// not get the sections of the account manager's cached page.
	fixture.MustUser(t, e.acc, e.World.OFA, kairos.RoleOFUser, "candidatures@a.example", kairos.HabCandidatures)
	cu := e.client(t)
	cu.login("candidatures@a.example")
	if _, body := c.get("/tableau-de-bord"); !strings.Contains(body, `id="compteur-attestations"`) || !strings.Contains(body, "rendez-vous à compléter") {
		t.Fatal("the account manager's sections")
	}
	if _, page := cu.get("/tableau-de-bord"); !strings.Contains(page, "Voir les 11 déclarations à faire") ||
		strings.Contains(page, `id="compteur-attestations"`) || strings.Contains(page, "rendez-vous à compléter") {
		t.Fatalf("sections of a user with candidatures only:\n%s", page)
	}

	// Two OFs, their pages in turn (caches warm): each sees its own only.
	cb := e.client(t)
	cb.login(e.OFBAdmin.Email)
	for range 2 {
		_, a := c.get("/tableau-de-bord")
		_, b := cb.get("/tableau-de-bord")
		_, bs := cb.get("/tableau-de-bord?session=1") // OF A's session
		if !strings.Contains(a, "Stagiaire 0") || !strings.Contains(a, "Développeur web") || strings.Contains(a, "Comptabilité") {
			t.Fatal("OF A's page")
		}
		for _, page := range []string{b, bs} {
			if !strings.Contains(page, "Comptabilité") || strings.Contains(page, "Stagiaire 0") || strings.Contains(page, "Karim") || strings.Contains(page, "Anne Petit") ||
				strings.Contains(page, "Développeur web") || strings.Contains(page, "Voir les") {
				t.Fatalf("OF B sees OF A's data:\n%s", page)
			}
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
