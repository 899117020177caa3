package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
)

// TestEnrolmentsAPI: an agence proposes, the OF confirms, declares the entry
// and an absence with a justificatif, reads its dashboard; another OF sees
// nothing; FT reads the punctuality.
func TestEnrolmentsAPI(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clock := &fixture.Clock{T: now}
	svc := &enrolment.Service{DB: acc.DB, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: now.AddDate(0, 0, -2), Fin: now.AddDate(0, 6, 0)}}}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Enrolment = svc
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP A")
	_, ofBKey, _ := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "ERP B")
	_, agKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "SI agence")
	_, drKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.DR, "SI DR")
	de := w.Users[kairos.RoleDemandeur]
	if err := (&appointments.Service{DB: acc.DB}).SetDemandeur(fixture.Ctx(), de.ID, "FT123", w.Agence, w.Users[kairos.RoleConseiller].ID); err != nil {
		t.Fatal(err)
	}
	call := func(key, method, path string, body any) (int, map[string]any) {
		t.Helper()
		status, out, _ := apiCall(t, srv.URL, key, method, path, body)
		return status, out
	}
	status, x := call(agKey, "POST", "/api/v1/enrolments", map[string]any{"demandeur_id": de.ID, "session_id": 1})
	if status != 201 || x["state"] != "proposee" {
		t.Fatalf("propose: %d %v", status, x)
	}
	id := strconv.Itoa(int(x["id"].(float64)))
	if status, _ := call(ofBKey, "GET", "/api/v1/enrolments/"+id, nil); status != 404 {
		t.Fatalf("other OF: %d", status)
	}
	if status, _ := call(agKey, "POST", "/api/v1/enrolments/"+id+"/actions", map[string]any{"action": "inscrire"}); status != 403 {
		t.Fatalf("agence confirming: %d", status)
	}
	if status, x = call(ofKey, "POST", "/api/v1/enrolments/"+id+"/actions", map[string]any{"action": "inscrire"}); status != 200 || x["state"] != "inscrite" {
		t.Fatalf("inscrire: %d %v", status, x)
	}
	today := calendar.DateOf(now)
	if status, x = call(ofKey, "POST", "/api/v1/enrolments/"+id+"/actions", map[string]any{"action": "entrer", "date": today.AddDays(3).String()}); status != 422 {
		t.Fatalf("entry in the future: %d %v", status, x)
	}
	if status, x = call(ofKey, "POST", "/api/v1/enrolments/"+id+"/actions", map[string]any{"action": "entrer", "date": today.AddDays(-2).String()}); status != 200 || x["entry_on"] != today.AddDays(-2).String() {
		t.Fatalf("entrer: %d %v", status, x)
	}
	pdf := []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	status, ab := call(ofKey, "POST", "/api/v1/enrolments/"+id+"/absences", map[string]any{"from": today.String(), "minutes": 120, "justified": true,
		"justificatif": map[string]any{"name": "arret.pdf", "content": base64.StdEncoding.EncodeToString(pdf)}})
	if status != 201 || len(ab["files"].([]any)) != 1 {
		t.Fatalf("absence: %d %v", status, ab)
	}
	status, d := call(ofKey, "GET", "/api/v1/dashboard", nil)
	if status != 200 || d["in_training"] != float64(1) || d["declared_movements"] != float64(1) {
		t.Fatalf("dashboard: %d %v", status, d)
	}
	status, l := call(ofKey, "GET", "/api/v1/enrolments?state=entree", nil)
	if status != 200 || len(l["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", status, l)
	}
	if status, l = call(ofBKey, "GET", "/api/v1/enrolments", nil); status != 200 || len(l["items"].([]any)) != 0 {
		t.Fatalf("OF B list: %d %v", status, l)
	}
	if status, p := call(agKey, "GET", "/api/v1/portfolio", nil); status != 200 || len(p["items"].([]any)) != 1 {
		t.Fatalf("portfolio: %d %v", status, p)
	}
	if status, p := call(drKey, "GET", "/api/v1/punctuality", nil); status != 200 || len(p["items"].([]any)) != 1 {
		t.Fatalf("punctuality: %d %v", status, p)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/enrolments/"+id+"/documents/aes", nil)
	req.Header.Set("Authorization", "Bearer "+agKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("AES by the agence: %d", resp.StatusCode)
	}
}
