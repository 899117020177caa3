package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kairos/demo"
	"kairos/store/storetest"
)

// TestBrowserAppointmentSheetsAndDuplicate: on a past information session
// the OF sees no result to choose for a person marked absent (and gets it
// back for a present one); it downloads the sign-in sheet; it duplicates the
// appointment with the keyboard only (Tab, Enter), the form pre-filled a week
// later, and reads the French confirmation. The assiduité user downloads the
// sign-in sheet of a training session day from the attestations page.
func TestBrowserAppointmentSheetsAndDuplicate(t *testing.T) {
	ctx := newChromeFor(t, 3*time.Minute)
	in := MustStart(t, storetest.URL(t))
	if err := keyboardLogin(ctx, in.URL, demo.Accounts[1].Email); err != nil {
		t.Fatalf("OF login: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(in.URL+"/rendez-vous/a-completer"), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main a[href^="/rendez-vous/"][href$="#participants"]').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	page := in.URL + strings.TrimSuffix(href, "#participants")
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("presences"))); err != nil {
		t.Fatal(err)
	}
	// The first row marked absent: its result disappears; present: it is back.
	state := func(v string) (bool, bool) {
		t.Helper()
		js := `(() => { const s = document.querySelector('#presences select[name^="status_"]'); s.value = '` + v + `'; s.dispatchEvent(new Event('change'));
			const box = document.querySelector('.kairos-result[data-status="' + s.id + '"]');
			return [box.hidden, box.querySelector('select').value === ''] })()`
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](js))
		if err != nil {
			t.Fatal(err)
		}
		return got[0], got[1]
	}
	if hidden, empty := state("absent"); !hidden || !empty {
		t.Errorf("absent: result hidden %v, emptied %v", hidden, empty)
	}
	if hidden, _ := state("present"); hidden {
		t.Error("present: the result is hidden")
	}

	// The sign-in sheet (HTTP, as the download of the link).
	of := NewBrowser(t)
	if st := of.Login(in, demo.Accounts[1].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	st, ct, pdf := of.getRaw(page + "/emargement.pdf")
	if st != 200 || ct != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("appointment sheet: %d %s", st, ct)
	}

	// Duplicate with the keyboard only.
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("dupliquer"))); err != nil {
		t.Fatal(err)
	}
	if err := tabTo(ctx, "#dupliquer", 80); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
		t.Fatal(err)
	}
	h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	date, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("date")))
	if h1 != "Dupliquer le rendez-vous" || date <= today().String() {
		t.Fatalf("duplicate form: %q, date %q", h1, date)
	}
	if err := tabTo(ctx, `main form button[type="submit"]`, 80); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".fr-alert--success"))); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("duplicate: %v\n%s", err, body)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(msg, "Rendez-vous dupliqué") || loc == page {
		t.Errorf("after the duplication: %q at %s", msg, loc)
	}

	// The sign-in sheet of a session day, from the attestations page.
	ass := NewBrowser(t)
	if st := ass.Login(in, "assiduite@formapro-occitanie.example", demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login assiduité: %d", st)
	}
	_, att := ass.Get(in.URL + "/attestations")
	action := mustMatch(t, `<form method="get" action="(/attestations/sessions/\d+/emargement\.pdf)"`, att, "sign-in sheet form")
	got := false
	for d := today(); d < today().AddDays(40) && !got; d = d.AddDays(1) {
		st, ct, pdf := ass.getRaw(in.URL + action + "?jour=" + d.String())
		switch {
		case st == 200 && ct == "application/pdf" && strings.HasPrefix(string(pdf), "%PDF-"):
			got = true
		case st != http.StatusSeeOther:
			t.Fatalf("session sheet of %s: %d %s", d, st, ct)
		}
	}
	if !got {
		t.Error("no training day in 40 days gives a sign-in sheet")
	}
	// A Sunday goes back to the page with the reason, in French.
	sun := today()
	for sun.Weekday() != time.Sunday {
		sun = sun.AddDays(1)
	}
	if st, _, _ := ass.getRaw(in.URL + action + "?jour=" + sun.String()); st != http.StatusSeeOther {
		t.Errorf("a Sunday: %d", st)
	}
	if _, att := ass.Get(in.URL + "/attestations?mois=" + sun.String()[:7]); !strings.Contains(att, "Feuille d&#39;émargement : ") {
		t.Error("no reason shown for a Sunday")
	}
}

