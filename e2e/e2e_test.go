// Package e2e tests the real kairos binary over HTTP (and, in browser_test.go,
// through Debian's chromium): it builds the binary once, starts instances on
// random ports on a fresh database (SQLite, or PostgreSQL when
// KAIROS_TEST_DATABASE_URL is set) and stops them with SIGTERM.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kairos/calendar"
	"kairos/demo"
	"kairos/fixture"
	"kairos/store/storetest"
)

var binary string

// testNow is the instant every instance lives at (KAIROS_NOW): the system
// clock's, or KAIROS_TEST_NOW's when CI replays the suite on a given day.
var testNow time.Time

// today is testNow's civil date in Paris.
func today() calendar.Date { return calendar.DateOf(testNow) }

func TestMain(m *testing.M) {
	var err error
	if testNow, err = fixture.TestNow(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "e2e: the instances live at %s\n", testNow.Format(time.RFC3339))
	dir, err := os.MkdirTemp("", "kairos-e2e")
	if err != nil {
		panic(err)
	}
	// KAIROS_E2E_BINARY: a kairos binary already built from this tree (CI
	// builds it once for its nine pinned-date runs); otherwise built here.
	if binary = os.Getenv("KAIROS_E2E_BINARY"); binary == "" {
		binary = filepath.Join(dir, "kairos")
		out, err := exec.Command("go", "build", "-o", binary, "kairos/cmd/kairos").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Instance is a running `kairos serve`.
type Instance struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
	stop func() // SIGTERM and wait for a clean exit, once
}

// Stop stops the instance now (SIGTERM), checking it exits cleanly.
func (in *Instance) Stop() { in.stop() }

func freePort(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func baseEnv(dbURL string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "KAIROS_DATABASE_URL=" + dbURL, "KAIROS_DEMO=1", "KAIROS_LOG_FORMAT=text",
		"KAIROS_NOW=" + testNow.Format(time.RFC3339)}
	return env
}

// MustStart starts an instance on dbURL and waits until it answers /healthz.
// It is stopped with SIGTERM at the end of the test, and must exit cleanly.
func MustStart(tb testing.TB, dbURL string, env ...string) *Instance {
	tb.Helper()
	return mustStart(tb, 1, dbURL, env...)
}

// mustStart is MustStart's attempt number attempt: the port freePort found
// free may be taken by another process before the instance binds it (the
// packages' tests run beside each other), and the instance is then started
// again on another port, up to three times.
func mustStart(tb testing.TB, attempt int, dbURL string, env ...string) *Instance {
	tb.Helper()
	addr := freePort(tb)
	in := &Instance{URL: "http://" + addr, logs: &syncBuffer{}}
	in.cmd = exec.Command(binary, "serve")
	in.cmd.Env = append(append(baseEnv(dbURL), "KAIROS_ADDR="+addr, "KAIROS_BASE_URL="+in.URL), env...)
	in.cmd.Stdout, in.cmd.Stderr = in.logs, in.logs
	if err := in.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- in.cmd.Wait() }()
	var once sync.Once
	in.stop = func() {
		once.Do(func() {
			in.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("kairos serve did not exit cleanly on SIGTERM: %v\n%s", err, in.logs)
				}
			case <-time.After(25 * time.Second):
				in.cmd.Process.Kill()
				tb.Errorf("kairos serve did not stop within 25 s of SIGTERM\n%s", in.logs)
			}
		})
	}
	tb.Cleanup(in.stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			if attempt < 3 && strings.Contains(in.logs.String(), "address already in use") {
				once.Do(func() {}) // it exited: nothing to stop
				return mustStart(tb, attempt+1, dbURL, env...)
			}
			done <- err // for stop
			tb.Fatalf("kairos serve exited: %v\n%s", err, in.logs)
		default:
		}
		resp, err := http.Get(in.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return in
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("kairos serve not healthy after 30 s\n%s", in.logs)
	return nil
}

// Browser is a cookie-keeping HTTP client, like a person's browser.
type Browser struct {
	tb   testing.TB
	http *http.Client
}

