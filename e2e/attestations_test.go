package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kairos/attendance"
	"kairos/calendar"
	"kairos/demo"
	"kairos/store"
	"kairos/store/storetest"
)

// prefillOf computes, from the database, what the page should pre-fill for
// the trainee's enrolment in month m: the default rhythm (35 h, Monday to
// Friday, public holidays off), the entry and the declared absences.
func prefillOf(t *testing.T, dbURL, enrolmentID string, m calendar.Month) attendance.Figures {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var p attendance.Presence
	if err := db.QueryRow(ctx, "SELECT entry_on, exit_on FROM enrolments WHERE id = ?", enrolmentID).Scan(&p.Entry, &p.Exit); err != nil {
		t.Fatal(err)
	}
	p.Lived = today()
	rows, err := db.Query(ctx, "SELECT from_on, to_on, minutes, justified FROM enrolment_absences WHERE enrolment_id = ? AND withdrawn_at IS NULL ORDER BY from_on, id", enrolmentID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a attendance.Absence
		var j int
		if err := rows.Scan(&a.From, &a.To, &a.Minutes, &j); err != nil {
			t.Fatal(err)
		}
		a.Justified = j == 1
		p.Absences = append(p.Absences, a)
	}
	week := attendance.Spread(35*attendance.Hour, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	f, err := attendance.Prefill(m, attendance.Schedule{Week: week}, p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func inputValue(t *testing.T, page, name string) string {
	t.Helper()
	return mustMatch(t, `name="`+regexp.QuoteMeta(name)+`" value="([^"]*)"`, page, name)
}

// TestAttestationJourney: the month of a trainee with an absence is
// pre-filled; the OF corrects one figure and attests the session; the
// attestation is transmitted, attesting it again is refused; a rectificative
// keeps the first version; France Travail's export has the rectified
// figures and its follow-up counts it received.
func TestAttestationJourney(t *testing.T) {
	dbURL := storetest.URL(t)
	in := MustStart(t, dbURL)
	of, ft := NewBrowser(t), NewBrowser(t)
	if st := of.Login(in, "assiduite@formapro-occitanie.example", demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login OF: %d", st)
	}
	if st := ft.Login(in, demo.Accounts[4].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login FT: %d", st)
	}
	// The dashboard of an OF user with both habilitations counts them.
	julien := NewBrowser(t)
	if st := julien.Login(in, demo.Accounts[1].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	_, page := julien.Get(in.URL + "/tableau-de-bord")
	if n := mustMatch(t, `id="compteur-attestations">(\d+)<`, page, "dashboard counter"); n == "0" {
		t.Fatalf("dashboard: %s attestations to do", n)
	}
	// The page opens on the latest month that can be attested: the
	// previous one, or the current one on its last day. Karim Haddad
	// (Gestionnaire comptable et fiscal) entered on the first day of the
	// previous month and was absent since (3,5 h justified, 2 h not).
	_, page = of.Get(in.URL + "/attestations")
	m, err := calendar.ParseMonth(mustMatch(t, `<input type="hidden" name="mois" value="(\d{4}-\d{2})">`, page, "month of the page"))
	if err != nil {
		t.Fatal(err)
	}
	if want := calendar.MonthOf(today()).AddMonths(-1); today() == calendar.MonthOf(today()).Last() {
		want = calendar.MonthOf(today())
		if m != want {
			t.Fatalf("on the last day of the month the page opens on %s, want %s", m, want)
		}
	} else if m != want {
		t.Fatalf("the page opens on %s, want %s", m, want)
	}
	from := in.URL + "/attestations?mois=" + m.String()
	_, page = of.Get(from)
	wantIn(t, page, "attestations page", "Attestations du mois", "Karim Haddad", "Attester la session")
	id := mustMatch(t, `<tr id="attestation-(\d+)">\s*<th scope="row"><a href="[^"]*">Karim Haddad<`, page, "Karim's row")
	sess := mustMatch(t, `(?s)id="session-(\d+)"[^>]*>\s*<h2[^>]*>Gestionnaire comptable et fiscal`, page, "session")
	want := prefillOf(t, dbURL, id, m)
	got := map[string]string{}
	for _, n := range []string{"planned", "attended", "justified", "unjustified"} {
		got[n] = inputValue(t, page, "h-"+id+"-"+n)
	}
	if got["planned"] != want.Planned.Decimal() || got["attended"] != want.Attended.Decimal() || got["justified"] != want.Justified.Decimal() || got["unjustified"] != want.Unjustified.Decimal() {
		t.Fatalf("pre-filled %v, want %+v", got, want)
	}
	if want.Planned == 0 {
		t.Fatal("nothing planned this month")
	}
	// Correct one figure: a quarter of an hour unjustified, not attended.
	fixed := want
	fixed.Attended -= attendance.Quarter
	fixed.Unjustified += attendance.Quarter
	form := url.Values{"session": {sess}, "mois": {m.String()}, "id": {id},
		"h-" + id + "-planned": {fixed.Planned.Decimal()}, "h-" + id + "-attended": {fixed.Attended.Decimal()},
		"h-" + id + "-justified": {fixed.Justified.Decimal()}, "h-" + id + "-unjustified": {fixed.Unjustified.Decimal()}}
	// First an invalid figure: refused next to the field, nothing attested.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("h-"+id+"-attended", "1,1")
	if st, body := of.Submit(from, in.URL+"/attestations/session", bad); st != http.StatusUnprocessableEntity || !strings.Contains(body, "quart d&#39;heure") {
		t.Fatalf("invalid figure: %d", st)
	}
	if st, body := of.Submit(from, in.URL+"/attestations/session", form); st != http.StatusSeeOther {
		t.Fatalf("attest: %d %s", st, body)
	}
	_, page = of.Get(from)
	row := mustMatch(t, `(?s)(<tr id="attestation-`+id+`">.*?</tr>)`, page, "row after attesting")
	wantIn(t, row, "attested row", "Transmise à France Travail", "Léa Fabre", fixed.Attended.Decimal())
	// Attesting twice is refused.
	if st, body := of.Submit(from, in.URL+"/attestations/session", form); st != http.StatusUnprocessableEntity || !strings.Contains(body, "déjà été attestée") {
		t.Fatalf("attest twice: %d", st)
	}
	// Rectificative back to the pre-filled figures, with a reason.
	detail := in.URL + "/attestations/" + id + "?mois=" + m.String()
	st, body := of.Submit(detail, in.URL+"/attestations/"+id+"/rectificative", url.Values{"mois": {m.String()},
		"planned": {want.Planned.Decimal()}, "attended": {want.Attended.Decimal()}, "justified": {want.Justified.Decimal()}, "unjustified": {want.Unjustified.Decimal()},
		"reason": {"Le quart d'heure de retard était une erreur de saisie."}})
	if st != http.StatusSeeOther {
		t.Fatalf("rectificative: %d %s", st, body)
	}
	_, page = of.Get(detail)
	hist := mustMatch(t, `(?s)(<table id="historique">.*?</table>)`, page, "history")
	wantIn(t, hist, "history", "1 (initiale)", "2 (rectificative)", "erreur de saisie", fixed.Attended.String(), want.Attended.String())
	// One attestation alone, from its own page (another trainee still to
	// attest this month, with the pre-filled figures).
	_, page = of.Get(from)
	amina := mustMatch(t, `<tr id="attestation-(\d+)">\s*<th scope="row"><a href="[^"]*">[^<]+</a>(?:[^<]|<br>|<span[^>]*>[^<]*</span>)*</th>\s*<td><div class="fr-input-group`, page, "another trainee to attest")
	aURL := in.URL + "/attestations/" + amina + "?mois=" + m.String()
	_, page = of.Get(aURL)
	one := url.Values{"mois": {m.String()}, "session": {inputValue(t, page, "session")}, "id": {amina}}
	for _, n := range []string{"planned", "attended", "justified", "unjustified"} {
		one.Set("h-"+amina+"-"+n, inputValue(t, page, "h-"+amina+"-"+n))
	}
	if st, body := of.Submit(aURL, in.URL+"/attestations/session", one); st != http.StatusSeeOther {
		t.Fatalf("attest one: %d %s", st, body)
	}
	_, page = of.Get(aURL)
	wantIn(t, page, "the other attestation", "1 (initiale)", "Transmise à France Travail")
	// France Travail: the export has the current (rectified) figures.
	st, ct, csv := ft.getRaw(in.URL + "/france-travail/attestations/export.csv?mois=" + m.String())
	if st != 200 || !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(string(csv), "\uFEFFMois;Identifiant France Travail;Stagiaire;") {
		t.Fatalf("export: %d %s %q", st, ct, csv)
	}
	var line string
	for _, l := range strings.Split(string(csv), "\r\n") {
		if strings.Contains(l, "Karim Haddad") {
			line = l
		}
	}
	wantLine := ";" + want.Planned.Decimal() + ";" + want.Attended.Decimal() + ";" + want.Justified.Decimal() + ";" + want.Unjustified.Decimal() + ";2;rectificative;"
	if !strings.Contains(line, wantLine) || !strings.HasPrefix(line, m.String()+";") {
		t.Fatalf("export line %q lacks %q", line, wantLine)
	}
	_, page = ft.Get(in.URL + "/france-travail/attestations?mois=" + m.String())
	wantIn(t, page, "FT follow-up", "Agence France Travail Toulouse Bonnefoy", `id="total-recues">2<`)
	// The OF may not read France Travail's export.
	if st, _, _ := of.getRaw(in.URL + "/france-travail/attestations/export.csv?mois=" + m.String()); st != http.StatusForbidden {
		t.Fatalf("OF export: %d", st)
	}
}

// TestBrowserAttestSession: in chromium, the OF opens « Attestations du
// mois » from the menu and attests a whole session in one click.
func TestBrowserAttestSession(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "assiduite@formapro-occitanie.example"),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("navigation-principale")),
		chromedp.Click(chromedp.CSS(`#navigation-principale a[href="/attestations"]`)),
		chromedp.WaitVisible(chromedp.ID("compteur-attestations")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	before, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("compteur-attestations")))
	if err != nil || before == "0" {
		t.Fatalf("counter %q, %v", before, err)
	}
	sec := `//section[.//h2[contains(., "Gestionnaire comptable et fiscal")]]`
	// Correct one figure in the form: a quarter of an hour not attended, unjustified.
	attendedSel, unjustSel := chromedp.Search(sec+`//input[contains(@name, "-attended")]`), chromedp.Search(sec+`//input[contains(@name, "-unjustified")]`)
	attended, err := chromedp.Run(ctx, chromedp.Value(attendedSel))
	if err != nil {
		t.Fatal(err)
	}
	unjust, _ := chromedp.Run(ctx, chromedp.Value(unjustSel))
	am, err1 := attendance.ParseHours(attended)
	um, err2 := attendance.ParseHours(unjust)
	if err1 != nil || err2 != nil || am < attendance.Quarter {
		t.Fatalf("pre-filled %q %q", attended, unjust)
	}
	newAttended := (am - attendance.Quarter).Decimal()
	err = chromedp.Do(ctx,
		chromedp.SetValue(attendedSel, newAttended),
		chromedp.SetValue(unjustSel, (um+attendance.Quarter).Decimal()),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(sec+`//button[contains(., "Attester la session")]`)),
		chromedp.WaitVisible(chromedp.CSS(".fr-alert--success")),
	)
	if err != nil {
		t.Fatalf("attest: %v\n%s", err, in.logs)
	}
	flash, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	section, _ := chromedp.Run(ctx, chromedp.Text(chromedp.Search(sec)))
	after, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("compteur-attestations")))
	if !strings.Contains(flash, "transmise") || !strings.Contains(strings.ToLower(section), "transmise à france travail") || !strings.Contains(section, "\t"+newAttended+"\t") || after == before {
		t.Fatalf("after attesting: flash %q, counter %s → %s, section %q", flash, before, after, section)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "attestations-session.png", shot)
}