// TestKeyboardChangePassword: the change of password on /compte with the
// keyboard only: a wrong current password puts the focus on the error
// summary; the right one changes it, with a French confirmation.
func TestKeyboardChangePassword(t *testing.T) {
	ctx := newChromeFor(t, 2*time.Minute)
	in := MustStart(t, storetest.URL(t))
	email := demo.Accounts[2].Email
	if err := keyboardLogin(ctx, in.URL, email); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(in.URL+"/compte"), chromedp.WaitVisible(chromedp.ID("current"))); err != nil {
		t.Fatal(err)
	}
	const pw = "une toute nouvelle phrase de passe"
	fill := func(current string) {
		t.Helper()
		for _, f := range [][2]string{{"#current", current}, {"#new", pw}, {"#confirm", pw}} {
			if err := tabTo(ctx, f[0], 80); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(f[1])); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill("pas le bon mot de passe")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("erreurs"))); err != nil {
		t.Fatal(err)
	}
	if f := focused(ctx); f != "erreurs" {
		t.Fatalf("after a wrong current password the focus is on %q", f)
	}
	if err := tabTo(ctx, `#erreurs a[href="#current"]`, 1); err != nil {
		t.Error(err)
	}
	fill(demo.Password)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".fr-alert--success"))); err != nil {
		t.Fatal(err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	if !strings.Contains(msg, "Votre mot de passe est changé") {
		t.Errorf("confirmation: %q", msg)
	}
	b := NewBrowser(t)
	if st := b.Login(in, email, pw); st != http.StatusSeeOther {
		t.Errorf("login with the new password: %d", st)
	}
}

// TestBrowserCatalogueLayout: the filters of the catalogue stay in their
// grid columns (four a row at 1280 px), the ended sessions' checkbox is
// there, and the card « La session » shows its title above its list.
func TestBrowserCatalogueLayout(t *testing.T) {
	ctx := newChromeFor(t, 2*time.Minute)
	in := MustStart(t, storetest.URL(t))
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	if err := keyboardLogin(ctx, in.URL, demo.Accounts[2].Email); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(in.URL+"/catalogue?region=76&terminees=1"), chromedp.WaitVisible(chromedp.ID("terminees"))); err != nil {
		t.Fatal(err)
	}
	over, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const row = document.querySelector('.kairos-filters .fr-grid-row'), rr = row.getBoundingClientRect();
		return [...row.children].filter(c => c.getBoundingClientRect().width > rr.width / 4 + 1 && c.className.includes('fr-col-md-3'))
		  .map(c => c.querySelector('label').textContent.trim() + ' ' + Math.round(c.getBoundingClientRect().width));
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(over) > 0 {
		t.Errorf("filters wider than their column: %v", over)
	}
	region, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#region option:checked').textContent`))
	if region != "Occitanie" {
		t.Errorf("region select shows %q", region)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main table a[href^="/catalogue/sessions/"]').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(in.URL+href), chromedp.WaitVisible(chromedp.CSS(".fr-card__title"))); err != nil {
		t.Fatal(err)
	}
	above, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = document.querySelector('.fr-card__content');
		return c.querySelector('.fr-card__title').getBoundingClientRect().top < c.querySelector('dl').getBoundingClientRect().top })()`))
	if err != nil || !above {
		t.Errorf("the card title is not above its list (%v)", err)
	}
}
