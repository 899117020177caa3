package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kairos/demo"
	"kairos/store/storetest"
)

var quoteLocRE = regexp.MustCompile(`^/devis/(\d+)`)

// soudSession finds the catalogue id of the demo session DEMO_S_SOUD_1 from
// the OF's offer.
func soudSession(t *testing.T, in *Instance, of *Browser) string {
	t.Helper()
	_, page := of.Get(in.URL + "/catalogue?q=Soudeur")
	for _, m := range regexp.MustCompile(`href="/catalogue/sessions/(\d+)"`).FindAllStringSubmatch(page, -1) {
		_, p := of.Get(in.URL + "/catalogue/sessions/" + m[1])
		if strings.Contains(p, "DEMO_S_SOUD_1") && strings.Contains(p, `id="creer-devis"`) {
			return m[1]
		}
	}
	t.Fatalf("no session DEMO_S_SOUD_1 with « Établir un devis »")
	return ""
}

func login(t *testing.T, in *Instance, email string) *Browser {
	t.Helper()
	b := NewBrowser(t)
	if st := b.Login(in, email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login %s: %d", email, st)
	}
	return b
}

// createQuote creates (from the pre-filled form) and transmits a quote; it
// returns its id and number.
func createQuote(t *testing.T, in *Instance, of *Browser, session, ftID, nom string) (string, string) {
	t.Helper()
	form := in.URL + "/devis/nouveau?session=" + session
	_, page := of.Get(form)
	wantIn(t, page, "pre-filled form", "Soudeur TIG électrode enrobée", "DEMO_S_SOUD_1", "DEMO_F_SOUDEUR_A1", `name="hours_centre" value="595"`, `name="hours_company" value="210"`)
	st, body := of.Submit(form, in.URL+"/devis", url.Values{"session_id": {session}, "ft_id": {ftID}, "nom": {nom},
		"hours_centre": {"280"}, "hours_company": {"70,5"}, "hourly_cost": {"10,84"},
		"funder_1": {"CPF"}, "amount_1": {"0"}, "funder_2": {"2"}, "amount_2": {"1 000,00"}, "comment": {"Parcours adapté à l'expérience du stagiaire."}})
	m := quoteLocRE.FindStringSubmatch(body)
	if st != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s", st, body)
	}
	id := m[1]
	_, page = of.Get(in.URL + "/devis/" + id)
	// 280 h × 10,84 € = 3 035,20 € ; − 1 000 € de la Région : AIF 2 035,20 €.
	wantIn(t, page, "draft", "Brouillon", "3\u202f035,20\u00a0€", "2\u202f035,20\u00a0€", "70\u00a0h\u00a030")
	number := mustMatch(t, `Devis AIF n° (AIF-\d{4}-\d{7}-\d{2})`, page, "number")
	if st, body := of.Submit(in.URL+"/devis/"+id, in.URL+"/devis/"+id+"/actions", url.Values{"action": {"transmettre"}}); st != http.StatusSeeOther {
		t.Fatalf("transmit: %d %s", st, body)
	}
	return id, number
}

