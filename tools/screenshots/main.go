// Command screenshots logs in to a running Kairos (demo mode) with headless
// chromium as each demo role and saves a PNG of each page it is given, so
// that a developer can look at what users see.
//
// Usage: go run ./tools/screenshots -base http://127.0.0.1:8080 -out /tmp/shots \
//
//	[-width 1280] anonymous:/connexion of_admin:/accueil of_admin:/organisme/utilisateurs …
//
// Each argument is ROLE:PATH (ROLE "anonymous" for no login).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"kairos"
	"kairos/demo"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "URL of a running kairos serve with KAIROS_DEMO=1")
	out := flag.String("out", "shots", "output folder")
	width := flag.Int("width", 1280, "window width")
	flag.Parse()
	if err := run(*base, *out, *width, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(base, out string, width int, pages []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	byRole := map[string][]string{}
	var order []string
	for _, p := range pages {
		role, path, ok := strings.Cut(p, ":")
		if !ok {
			return fmt.Errorf("%q: want ROLE:PATH", p)
		}
		if _, seen := byRole[role]; !seen {
			order = append(order, role)
		}
		byRole[role] = append(byRole[role], path)
	}
	for _, role := range order {
		if err := shootRole(base, out, width, role, byRole[role]); err != nil {
			return fmt.Errorf("%s: %w", role, err)
		}
	}
	return nil
}

func shootRole(base, out string, width int, role string, paths []string) error {
	dir, err := os.MkdirTemp("", "kairos-shots")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath("chromium"), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(dir), chromedp.WindowSize(width, 900))
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	if role != "anonymous" {
		var email string
		for _, a := range demo.Accounts {
			if string(a.Role) == role {
				email = a.Email
			}
		}
		if email == "" {
			return fmt.Errorf("no demo account for role %q (roles: %v)", role, kairos.Roles)
		}
		if err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/connexion"),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), demo.Password),
			chromedp.Submit(chromedp.ID("password")),
			chromedp.WaitVisible(chromedp.ID("navigation-principale")),
		); err != nil {
			return fmt.Errorf("login: %w", err)
		}
	}
	// The window cannot be narrower than 500 px in headless chromium: a
	// phone's width is emulated.
	if width < 500 {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900)); err != nil {
			return err
		}
	}
	for _, p := range paths {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return err
		}
		name := role + strings.NewReplacer("/", "_", "?", "_", "=", "-", "&", "_").Replace(p) + ".png"
		if err := os.WriteFile(filepath.Join(out, name), png, 0o644); err != nil {
			return err
		}
		fmt.Println(filepath.Join(out, name))
	}
	return nil
}
