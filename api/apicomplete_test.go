package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/adhesion"
	"kairos/api"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/quotes"
	"kairos/webhooks"
)

// TestPageActionsThroughTheAPI: the page actions that had no API twin
// (issue 15) do through the API what the pages do, with the same checks:
// another OF's object is not found, bad input names its field, the change
// is in the outbox.
func TestPageActionsThroughTheAPI(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)}
	rdv := &appointments.Service{DB: acc.DB, Clock: clock.Now, BaseURL: "http://kairos.test/"}
	path := &enrolment.Service{DB: acc.DB, Clock: clock.Now, Sessions: appointments.StaticSessions{
		7: {ID: 7, Intitule: "Cariste", OrgID: w.OFA, Debut: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Fin: time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)}}}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Appointments = rdv
	a.Attestations = &attestations.Service{DB: acc.DB, Clock: clock.Now}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, ofBKey, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")
	call := func(key, method, p string, body any) (int, map[string]any, string) {
		t.Helper()
		return apiCall(t, srv.URL, key, method, p, body)
	}
	events := func(typ string) int {
		t.Helper()
		var n int
		if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM events WHERE type = ?", typ).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("invitation", func(t *testing.T) {
		status, u, raw := call(ofKey, "POST", "/api/v1/users", map[string]any{"email": "nouvelle@a.example", "name": "Nouvelle Recrue"})
		if status != 201 {
			t.Fatalf("invite: %s", raw)
		}
		id := strconv.Itoa(int(u["id"].(float64)))
		var before int
		acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mails WHERE to_addr = ?", "nouvelle@a.example").Scan(&before)
		if status, _, raw := call(ofKey, "POST", "/api/v1/users/"+id+"/invitation", nil); status != 202 || !strings.Contains(raw, `"nouvelle@a.example"`) {
			t.Fatalf("resend: %d %s", status, raw)
		}
		var after int
		acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mails WHERE to_addr = ?", "nouvelle@a.example").Scan(&after)
		if after != before+1 || events("user.invitation_resent") != 1 {
			t.Fatalf("mails %d → %d, events %d", before, after, events("user.invitation_resent"))
		}
		if status, _, _ := call(ofBKey, "POST", "/api/v1/users/"+id+"/invitation", nil); status != 404 {
			t.Fatalf("other OF: %d", status)
		}
		active := strconv.FormatInt(w.Users[kairos.RoleOFUser].ID, 10)
		if status, _, raw := call(ofKey, "POST", "/api/v1/users/"+active+"/invitation", nil); status != 409 {
			t.Fatalf("active account: %d %s", status, raw)
		}
	})

	t.Run("appointment update", func(t *testing.T) {
		in := map[string]any{"kind": "collectif", "title": "ICO Cariste", "date": "2026-06-10", "start": "09:00", "end": "10:00", "place": "Entrepôt, Toulouse", "capacity": 8}
		status, x, raw := call(ofKey, "POST", "/api/v1/appointments", in)
		if status != 201 {
			t.Fatalf("create: %s", raw)
		}
		id := strconv.Itoa(int(x["id"].(float64)))
		in["title"], in["place"], in["capacity"] = "ICO Cariste (salle B)", "Salle B, Toulouse", 10
		status, x, raw = call(ofKey, "PUT", "/api/v1/appointments/"+id, in)
		if status != 200 || x["title"] != "ICO Cariste (salle B)" || x["place"] != "Salle B, Toulouse" || x["capacity"] != 10.0 {
			t.Fatalf("update: %d %s", status, raw)
		}
		if _, x, _ = call(ofKey, "GET", "/api/v1/appointments/"+id, nil); x["place"] != "Salle B, Toulouse" {
			t.Fatalf("read back %v", x)
		}
		if events("appointment.update") != 1 {
			t.Fatalf("%d appointment.update events", events("appointment.update"))
		}
		if status, _, _ := call(ofBKey, "PUT", "/api/v1/appointments/"+id, in); status != 404 {
			t.Fatalf("other OF: %d", status)
		}
		in["capacity"] = 0
		if status, body, raw := call(ofKey, "PUT", "/api/v1/appointments/"+id, in); status != 422 || !strings.Contains(raw, "capacity") || len(body["errors"].([]any)) == 0 {
			t.Fatalf("invalid: %d %s", status, raw)
		}
	})

	t.Run("calendar feed", func(t *testing.T) {
		status, f, raw := call(ofKey, "POST", "/api/v1/appointments/calendar-feed", nil)
		first, _ := f["url"].(string)
		if status != 201 || !strings.HasPrefix(first, "http://kairos.test/agenda/"+appointments.FeedPrefix) || !strings.HasSuffix(first, ".ics") || f["created_at"] == "" {
			t.Fatalf("feed: %d %s", status, raw)
		}
		tokenOf := func(u string) string {
			return strings.TrimSuffix(strings.TrimPrefix(u, "http://kairos.test/agenda/"), ".ics")
		}
		if _, err := rdv.Feed(ctx, tokenOf(first)); err != nil {
			t.Fatalf("the address does not serve the calendar: %v", err)
		}
		_, f, _ = call(ofKey, "POST", "/api/v1/appointments/calendar-feed", nil)
		if second := f["url"].(string); second == first {
			t.Fatal("the address was not renewed")
		} else if _, err := rdv.Feed(ctx, tokenOf(second)); err != nil {
			t.Fatalf("new address: %v", err)
		}
		if _, err := rdv.Feed(ctx, tokenOf(first)); kairos.ErrorCode(err) != kairos.ENotFound {
			t.Fatalf("the old address still works: %v", err)
		}
		// With an Idempotency-Key, a repeated request is answered again, not done again.
		post := func() (string, string) {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/appointments/calendar-feed", nil)
			req.Header.Set("Authorization", "Bearer "+ofKey)
			req.Header.Set("Idempotency-Key", "8d3c1c52-5a1e-4c1e-9a55-0a6f6b1f7a10")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var f map[string]any
			json.NewDecoder(resp.Body).Decode(&f)
			u, _ := f["url"].(string)
			return u, resp.Header.Get("Idempotency-Replayed")
		}
		u1, _ := post()
		u2, replayed := post()
		if u1 == "" || u1 != u2 || replayed != "true" {
			t.Fatalf("idempotent renewal: %q %q replayed %q", u1, u2, replayed)
		}
		if _, err := rdv.Feed(ctx, tokenOf(u1)); err != nil {
			t.Fatalf("the address given twice was renewed twice: %v", err)
		}
	})

	t.Run("session schedule", func(t *testing.T) {
		cons, admin := w.Users[kairos.RoleConseiller].Actor(), w.Users[kairos.RoleOFAdmin].Actor()
		de := w.Users[kairos.RoleDemandeur]
		if err := rdv.SetDemandeur(fixture.Ctx(), de.ID, "FT77", w.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		x, err := path.Propose(fixture.Ctx(), cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 7})
		if err == nil {
			_, err = path.Do(fixture.Ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
		}
		if err == nil {
			_, err = path.Do(fixture.Ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
		}
		if err != nil {
			t.Fatal(err)
		}
		if status, s, raw := call(ofKey, "GET", "/api/v1/attestations/sessions/7/schedule", nil); status != 200 || s["week_minutes"] != 2100.0 {
			t.Fatalf("default schedule: %d %s", status, raw)
		}
		status, s, raw := call(ofKey, "PUT", "/api/v1/attestations/sessions/7/schedule", map[string]any{"week_minutes": 1800, "days_off": []string{"2026-03-13", "2026-03-10"}})
		if status != 200 || s["week_minutes"] != 1800.0 || !strings.Contains(raw, `"2026-03-10",`) {
			t.Fatalf("put: %d %s", status, raw)
		}
		if events("attestation.schedule") != 1 {
			t.Fatalf("%d attestation.schedule events", events("attestation.schedule"))
		}
		// The pre-fill follows: 30 h a week over March (22 working days, 2 off).
		_, m, raw := call(ofKey, "GET", "/api/v1/attestations?month=2026-03", nil)
		if items := m["items"].([]any); len(items) != 1 || items[0].(map[string]any)["prefill"].(map[string]any)["planned"] != 120.0 {
			t.Fatalf("pre-fill after the schedule: %s", raw)
		}
		if status, _, raw := call(ofKey, "PUT", "/api/v1/attestations/sessions/7/schedule", map[string]any{"week_minutes": 1801}); status != 422 || !strings.Contains(raw, `"week"`) {
			t.Fatalf("not a quarter: %d %s", status, raw)
		}
		if status, _, _ := call(ofBKey, "PUT", "/api/v1/attestations/sessions/7/schedule", map[string]any{"week_minutes": 1800}); status != 404 {
			t.Fatalf("other OF: %d", status)
		}
		if status, _, _ := call(ofBKey, "GET", "/api/v1/attestations/sessions/7/schedule", nil); status != 404 {
			t.Fatalf("other OF reads: %d", status)
		}
		if status, _, _ := call(ofKey, "PUT", "/api/v1/attestations/sessions/8/schedule", map[string]any{"week_minutes": 1800}); status != 404 {
			t.Fatalf("session without enrolments: %d", status)
		}
	})
}

// TestActionEnumsFollowTheTables: the actions the API documents for each
// workflow are exactly the rows of its transition table (the ones done by
// another operation are named, with it): a row added to a table without
// its API documentation, or an API action that no table knows, fails.
func TestActionEnumsFollowTheTables(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// at walks doc along keys (map keys, or "0"… for arrays).
	at := func(keys ...string) any {
		var v any = doc
		for _, k := range keys {
			switch x := v.(type) {
			case map[string]any:
				v = x[k]
			case []any:
				i, _ := strconv.Atoi(k)
				if i >= len(x) {
					return nil
				}
				v = x[i]
			default:
				return nil
			}
		}
		return v
	}
	enum := func(keys ...string) []string {
		var out []string
		for _, v := range at(keys...).([]any) {
			out = append(out, v.(string))
		}
		sort.Strings(out)
		return out
	}
	rows := func(actions []string, elsewhere map[string]string) []string {
		var out []string
		for _, a := range actions {
			if _, ok := elsewhere[a]; !ok {
				out = append(out, a)
			}
		}
		sort.Strings(out)
		return out
	}
	names := func(n int, get func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = get(i)
		}
		return out
	}
	schema := func(name string) []string { return []string{"components", "schemas", name, "properties"} }
	cases := []struct {
		table     string
		actions   []string
		elsewhere map[string]string // row → the operation that does it
		enum      []string
	}{
		{"enrolment.Workflow", names(len(enrolment.Workflow.Rows), func(i int) string { return enrolment.Workflow.Rows[i].Action }),
			map[string]string{enrolment.ActProposer: "POST /api/v1/enrolments"},
			enum(append(schema("EnrolmentAction"), "action", "enum")...)},
		{"quotes.Workflow", names(len(quotes.Workflow.Rows), func(i int) string { return string(quotes.Workflow.Rows[i].Action) }),
			map[string]string{"modifier": "PATCH /api/v1/quotes/{id}", "expirer": "la planification horaire quotes.expire (aucune personne ni clé)"},
			enum(append(schema("QuoteStep"), "action", "enum")...)},
		{"adhesion.Workflow", names(len(adhesion.Workflow.Rows), func(i int) string { return string(adhesion.Workflow.Rows[i].Action) }),
			nil, enum(append(schema("Decision"), "action", "enum")...)},
		{"assessments.Table", names(len(assessments.Table.Rows), func(i int) string { return string(assessments.Table.Rows[i].Action) }),
			nil, enum("paths", "/api/v1/enrolments/{id}/assessment/actions", "post", "requestBody", "content", "application/json", "schema", "properties", "action", "enum")},
		{"appointments.Participation", names(len(appointments.Participation), func(i int) string { return appointments.Participation[i].Action }),
			map[string]string{"inscrire": "POST /api/v1/appointments/{id}/registrations", "desinscrire": "DELETE /api/v1/appointments/{id}/registrations/{pid}"},
			enum(append(schema("AttendanceInput"), "items", "items", "properties", "status", "enum")...)},
		{"appointments.Outcome", names(len(appointments.Outcome), func(i int) string { return appointments.Outcome[i].Action }),
			nil, enum(append(schema("AttendanceInput"), "items", "items", "properties", "result", "enum")...)},
	}
	for _, c := range cases {
		if want := rows(c.actions, c.elsewhere); !slices.Equal(c.enum, want) {
			t.Errorf("%s: the API documents %v, the table has %v", c.table, c.enum, want)
		}
		for a := range c.elsewhere {
			if !slices.Contains(c.actions, a) {
				t.Errorf("%s: %q is said to be done elsewhere but is not a row of the table", c.table, a)
			}
		}
	}
}

