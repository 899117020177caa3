package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/fixture"
)

func TestAppointmentsAPI(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	clock := &fixture.Clock{T: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	svc := &appointments.Service{DB: acc.DB, Clock: clock.Now, BaseURL: "http://kairos.test"}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Appointments = svc
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, ofBKey, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")
	_, agKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "SI agence")
	if err := svc.SetDemandeur(fixture.Ctx(), w.Users[kairos.RoleDemandeur].ID, "FT123", w.Agence, w.Users[kairos.RoleConseiller].ID); err != nil {
		t.Fatal(err)
	}
	call := func(key, method, path string, body any) (int, map[string]any) {
		t.Helper()
		status, out, _ := apiCall(t, srv.URL, key, method, path, body)
		return status, out
	}
	in := map[string]any{"kind": "collectif", "title": "ICO Cariste", "date": "2026-06-10", "start": "09:00", "end": "10:00", "place": "Entrepôt, Toulouse", "capacity": 1}
	status, x := call(ofKey, "POST", "/api/v1/appointments", in)
	if status != 201 {
		t.Fatalf("create: %d %v", status, x)
	}
	id := strconv.Itoa(int(x["id"].(float64)))
	if status, body := call(ofKey, "POST", "/api/v1/appointments", map[string]any{"kind": "x"}); status != 422 || len(body["errors"].([]any)) == 0 {
		t.Fatalf("invalid create: %d %v", status, body)
	}
	if status, _ := call(ofBKey, "GET", "/api/v1/appointments/"+id, nil); status != 404 {
		t.Fatalf("other OF: %d", status)
	}
	if status, _ := call(ofKey, "POST", "/api/v1/appointments/"+id+"/registrations", map[string]any{"ft_id": "FT123"}); status != 403 {
		t.Fatalf("OF registering: %d", status)
	}
	status, p := call(agKey, "POST", "/api/v1/appointments/"+id+"/registrations", map[string]any{"ft_id": "FT123"})
	if status != 201 || p["status"] != "inscrit" {
		t.Fatalf("register: %d %v", status, p)
	}
	pid := strconv.Itoa(int(p["id"].(float64)))
	if status, _ := call(agKey, "POST", "/api/v1/appointments/"+id+"/registrations", map[string]any{"ft_id": "FT123"}); status != 409 {
		t.Fatalf("twice: %d", status)
	}
	clock.T = time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	status, d := call(ofKey, "POST", "/api/v1/appointments/"+id+"/attendance", map[string]any{"items": []map[string]any{{"participant_id": p["id"], "status": "present", "result": "retenu"}}})
	if status != 200 {
		t.Fatalf("attendance: %d %v", status, d)
	}
	got := d["participants"].([]any)[0].(map[string]any)
	if got["status"] != "present" || got["result"] != "retenu" {
		t.Fatalf("participant %v", got)
	}
	if status, _ := call(agKey, "DELETE", "/api/v1/appointments/"+id+"/registrations/"+pid, nil); status != 409 {
		t.Fatalf("unregister after the appointment: %d", status)
	}
	status, l := call(ofKey, "GET", "/api/v1/appointments?from=2026-06-01", nil)
	if status != 200 || len(l["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", status, l)
	}
	status, _ = call(ofKey, "POST", "/api/v1/appointments/"+id+"/cancel", map[string]any{"reason": "Trop tard"})
	if status != 409 {
		t.Fatalf("cancel a past appointment: %d", status)
	}
	var n int
	acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM events WHERE type IN ('appointment.create', 'appointment.register', 'appointment.participant.present', 'appointment.result.retenu')").Scan(&n)
	if n != 4 {
		t.Fatalf("%d events", n)
	}
}
