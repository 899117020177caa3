package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kairos/demo"
	"kairos/store/storetest"
)

// TestAssessmentJourney: the OF declares the exit of a trainee (Karim
// Haddad); his assessment is then on the dashboard among those to write;
// the OF writes and transmits it; the job seeker, her counsellor and
// France Travail's accounting read it (and the attestation de fin de
// formation); the dashboard no longer lists it.
func TestAssessmentJourney(t *testing.T) {
	in := MustStart(t, storetest.URL(t))
	of, de, cons, ft := NewBrowser(t), NewBrowser(t), NewBrowser(t), NewBrowser(t)
	for _, l := range []struct {
		b     *Browser
		email string
	}{{of, demo.Accounts[0].Email}, {de, "demandeur@exemple.example"}, {cons, demo.Accounts[2].Email}, {ft, demo.Accounts[4].Email}} {
		if st := l.b.Login(in, l.email, demo.Password); st != http.StatusSeeOther {
			t.Fatalf("login %s: %d", l.email, st)
		}
	}
	// The OF declares today the exit of Karim Haddad, in training.
	_, page := de.Get(in.URL + "/mon-parcours")
	eid := mustMatch(t, `href="/parcours/inscriptions/(\d+)/documents/aes.pdf"`, page, "Karim's enrolment")
	eURL := in.URL + "/parcours/inscriptions/" + eid
	if st, body := of.Submit(eURL, eURL+"/actions", url.Values{"action": {"sortir"}, "date": {today().String()}, "reason": {"fin_normale"}}); st != http.StatusSeeOther {
		t.Fatalf("exit: %d %s", st, body)
	}
	_, page = of.Get(in.URL + "/tableau-de-bord")
	list := mustMatch(t, `(?s)id="bilans-a-faire">.*?(<ul>.*?</ul>)`, page, "assessments to write")
	id := mustMatch(t, `href="/bilans/inscriptions/(\d+)">Karim Haddad<`, list, "Karim's assessment")
	if id != eid {
		t.Fatalf("the dashboard links %s, the enrolment is %s", id, eid)
	}
	bURL := in.URL + "/bilans/inscriptions/" + id
	// Before: the job seeker sees that nothing is transmitted yet.
	_, page = de.Get(bURL)
	wantIn(t, page, "the job seeker before", "n'a pas encore été transmis")
	// Incomplete: refused next to the field, nothing lost.
	st, body := of.Submit(bURL, bURL, url.Values{"action": {"transmettre"}, "result": {"obtenue"}, "comments": {"Très bonne dynamique."}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Décrivez les compétences acquises") || !strings.Contains(body, "Très bonne dynamique.") {
		t.Fatalf("incomplete: %d", st)
	}
	st, body = of.Submit(bURL, bURL, url.Values{"action": {"transmettre"}, "result": {"partielle"}, "blocks_validated": {"Bloc 1 : tenir la comptabilité"},
		"skills": {"Saisir et contrôler les écritures comptables ; établir un rapprochement bancaire."}, "next_steps": {"Présenter le bloc 2 en juin."}})
	if st != http.StatusSeeOther {
		t.Fatalf("transmit: %d %s", st, body)
	}
	for _, b := range []*Browser{de, cons, ft} {
		_, page = b.Get(bURL)
		wantIn(t, page, "a reader", "Bilan transmis", "Certification obtenue en partie", "Bloc 1 : tenir la comptabilité", "établir un rapprochement bancaire")
		if st, ct, pdf := b.getRaw(bURL + "/attestation-fin-formation.pdf"); st != 200 || ct != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("certificate: %d %s", st, ct)
		}
	}
	_, page = cons.Get(in.URL + "/conseiller/portefeuille")
	wantIn(t, page, "portfolio", `href="/bilans/inscriptions/`+id+`">bilan</a>`)
	_, page = de.Get(in.URL + "/mon-parcours")
	wantIn(t, page, "Mon parcours", `href="/bilans/inscriptions/`+id+`"`)
	_, page = ft.Get(in.URL + "/france-travail/bilans")
	row := mustMatch(t, `(?s)(<tr id="stagiaire-`+id+`">.*?</tr>)`, page, "accounting row")
	wantIn(t, row, "accounting", "Karim Haddad", "Certification obtenue en partie")
	if strings.Contains(row, "Bilan de formation") {
		t.Fatalf("accounting still misses the assessment: %s", row)
	}
	_, page = of.Get(in.URL + "/tableau-de-bord")
	if strings.Contains(mustMatch(t, `(?s)id="bilans-a-faire">(.*?)</(?:ul|p)>`, page, "dashboard after"), "Karim Haddad") {
		t.Fatal("the dashboard still lists the assessment")
	}
	// Another OF sees nothing.
	other := NewBrowser(t)
	if st := other.Login(in, "rgc@competences-plus.example", demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if st, _ := other.Get(bURL); st != http.StatusNotFound {
		t.Fatalf("another OF: %d", st)
	}
}

// TestBrowserAssessmentKeyboard: in chromium, keyboard only (Tab, Enter,
// Space and typing), the OF writes and transmits an assessment.
func TestBrowserAssessmentKeyboard(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	tab := chromedp.KeyEvent("\t")
	focused := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.getAttribute("href") || ""`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// tabTo presses Tab until the focused element's id or href contains want.
	tabTo := func(want string) {
		t.Helper()
		for i := 0; i < 120; i++ {
			if strings.Contains(focused(), want) {
				return
			}
			if err := chromedp.Do(ctx, tab); err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("%q is not reachable with Tab", want)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	tabTo("email")
	err = chromedp.Do(ctx, chromedp.KeyEvent(demo.Accounts[0].Email), tab, chromedp.KeyEvent(demo.Password), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("navigation-principale")))
	if err != nil {
		t.Fatalf("login: %v\n%s", err, in.logs)
	}
	tabTo(`/bilans`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("bilans"))); err != nil {
		t.Fatal(err)
	}
	tabTo("/bilans/inscriptions/")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("result-obtenue"))); err != nil {
		t.Fatal(err)
	}
	tabTo("result-obtenue")
	tabTo("skills")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("Tenir une comptabilité générale et analytique.")); err != nil {
		t.Fatal(err)
	}
	tabTo("transmettre")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" "), chromedp.WaitVisible(chromedp.CSS(".fr-alert--error, .fr-alert--success"))); err != nil {
		t.Fatalf("transmit: %v\n%s", err, in.logs)
	}
	// No result chosen yet: refused, the summary says why.
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(msg, "Indiquez le résultat de la formation") {
		t.Fatalf("without a result: %q", msg)
	}
	tabTo("result-obtenue")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	tabTo("transmettre")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".fr-alert--success"))); err != nil {
		t.Fatalf("transmit: %v\n%s", err, in.logs)
	}
	flash, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	state, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("etat")))
	skills, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("bilan")))
	if !strings.Contains(flash, "Bilan transmis") || !strings.Contains(strings.ToLower(state), "transmis") || !strings.Contains(skills, "Tenir une comptabilité générale et analytique.") {
		t.Fatalf("after transmitting: %q, state %q, %q", flash, state, skills)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "bilan-transmis.png", shot)
}