// TestAllowedActionsComeFromTheTables: an enrolment and an adhesion read
// through the API carry the actions of their tables for the caller, and an
// action no table knows is refused naming the field.
func TestAllowedActionsComeFromTheTables(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clock := &fixture.Clock{T: now}
	svc := &enrolment.Service{DB: acc.DB, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: now.AddDate(0, 0, 10), Fin: now.AddDate(0, 6, 0)}}}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Enrolment = svc
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, agKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "SI agence")
	de := w.Users[kairos.RoleDemandeur]
	if err := (&appointments.Service{DB: acc.DB}).SetDemandeur(fixture.Ctx(), de.ID, "FT123", w.Agence, w.Users[kairos.RoleConseiller].ID); err != nil {
		t.Fatal(err)
	}
	status, x, raw := apiCall(t, srv.URL, agKey, "POST", "/api/v1/enrolments", map[string]any{"demandeur_id": de.ID, "session_id": 1})
	if status != 201 {
		t.Fatalf("propose: %s", raw)
	}
	id := strconv.Itoa(int(x["id"].(float64)))
	for _, k := range []struct {
		key  string
		role kairos.Role
		org  int64
	}{{ofKey, kairos.RoleOFAdmin, w.OFA}, {agKey, kairos.RoleConseiller, w.Agence}} {
		_, x, raw := apiCall(t, srv.URL, k.key, "GET", "/api/v1/enrolments/"+id, nil)
		var want []any
		for _, tr := range enrolment.Offered(enrolment.StProposee, &kairos.Actor{Role: k.role, OrgID: k.org}) {
			want = append(want, tr.Action)
		}
		if got, _ := x["allowed_actions"].([]any); len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("%s: allowed_actions %v, the table offers %v (%s)", k.role, got, want, raw)
		}
	}
	if status, _, raw := apiCall(t, srv.URL, ofKey, "POST", "/api/v1/enrolments/"+id+"/actions", map[string]any{"action": "teleporter"}); status != 422 || !strings.Contains(raw, `"action"`) {
		t.Fatalf("unknown action: %d %s", status, raw)
	}
	if status, _, raw := apiCall(t, srv.URL, ofKey, "POST", "/api/v1/enrolments/"+id+"/actions", map[string]any{"action": "sortir"}); status != 409 {
		t.Fatalf("a row of another state: %d %s", status, raw)
	}
}

