package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kairos/demo"
	"kairos/store/storetest"
)

// axeSource is axe-core, installed from the npm package pinned in
// package-lock.json (make assets). It is injected through the DevTools
// protocol: the pages' CSP forbids inline scripts.
func axeSource(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is required in CI (make assets): %v", err)
		}
		t.Skipf("axe-core not installed (make assets): %v", err)
	}
	return string(b)
}

// axeViolation is one failed axe rule on a page.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

const axeRun = `axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})
  .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160))})))`

// skipLink tells the links the crawler does not follow: downloads, the
// logout, the API, the calendar feed, the static files.
var skipLink = regexp.MustCompile(`\.(pdf|csv|xml|ics|json)$|^/(deconnexion|api/|static/|agenda/|metrics|healthz|dev/courriels/\d+/pieces-jointes)`)

var idSegment = regexp.MustCompile(`/\d+(/|$)`)

// pagePattern is the route a URL stands for: one page per pattern is checked.
func pagePattern(path string) string {
	for idSegment.MatchString(path) {
		path = idSegment.ReplaceAllString(path, "/{id}$1")
	}
	return path
}

// a11yPage loads u and checks it at both widths: axe-core's serious and
// critical violations, and at 375 px no horizontal scroll of the body.
func a11yPage(ctx context.Context, axe, u string) (problems []string, links []string, err error) {
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			return nil, nil, err
		}
		if width == 1280 {
			if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
				return nil, nil, err
			}
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
				return nil, nil, fmt.Errorf("inject axe: %w", err)
			}
			links, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('a[href]')].map(a => a.href)`))
			if err != nil {
				return nil, nil, err
			}
		}
		vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			return nil, nil, fmt.Errorf("axe: %w", err)
		}
		for _, v := range vs {
			problems = append(problems, fmt.Sprintf("%d px: axe %s (%s): %s %v", width, v.ID, v.Impact, v.Help, v.Nodes))
		}
		if width == 375 {
			over, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
				const d = document.documentElement;
				if (d.scrollWidth <= d.clientWidth) return [];
				return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > d.clientWidth + 1)
				  .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.') + ' right=' + Math.round(e.getBoundingClientRect().right));
			})()`))
			if err != nil {
				return nil, nil, err
			}
			if len(over) > 0 {
				problems = append(problems, fmt.Sprintf("375 px: the page scrolls horizontally: %v", over))
			}
		}
	}
	return problems, links, nil
}

// TestAccessibilityEveryPage logs in as each demo role (and anonymously),
// follows every link of the portal from the home page, one page per route
// pattern, and checks each page at 1280 px and 375 px with axe-core: no
// serious or critical violation, no horizontal scroll of the body on a phone.
// One chromium process for the whole test; one browser context per role.
func TestAccessibilityEveryPage(t *testing.T) {
	if os.Getenv("KAIROS_TEST_DATABASE_URL") != "" {
		// The pages are the same on either engine: the crawl (minutes) runs
		// in the SQLite suite only, to keep CI within its time.
		t.Skip("the accessibility crawl runs in the SQLite suite")
	}
	axe := axeSource(t)
	ctx := newChromeFor(t, 15*time.Minute)
	in := MustStart(t, storetest.URL(t))
	base := mustURL(in.URL)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	type who struct{ role, email string }
	roles := []who{{"anonyme", ""}}
	for _, a := range demo.Accounts {
		roles = append(roles, who{string(a.Role), a.Email})
	}
	const perRole = 60
	checked, failed := 0, 0
	// The public information pages and the demo mailbox are the same for
	// every role but for the header, which every other page checks: they
	// are checked once, by the first role that reaches them.
	shared := map[string]bool{"/accessibilite": false, "/mentions-legales": false, "/donnees-personnelles": false, "/conditions-utilisation": false,
		"/etat-du-service": false, "/dev/courriels": false, "/dev/courriels/{id}": false, "/connexion": false, "/mot-de-passe/oublie": false, "/adherer": false}
	for _, w := range roles {
		rctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		start := "/"
		if err := chromedp.Do(rctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(in.URL+"/connexion"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
			cancel()
			t.Fatalf("%s: %v", w.role, err)
		}
		if w.email != "" {
			err := chromedp.Do(rctx,
				chromedp.SendKeys(chromedp.ID("email"), w.email),
				chromedp.SendKeys(chromedp.ID("password"), demo.Password),
				chromedp.Submit(chromedp.ID("password")),
				chromedp.WaitVisible(chromedp.ID("navigation-principale")),
			)
			if err != nil {
				cancel()
				t.Fatalf("%s: login: %v", w.role, err)
			}
			start = "/accueil"
		}
		seen := map[string]bool{pagePattern(start): true}
		queue := []string{in.URL + start}
		if w.email == "" {
			for _, p := range []string{"/connexion", "/adherer", "/mot-de-passe/oublie"} {
				seen[p] = true
				shared[p] = true
				queue = append(queue, in.URL+p)
			}
		}
		n := 0
		for len(queue) > 0 && n < perRole {
			u := queue[0]
			queue = queue[1:]
			n++
			pctx, pcancel := context.WithTimeout(rctx, 30*time.Second)
			t0 := time.Now()
			problems, links, err := a11yPage(pctx, axe, u)
			pcancel()
			if testing.Verbose() {
				t.Logf("%s %s: %v", w.role, strings.TrimPrefix(u, in.URL), time.Since(t0).Round(time.Millisecond))
			}
			if err != nil {
				t.Errorf("%s %s: %v", w.role, u, err)
				continue
			}
			checked++
			if len(problems) > 0 {
				failed++
				t.Errorf("%s %s:\n  %s", w.role, strings.TrimPrefix(u, in.URL), strings.Join(problems, "\n  "))
			}
			sort.Strings(links)
			for _, l := range links {
				lu, err := url.Parse(l)
				if err != nil || lu.Host != base.Host || skipLink.MatchString(lu.Path) {
					continue
				}
				p := pagePattern(lu.Path)
				if seen[p] {
					continue
				}
				seen[p] = true
				if done, ok := shared[p]; ok {
					if done {
						continue
					}
					shared[p] = true
				}
				lu.Fragment = ""
				queue = append(queue, lu.String())
			}
		}
		cancel()
		t.Logf("%s: %d pages checked (%d left unvisited)", w.role, n, len(queue))
	}
	t.Logf("%d pages checked at 1280 and 375 px, %d with problems", checked, failed)
	if checked < 40 {
		t.Errorf("only %d pages checked: the crawl did not reach the portal", checked)
	}
}
