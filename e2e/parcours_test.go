package e2e

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kairos/attendance"
	"kairos/calendar"
	"kairos/demo"
	"kairos/store/storetest"
)

var enrolmentLocRE = regexp.MustCompile(`^/parcours/inscriptions/(\d+)`)

func mustMatch(t *testing.T, re, s, what string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s: no match for %s", what, re)
	}
	return m[1]
}

func wantIn(t *testing.T, page, what string, wants ...string) {
	t.Helper()
	page = html.UnescapeString(page)
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Fatalf("%s lacks %q", what, w)
		}
	}
}

// postMultipart posts an absence with a file, with the CSRF token of page from.
func (b *Browser) postMultipart(from, action string, fields map[string]string, file string, data []byte) (int, string) {
	b.tb.Helper()
	_, page := b.Get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.tb.Fatalf("no form token on %s", from)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", m[1])
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("justificatif", file)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, action, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.http.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location") + "\n" + string(body)
}

func (b *Browser) getRaw(u string) (int, string, []byte) {
	b.tb.Helper()
	resp, err := b.http.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// TestPathJourney: the OF retains a candidate at its information session and
// proposes him on a session; it confirms the inscription, declares his entry,
// an absence with a justificatif, an interruption, the resumption and the
// exit. At each step the counsellor's portfolio and the job seeker's « Mon
// parcours » show it, and the audit trail has every step.
func TestPathJourney(t *testing.T) {
	in := MustStart(t, storetest.URL(t))
	today := today()
	of, cons, de, adm := NewBrowser(t), NewBrowser(t), NewBrowser(t), NewBrowser(t)
	for _, l := range []struct {
		b     *Browser
		email string
	}{{of, demo.Accounts[1].Email}, {cons, demo.Accounts[2].Email}, {de, "hugo.petit@exemple.example"}, {adm, demo.Accounts[7].Email}} {
		if st := l.b.Login(in, l.email, demo.Password); st != http.StatusSeeOther {
			t.Fatalf("login %s: %d", l.email, st)
		}
	}
	// 1. The OF records Hugo Petit present and retained at the past information session.
	_, todo := of.Get(in.URL + "/rendez-vous/a-completer")
	appt := mustMatch(t, `href="/rendez-vous/(\d+)#participants"`, todo, "à compléter")
	_, page := of.Get(in.URL + "/rendez-vous/" + appt)
	pid := mustMatch(t, `Hugo Petit[\s\S]*?name="participant" value="(\d+)"`, page, "participants")
	if st, body := of.Submit(in.URL+"/rendez-vous/"+appt, in.URL+"/rendez-vous/"+appt+"/presences", url.Values{
		"participant": {pid}, "status_p" + pid: {"present"}, "result_p" + pid: {"retenu"}}); st != http.StatusSeeOther {
		t.Fatalf("attendance: %d %s", st, body)
	}
	// 2. « Proposer l'inscription » on the retained participant.
	_, page = of.Get(in.URL + "/rendez-vous/" + appt)
	deID := mustMatch(t, `href="/parcours/proposer\?demandeur=(\d+)&amp;rdv=`+appt+`"`, page, "proposer link")
	_, page = of.Get(in.URL + "/parcours/proposer?demandeur=" + deID)
	sess := mustMatch(t, `<option value="(\d+)"[^>]*>Développeur web et web mobile`, page, "sessions")
	st, body := of.Submit(in.URL+"/parcours/proposer?demandeur="+deID, in.URL+"/parcours/inscriptions", url.Values{
		"demandeur": {deID}, "session": {sess}, "planned_entry": {today.AddDays(-3).String()}, "comment": {"Retenu à l'information collective"}})
	m := enrolmentLocRE.FindStringSubmatch(body)
	if st != http.StatusSeeOther || m == nil {
		t.Fatalf("proposal: %d %s", st, body)
	}
	eURL := in.URL + "/parcours/inscriptions/" + m[1]
	check := func(step, consWant, deWant string) {
		t.Helper()
		_, p := cons.Get(in.URL + "/conseiller/portefeuille")
		row := mustMatch(t, `(?s)(<tr id="de-`+deID+`">.*?</tr>)`, p, step+": portfolio")
		wantIn(t, row, step+": counsellor's portfolio", consWant)
		_, p = de.Get(in.URL + "/mon-parcours")
		wantIn(t, p, step+": Mon parcours", deWant)
	}
	check("proposal", "Inscription proposée", "Inscription proposée")
	action := func(step string, v url.Values) {
		t.Helper()
		st, body := of.Submit(eURL, eURL+"/actions", v)
		if st != http.StatusSeeOther || !strings.HasPrefix(body, "/parcours/inscriptions/") {
			t.Fatalf("%s: %d %s", step, st, body)
		}
	}
	// 3. Inscription: the AIS is downloadable by the job seeker.
	action("inscrire", url.Values{"action": {"inscrire"}})
	check("inscription", "Inscrit", "Inscription confirmée (AIS)")
	if st, ct, pdf := de.getRaw(eURL + "/documents/ais.pdf"); st != 200 || ct != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("AIS: %d %s", st, ct)
	}
	// 4. Entry three days ago: on time (the deadline is today).
	action("entrer", url.Values{"action": {"entrer"}, "date": {today.AddDays(-3).String()}})
	check("entry", "En formation", "Entrée en formation (AES)")
	if st, ct, pdf := cons.getRaw(eURL + "/documents/aes.pdf"); st != 200 || ct != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("AES: %d %s", st, ct)
	}
	// 5. An absence with a PNG justificatif, seen by the counsellor; a text file is refused.
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 40)...)
	// On a training day since the entry (35 h, Monday to Friday): an
	// absence on a day without training is refused.
	absent := trainingDay(t, today.AddDays(-3), today)
	fields := map[string]string{"from": absent.String(), "hours": "3,5", "justified": "oui", "reason": "Rendez-vous médical"}
	if st, _ := of.postMultipart(eURL, eURL+"/absences", fields, "note.txt", []byte("pas une image")); st != http.StatusUnprocessableEntity {
		t.Fatalf("text justificatif: %d", st)
	}
	if st, body := of.postMultipart(eURL, eURL+"/absences", fields, "certificat.png", png); st != http.StatusSeeOther {
		t.Fatalf("absence: %d %s", st, body)
	}
	_, p := cons.Get(eURL)
	wantIn(t, p, "counsellor's view of the enrolment", "3 h 30", "certificat.png")
	file := mustMatch(t, `href="(/parcours/justificatifs/\d+)"`, p, "justificatif link")
	if st, ct, got := cons.getRaw(in.URL + file); st != 200 || ct != "image/png" || !bytes.Equal(got, png) {
		t.Fatalf("justificatif: %d %s", st, ct)
	}
	if st, _, _ := NewBrowser(t).getRaw(in.URL + file); st != http.StatusSeeOther {
		t.Fatalf("anonymous justificatif: %d", st)
	}
	// 6. Interruption, resumption, exit.
	action("interrompre", url.Values{"action": {"interrompre"}, "date": {today.AddDays(-2).String()}, "reason": {"maladie"}})
	check("interruption", "Formation interrompue", "Interruption")
	action("reprendre", url.Values{"action": {"reprendre"}, "date": {today.AddDays(-1).String()}})
	check("resumption", "En formation", "Reprise de la formation")
	action("sortir", url.Values{"action": {"sortir"}, "date": {today.String()}, "reason": {"reprise_emploi"}, "comment": {"CDI chez un intégrateur web"}})
	check("exit", "Sorti(e) de formation", "Sortie de formation")
	_, p = de.Get(in.URL + "/mon-parcours")
	wantIn(t, p, "final Mon parcours", "Reprise d'emploi", "CDI chez un intégrateur web")
	// 7. The audit trail has every step.
	_, journal := adm.Get(in.URL + "/admin/journal?q=enrolment")
	for _, a := range []string{"enrolment.propose", "enrolment.inscrire", "enrolment.entrer", "enrolment.absence", "enrolment.interrompre", "enrolment.reprendre", "enrolment.sortir"} {
		wantIn(t, journal, "audit trail", a)
	}
}