// TestQuoteEventsReachTheirAudience: the steps of a quote are public
// events (quote.*.v1) carrying the quote after the step; the OF, the job
// seeker's agence and the region's France Travail management read them in
// the change feed; another OF does not.
func TestQuoteEventsReachTheirAudience(t *testing.T) {
	acc := fixture.MustAccounts(t)
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clock := &fixture.Clock{T: now}
	acc.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	ctx := fixture.Ctx()
	de := w.Users[kairos.RoleDemandeur].Actor()
	if _, err := w.DB().Exec(ctx, "INSERT INTO demandeurs (user_id, ft_id, agence_id, created_at) VALUES (?, '1234567A', ?, ?)", de.UserID, w.Agence, now); err != nil {
		t.Fatal(err)
	}
	today := calendar.DateOf(now)
	svc := &quotes.Service{DB: w.DB(), Clock: clock.Now, Trade: canTrade{}, Path: &enrolment.Service{DB: w.DB(), Clock: clock.Now},
		Catalog: quotes.StaticCatalog{7: {ID: 7, OrgID: w.OFA, Title: "Cariste", Debut: today.AddDays(10), Fin: today.AddDays(40), HoursCentre: 560, HourlyCost: 1500, Visible: true}}}
	wh := &webhooks.Service{DB: w.DB(), Clock: clock.Now}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Quotes, a.Webhooks = svc, wh
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	_, keyA, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, keyB, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")
	_, keyAg, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "Outil agence")
	_, keyDR, _ := acc.CreateAPIKey(ctx, kairos.System, w.DR, "Outil DR")
	status, q, raw := apiCall(t, srv.URL, keyA, "POST", "/api/v1/quotes", map[string]any{"session_id": 7, "ft_id": "1234567A", "nom": "demandeur"})
	if status != 201 {
		t.Fatalf("create: %s", raw)
	}
	id := strconv.Itoa(int(q["id"].(float64)))
	if status, _, raw := apiCall(t, srv.URL, keyA, "POST", "/api/v1/quotes/"+id+"/actions", map[string]any{"action": "transmettre"}); status != 200 {
		t.Fatalf("transmit: %s", raw)
	}
	if _, err := wh.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	feed := func(key string) []map[string]any {
		t.Helper()
		status, body, raw := apiCall(t, srv.URL, key, "GET", "/api/v1/events?types=quote.create.v1,quote.transmettre.v1", nil)
		if status != 200 {
			t.Fatalf("feed: %s", raw)
		}
		var out []map[string]any
		for _, e := range body["events"].([]any) {
			out = append(out, e.(map[string]any))
		}
		return out
	}
	for name, key := range map[string]string{"OF": keyA, "agence": keyAg, "DR": keyDR} {
		evs := feed(key)
		if len(evs) != 2 || evs[0]["type"] != "quote.create.v1" || evs[1]["type"] != "quote.transmettre.v1" {
			t.Fatalf("%s: %v", name, evs)
		}
		obj, data := evs[1]["object"].(map[string]any), evs[1]["data"].(map[string]any)
		if obj["type"] != "quote" || obj["id"] != id || data["state"] != "transmis_au_de" || data["number"] != q["number"] {
			t.Fatalf("%s: event %v", name, evs[1])
		}
	}
	if evs := feed(keyB); len(evs) != 0 {
		t.Fatalf("another OF reads %v", evs)
	}
}

