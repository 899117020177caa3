package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/api"
	"kairos/appointments"
	"kairos/fixture"
)

func post(t *testing.T, url, key, idem string, body any) (*http.Response, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return nil, ""
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// TestIdempotencyConcurrent: 20 concurrent identical POSTs with one
// Idempotency-Key make one appointment, and all get the same answer.
func TestIdempotencyConcurrent(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Appointments = &appointments.Service{DB: acc.DB, Clock: clock.Now, BaseURL: "http://kairos.test"}
	a.Clock = clock.Now
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	_, key, _ := acc.CreateAPIKey(context.Background(), w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, keyB, _ := acc.CreateAPIKey(context.Background(), w.OFBAdmin.Actor(), w.OFB, "ERP B")
	in := map[string]any{"kind": "collectif", "title": "ICO Cariste", "date": "2026-06-10", "start": "09:00", "end": "10:00", "place": "Entrepôt, Toulouse", "capacity": 3}
	var wg sync.WaitGroup
	var mu sync.Mutex
	bodies := map[string]int{}
	statuses := map[int]int{}
	replayed := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := post(t, srv.URL+"/api/v1/appointments", key, "cle-unique-0001", in)
			if resp == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			bodies[body]++
			statuses[resp.StatusCode]++
			if resp.Header.Get("Idempotency-Replayed") == "true" {
				replayed++
			}
		}()
	}
	wg.Wait()
	var n int
	acc.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM appointments").Scan(&n)
	if n != 1 || len(bodies) != 1 || statuses[201] != 20 || replayed != 19 {
		t.Fatalf("%d appointments, %d distinct answers, statuses %v, %d replayed", n, len(bodies), statuses, replayed)
	}
	// Same key, another body: refused. Same key, another API key: its own.
	in["capacity"] = 4
	if resp, body := post(t, srv.URL+"/api/v1/appointments", key, "cle-unique-0001", in); resp.StatusCode != 422 {
		t.Fatalf("other body: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, srv.URL+"/api/v1/appointments", keyB, "cle-unique-0001", in); resp.StatusCode != 201 || resp.Header.Get("Idempotency-Replayed") != "" {
		t.Fatalf("another key's answer replayed: %d", resp.StatusCode)
	}
	// An error answer (4xx) is kept too; a bad key is refused.
	bad := map[string]any{"kind": "x"}
	r1, b1 := post(t, srv.URL+"/api/v1/appointments", key, "cle-erreur", bad)
	r2, b2 := post(t, srv.URL+"/api/v1/appointments", key, "cle-erreur", bad)
	if r1.StatusCode != 422 || r2.StatusCode != 422 || b1 != b2 || r2.Header.Get("Idempotency-Replayed") != "true" {
		t.Fatalf("error replay: %d %d", r1.StatusCode, r2.StatusCode)
	}
	if resp, _ := post(t, srv.URL+"/api/v1/appointments", key, "clé\u00e9", in); resp.StatusCode != 422 {
		t.Fatalf("non-ASCII key: %d", resp.StatusCode)
	}
	// After a day, the key can serve again.
	clock.Advance(api.IdempotencyTTL + time.Minute)
	if resp, _ := post(t, srv.URL+"/api/v1/appointments", key, "cle-unique-0001", in); resp.StatusCode != 201 || resp.Header.Get("Idempotency-Replayed") != "" {
		t.Fatalf("expired key: %d", resp.StatusCode)
	}
	if n, err := api.CleanupIdempotency(context.Background(), acc.DB, clock.Now()); err != nil || n == 0 {
		t.Fatalf("cleanup: %d %v", n, err)
	}
}

// TestRateLimit: RateLimit headers on every answer, 429 with Retry-After
// past the limit, a fresh window the next minute; keys are counted apart.
func TestRateLimit(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: time.Date(2026, 6, 1, 8, 0, 10, 0, time.UTC)}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Clock, a.RateLimit = clock.Now, 5
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	_, key, _ := acc.CreateAPIKey(context.Background(), w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, keyB, _ := acc.CreateAPIKey(context.Background(), w.OFBAdmin.Actor(), w.OFB, "ERP B")
	get := func(k string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+k)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 5; i++ {
		resp := get(key)
		if resp.StatusCode != 200 || resp.Header.Get("RateLimit-Limit") != "5" || resp.Header.Get("RateLimit-Remaining") != string(rune('4'-i)) || resp.Header.Get("RateLimit-Reset") != "50" {
			t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
	if resp := get(key); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "50" || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the limit: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := get(keyB); resp.StatusCode != 200 {
		t.Fatalf("other key limited: %d", resp.StatusCode)
	}
	clock.Advance(time.Minute)
	if resp := get(key); resp.StatusCode != 200 || resp.Header.Get("RateLimit-Remaining") != "4" {
		t.Fatalf("next window: %d", resp.StatusCode)
	}
}

// TestScopes: a key limited to reading appointments reads them, cannot write
// them nor read enrolments; every key reads /me.
func TestScopes(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Appointments = &appointments.Service{DB: acc.DB, BaseURL: "http://kairos.test"}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	_, key, err := acc.CreateScopedAPIKey(context.Background(), admin, w.OFA, "Lecture RDV", []string{"appointments:read"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := acc.CreateScopedAPIKey(context.Background(), admin, w.OFA, "Rien", []string{"appointments:delete"}); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("unknown scope: %v", err)
	}
	if status, body, _ := apiCall(t, srv.URL, key, "GET", "/api/v1/me", nil); status != 200 || body["scopes"].([]any)[0] != "appointments:read" {
		t.Fatalf("me: %d %v", status, body)
	}
	if status, _, _ := apiCall(t, srv.URL, key, "GET", "/api/v1/appointments", nil); status != 200 {
		t.Fatalf("read: %d", status)
	}
	if status, body, _ := apiCall(t, srv.URL, key, "POST", "/api/v1/appointments", map[string]any{}); status != 403 || !strings.Contains(body["detail"].(string), "appointments:write") {
		t.Fatalf("write: %d %v", status, body)
	}
	if status, _, _ := apiCall(t, srv.URL, key, "GET", "/api/v1/enrolments", nil); status != 403 {
		t.Fatalf("other capability: %d", status)
	}
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/api/v1/me", ""}, {"POST", "/api/v1/enrolment-movements/3/corrections", "enrolments:write"},
		{"GET", "/api/v1/ft/attestations.csv", "attestations:read"}, {"GET", "/api/v1/events", "webhooks:read"}, {"POST", "/api/v1/quotes", "quotes:write"},
	} {
		if got := account.ScopeOf(c.method, c.path); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
	if !(account.Scopes{"write"}).Allows("enrolments:read") || (account.Scopes{"read"}).Allows("enrolments:write") || !(account.Scopes{"enrolments:write"}).Allows("enrolments:read") {
		t.Error("scope implication")
	}
}
