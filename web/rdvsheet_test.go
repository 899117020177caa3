package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/appointments"
	"kairos/fixture"
)

func TestAppointmentDuplicateAndSignInSheet(t *testing.T) {
	e, svc, rdv := newRdvEnv(t)
	day := fixture.Now(t).In(appointments.Paris).AddDate(0, 0, 3)
	x, err := svc.Create(fixture.Ctx(), rdv, appointments.Input{Kind: "collectif", Title: "ICO Soudeur", Date: day.Format("2006-01-02"),
		Start: "14:00", End: "16:00", Place: "Atelier", Capacity: 10, Comment: "Apportez un CV."})
	if err != nil {
		t.Fatal(err)
	}
	de := e.Users[kairos.RoleDemandeur]
	if _, err := svc.Register(fixture.Ctx(), de.Actor(), x.ID, de.ID); err != nil {
		t.Fatal(err)
	}
	of := e.client(t)
	of.login("rdv@a.example")
	page := "/rendez-vous/" + strconvFormat(x.ID)
	status, body := of.get(page)
	if status != 200 || !strings.Contains(body, `href="`+page+`/emargement.pdf"`) || !strings.Contains(body, `href="`+page+`/dupliquer"`) {
		t.Fatalf("appointment page: %d", status)
	}

	// The sign-in sheet.
	resp, err := of.http.Get(of.base + page + "/emargement.pdf")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "emargement-rendez-vous-"+strconvFormat(x.ID)) {
		t.Fatalf("sheet: %d %v", resp.StatusCode, resp.Header)
	}

	// The duplication form is pre-filled a week later.
	next := day.AddDate(0, 0, 7).Format("2006-01-02")
	status, body = of.get(page + "/dupliquer")
	if status != 200 || !strings.Contains(body, "Dupliquer le rendez-vous") || !strings.Contains(body, `value="ICO Soudeur"`) ||
		!strings.Contains(body, `value="`+next+`"`) || !strings.Contains(body, `name="copie_de" value="`+strconvFormat(x.ID)+`"`) || !strings.Contains(body, "Apportez un CV.") {
		t.Fatalf("duplicate form: %d\n%s", status, body)
	}
	form := url.Values{"copie_de": {strconvFormat(x.ID)}, "kind": {"collectif"}, "title": {"ICO Soudeur"}, "date": {"2000-01-01"},
		"start": {"14:00"}, "end": {"16:00"}, "place": {"Atelier"}, "capacity": {"10"}}
	resp, body = of.post(page+"/dupliquer", "/rendez-vous", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Dupliquer le rendez-vous") || !strings.Contains(body, "dans le futur") {
		t.Fatalf("past date: %d", resp.StatusCode)
	}
	form.Set("date", next)
	resp, _ = of.post(page+"/dupliquer", "/rendez-vous", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc == page {
		t.Fatalf("duplicate: %d %s", resp.StatusCode, loc)
	}
	if _, body := of.get(loc); !strings.Contains(body, "Rendez-vous dupliqué") {
		t.Fatal("no French confirmation of the duplication")
	}

	// Another OF: neither the sheet nor the copy.
	other := e.client(t)
	other.login(e.OFBUser.Email)
	for _, p := range []string{page + "/emargement.pdf", page + "/dupliquer"} {
		if status, _ := other.get(p); status != http.StatusNotFound {
			t.Errorf("other OF GET %s: %d", p, status)
		}
	}
	form.Set("date", day.AddDate(0, 0, 14).Format("2006-01-02"))
	if resp, _ := other.post("/accueil", "/rendez-vous", form); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other OF duplicates: %d", resp.StatusCode)
	}
	// A job seeker: forbidden.
	dec := e.client(t)
	dec.login(de.Email)
	if status, _ := dec.get(page + "/emargement.pdf"); status != http.StatusForbidden {
		t.Errorf("job seeker sheet: %d", status)
	}
}

