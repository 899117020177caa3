package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kairos/demo"
	"kairos/store/storetest"
)

// chromium finds Debian's chromium. CI installs it (.ci/run); elsewhere the
// browser tests are skipped with a message, never silently passed.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is required in CI (apt-get install chromium)")
	}
	t.Skip("chromium not installed: apt-get install chromium")
	return ""
}

// NewChrome starts a headless chromium for the test (60 s at most).
func NewChrome(t *testing.T) context.Context { t.Helper(); return newChromeFor(t, 60*time.Second) }

// newChromeFor starts a headless chromium that lives at most d.
func newChromeFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

func TestBrowserLoginShowsHome(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	rgc := demo.Accounts[0]
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/"),
		chromedp.Click(chromedp.CSS(`main a.fr-btn[href="/connexion"]`)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), rgc.Email),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Submit(chromedp.ID("password")),
		// The menu exists only for a logged-in user: its presence means the home page is loaded.
		chromedp.WaitVisible(chromedp.ID("navigation-principale")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil {
		t.Fatal(err)
	}
	nav, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("navigation-principale"))) // with the drop-downs' entries
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/accueil") || h1 != "Bonjour "+rgc.Name {
		t.Fatalf("after login: %s, h1 %q", url, h1)
	}
	for _, want := range []string{"Accueil", "Organisme et API", "Utilisateurs", "Clés d'API"} {
		if !strings.Contains(nav, want) {
			t.Errorf("menu lacks %q: %q", want, nav)
		}
	}
	if strings.Contains(nav, "Journal d'audit") {
		t.Error("the OF's menu shows the admin's entries")
	}
	saveShot(t, "accueil.png", shot)
}

// saveShot keeps a screenshot in $KAIROS_SCREENSHOT_DIR when set, to look at
// what the test saw.
func saveShot(t *testing.T, name string, b []byte) {
	if dir := os.Getenv("KAIROS_SCREENSHOT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Error(err)
		}
	}
}
