package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"kairos"
	"kairos/api"
	"kairos/fixture"
)

type env struct {
	*fixture.World
	srv  *httptest.Server
	keyA string
	keyB string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	_, keyA, err := acc.CreateAPIKey(context.Background(), w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	if err != nil {
		t.Fatal(err)
	}
	_, keyB, err := acc.CreateAPIKey(context.Background(), w.OFBAdmin.Actor(), w.OFB, "ERP B")
	if err != nil {
		t.Fatal(err)
	}
	return &env{World: w, srv: srv, keyA: keyA, keyB: keyB}
}

func (e *env) call(t *testing.T, key, path string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func wantProblem(t *testing.T, resp *http.Response, body map[string]any, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d (%v)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	if body["status"] != float64(status) || body["title"] == "" || body["detail"] == "" || !strings.HasPrefix(body["type"].(string), "urn:kairos:problem:") {
		t.Fatalf("problem %v", body)
	}
}

func TestMissingOrBadKeyIs401Problem(t *testing.T) {
	e := newEnv(t)
	for name, key := range map[string]string{"missing": "", "unknown": "kairos_inconnue", "malformed": "abc"} {
		t.Run(name, func(t *testing.T) {
			resp, body := e.call(t, key, "/api/v1/me")
			wantProblem(t, resp, body, 401)
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
		})
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("basic auth: %d", resp.StatusCode)
	}
}

func TestRevokedKeyIs401(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k, tok, err := e.Acc.CreateAPIKey(ctx, e.Users[kairos.RoleOFAdmin].Actor(), e.OFA, "À révoquer")
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.call(t, tok, "/api/v1/me"); resp.StatusCode != 200 {
		t.Fatalf("before revocation: %d", resp.StatusCode)
	}
	if err := e.Acc.RevokeAPIKey(ctx, e.Users[kairos.RoleOFAdmin].Actor(), k.ID); err != nil {
		t.Fatal(err)
	}
	resp, body := e.call(t, tok, "/api/v1/me")
	wantProblem(t, resp, body, 401)
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	resp, body := e.call(t, e.keyA, "/api/v1/me")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	org := body["organisation"].(map[string]any)
	if org["name"] != "Organisme A" || org["kind"] != "of" || body["role"] != "of_admin" || body["api_key"].(map[string]any)["name"] != "ERP A" {
		t.Fatalf("me %v", body)
	}
}

func TestOtherTenantsUserIs404(t *testing.T) {
	e := newEnv(t)
	own := e.Users[kairos.RoleOFUser]
	resp, body := e.call(t, e.keyA, "/api/v1/users/"+strconv.FormatInt(own.ID, 10))
	if resp.StatusCode != 200 || body["email"] != own.Email {
		t.Fatalf("own user: %d %v", resp.StatusCode, body)
	}
	resp, body = e.call(t, e.keyA, "/api/v1/users/"+strconv.FormatInt(e.OFBUser.ID, 10))
	wantProblem(t, resp, body, 404)
	if strings.Contains(body["detail"].(string), e.OFBUser.Email) {
		t.Fatal("leaked")
	}
	resp, body = e.call(t, e.keyA, "/api/v1/users")
	if resp.StatusCode != 200 || body["total"] != float64(2) {
		t.Fatalf("list: %v", body)
	}
	for _, it := range body["items"].([]any) {
		if it.(map[string]any)["org_id"] != float64(e.OFA) {
			t.Fatalf("listed %v", it)
		}
	}
	resp, body = e.call(t, e.keyA, "/api/v1/users?limit=0")
	wantProblem(t, resp, body, 422)
	if errs := body["errors"].([]any); errs[0].(map[string]any)["field"] != "limit" {
		t.Fatalf("errors %v", errs)
	}
}

func TestUnknownRouteIs404Problem(t *testing.T) {
	e := newEnv(t)
	resp, body := e.call(t, e.keyA, "/api/v1/nulle-part")
	wantProblem(t, resp, body, 404)
}

// TestOpenAPIMatchesRoutes checks that the OpenAPI document describes
// exactly the routes the API serves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(documented)
	served := api.New(e.Acc, nil).Routes()
	if !slices.Equal(documented, served) {
		t.Fatalf("OpenAPI documents %v\nAPI serves %v", documented, served)
	}
}
