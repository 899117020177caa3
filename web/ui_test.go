package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"kairos"
)

// A failed form opens with an error summary that takes the focus and links
// to each field in error, which carries aria-invalid and aria-describedby.
func TestFailedFormHasFocusedErrorSummaryLinkingToFields(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	resp, body := c.post("/organisme/utilisateurs/inviter", "/organisme/utilisateurs", url.Values{"name": {""}, "email": {"jeanne.petit@"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	summary := regexp.MustCompile(`(?s)<div class="[^"]*kairos-error-summary"[^>]*id="erreurs"[^>]*autofocus>(.*?)</div>`).FindStringSubmatch(body)
	if summary == nil {
		t.Fatalf("no focusable error summary:\n%s", body)
	}
	if !strings.Contains(summary[1], `href="#email"`) || !strings.Contains(summary[1], "erreurs") {
		t.Errorf("the summary does not link to the e-mail field: %s", summary[1])
	}
	if !regexp.MustCompile(`id="email"[^>]*aria-invalid="true" aria-describedby="email-erreur"`).MatchString(body) {
		t.Error("the field in error has no aria-invalid/aria-describedby")
	}
	if !strings.Contains(body, `src="/static/kairos.js`) {
		t.Error("kairos.js (which moves the focus) is not loaded")
	}
}

// The footer links to the accessibility statement, the legal notice, the
// personal data page, the terms and the state of the service; each is a page.
func TestLegalPagesLinkedFromFooter(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	_, home := c.get("/")
	for path, want := range map[string]string{
		"/accessibilite":          "partiellement conforme",
		"/mentions-legales":       "Mentions légales",
		"/donnees-personnelles":   "Vos droits",
		"/conditions-utilisation": "Engagements de l'organisme",
		"/etat-du-service":        "Kairos fonctionne normalement",
	} {
		if !strings.Contains(home, `href="`+path+`"`) {
			t.Errorf("footer: no link to %s", path)
		}
		code, body := c.get(path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q", path, code, want)
		}
	}
	_, body := c.get("/accessibilite")
	if !strings.Contains(body, "<h1>Déclaration d&#39;accessibilité</h1>") && !strings.Contains(body, "<h1>Déclaration d'accessibilité</h1>") {
		t.Error("the statement's title is not rendered as a heading")
	}
	if !strings.Contains(body, `<th scope="col">Critère</th>`) || !strings.Contains(body, "11.10") {
		t.Error("the RGAA criteria table is not rendered")
	}
	_, form := c.get("/adherer")
	if !regexp.MustCompile(`(?s)for="conditions">.*href="/conditions-utilisation"`).MatchString(form) {
		t.Error("the terms checkbox does not link to the terms")
	}
}

// On a page under a menu entry that is itself under another (Imports LHÉO
// under Catalogue), only one entry is the current page.
func TestOneCurrentMenuEntry(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleCarif].Email)
	code, body := c.get("/catalogue/imports")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	nav := body[strings.Index(body, `id="navigation-principale"`):]
	nav = nav[:strings.Index(nav, "</nav>")]
	if n := strings.Count(nav, `aria-current="page"`); n != 1 || !regexp.MustCompile(`href="/catalogue/imports" aria-current="page"`).MatchString(nav) {
		t.Errorf("%d current entries: %s", n, nav)
	}
}
