package e2e

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-ical"

	"kairos/appointments"
	"kairos/demo"
	"kairos/store"
	"kairos/store/storetest"
)

var (
	apptLocRE    = regexp.MustCompile(`^/rendez-vous/(\d+)`)
	participRE   = regexp.MustCompile(`name="participant" value="(\d+)"`)
	mailLinkRE   = regexp.MustCompile(`<a href="/dev/courriels/(\d+)">Convocation : ([^<]+)</a>`)
	attachLinkRE = regexp.MustCompile(`href="(/dev/courriels/\d+/pieces-jointes/1)"`)
)

// pastAppointment simulates the passing of time: the appointment took place
// the day before yesterday. (The binary has no clock to set; the test moves
// the appointment instead, directly in the database.)
func pastAppointment(t *testing.T, dbURL, id string) {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var start, end time.Time
	if err := db.QueryRow(context.Background(), "SELECT starts_at, ends_at FROM appointments WHERE id = ?", id).Scan(&start, &end); err != nil {
		t.Fatal(err)
	}
	shift := 72 * time.Hour
	if _, err := db.Exec(context.Background(), "UPDATE appointments SET starts_at = ?, ends_at = ?, deadline = NULL WHERE id = ?", start.Add(-shift).UTC(), end.Add(-shift).UTC(), id); err != nil {
		t.Fatal(err)
	}
}

// TestAppointmentJourney: the OF creates an information session, the job
// seeker registers, his convocation with its ICS is in the dev mailbox, the
// OF records présent + retenu, and the counsellor sees the result.
func TestAppointmentJourney(t *testing.T) {
	dbURL := storetest.URL(t)
	in := MustStart(t, dbURL)
	staff, de, cons := demo.Accounts[1], demo.Accounts[6], demo.Accounts[2]

	// 1. The OF (Julien Roux, habilitation rdv) creates an information session.
	of := NewBrowser(t)
	if status := of.Login(in, staff.Email, demo.Password); status != http.StatusSeeOther {
		t.Fatalf("OF login: %d", status)
	}
	title := "Information collective — Titre professionnel Secrétaire assistant"
	tomorrow := testNow.In(appointments.Paris).AddDate(0, 0, 2).Format("2006-01-02")
	// It selects candidates for one of the OF's sessions of the catalogue (the demo offer).
	_, form := of.Get(in.URL + "/rendez-vous/nouveau")
	sm := regexp.MustCompile(`name="sessions" value="(\d+)"`).FindStringSubmatch(form)
	if sm == nil {
		t.Fatal("the OF cannot link any of its catalogue sessions")
	}
	sessionID := sm[1]
	status, body := of.Submit(in.URL+"/rendez-vous/nouveau", in.URL+"/rendez-vous", url.Values{
		"kind": {"collectif"}, "title": {title}, "date": {tomorrow}, "start": {"09:30"}, "end": {"11:00"}, "sessions": {sessionID},
		"place": {"Formapro Occitanie, 12 allées Jean-Jaurès, 31000 Toulouse"}, "capacity": {"8"}, "comment": {"Apportez votre CV ; test écrit, puis entretien."}})
	loc, _, _ := strings.Cut(body, "\n")
	m := apptLocRE.FindStringSubmatch(loc)
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s", status, body)
	}
	id := m[1]

	// 2. The job seeker finds it among the proposed appointments and registers.
	dePage := NewBrowser(t)
	if status := dePage.Login(in, de.Email, demo.Password); status != http.StatusSeeOther {
		t.Fatalf("DE login: %d", status)
	}
	if _, page := dePage.Get(in.URL + "/mes-rendez-vous"); !strings.Contains(page, `href="/rendez-vous-proposes/`+id+`"`) {
		t.Fatal("the appointment is not proposed to the job seeker")
	}
	// He also finds it from the session's page in the catalogue.
	if status, page := dePage.Get(in.URL + "/catalogue/sessions/" + sessionID); status != 200 || !strings.Contains(page, `href="/rendez-vous-proposes/`+id+`"`) {
		t.Fatalf("the session page (%d) does not lead to its information session", status)
	}
	status, body = dePage.Submit(in.URL+"/rendez-vous-proposes/"+id, in.URL+"/rendez-vous-proposes/"+id+"/inscription", url.Values{})
	if status != http.StatusSeeOther {
		t.Fatalf("register: %d %s", status, body)
	}
	if _, page := dePage.Get(in.URL + "/rendez-vous-proposes/" + id); !strings.Contains(page, "Votre inscription : <strong>Inscrit</strong>") {
		t.Fatal("the job seeker does not see his registration")
	}

	// 3. The convocation, with its ICS invitation, is in the dev mailbox.
	var mailID string
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, box := NewBrowser(t).Get(in.URL + "/dev/courriels")
		for _, mm := range mailLinkRE.FindAllStringSubmatch(box, -1) {
			if strings.Contains(html.UnescapeString(mm[2]), title) {
				mailID = mm[1]
			}
		}
		if mailID != "" && strings.Contains(box, "Conservé") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no convocation in the dev mailbox")
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, msg := NewBrowser(t).Get(in.URL + "/dev/courriels/" + mailID)
	if !strings.Contains(msg, de.Email) || !strings.Contains(msg, "invitation.ics") {
		t.Fatalf("convocation: %s", msg)
	}
	a := attachLinkRE.FindStringSubmatch(msg)
	if a == nil {
		t.Fatal("no attachment link")
	}
	resp, err := http.Get(in.URL + a[1])
	if err != nil {
		t.Fatal(err)
	}
	var ics bytes.Buffer
	ics.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("attachment type %q", resp.Header.Get("Content-Type"))
	}
	cal, err := ical.NewDecoder(bytes.NewReader(ics.Bytes())).Decode()
	if err != nil || cal.Props.Get(ical.PropMethod).Value != "REQUEST" || len(cal.Events()) != 1 {
		t.Fatalf("ICS: %v\n%s", err, ics.String())
	}
	if sum, _ := cal.Events()[0].Props.Get(ical.PropSummary).Text(); !strings.Contains(sum, title) {
		t.Fatalf("ICS summary %q", sum)
	}

	// 4. The appointment takes place; the OF records présent + retenu.
	pastAppointment(t, dbURL, id)
	_, page := of.Get(in.URL + "/rendez-vous/" + id)
	pm := participRE.FindAllStringSubmatch(page, -1)
	if len(pm) != 1 {
		t.Fatalf("%d participants on the OF's page", len(pm))
	}
	pid := pm[0][1]
	status, body = of.Submit(in.URL+"/rendez-vous/"+id, in.URL+"/rendez-vous/"+id+"/presences", url.Values{
		"participant": {pid}, "status_p" + pid: {"present"}, "result_p" + pid: {"retenu"}, "motif_p" + pid: {""}})
	if status != http.StatusSeeOther {
		t.Fatalf("record: %d %s", status, body)
	}

	// 5. The counsellor sees the result at once.
	c := NewBrowser(t)
	if status := c.Login(in, cons.Email, demo.Password); status != http.StatusSeeOther {
		t.Fatalf("counsellor login: %d", status)
	}
	_, page = c.Get(in.URL + "/conseiller/rendez-vous")
	i := strings.Index(page, html.EscapeString(title))
	if i < 0 {
		t.Fatalf("the counsellor does not see the appointment")
	}
	row := page[strings.LastIndex(page[:i], "<tr>"):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, de.Name) || !strings.Contains(row, "Présent") || !strings.Contains(row, "<strong>Retenu</strong>") {
		t.Fatalf("counsellor's row: %s", row)
	}
}