// TestEventDataSchemas: each event type's documented data is the schema its
// type declares (webhooks.EventType.Schema), so that a receiver knows the
// object's new state it carries.
func TestEventDataSchemas(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				AllOf []struct {
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"allOf"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	free := 0
	for _, et := range webhooks.Types {
		s := doc.Components.Schemas["Event."+et.Name]
		if len(s.AllOf) != 2 {
			t.Errorf("Event.%s: not an Event with its own part", et.Name)
			continue
		}
		data := string(s.AllOf[1].Properties["data"])
		if et.Schema == "" {
			free++
			continue
		}
		if !strings.Contains(data, `"#/components/schemas/`+et.Schema+`"`) {
			t.Errorf("Event.%s: data %s, its type says %s", et.Name, data, et.Schema)
		}
	}
	t.Logf("%d event types, %d with a free data object", len(webhooks.Types), free)
}

// TestPostsDocumentIdempotencyKey: every POST an API key may send documents
// the Idempotency-Key header the API honours on it.
func TestPostsDocumentIdempotencyKey(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []map[string]any `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	rules := api.New(fixture.MustAccounts(t), nil).RouteRules()
	for p, ops := range doc.Paths {
		op, ok := ops["post"]
		if !ok || rules["POST "+p].Public {
			continue
		}
		found := false
		for _, x := range op.Parameters {
			found = found || x["$ref"] == "#/components/parameters/IdempotencyKey"
		}
		if !found {
			t.Errorf("POST %s does not document Idempotency-Key (add {\"$ref\": \"#/components/parameters/IdempotencyKey\"} to its parameters)", p)
		}
	}
}