// TestBrowserDashboardLateDeclaration: the OF's dashboard shows the demo
// trainee whose entry, 5 days ago, is not declared; the OF declares it and
// the dashboard no longer counts it late.
func TestBrowserDashboardLateDeclaration(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	staff := demo.Accounts[1]
	var late, row string
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), staff.Email),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("navigation-principale")),
		chromedp.Click(chromedp.CSS(`#navigation-principale a[href="/tableau-de-bord"]`)),
		chromedp.WaitVisible(chromedp.ID("compteur-retard")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	if late, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("compteur-retard"))); err != nil || late != "1" {
		t.Fatalf("late counter %q, %v", late, err)
	}
	rowSel := `//tr[th[contains(., "` + demo.LateTrainee + `")]]`
	if row, err = chromedp.Run(ctx, chromedp.Text(chromedp.Search(rowSel))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(row), "en retard") || !strings.Contains(row, "Entrée") {
		t.Fatalf("row of the late trainee: %q", row)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "tableau-de-bord-retard.png", shot)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(rowSel+`//button[contains(., "Déclarer l'entrée")]`)),
		chromedp.WaitVisible(chromedp.CSS(".fr-alert--success")),
	)
	if err != nil {
		t.Fatalf("declare: %v\n%s", err, in.logs)
	}
	flash, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	late, _ = chromedp.Run(ctx, chromedp.Text(chromedp.ID("compteur-retard")))
	main, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(flash, "hors délai") || late != "0" || strings.Contains(main, demo.LateTrainee) {
		t.Fatalf("after declaring: flash %q, late %q", flash, late)
	}
	shot, _ = chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "tableau-de-bord-declare.png", shot)
}