func NewBrowser(tb testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{tb: tb, http: &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *Browser) Get(u string) (int, string) {
	b.tb.Helper()
	resp, err := b.http.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Submit fetches the page from (for its CSRF token) and posts form to action.
func (b *Browser) Submit(from, action string, form url.Values) (int, string) {
	b.tb.Helper()
	_, page := b.Get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.tb.Fatalf("no form token on %s", from)
	}
	form.Set("csrf_token", m[1])
	resp, err := b.http.PostForm(action, form)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location") + "\n" + string(body)
}

func (b *Browser) Login(in *Instance, email, password string) int {
	b.tb.Helper()
	status, _ := b.Submit(in.URL+"/connexion", in.URL+"/connexion", url.Values{"email": {email}, "password": {password}})
	return status
}

var navRE = regexp.MustCompile(`class="fr-nav__link" href="([^"]+)"`)

func TestEveryDemoRoleLogsIn(t *testing.T) {
	in := MustStart(t, storetest.URL(t))
	b := NewBrowser(t)
	_, page := b.Get(in.URL + "/connexion")
	for _, a := range demo.Accounts {
		if !strings.Contains(page, a.Email) {
			t.Errorf("login page does not list the demo account %s", a.Email)
		}
	}
	menus := map[string]bool{}
	for _, a := range demo.Accounts {
		t.Run(string(a.Role), func(t *testing.T) {
			b := NewBrowser(t)
			if status := b.Login(in, a.Email, demo.Password); status != http.StatusSeeOther {
				t.Fatalf("login: %d", status)
			}
			status, home := b.Get(in.URL + "/accueil")
			if status != 200 || !strings.Contains(home, html.EscapeString(a.Name)) || !strings.Contains(home, html.EscapeString(a.Role.Label())) {
				t.Fatalf("home: %d", status)
			}
			var nav []string
			for _, m := range navRE.FindAllStringSubmatch(home, -1) {
				nav = append(nav, m[1])
				if status, _ := b.Get(in.URL + m[1]); status != 200 {
					t.Errorf("menu entry %s answers %d", m[1], status)
				}
			}
			menus[strings.Join(nav, " ")] = true
		})
	}
	if len(menus) < 3 {
		t.Errorf("roles do not have their own menus: %v", menus)
	}
}

func TestTwoInstancesShareOneDatabase(t *testing.T) {
	dbURL := storetest.URL(t)
	a := MustStart(t, dbURL)
	b := MustStart(t, dbURL)
	rgc := demo.Accounts[0]

	// A session opened on A is valid on B; a form served by A posts to B.
	br := NewBrowser(t)
	if status := br.Login(a, rgc.Email, demo.Password); status != http.StatusSeeOther {
		t.Fatalf("login on A: %d", status)
	}
	for _, c := range br.http.Jar.Cookies(mustURL(a.URL)) {
		br.http.Jar.SetCookies(mustURL(b.URL), []*http.Cookie{c})
	}
	if status, home := br.Get(b.URL + "/accueil"); status != 200 || !strings.Contains(home, rgc.Name) {
		t.Fatalf("session from A on B: %d", status)
	}
	status, body := br.Submit(a.URL+"/organisme/utilisateurs/inviter", b.URL+"/organisme/utilisateurs",
		url.Values{"name": {"Inès Moreau"}, "email": {"ines.moreau@formapro-occitanie.example"}, "habilitations": {"assiduite"}})
	if status != http.StatusSeeOther {
		t.Fatalf("form from A posted to B: %d %s", status, body)
	}

	// Failed logins counted across instances: 3 on A, 2 on B, then throttled on both.
	victim := demo.Accounts[2].Email
	for i, in := range []*Instance{a, a, a, b, b} {
		if status := NewBrowser(t).Login(in, victim, "mauvais mot de passe"); status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, status)
		}
	}
	for _, in := range []*Instance{a, b} {
		if status := NewBrowser(t).Login(in, victim, demo.Password); status != http.StatusTooManyRequests {
			t.Fatalf("throttling not shared: %d on %s", status, in.URL)
		}
	}

	// Both workers run; the invitation mail is delivered exactly once.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, box := NewBrowser(t).Get(b.URL + "/dev/courriels")
		n := strings.Count(box, "ines.moreau@formapro-occitanie.example")
		if n > 1 {
			t.Fatalf("%d mails for one invitation", n)
		}
		if n == 1 && strings.Contains(box, "Conservé") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invitation mail not delivered by either worker")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func runCLI(t *testing.T, dbURL string, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = baseEnv(dbURL)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCommandLine(t *testing.T) {
	dbURL := storetest.URL(t)
	out, err := runCLI(t, dbURL, "", "migrate")
	if err != nil || !strings.Contains(out, "0001_foundation") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if out, _ := runCLI(t, dbURL, "", "migrate"); !strings.Contains(out, "aucune migration") {
		t.Fatalf("second migrate: %s", out)
	}
	out, err = runCLI(t, dbURL, "", "demo")
	if err != nil || !strings.Contains(out, "8 organisation(s) et 12 compte(s) créés") {
		t.Fatalf("demo: %v %s", err, out)
	}
	if out, _ := runCLI(t, dbURL, "", "demo"); !strings.Contains(out, "0 organisation(s) et 0 compte(s) créés") {
		t.Fatalf("demo is not idempotent: %s", out)
	}
	out, err = runCLI(t, dbURL, "une phrase de passe robuste\n", "user", "create", "--email", "chef@formapro-occitanie.example", "--name", "Chef de projet",
		"--role", "of_user", "--org", "Formapro Occitanie", "--habilitations", "rdv,devis", "--password-stdin")
	if err != nil || !strings.Contains(out, "créé") {
		t.Fatalf("user create: %v %s", err, out)
	}
	out, err = runCLI(t, dbURL, "", "user", "create", "--email", "pas-une-adresse", "--name", "X", "--role", "demandeur")
	if err == nil || !strings.Contains(out, "--email") {
		t.Fatalf("bad user create must fail and name the field: %s", out)
	}
	out, err = runCLI(t, dbURL, "", "apikey", "create", "--org", "Formapro Occitanie", "--name", "Script d'import")
	if err != nil || !strings.HasPrefix(out, "kairos_") {
		t.Fatalf("apikey create: %v %s", err, out)
	}
	token := strings.TrimSpace(out)
	if out, err := runCLI(t, dbURL, "", "version"); err != nil || !strings.HasPrefix(out, "kairos ") {
		t.Fatalf("version: %s", out)
	}
	if _, err := runCLI(t, dbURL, "", "inconnue"); err == nil {
		t.Fatal("unknown command accepted")
	}

	in := MustStart(t, dbURL)
	b := NewBrowser(t)
	if status := b.Login(in, "chef@formapro-occitanie.example", "une phrase de passe robuste"); status != http.StatusSeeOther {
		t.Fatalf("created user cannot log in: %d", status)
	}
	req, _ := http.NewRequestWithContext(context.Background(), "GET", in.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Formapro Occitanie") {
		t.Fatalf("api key from the CLI: %d %s", resp.StatusCode, body)
	}
}