// TestQuoteJourney: the OF creates the quote from the catalogue, the job
// seeker accepts it in his space, the counsellor validates it: the
// enrolment (AIS) is on the path with the quote's number. Then a quote the
// counsellor refuses: both parties read the reason.
func TestQuoteJourney(t *testing.T) {
	in := MustStart(t, storetest.URL(t))
	of := login(t, in, demo.Accounts[0].Email)
	cons := login(t, in, demo.Accounts[2].Email)
	de := login(t, in, "mehdi.benamar@exemple.example")
	session := soudSession(t, in, of)
	id, number := createQuote(t, in, of, session, "2236067E", "Benamar")

	_, home := de.Get(in.URL + "/accueil")
	wantIn(t, home, "DE home counter", `id="compteur-devis"`, "1 devis AIF à accepter ou refuser")
	_, page := de.Get(in.URL + "/mes-devis/" + id)
	wantIn(t, page, "Mes devis", number, "Transmis au demandeur", `id="btn-accepter"`, `id="btn-refuser_de"`)
	if st, _, pdf := de.getRaw(in.URL + "/mes-devis/" + id + "/devis.pdf"); st != 200 || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("DE PDF: %d", st)
	}
	if st, body := de.Submit(in.URL+"/mes-devis/"+id, in.URL+"/mes-devis/"+id+"/actions", url.Values{"action": {"accepter"}}); st != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", st, body)
	}
	_, queue := cons.Get(in.URL + "/conseiller/devis")
	wantIn(t, queue, "counsellor queue", number, "Mehdi Benamar")
	_, page = cons.Get(in.URL + "/devis/" + id)
	wantIn(t, page, "decision page", "Parcours de Mehdi Benamar", `id="btn-valider"`)
	if st, body := cons.Submit(in.URL+"/devis/"+id, in.URL+"/devis/"+id+"/actions", url.Values{"action": {"valider"}}); st != http.StatusSeeOther {
		t.Fatalf("validate: %d %s", st, body)
	}
	_, page = of.Get(in.URL + "/devis/" + id)
	wantIn(t, page, "validated", "Validé", "Numéro d'engagement", number)
	eid := mustMatch(t, `href="/parcours/inscriptions/(\d+)"`, page, "enrolment link")
	_, path := cons.Get(in.URL + "/parcours/inscriptions/" + eid)
	wantIn(t, path, "enrolment on the path", "Mehdi Benamar", "Soudeur TIG", "Devis AIF n° "+number)
	if !strings.Contains(path, "Inscrit") && !strings.Contains(path, "En formation") {
		t.Fatalf("enrolment not confirmed")
	}

	// A second quote, refused by the counsellor with a reason both parties read.
	hugo := login(t, in, "hugo.petit@exemple.example")
	id2, _ := createQuote(t, in, of, session, "2449489G", "Petit")
	if st, body := hugo.Submit(in.URL+"/mes-devis/"+id2, in.URL+"/mes-devis/"+id2+"/actions", url.Values{"action": {"accepter"}}); st != http.StatusSeeOther {
		t.Fatalf("accept 2: %d %s", st, body)
	}
	st, body := cons.Submit(in.URL+"/devis/"+id2, in.URL+"/devis/"+id2+"/actions", url.Values{"action": {"refuser"}, "reason": {""}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "Indiquez le motif") {
		t.Fatalf("refusal without reason: %d %s\n%s", st, body, in.logs)
	}
	reason := "Le projet professionnel doit d'abord être confirmé par une immersion."
	if st, body := cons.Submit(in.URL+"/devis/"+id2, in.URL+"/devis/"+id2+"/actions", url.Values{"action": {"refuser"}, "reason": {reason}}); st != http.StatusSeeOther {
		t.Fatalf("refuse: %d %s", st, body)
	}
	_, page = of.Get(in.URL + "/devis/" + id2)
	wantIn(t, page, "OF reads the refusal", "Refusé par France Travail", reason)
	_, page = hugo.Get(in.URL + "/mes-devis/" + id2)
	wantIn(t, page, "DE reads the refusal", "Refusé par France Travail", reason)
	// Another OF's quote is not found; the DE cannot read another's.
	other := login(t, in, "rgc@competences-plus.example")
	if st, _ := other.Get(in.URL + "/devis/" + id); st != http.StatusNotFound {
		t.Fatalf("other OF: %d", st)
	}
	if st, _ := hugo.Get(in.URL + "/mes-devis/" + id); st != http.StatusNotFound {
		t.Fatalf("other DE: %d", st)
	}
	// The export lists both.
	_, csv := of.Get(in.URL + "/devis/export.csv")
	wantIn(t, csv, "CSV export", number, "Refusé par France Travail")
}

// TestQuoteExpiredByTheClock: a transmitted quote without decision expires
// when its session has started: the portal restarted at a later instant
// (KAIROS_NOW) runs the scheduled expiry.
func TestQuoteExpiredByTheClock(t *testing.T) {
	dbURL := storetest.URL(t)
	now := time.Now().UTC().Truncate(time.Second)
	in := MustStart(t, dbURL, "KAIROS_NOW="+now.Format(time.RFC3339))
	of := login(t, in, demo.Accounts[0].Email)
	id, number := createQuote(t, in, of, soudSession(t, in, of), "2718281B", "Diallo")
	later := MustStart(t, dbURL, "KAIROS_NOW="+now.AddDate(0, 2, 5).Format(time.RFC3339))
	de := login(t, later, "amina.diallo@exemple.example")
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, page := de.Get(later.URL + "/mes-devis/" + id)
		if strings.Contains(page, "Expiré") {
			wantIn(t, page, "expired quote", number, "aucune décision avant le début de la session")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not expired after 20 s:\n%s", later.logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestBrowserDEAcceptsQuote: the demo job seeker accepts, with the keyboard
// only, the quote transmitted to him, from his home page.
func TestBrowserDEAcceptsQuote(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Focus(chromedp.ID("email")),
		chromedp.KeyEvent("demandeur@exemple.example"),
		chromedp.KeyEvent("\t"),
		chromedp.KeyEvent(demo.Password),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("compteur-devis")),
	)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, in.logs)
	}
	// Tab to the counter's link, then to the quote, then to « Accepter », and press Enter.
	focusOn := func(sel string, max int) error {
		for i := 0; i < max; i++ {
			if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
				return err
			}
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.activeElement && document.activeElement.matches(`+"`"+sel+"`"+`)`))
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		}
		return errNotReached(sel)
	}
	steps := []struct{ sel, wait string }{
		{`#compteur-devis a`, `table a[href^="/mes-devis/"]`},
		{`table a[href^="/mes-devis/"]`, `#btn-accepter`},
		{`#btn-accepter`, `.fr-alert--success`},
	}
	for _, s := range steps {
		if err := focusOn(s.sel, 80); err != nil {
			t.Fatalf("%v\n%s", err, in.logs)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(s.wait))); err != nil {
			t.Fatalf("enter on %s: %v", s.sel, err)
		}
	}
	state, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("etat")))
	flash, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	if !strings.Contains(strings.ToLower(state), "accepté par le demandeur") || !strings.Contains(flash, "Vous avez accepté le devis") {
		t.Fatalf("state %q, flash %q", state, flash)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "devis-accepte.png", shot)
}

type errNotReached string

func (e errNotReached) Error() string { return "keyboard: " + string(e) + " never focused" }
