package web_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kairos"
	"kairos/api"
	"kairos/config"
	"kairos/fixture"
	"kairos/metrics"
	"kairos/web"
)

type env struct {
	*fixture.World
	srv *httptest.Server
}

func newEnv(t *testing.T) *env { return newEnvWith(t, map[string]string{"KAIROS_DEMO": "1"}) }

func newEnvWith(t *testing.T, vars map[string]string) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := web.New(&web.Server{Cfg: cfg, DB: acc.DB, Accounts: acc, Log: log, Metrics: metrics.New(),
		API: api.New(acc, log).Handler(), Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{World: w, srv: srv}
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (e *env) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: e.srv.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// post submits a form to path with the CSRF token of the page at from.
func (c *client) post(from, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	_, page := c.get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf_token", m[1])
	return c.rawPost(path, form, nil)
}

func (c *client) rawPost(path string, form url.Values, header map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) login(email string) {
	c.t.Helper()
	resp, body := c.post("/connexion", "/connexion", url.Values{"email": {email}, "password": {fixture.Password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accueil" {
		c.t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
}

var navRE = regexp.MustCompile(`class="fr-nav__link" href="([^"]+)"`)

func TestEveryRoleSeesOnlyItsMenu(t *testing.T) {
	e := newEnv(t)
	// In the bar's order: a group's entries where its first entry stands;
	// « Mon compte » is the header's button, not an entry of the bar.
	want := map[kairos.Role][]string{
		kairos.RoleOFAdmin:        {"/accueil", "/mon-organisme", "/organisme/utilisateurs", "/organisme/cles-api", "/catalogue", "/organisme/offre"},
		kairos.RoleOFUser:         {"/accueil", "/catalogue", "/organisme/offre"},
		kairos.RoleConseiller:     {"/accueil", "/catalogue"},
		kairos.RoleFTGestionnaire: {"/accueil", "/adhesions", "/catalogue"},
		kairos.RoleFTComptable:    {"/accueil", "/catalogue"},
		kairos.RoleCarif:          {"/accueil", "/catalogue", "/catalogue/imports"},
		kairos.RoleDemandeur:      {"/accueil", "/catalogue"},
		kairos.RoleAdmin:          {"/accueil", "/admin/utilisateurs", "/admin/journal"},
	}
	allPaths := map[string]bool{}
	for _, ps := range want {
		for _, p := range ps {
			allPaths[p] = true
		}
	}
	for _, role := range kairos.Roles {
		t.Run(string(role), func(t *testing.T) {
			c := e.client(t)
			c.login(e.Users[role].Email)
			status, body := c.get("/accueil")
			if status != 200 || !strings.Contains(body, e.Users[role].Name) || !strings.Contains(body, html.EscapeString(role.Label())) {
				t.Fatalf("home: %d", status)
			}
			var got []string
			for _, m := range navRE.FindAllStringSubmatch(body, -1) {
				got = append(got, m[1])
			}
			if !strings.Contains(body, `href="/compte">`) {
				t.Error("the header has no link to « Mon compte »")
			}
			if !slices.Equal(got, want[role]) {
				t.Fatalf("menu %v, want %v", got, want[role])
			}
			// What is not in the menu is refused by the server too.
			for p := range allPaths {
				if slices.Contains(want[role], p) {
					continue
				}
				if status, _ := c.get(p); status != http.StatusForbidden {
					t.Errorf("GET %s: %d, want 403", p, status)
				}
			}
		})
	}
}

func TestOtherTenantsObjectsAreNotFound(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	own := e.Users[kairos.RoleOFUser]
	if status, body := c.get("/organisme/utilisateurs/" + itoa(own.ID)); status != 200 || !strings.Contains(body, own.Email) {
		t.Fatalf("own user: %d", status)
	}
	other := e.OFBUser
	status, body := c.get("/organisme/utilisateurs/" + itoa(other.ID))
	if status != http.StatusNotFound || strings.Contains(body, other.Email) || strings.Contains(body, other.Name) {
		t.Fatalf("other OF's user: %d", status)
	}
	if !strings.Contains(body, "Page non trouvée") {
		t.Error("404 page is not the French one")
	}
	resp, _ := c.post("/organisme/utilisateurs", "/organisme/utilisateurs/"+itoa(other.ID)+"/habilitations", url.Values{"habilitations": {"devis"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST on other OF's user: %d", resp.StatusCode)
	}
	u, err := e.Acc.User(fixture.Ctx(), other.ID)
	if err != nil || u.Habilitations.Has(kairos.HabDevis) {
		t.Fatal("other OF's user was changed")
	}
	status, body = c.get("/organisme/utilisateurs")
	if strings.Contains(body, other.Email) {
		t.Fatal("other OF's user listed")
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	form := url.Values{"email": {e.Users[kairos.RoleAdmin].Email}, "password": {fixture.Password}}
	// No token at all.
	c.get("/connexion")
	if resp, body := c.rawPost("/connexion", form, nil); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "formulaire a expiré") {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	// A forged token.
	form.Set("csrf_token", "forged")
	if resp, _ := c.rawPost("/connexion", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
	// Another client's valid token does not match this client's cookie.
	other := e.client(t)
	_, page := other.get("/connexion")
	form.Set("csrf_token", csrfRE.FindStringSubmatch(page)[1])
	if resp, _ := c.rawPost("/connexion", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("token of another browser: %d", resp.StatusCode)
	}
	// A valid token, but the request comes from another site.
	_, page = c.get("/connexion")
	form.Set("csrf_token", csrfRE.FindStringSubmatch(page)[1])
	if resp, _ := c.rawPost("/connexion", form, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin: %d", resp.StatusCode)
	}
	// The same request, same-origin, passes.
	if resp, _ := c.rawPost("/connexion", form, map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid: %d", resp.StatusCode)
	}
	// Logged in: a state change without token is refused and changes nothing.
	c.get("/accueil")
	if resp, _ := c.rawPost("/deconnexion", url.Values{}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without token: %d", resp.StatusCode)
	}
	if status, _ := c.get("/accueil"); status != 200 {
		t.Fatal("session ended by a forged request")
	}
}

func TestLoginThrottledAfterFiveWrongPasswords(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	email := e.Users[kairos.RoleConseiller].Email
	for i := range 5 {
		resp, body := c.post("/connexion", "/connexion", url.Values{"email": {email}, "password": {"mauvais"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Adresse e-mail ou mot de passe incorrect") {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := c.post("/connexion", "/connexion", url.Values{"email": {email}, "password": {fixture.Password}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Trop de tentatives") {
		t.Fatalf("sixth attempt: %d", resp.StatusCode)
	}
	// Issue 16: the answer says when to come back.
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 15*60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
}

func TestSessionRenewedAtLoginAndEndedAtLogout(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleCarif].Email)
	u, _ := url.Parse(e.srv.URL)
	first := sessionCookie(c, u)
	// Logging in again (from a form of the logged-in session) issues a new id.
	resp, _ := c.post("/accueil", "/connexion", url.Values{"email": {e.Users[kairos.RoleCarif].Email}, "password": {fixture.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second login: %d", resp.StatusCode)
	}
	second := sessionCookie(c, u)
	if first == "" || first == second {
		t.Fatal("session id not renewed at login")
	}
	// The old session id is dead.
	stale := e.client(t)
	stale.http.Jar.SetCookies(u, []*http.Cookie{{Name: "kairos_session", Value: first}})
	if status, _ := stale.get("/accueil"); status != http.StatusSeeOther {
		t.Fatalf("old session still valid: %d", status)
	}
	resp, _ = c.post("/accueil", "/deconnexion", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	reuse := e.client(t)
	reuse.http.Jar.SetCookies(u, []*http.Cookie{{Name: "kairos_session", Value: second}})
	if status, _ := reuse.get("/accueil"); status != http.StatusSeeOther {
		t.Fatalf("session valid after logout: %d", status)
	}
}

func sessionCookie(c *client, u *url.URL) string {
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "kairos_session" {
			return ck.Value
		}
	}
	return ""
}

func TestCookiesAndSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	resp, _ := c.post("/connexion", "/connexion", url.Values{"email": {e.Users[kairos.RoleAdmin].Email}, "password": {fixture.Password}})
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "kairos_session" {
			sess = ck
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", sess)
	}
	r, err := http.Get(e.srv.URL + "/connexion")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q", h, got)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
}

func TestNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	for _, p := range []string{"/connexion", "/accueil", "/organisme/utilisateurs", "/organisme/utilisateurs/inviter", "/organisme/cles-api", "/compte"} {
		_, body := c.get(p)
		if regexp.MustCompile(`<script(?: [^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
			t.Errorf("%s has inline script or style", p)
		}
	}
}

func TestFormErrorsShownNextToFieldsAndValuesKept(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	resp, body := c.post("/organisme/utilisateurs/inviter", "/organisme/utilisateurs", url.Values{"name": {"Jeanne Petit"}, "email": {"jeanne.petit@"}, "habilitations": {"rdv", "bilan"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(body, `id="email-erreur"`) || !strings.Contains(body, "adresse e-mail valide") || !strings.Contains(body, `value="Jeanne Petit"`) {
		t.Fatal("error not next to the field, or value lost")
	}
	if !regexp.MustCompile(`value="rdv" checked`).MatchString(body) || regexp.MustCompile(`value="devis" checked`).MatchString(body) {
		t.Fatal("checkboxes not kept")
	}
}

func TestInviteThenActivateThroughMailbox(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	resp, _ := c.post("/organisme/utilisateurs/inviter", "/organisme/utilisateurs", url.Values{"name": {"Jeanne Petit"}, "email": {"jeanne.petit@a.example"}, "habilitations": {"assiduite"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", resp.StatusCode)
	}
	anon := e.client(t)
	_, box := anon.get("/dev/courriels")
	m := regexp.MustCompile(`href="(/dev/courriels/\d+)">Activez votre compte Kairos`).FindStringSubmatch(box)
	if m == nil {
		t.Fatal("no activation mail in the dev mailbox")
	}
	_, msg := anon.get(m[1])
	link := regexp.MustCompile(`href="http://[^/"]+(/mot-de-passe/nouveau\?token=[^"]+)"`).FindStringSubmatch(msg)
	if link == nil {
		t.Fatal("no link in the mail")
	}
	path := strings.ReplaceAll(link[1], "&amp;", "&")
	tok := strings.TrimPrefix(path, "/mot-de-passe/nouveau?token=")
	resp, body := anon.post(path, "/mot-de-passe/nouveau", url.Values{"token": {tok}, "password": {"phrase de passe de Jeanne"}, "confirmation": {"phrase de passe différente"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "ne sont pas identiques") {
		t.Fatalf("mismatch: %d", resp.StatusCode)
	}
	resp, _ = anon.post(path, "/mot-de-passe/nouveau", url.Values{"token": {tok}, "password": {"phrase de passe de Jeanne"}, "confirmation": {"phrase de passe de Jeanne"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", resp.StatusCode)
	}
	if status, body := anon.get(path); status != http.StatusGone || !strings.Contains(body, "Lien non valable") {
		t.Fatalf("used link: %d", status)
	}
	resp, _ = anon.post("/connexion", "/connexion", url.Values{"email": {"jeanne.petit@a.example"}, "password": {"phrase de passe de Jeanne"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	_, home := anon.get("/accueil")
	if !strings.Contains(home, "Assiduité") {
		t.Fatal("habilitation not shown on home")
	}
}

func TestErrorPagesInFrench(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	if status, body := c.get("/nulle-part"); status != 404 || !strings.Contains(body, "Page non trouvée") || !strings.Contains(body, `lang="fr"`) {
		t.Fatalf("404: %d", status)
	}
	if status, _ := c.get("/accueil"); status != http.StatusSeeOther {
		t.Fatalf("anonymous home: %d", status)
	}
	c.login(e.Users[kairos.RoleDemandeur].Email)
	if status, body := c.get("/admin/journal"); status != 403 || !strings.Contains(body, "Accès refusé") {
		t.Fatalf("403: %d", status)
	}
}

func TestAuditLogBrowsable(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	c.post("/organisme/cles-api", "/organisme/cles-api", url.Values{"name": {"Logiciel ERP"}})
	admin := e.client(t)
	admin.login(e.Users[kairos.RoleAdmin].Email)
	status, body := admin.get("/admin/journal?q=apikey")
	if status != 200 || !strings.Contains(body, "apikey.create") || !strings.Contains(body, "Logiciel ERP") || !strings.Contains(body, "127.0.0.1") {
		t.Fatalf("audit: %d", status)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	if status, body := c.get("/healthz"); status != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz %d %s", status, body)
	}
	c.get("/connexion")
	// Issue 16: /metrics is not public.
	if status, _ := c.get("/metrics"); status != 404 {
		t.Fatalf("anonymous /metrics: %d", status)
	}
	c.login(e.Users[kairos.RoleAdmin].Email)
	if status, body := c.get("/metrics"); status != 200 || !strings.Contains(body, `kairos_http_requests_total{method="GET",route="GET /connexion",code="2xx"}`) {
		t.Fatalf("metrics %d\n%s", status, body)
	}
}

func itoa(n int64) string { return strconvFormat(n) }

func TestSecureCookiesBehindTLS(t *testing.T) {
	e := newEnvWith(t, map[string]string{"KAIROS_BASE_URL": "https://kairos.example.fr"})
	// Secure cookies are not sent back over this test's plain HTTP, so the
	// test carries the CSRF cookie by hand.
	resp, err := http.Get(e.srv.URL + "/connexion")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var csrf *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-kairos_csrf" { // issue 16: the __Host- prefix behind TLS
			csrf = ck
		}
	}
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly {
		t.Fatalf("csrf cookie %+v", csrf)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind TLS")
	}
	form := url.Values{"email": {e.Users[kairos.RoleAdmin].Email}, "password": {fixture.Password}, "csrf_token": {csrfRE.FindStringSubmatch(string(page))[1]}}
	post, _ := http.NewRequest("POST", e.srv.URL+"/connexion", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(&http.Cookie{Name: "__Host-kairos_csrf", Value: csrf.Value})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Name, "kairos_session") {
			sess = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || sess == nil || sess.Name != "__Host-kairos_session" || !sess.Secure || !sess.HttpOnly || sess.Path != "/" || sess.Domain != "" {
		t.Fatalf("login %d, session cookie %+v", resp.StatusCode, sess)
	}
}

// A live page's background refresh (static/live.js sends X-Kairos-Live)
// must not spend the one-time message meant for the page the user is sent
// to: it lost the confirmation of an action whenever a change event crossed
// the redirect.
func TestLiveRefreshLeavesTheFlash(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	resp, _ := c.post("/accueil", "/deconnexion", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	const msg = "Vous êtes déconnecté"
	req, _ := http.NewRequest("GET", c.base+"/connexion", nil)
	req.Header.Set("X-Kairos-Live", "1")
	live, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(live.Body)
	live.Body.Close()
	if strings.Contains(string(b), msg) {
		t.Error("the live refresh showed (and spent) the flash")
	}
	if _, body := c.get("/connexion"); !strings.Contains(body, msg) {
		t.Error("the flash is lost after a live refresh")
	}
	if _, body := c.get("/connexion"); strings.Contains(body, msg) {
		t.Error("the flash is shown twice")
	}
}
