package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/fixture"
	"kairos/webhooks"
)

// TestWebhooksAPI: an OF's software subscribes through the API, writes
// through the API, and receives the signed event; the feed gives the same
// body; another OF sees nothing.
func TestWebhooksAPI(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Appointments = &appointments.Service{DB: acc.DB, Clock: clock.Now, BaseURL: "http://kairos.test"}
	a.Webhooks = &webhooks.Service{DB: acc.DB, Clock: clock.Now, AllowPrivate: true}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, ofBKey, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")

	var mu sync.Mutex
	var got []string
	var secret string
	rc := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(secret, r.Header, b, clock.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		got = append(got, string(b))
	}))
	defer rc.Close()

	status, sub, raw := apiCall(t, srv.URL, ofKey, "POST", "/api/v1/webhooks", map[string]any{"url": rc.URL + "/hook", "event_types": []string{"appointment.create.v1"}})
	if status != 201 || !strings.HasPrefix(sub["secret"].(string), "whsec_") {
		t.Fatalf("create: %d %s", status, raw)
	}
	secret = sub["secret"].(string)
	id := strconv.Itoa(int(sub["id"].(float64)))
	if status, body, _ := apiCall(t, srv.URL, ofKey, "GET", "/api/v1/webhooks/"+id, nil); status != 200 || body["secret"] != nil || body["url"] != rc.URL+"/hook" {
		t.Fatalf("get shows the secret or fails: %d %v", status, body)
	}
	if status, _, _ := apiCall(t, srv.URL, ofBKey, "GET", "/api/v1/webhooks/"+id, nil); status != 404 {
		t.Fatalf("other OF reads the subscription: %d", status)
	}
	if status, _, _ := apiCall(t, srv.URL, ofBKey, "POST", "/api/v1/webhooks/"+id+"/rotate-secret", nil); status != 404 {
		t.Fatalf("other OF rotates the secret: %d", status)
	}
	if status, body, _ := apiCall(t, srv.URL, ofKey, "POST", "/api/v1/webhooks", map[string]any{"url": "ftp://x", "event_types": []string{"nope"}}); status != 422 || len(body["errors"].([]any)) != 2 {
		t.Fatalf("invalid: %d %v", status, body)
	}

	in := map[string]any{"kind": "collectif", "title": "ICO Cariste", "date": "2026-06-10", "start": "09:00", "end": "10:00", "place": "Entrepôt, Toulouse", "capacity": 3}
	if status, _, raw := apiCall(t, srv.URL, ofKey, "POST", "/api/v1/appointments", in); status != 201 {
		t.Fatalf("appointment: %d %s", status, raw)
	}
	if _, err := a.Webhooks.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Webhooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	hook := got[0]
	mu.Unlock()
	status, feed, raw := apiCall(t, srv.URL, ofKey, "GET", "/api/v1/events?after=0", nil)
	if status != 200 {
		t.Fatalf("feed: %d %s", status, raw)
	}
	var page webhooks.FeedPage
	json.Unmarshal([]byte(raw), &page)
	var same bool
	for _, ev := range page.Events {
		b, _ := json.Marshal(ev)
		same = same || string(b) == hook
	}
	if !same || page.NextCursor == "0" {
		t.Fatalf("feed %v lacks the webhook body %s", feed, hook)
	}
	if status, _, raw := apiCall(t, srv.URL, ofKey, "GET", "/api/v1/events?after="+page.NextCursor, nil); status != 200 || !strings.Contains(raw, `"events": []`) {
		t.Fatalf("feed after the last cursor: %s", raw)
	}
	if status, _, raw := apiCall(t, srv.URL, ofBKey, "GET", "/api/v1/events", nil); status != 200 || !strings.Contains(raw, `"events": []`) {
		t.Fatalf("other OF's feed: %s", raw)
	}
	if status, _, _ := apiCall(t, srv.URL, ofKey, "GET", "/api/v1/events?after=-3", nil); status != 422 {
		t.Fatalf("bad cursor: %d", status)
	}
	status, dl, raw := apiCall(t, srv.URL, ofKey, "GET", "/api/v1/webhooks/"+id+"/deliveries", nil)
	items, _ := dl["items"].([]any)
	if status != 200 || len(items) != 1 || items[0].(map[string]any)["state"] != "delivered" {
		t.Fatalf("deliveries: %s", raw)
	}
	did := strconv.Itoa(int(items[0].(map[string]any)["id"].(float64)))
	if status, _, raw := apiCall(t, srv.URL, ofKey, "POST", "/api/v1/webhooks/"+id+"/deliveries/"+did+"/replay", nil); status != 202 {
		t.Fatalf("replay: %s", raw)
	}
	if status, _, _ := apiCall(t, srv.URL, ofKey, "DELETE", "/api/v1/webhooks/"+id, nil); status != 204 {
		t.Fatalf("delete: %d", status)
	}
}

// TestEventsDocumented: every event type has its schema and its webhook in openapi.json.
func TestEventsDocumented(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Webhooks   map[string]json.RawMessage `json:"webhooks"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Webhooks) != len(webhooks.Types) {
		t.Errorf("%d webhooks documented, %d types", len(doc.Webhooks), len(webhooks.Types))
	}
	for _, et := range webhooks.Types {
		if _, ok := doc.Webhooks[et.Name]; !ok {
			t.Errorf("webhook %s not documented", et.Name)
		}
		if _, ok := doc.Components.Schemas["Event."+et.Name]; !ok {
			t.Errorf("schema Event.%s missing", et.Name)
		}
		if et.Schema != "" {
			if _, ok := doc.Components.Schemas[et.Schema]; !ok {
				t.Errorf("%s: data schema %s missing", et.Name, et.Schema)
			}
		}
	}
}
