package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/api"
	"kairos/appointments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
)

// TestAttestationsAPI: the OF reads the pre-filled month, attests three
// trainees in one call where one item is invalid (the others are attested,
// the invalid one reported), is refused a second attestation, rectifies
// one; France Travail reads the counts and the export.
func TestAttestationsAPI(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	now := time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
	clock := &fixture.Clock{T: now}
	path := &enrolment.Service{DB: acc.DB, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Fin: time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)}}}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Attestations = &attestations.Service{DB: acc.DB, Clock: clock.Now}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, ofBKey, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")
	_, drKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.DR, "SI DR")
	cons, admin := w.Users[kairos.RoleConseiller].Actor(), w.Users[kairos.RoleOFAdmin].Actor()
	var ids []int64
	for i := 0; i < 3; i++ {
		u, err := acc.CreateUser(fixture.Ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%d@a.example", i), Name: fmt.Sprintf("Stagiaire %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := (&appointments.Service{DB: acc.DB}).SetDemandeur(fixture.Ctx(), u.ID, fmt.Sprintf("FT%d", i), w.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		x, err := path.Propose(fixture.Ctx(), cons, enrolment.Proposal{DemandeurID: u.ID, SessionID: 1})
		if err == nil {
			_, err = path.Do(fixture.Ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
		}
		if err == nil {
			_, err = path.Do(fixture.Ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}
	call := func(key, method, path string, body any) (int, map[string]any, string) {
		t.Helper()
		return apiCall(t, srv.URL, key, method, path, body)
	}
	status, x, raw := call(ofKey, "GET", "/api/v1/attestations?month=2026-03", nil)
	items, _ := x["items"].([]any)
	if status != 200 || len(items) != 3 || items[0].(map[string]any)["prefill"].(map[string]any)["planned"] != 154.0 || x["due_on"] != "2026-04-05" {
		t.Fatalf("month: %d %s", status, raw)
	}
	if status, x, _ = call(ofBKey, "GET", "/api/v1/attestations?month=2026-03", nil); status != 200 || len(x["items"].([]any)) != 0 {
		t.Fatalf("other OF: %d %v", status, x)
	}
	fig := func(p, a, j, u float64) map[string]any {
		return map[string]any{"planned": p, "attended": a, "justified": j, "unjustified": u}
	}
	body := map[string]any{"month": "2026-03", "items": []any{
		map[string]any{"enrolment_id": ids[0], "figures": fig(154, 150.5, 3.5, 0)},
		map[string]any{"enrolment_id": ids[1], "figures": fig(154, 160, 0, 0)},
		map[string]any{"enrolment_id": ids[2]},
	}}
	status, x, raw = call(ofKey, "POST", "/api/v1/attestations", body)
	res, _ := x["results"].([]any)
	if status != 200 || x["attested"] != 2.0 || x["failed"] != 1.0 || len(res) != 3 {
		t.Fatalf("bulk: %d %s", status, raw)
	}
	r1 := res[1].(map[string]any)
	if res[0].(map[string]any)["ok"] != true || r1["ok"] != false || r1["code"] != "invalid" || r1["fields"].(map[string]any)["attended"] == nil || res[2].(map[string]any)["ok"] != true {
		t.Fatalf("results: %s", raw)
	}
	if st := res[0].(map[string]any)["attestation"].(map[string]any)["state"]; st != "transmise" {
		t.Fatalf("state %v", st)
	}
	// Again: refused (conflict) for the attested, the fixed one goes through.
	body["items"] = []any{map[string]any{"enrolment_id": ids[0]}, map[string]any{"enrolment_id": ids[1], "figures": fig(154, 154, 0, 0)}}
	status, x, raw = call(ofKey, "POST", "/api/v1/attestations", body)
	res, _ = x["results"].([]any)
	if status != 200 || res[0].(map[string]any)["code"] != "conflict" || res[1].(map[string]any)["ok"] != true {
		t.Fatalf("second bulk: %d %s", status, raw)
	}
	// Figures that do not add up are refused with the gap.
	// A month not lived yet: refused whole (to come) or item by item (in progress).
	status, x, raw = call(ofKey, "POST", "/api/v1/attestations", map[string]any{"month": "2026-05", "items": []any{map[string]any{"enrolment_id": ids[2]}}})
	if status != 422 || !strings.Contains(raw, "Le mois de mai 2026 n'est pas encore vécu") {
		t.Fatalf("a month to come: %d %s", status, raw)
	}
	status, x, raw = call(ofKey, "POST", "/api/v1/attestations", map[string]any{"month": "2026-04", "items": []any{map[string]any{"enrolment_id": ids[2]}}})
	res, _ = x["results"].([]any)
	if status != 200 || len(res) != 1 || res[0].(map[string]any)["ok"] != false || !strings.Contains(raw, "il pourra être attesté à partir du jeudi 30/04/2026") {
		t.Fatalf("the month in progress: %d %s", status, raw)
	}
	// Rectificative.
	if status, _, raw = call(ofKey, "POST", "/api/v1/attestations/"+strconv.FormatInt(ids[2], 10)+"/rectificatives", map[string]any{"month": "2026-03", "figures": fig(154, 150, 0, 0), "reason": "x"}); status != 422 || !strings.Contains(raw, "il manque 4 h") {
		t.Fatalf("a rectificative that does not add up: %d %s", status, raw)
	}
	id := strconv.FormatInt(ids[0], 10)
	if status, _, raw = call(ofKey, "POST", "/api/v1/attestations/"+id+"/rectificatives", map[string]any{"month": "2026-03", "figures": fig(154, 147, 7, 0), "reason": "Une journée d'absence de plus"}); status != 201 {
		t.Fatalf("rectify: %d %s", status, raw)
	}
	if status, _, _ = call(ofBKey, "POST", "/api/v1/attestations/"+id+"/rectificatives", map[string]any{"month": "2026-03", "figures": fig(154, 147, 7, 0), "reason": "x"}); status != 404 {
		t.Fatalf("other OF rectifying: %d", status)
	}
	status, x, raw = call(ofKey, "GET", "/api/v1/attestations/"+id+"?month=2026-03", nil)
	if status != 200 || len(x["history"].([]any)) != 2 || x["history"].([]any)[0].(map[string]any)["attended"] != "150,5 h" {
		t.Fatalf("history: %d %s", status, raw)
	}
	// France Travail.
	status, x, raw = call(drKey, "GET", "/api/v1/ft/attestations?month=2026-03", nil)
	if status != 200 || x["total"].(map[string]any)["received"] != 3.0 || x["total"].(map[string]any)["missing"] != 0.0 {
		t.Fatalf("overview: %d %s", status, raw)
	}
	status, _, raw = call(drKey, "GET", "/api/v1/ft/attestations.csv?month=2026-03", nil)
	if status != 200 || !strings.HasPrefix(raw, "\uFEFFMois;") || !strings.Contains(raw, "Stagiaire 0;Organisme A;") || !strings.Contains(raw, ";154;147;7;0;2;rectificative;Une journée d'absence de plus;") {
		t.Fatalf("export: %d %s", status, raw)
	}
	if status, _, _ = call(ofKey, "GET", "/api/v1/ft/attestations.csv?month=2026-03", nil); status != 403 {
		t.Fatalf("OF export: %d", status)
	}
}