// TestBrowserAttendanceOfTen: in chromium, the OF records the attendance
// (and results) of the 10 participants of the demo information session in
// one form.
func TestBrowserAttendanceOfTen(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	staff := demo.Accounts[1]
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/connexion"),
		chromedp.SendKeys(chromedp.ID("email"), staff.Email),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("navigation-principale")),
		chromedp.Navigate(in.URL+"/rendez-vous/a-completer"),
		chromedp.Click(chromedp.CSS(`main table a[href^="/rendez-vous/"]`)),
		chromedp.WaitVisible(chromedp.ID("presences")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	inputs, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll(`#presences input[name="participant"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 10 {
		t.Fatalf("%d participants in the form, want 10", len(inputs))
	}
	var steps []chromedp.Action[chromedp.Void]
	want := map[string]string{}
	for i, attrs := range inputs {
		pid := attrs["value"]
		status, result := "present", "retenu"
		switch i {
		case 7:
			result = "non_retenu"
			steps = append(steps, chromedp.SendKeys(chromedp.ID("motif_p"+pid), "Projet professionnel à construire"))
		case 8:
			status, result = "absent", ""
		case 9:
			status, result = "excuse", ""
		}
		steps = append(steps, chromedp.SetValue(chromedp.ID("status_p"+pid), status))
		if result != "" {
			steps = append(steps, chromedp.SetValue(chromedp.ID("result_p"+pid), result))
		}
		want[pid] = status + "/" + result
	}
	steps = append(steps,
		chromedp.Click(chromedp.ID("enregistrer-presences")),
		chromedp.WaitVisible(chromedp.CSS(".fr-alert--success")),
	)
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("attendance form: %v\n%s", err, in.logs)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	if err != nil || !strings.Contains(flash, "10 participants mis à jour") {
		t.Fatalf("flash %q %v", flash, err)
	}
	for pid, w := range want {
		status, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("status_p"+pid)))
		result, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("result_p"+pid)))
		if status+"/"+result != w {
			t.Errorf("participant %s: %s/%s, want %s", pid, status, result, w)
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err == nil {
		saveShot(t, "presences.png", shot)
	}
	// Nothing is left to complete.
	if err := chromedp.Do(ctx, chromedp.Navigate(in.URL+"/rendez-vous/a-completer"), chromedp.WaitVisible(chromedp.CSS("main .fr-callout"))); err != nil {
		t.Fatalf("à compléter after recording: %v", err)
	}
}