// TestDashboardBulkEntry: filtered on a session, the dashboard declares the
// entry of the checked trainees at once.
func TestDashboardBulkEntry(t *testing.T) {
	in := MustStart(t, storetest.URL(t))
	of := NewBrowser(t)
	if st := of.Login(in, demo.Accounts[1].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	_, page := of.Get(in.URL + "/tableau-de-bord")
	sess := mustMatch(t, `<option value="(\d+)"[^>]*>Développeur web et web mobile`, page, "session filter")
	from := in.URL + "/tableau-de-bord?session=" + sess
	_, page = of.Get(from)
	ids := regexp.MustCompile(`name="id" value="(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) != 2 {
		t.Fatalf("%d trainees in the bulk form, want 2", len(ids))
	}
	v := url.Values{"session": {sess}, "date": {today().String()}}
	for _, m := range ids {
		v.Add("id", m[1])
	}
	st, body := of.Submit(from, in.URL+"/tableau-de-bord/entrees", v)
	if st != http.StatusSeeOther {
		t.Fatalf("bulk: %d %s", st, body)
	}
	_, page = of.Get(from)
	wantIn(t, page, "dashboard after the bulk entry", "2 entrées déclarées.", `id="compteur-retard">0<`)
}

// trainingDay returns the first day from from to to (included) with hours
// planned by the default rhythm (35 h Monday to Friday, holidays off).
func trainingDay(t *testing.T, from, to calendar.Date) calendar.Date {
	t.Helper()
	week := attendance.DefaultSchedule()
	for d := from; d <= to; d = d.AddDays(1) {
		if week.On(d) > 0 {
			return d
		}
	}
	t.Skipf("no training day from %s to %s", from, to)
	return 0
}
