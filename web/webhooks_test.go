package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/config"
	"kairos/fixture"
	"kairos/metrics"
	"kairos/store"
	"kairos/web"
	"kairos/webhooks"
)

func newWebhooksEnv(t *testing.T) (*env, *webhooks.Service) {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	cfg, _ := config.Load(func(string) string { return "" })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hooks := &webhooks.Service{DB: acc.DB, AllowPrivate: true, Log: log}
	s, err := web.New(&web.Server{Cfg: cfg, DB: acc.DB, Accounts: acc, Log: log, Metrics: metrics.New(),
		API: api.New(acc, log).Handler(), Secret: []byte("0123456789abcdef0123456789abcdef"), Webhooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{World: w, srv: srv}, hooks
}

var secretRE = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)

func TestWebhookPages(t *testing.T) {
	e, hooks := newWebhooksEnv(t)
	var hits int
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(503)
		io.WriteString(w, "maintenance en cours")
	}))
	defer rc.Close()
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	if status, body := c.get("/accueil"); status != 200 || !strings.Contains(body, `href="/organisme/webhooks"`) {
		t.Fatalf("menu lacks webhooks: %d", status)
	}
	if status, body := c.get("/organisme/webhooks"); status != 200 || !strings.Contains(body, "Aucun abonnement") || !strings.Contains(body, "enrolment.entrer.v1") {
		t.Fatalf("empty page: %d", status)
	}
	// Bad input: French errors next to the fields, typed values kept.
	resp, body := c.post("/organisme/webhooks", "/organisme/webhooks", url.Values{"url": {"pas-une-adresse"}, "description": {"ERP"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "URL complète") || !strings.Contains(body, "au moins un type") || !strings.Contains(body, `value="ERP"`) {
		t.Fatalf("invalid: %d", resp.StatusCode)
	}
	resp, body = c.post("/organisme/webhooks", "/organisme/webhooks", url.Values{"url": {rc.URL + "/hook"}, "event_types": {"appointment.create.v1", "enrolment.entrer.v1"}})
	secret := secretRE.FindString(html.UnescapeString(body)) // the page writes a "+" as &#43;
	if resp.StatusCode != 201 || secret == "" || !strings.Contains(body, "ne sera plus affiché") {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	subs, _ := hooks.List(context.Background(), e.Users[kairos.RoleOFAdmin].Actor())
	if len(subs) != 1 {
		t.Fatal("not created")
	}
	path := "/organisme/webhooks/" + itoa(subs[0].ID)
	if status, body := c.get(path); status != 200 || strings.Contains(body, secret) || !strings.Contains(body, `checked`) {
		t.Fatalf("detail shows the secret or fails: %d", status)
	}
	// A delivery, failing: logged with status, latency and the answer's excerpt.
	if err := e.Acc.DB.Tx(kairos.WithActor(context.Background(), kairos.System), func(tx *store.Tx) error {
		return tx.Record(kairos.WithActor(context.Background(), kairos.System), store.Change{Action: "appointment.create", OrgID: e.OFA, ObjectType: "appointment", ObjectID: 1, After: map[string]any{"id": 1}})
	}); err != nil {
		t.Fatal(err)
	}
	hooks.Dispatch(context.Background())
	hooks.DeliverDue(context.Background())
	if status, body := c.get(path); status != 200 || !strings.Contains(body, "HTTP 503") || !strings.Contains(body, "maintenance en cours") || !strings.Contains(body, "En attente") {
		t.Fatalf("log: %d %s", status, body)
	}
	resp, body = c.post(path, path+"/secret", url.Values{})
	if fresh := secretRE.FindString(html.UnescapeString(body)); resp.StatusCode != 200 || fresh == "" || fresh == secret || !strings.Contains(body, "ancien secret signe encore") {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	if resp, _ := c.post(path, path+"/etat", url.Values{"etat": {"inactif"}}); resp.StatusCode != 303 {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if _, body := c.get(path); !strings.Contains(body, "Abonnement désactivé") || !strings.Contains(body, "Réactiver") {
		t.Fatal("not shown disabled")
	}
	if resp, _ := c.post(path, path+"/rejeu", url.Values{"livraison": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("replay: %d", resp.StatusCode)
	}
	if resp, _ := c.post(path, path, url.Values{"url": {rc.URL + "/v2"}, "all": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("update: %d", resp.StatusCode)
	}
	if _, body := c.get("/organisme/webhooks"); !strings.Contains(body, rc.URL+"/v2") || !strings.Contains(body, "Tous") {
		t.Fatal("update not shown")
	}

	// Another OF's account manager: not found; an OF user: refused.
	other := e.client(t)
	other.login(e.OFBAdmin.Email)
	if status, _ := other.get(path); status != 404 {
		t.Fatalf("other OF: %d", status)
	}
	if resp, _ := other.post("/organisme/webhooks", path+"/suppression", url.Values{}); resp.StatusCode != 404 {
		t.Fatalf("other OF deletes: %d", resp.StatusCode)
	}
	user := e.client(t)
	user.login(e.Users[kairos.RoleOFUser].Email)
	if status, _ := user.get("/organisme/webhooks"); status != 403 {
		t.Fatalf("OF user: %d", status)
	}
	if resp, _ := c.post(path, path+"/suppression", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if status, _ := c.get(path); status != 404 {
		t.Fatalf("deleted still shown: %d", status)
	}
}

func TestScopedAPIKeyPage(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	resp, body := c.post("/organisme/cles-api", "/organisme/cles-api", url.Values{"name": {"ERP lecture"}, "acces": {"limite"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "au moins une portée") {
		t.Fatalf("no scope: %d", resp.StatusCode)
	}
	resp, body = c.post("/organisme/cles-api", "/organisme/cles-api", url.Values{"name": {"ERP lecture"}, "acces": {"limite"}, "scopes": {"appointments:read", "enrolments:write"}})
	if resp.StatusCode != 201 || !strings.Contains(body, "<code>appointments:read</code> <code>enrolments:write</code>") {
		t.Fatalf("scoped: %d", resp.StatusCode)
	}
	resp, body = c.post("/organisme/cles-api", "/organisme/cles-api", url.Values{"name": {"ERP complet"}, "acces": {"complet"}})
	if resp.StatusCode != 201 || !strings.Contains(body, "Accès complet") {
		t.Fatalf("full: %d", resp.StatusCode)
	}
}

func TestDevelopersPage(t *testing.T) {
	e, _ := newWebhooksEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleConseiller].Email)
	status, body := c.get("/developpeurs")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"GET</span> <code>/api/v1/events</code>", "curl -X POST", "Idempotency-Key: $(uuidgen)", "webhook-signature", "hmac.New(sha256.New, key)",
		"enrolment.entrer.v1", `id="schema-Enrolment"`, "api/v1/appointments", "Content-Type: application/json",
		"<code>Idempotency-Key</code> (header", "<code>after</code> (query", "quote.valider.v1", "<strong>Pagination</strong>"} {
		if !strings.Contains(body, html.EscapeString(want)) && !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "cdn") {
		t.Error("inline script or CDN")
	}
	de := e.client(t)
	de.login(e.Users[kairos.RoleDemandeur].Email)
	if status, _ := de.get("/developpeurs"); status != 403 {
		t.Fatalf("job seeker: %d", status)
	}
}

// TestLiveStream: the stream tells an OF's page about a change of one of its
// enrolments at once, and nothing about another OF's.
func TestLiveStream(t *testing.T) {
	e, hooks := newWebhooksEnv(t)
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFUser].Email)
	req, _ := http.NewRequest("GET", e.srv.URL+"/evenements/flux?objets=enrolment", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				lines <- string(buf[:n])
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	record := func(org int64, objType string, id int64) {
		ctx := kairos.WithActor(context.Background(), kairos.System)
		if err := e.Acc.DB.Tx(ctx, func(tx *store.Tx) error {
			return tx.Record(ctx, store.Change{Action: "enrolment.entrer", OrgID: org, ObjectType: objType, ObjectID: id, After: map[string]any{"id": id}})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := hooks.Dispatch(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	record(e.OFB, "enrolment", 8) // another OF's
	record(e.OFA, "appointment", 9)
	record(e.OFA, "enrolment", 7)
	var got string
	deadline := time.After(3 * time.Second)
	for !strings.Contains(got, "event: change") {
		select {
		case l := <-lines:
			got += l
		case <-deadline:
			t.Fatalf("no change event within 3 s: %q", got)
		}
	}
	if !strings.Contains(got, `"object_id":"7"`) || strings.Contains(got, `"object_id":"8"`) || strings.Contains(got, `"object_id":"9"`) {
		t.Fatalf("stream %q", got)
	}
	de := e.client(t)
	de.login(e.Users[kairos.RoleDemandeur].Email)
	if status, _ := de.get("/evenements/flux?objets=enrolment"); status != 204 {
		t.Fatalf("job seeker: %d", status)
	}
	if status, _ := c.get("/evenements/flux?objets=users"); status != 422 {
		t.Fatalf("unknown objects: %d", status)
	}
}