// The result of the candidacy is offered only for someone present (or not
// noted yet); the server refuses one for an absent person.
func TestNoResultForAnAbsentPerson(t *testing.T) {
	e, svc, rdv := newRdvEnv(t)
	now := fixture.Now(t)
	x, err := svc.Create(fixture.Ctx(), rdv, appointments.Input{Kind: "collectif", Title: "ICO Soudeur", Date: now.In(appointments.Paris).AddDate(0, 0, 1).Format("2006-01-02"),
		Start: "09:00", End: "10:00", Place: "Atelier", Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	de := e.Users[kairos.RoleDemandeur]
	p, err := svc.Register(fixture.Ctx(), de.Actor(), x.ID, de.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc.Clock = kairos.FixedClock(x.EndsAt.Add(time.Hour))
	if _, err := svc.Record(fixture.Ctx(), rdv, x.ID, []appointments.Entry{{ParticipantID: p.ID, Status: "absent"}}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Record(fixture.Ctx(), rdv, x.ID, []appointments.Entry{{ParticipantID: p.ID, Status: "absent", Result: "retenu"}})
	if msg := kairos.FieldErrors(err)["p"+strconvFormat(p.ID)]; !strings.Contains(msg, "un résultat ne se note que pour un participant présent") {
		t.Fatalf("result for an absent person: %v", err)
	}
	e.DB().Clock = kairos.FixedClock(x.EndsAt.Add(time.Hour))
	of := e.client(t)
	of.login("rdv@a.example")
	_, body := of.get("/rendez-vous/" + strconvFormat(x.ID))
	i := strings.Index(body, `data-status="status_p`+strconvFormat(p.ID)+`"`)
	if i < 0 || !strings.HasPrefix(body[i:], `data-status="status_p`+strconvFormat(p.ID)+`" hidden>`) {
		t.Fatalf("the result of an absent person is offered:\n%s", body[max(i, 0):min(len(body), max(i, 0)+300)])
	}
}

// An appointment that ended an hour ago, today, is past: in the OF's list
// and in the counsellor's view it is no longer « à venir ».
func TestTodaysPastAppointmentIsNotUpcoming(t *testing.T) {
	e, svc, rdv := newRdvEnv(t)
	day := fixture.Now(t).In(appointments.Paris).AddDate(0, 0, 1)
	x, err := svc.Create(fixture.Ctx(), rdv, appointments.Input{Kind: "collectif", Title: "ICO du matin", Date: day.Format("2006-01-02"),
		Start: "09:00", End: "10:00", Place: "Atelier", Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	later, err := svc.Create(fixture.Ctx(), rdv, appointments.Input{Kind: "collectif", Title: "ICO du soir", Date: day.Format("2006-01-02"),
		Start: "18:00", End: "19:00", Place: "Atelier", Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	de := e.Users[kairos.RoleDemandeur]
	for _, a := range []*appointments.Appointment{x, later} {
		if _, err := svc.Register(fixture.Ctx(), de.Actor(), a.ID, de.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.DB().Clock = kairos.FixedClock(x.EndsAt.Add(time.Hour)) // 11:00 that day
	section := func(body, from, to string) string {
		i, j := strings.Index(body, from), strings.Index(body, to)
		if i < 0 || j < i {
			t.Fatalf("no section %q … %q", from, to)
		}
		return body[i:j]
	}
	of := e.client(t)
	of.login("rdv@a.example")
	_, body := of.get("/rendez-vous")
	up, past := section(body, "À venir et en cours", "Trois derniers mois"), body[strings.Index(body, "Trois derniers mois"):]
	if strings.Contains(up, "ICO du matin") || !strings.Contains(up, "ICO du soir") || !strings.Contains(past, "ICO du matin") {
		t.Errorf("OF list: upcoming %v/%v, past %v", strings.Contains(up, "ICO du matin"), strings.Contains(up, "ICO du soir"), strings.Contains(past, "ICO du matin"))
	}
	cons := e.client(t)
	cons.login(e.Users[kairos.RoleConseiller].Email)
	_, body = cons.get("/conseiller/rendez-vous")
	up, past = section(body, "À venir", "Résultats"), section(body, "Résultats", "Rendez-vous proposés")
	if strings.Contains(up, "ICO du matin") || !strings.Contains(up, "ICO du soir") || !strings.Contains(past, "ICO du matin") {
		t.Errorf("counsellor: upcoming %v/%v, past %v", strings.Contains(up, "ICO du matin"), strings.Contains(up, "ICO du soir"), strings.Contains(past, "ICO du matin"))
	}
}
