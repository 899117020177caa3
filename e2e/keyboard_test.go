package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kairos/demo"
	"kairos/store/storetest"
)

// tabTo presses Tab until the focused element matches css (at most max
// presses), as a keyboard user moves through a page.
func tabTo(ctx context.Context, css string, max int) error {
	for i := 0; i < max; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			return err
		}
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, css)))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	active, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : ''`))
	return fmt.Errorf("%s not reached with %d presses of Tab (focus on %s)", css, max, active)
}

func focused(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ''`))
	return s
}

// keyboardLogin logs in with the keyboard only.
func keyboardLogin(ctx context.Context, base, email string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/connexion"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		return err
	}
	if err := tabTo(ctx, "#email", 40); err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(email)); err != nil {
		return err
	}
	if err := tabTo(ctx, "#password", 5); err != nil {
		return err
	}
	return chromedp.Do(ctx, chromedp.KeyEvent(demo.Password+kb.Enter), chromedp.WaitVisible(chromedp.ID("navigation-principale")))
}

// TestKeyboardOnly goes through three journeys with Tab, Enter, Space and
// letters only (no mouse, no click): a form sent with errors puts the focus
// on its error summary; a counsellor proposes a session found by a search;
// an OF records the attendance of an information session.
func TestKeyboardOnly(t *testing.T) {
	ctx := newChromeFor(t, 3*time.Minute)
	in := MustStart(t, storetest.URL(t))
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := keyboardLogin(cctx, in.URL, demo.Accounts[2].Email); err != nil {
		t.Fatalf("counsellor login: %v", err)
	}
	// 1. The proposal sent empty: the focus lands on the error summary, and
	// Tab leads to its links to the fields.
	if err := chromedp.Do(cctx, chromedp.Navigate(in.URL+"/parcours/proposer"), chromedp.WaitVisible(chromedp.ID("q"))); err != nil {
		t.Fatal(err)
	}
	if err := tabTo(cctx, "#proposer", 60); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(cctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("erreurs"))); err != nil {
		t.Fatal(err)
	}
	if f := focused(cctx); f != "erreurs" {
		t.Fatalf("after a failed submit the focus is on %q, not on the error summary", f)
	}
	if err := tabTo(cctx, `#erreurs a[href="#demandeur"], #erreurs a[href="#session"]`, 1); err != nil {
		t.Errorf("Tab from the summary: %v", err)
	}
	// 2. Search the catalogue, choose the open session, the job seeker, propose.
	if err := tabTo(cctx, "#q", 40); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(cctx, chromedp.KeyEvent("Soudeur"+kb.Enter), chromedp.WaitVisible(chromedp.CSS(`input[name="session"]`))); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(cctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "Ne peut pas être choisie") {
		t.Error("no session shown with the reason it cannot be chosen")
	}
	if err := tabTo(cctx, `input[name="session"]`, 40); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(cctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	if err := tabTo(cctx, "#demandeur", 10); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(cctx, chromedp.KeyEvent("Hugo")); err != nil {
		t.Fatal(err)
	}
	if err := tabTo(cctx, "#proposer", 10); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(cctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".fr-alert--success"))); err != nil {
		page, _ := chromedp.Run(cctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("proposal: %v\n%s", err, page)
	}
	if loc, _ := chromedp.Run(cctx, chromedp.Location()); !strings.Contains(loc, "/parcours/inscriptions/") {
		t.Fatalf("after the proposal: %s", loc)
	}
	msg, _ := chromedp.Run(cctx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	if !strings.Contains(msg, "Hugo Petit") || !strings.Contains(msg, "Soudeur") {
		t.Errorf("proposal: %q", msg)
	}

	// 3. The OF records the attendance of a past information session.
	octx, ocancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer ocancel()
	if err := keyboardLogin(octx, in.URL, demo.Accounts[1].Email); err != nil {
		t.Fatalf("OF login: %v", err)
	}
	if err := chromedp.Do(octx, chromedp.Navigate(in.URL+"/rendez-vous/a-completer"), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatal(err)
	}
	if err := tabTo(octx, `main a[href^="/rendez-vous/"][href$="#participants"]`, 60); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(octx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("presences"))); err != nil {
		t.Fatal(err)
	}
	if err := tabTo(octx, "#tous-presents", 120); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(octx, chromedp.KeyEvent(" "), chromedp.WaitVisible(chromedp.CSS(".fr-alert--success"))); err != nil {
		t.Fatal(err)
	}
	msg, _ = chromedp.Run(octx, chromedp.Text(chromedp.CSS(".fr-alert--success")))
	if !strings.Contains(msg, "mis à jour") {
		t.Errorf("attendance: %q", msg)
	}
	left, err := chromedp.Run(octx, chromedp.Evaluate[int](`[...document.querySelectorAll('#presences select[name^="status_"]')].filter(s => s.value === 'inscrit').length`))
	if err != nil || left != 0 {
		t.Errorf("%d participants still not noted after « Tous présents » (%v)", left, err)
	}
}
