package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/quotes"
)

type canTrade struct{}

func (canTrade) CanTrade(context.Context, int64) (bool, string, error) { return true, "", nil }

func allowed(body map[string]any) []string {
	var out []string
	for _, x := range body["allowed_actions"].([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestQuotesThroughTheAPI: the OF's software creates, edits and transmits a
// quote; the agence's tool decides it; allowed_actions follows the table;
// another OF gets 404; the documented errors come back as problems.
func TestQuotesThroughTheAPI(t *testing.T) {
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
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Quotes = svc
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	_, keyA, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, keyB, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")
	_, keyAg, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "Outil agence")
	e := &env{World: w, srv: srv, keyA: keyA, keyB: keyB}

	resp, q := e.send(t, "POST", keyA, "/api/v1/quotes", map[string]any{"session_id": 7, "ft_id": "1234567A", "nom": "demandeur",
		"cofunding_lines": []map[string]any{{"funder": "16", "amount_cents": 10000}}})
	if resp.StatusCode != 201 || q["total_cents"].(float64) != 210000 || q["aif_cents"].(float64) != 200000 || !slices.Contains(allowed(q), "transmettre") {
		t.Fatalf("create: %d %v", resp.StatusCode, q)
	}
	id := "/api/v1/quotes/" + strconv.FormatInt(int64(q["id"].(float64)), 10)
	if resp, p := e.send(t, "PATCH", keyA, id, map[string]any{"cofunding_lines": []map[string]any{{"funder": "16", "amount_cents": 210000}}}); resp.StatusCode != 422 || p["code"] != "invalid" {
		t.Fatalf("co-funding ≥ total: %d %v", resp.StatusCode, p)
	}
	if resp, _ := e.send(t, "PATCH", keyA, id, map[string]any{"hours_centre_quarters": 400, "bogus": 1}); resp.StatusCode != 422 {
		t.Fatalf("unknown field: %d", resp.StatusCode)
	}
	if resp, _ := e.call(t, keyB, id); resp.StatusCode != 404 {
		t.Fatalf("other OF reads: %d", resp.StatusCode)
	}
	if resp, q = e.send(t, "POST", keyA, id+"/actions", map[string]any{"action": "transmettre"}); resp.StatusCode != 200 || q["state"] != "transmis_au_de" || len(allowed(q)) == 0 {
		t.Fatalf("transmit: %d %v", resp.StatusCode, q)
	}
	// The agence cannot validate before the job seeker accepts: 409 with the reason.
	if resp, p := e.send(t, "POST", keyAg, id+"/actions", map[string]any{"action": "valider"}); resp.StatusCode != 409 {
		t.Fatalf("early validation: %d %v", resp.StatusCode, p)
	}
	if _, err := svc.Do(ctx, de, int64(q["id"].(float64)), quotes.Step{Action: quotes.Accepter}); err != nil {
		t.Fatal(err)
	}
	resp, q = e.call(t, keyAg, id)
	if resp.StatusCode != 200 || !slices.Equal(allowed(q), []string{"valider", "refuser", "a_completer"}) {
		t.Fatalf("agence view: %d %v", resp.StatusCode, q["allowed_actions"])
	}
	if resp, q = e.send(t, "POST", keyAg, id+"/actions", map[string]any{"action": "valider"}); resp.StatusCode != 200 || q["state"] != "valide" || q["enrolment_id"] == nil {
		t.Fatalf("validate: %d %v", resp.StatusCode, q)
	}
	if resp, list := e.call(t, keyA, "/api/v1/quotes?state=valide"); resp.StatusCode != 200 || list["total"].(float64) != 1 {
		t.Fatalf("list: %d %v", resp.StatusCode, list)
	}
	req, _ := http.NewRequest("GET", srv.URL+id+"/pdf", nil)
	req.Header.Set("Authorization", "Bearer "+keyA)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %v %v", r, err)
	}
}
