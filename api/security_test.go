package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/fixture"
)

func rawCall(t *testing.T, base, key, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Issue 16, findings 7, 8 and 9: bad bytes in JSON and query strings are
// refused at the edge with 422 and a French message naming the field (never
// a 500 from either engine); a title with a header injection is refused; a
// year-9999 appointment too; an accounting service's key is no manager.
func TestAPIRefusesBadInputAtTheEdge(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Appointments = &appointments.Service{DB: acc.DB, Clock: clock.Now, BaseURL: "http://kairos.test"}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")

	long := strings.Repeat("a", 60000)
	for _, c := range []struct{ name, method, path, body, field string }{
		{"NUL escaped in JSON", "POST", "/api/v1/adhesions", `{"raison_sociale":"a\u0000b"}`, "raison_sociale"},
		{"invalid UTF-8 in JSON", "POST", "/api/v1/adhesions", "{\"raison_sociale\":\"a\xff\xfeb\"}", "UTF-8"},
		{"control char in JSON", "POST", "/api/v1/users", `{"email":"x@y.fr","name":"a\u001bb"}`, "name"},
		{"header injection in a title", "POST", "/api/v1/appointments", `{"kind":"collectif","title":"x\r\nSet-Cookie: a=b","date":"2026-06-10","start":"09:00","end":"10:00","place":"Ici","capacity":3}`, "title"},
		{"1 MB e-mail", "POST", "/api/v1/users", `{"email":"` + strings.Repeat("a", 1<<20-100) + `@x.fr","name":"x"}`, "email"},
		{"60 000-character q", "GET", "/api/v1/users?q=" + long, "", "q"},
		{"NUL in q", "GET", "/api/v1/users?q=a%00b", "", "q"},
		{"invalid UTF-8 in q", "GET", "/api/v1/catalogue/sessions?q=%ff%fe", "", "q"},
	} {
		status, body := rawCall(t, srv.URL, ofKey, c.method, c.path, c.body)
		if status != 422 || !strings.Contains(body, c.field) || !strings.Contains(body, "refusé") {
			t.Errorf("%s: %d %.300s", c.name, status, body)
		}
	}
	// The same calls without bad bytes go through.
	if status, body := rawCall(t, srv.URL, ofKey, "GET", "/api/v1/users?q=test", ""); status != 200 {
		t.Errorf("clean q: %d %s", status, body)
	}
	far := `{"kind":"collectif","title":"ICO","date":"9999-06-10","start":"09:00","end":"10:00","place":"Ici","capacity":3}`
	if status, body := rawCall(t, srv.URL, ofKey, "POST", "/api/v1/appointments", far); status != 422 || !strings.Contains(body, "à l'avance") {
		t.Errorf("year 9999: %d %s", status, body)
	}
	ok := `{"kind":"collectif","title":"ICO\tCariste","date":"2026-06-10","start":"09:00","end":"10:00","place":"Ici","capacity":3,"comment":"ligne 1\nligne 2"}`
	if status, body := rawCall(t, srv.URL, ofKey, "POST", "/api/v1/appointments", ok); status != 422 || !strings.Contains(body, "title") {
		t.Errorf("a tab in a one-line field: %d %s", status, body)
	}
	ok = strings.Replace(ok, `\t`, " ", 1)
	if status, body := rawCall(t, srv.URL, ofKey, "POST", "/api/v1/appointments", ok); status != 201 {
		t.Errorf("new lines in a comment: %d %s", status, body)
	}

	// An accounting service's key acts as ft_comptable: it may not read or
	// decide adhesions.
	cpt := fixture.MustOrg(t, acc, kairos.OrgFTService, "Service comptable")
	fixture.MustUser(t, acc, cpt, kairos.RoleFTComptable, "compta@ft.example")
	_, cptKey, _ := acc.CreateAPIKey(ctx, kairos.System, cpt, "SI comptable")
	_, drKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.DR, "SI DR")
	if status, body := rawCall(t, srv.URL, cptKey, "GET", "/api/v1/me", ""); status != 200 || !strings.Contains(body, `"ft_comptable"`) {
		t.Errorf("accounting key: %d %s", status, body)
	}
	if status, _ := rawCall(t, srv.URL, cptKey, "GET", "/api/v1/adhesions", ""); status != 403 {
		t.Errorf("accounting key reads adhesions: %d", status)
	}
	if status, _ := rawCall(t, srv.URL, drKey, "GET", "/api/v1/adhesions", ""); status != 200 {
		t.Errorf("regional management key: %d", status)
	}
}
