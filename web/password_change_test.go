package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kairos"
	"kairos/fixture"
)

func TestChangePasswordPage(t *testing.T) {
	e := newEnv(t)
	u := e.Users[kairos.RoleConseiller]
	c, other := e.client(t), e.client(t)
	c.login(u.Email)
	other.login(u.Email)
	if status, body := c.get("/compte"); status != 200 || !strings.Contains(body, `action="/compte/mot-de-passe"`) || !strings.Contains(body, `autocomplete="current-password"`) {
		t.Fatalf("/compte: %d", status)
	}
	const pw = "une nouvelle phrase de passe"
	resp, body := c.post("/compte", "/compte/mot-de-passe", url.Values{"current": {"pas le bon"}, "new": {pw}, "confirm": {pw}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Le mot de passe actuel est incorrect.") || !strings.Contains(body, `id="erreurs"`) ||
		!strings.Contains(body, `href="#current"`) || strings.Contains(body, pw) {
		t.Fatalf("wrong current password: %d", resp.StatusCode)
	}
	resp, body = c.post("/compte", "/compte/mot-de-passe", url.Values{"current": {fixture.Password}, "new": {pw}, "confirm": {"autre chose encore"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "La confirmation ne correspond pas") {
		t.Fatalf("confirmation: %d", resp.StatusCode)
	}
	resp, _ = c.post("/compte", "/compte/mot-de-passe", url.Values{"current": {fixture.Password}, "new": {pw}, "confirm": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/compte" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := c.get("/compte"); !strings.Contains(body, "Votre mot de passe est changé.") {
		t.Fatal("no confirmation, or this session was closed")
	}
	if status, _ := other.get("/compte"); status != http.StatusSeeOther {
		t.Fatalf("the other session still opens /compte: %d", status)
	}
	// Without a session or a CSRF token: refused.
	anon := e.client(t)
	if resp, _ := anon.post("/connexion", "/compte/mot-de-passe", url.Values{"current": {pw}, "new": {pw + "2"}, "confirm": {pw + "2"}}); resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/compte" {
		t.Fatal("anonymous change accepted")
	}
	if resp, _ := c.rawPost("/compte/mot-de-passe", url.Values{"current": {pw}, "new": {pw + "2"}, "confirm": {pw + "2"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", resp.StatusCode)
	}
}
