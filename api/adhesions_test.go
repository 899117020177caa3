package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"kairos"
)

func (e *env) send(t *testing.T, method, key, path string, body any, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestAdhesionThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	_, ftKey, err := e.Acc.CreateAPIKey(context.Background(), kairos.System, e.DR, "Outil régional")
	if err != nil {
		t.Fatal(err)
	}
	app := map[string]any{"raison_sociale": "Formations du Sud", "siret": "73282932000074", "nda": "76310123456", "adresse": "1 rue Haute",
		"code_postal": "31000", "ville": "Toulouse", "region": "76", "rgc_nom": "Rémi Faure", "rgc_email": "remi@sud.example",
		"qualiopi_numero": "Q-1", "qualiopi_certificateur": "AFNOR", "qualiopi_debut": "2025-01-01", "qualiopi_fin": "2099-01-01", "conditions": true}
	bad := map[string]any{}
	for k, v := range app {
		bad[k] = v
	}
	bad["siret"] = "73282932000075"
	resp, body := e.send(t, "POST", "", "/api/v1/adhesions", bad)
	wantProblem(t, resp, body, 422)
	if errs := body["errors"].([]any); errs[0].(map[string]any)["field"] != "siret" {
		t.Fatalf("errors %v", errs)
	}
	resp, body = e.send(t, "POST", "", "/api/v1/adhesions", app)
	if resp.StatusCode != 201 {
		t.Fatalf("submit %d %v", resp.StatusCode, body)
	}
	token := body["token"].(string)
	id := strconv.FormatInt(int64(body["adhesion"].(map[string]any)["id"].(float64)), 10)
	resp, body = e.send(t, "POST", "", "/api/v1/adhesions", app)
	wantProblem(t, resp, body, 409)

	resp, body = e.send(t, "GET", "", "/api/v1/adhesions/"+id+"/status", nil, "X-Kairos-Adhesion-Token", token)
	if resp.StatusCode != 200 || body["state"] != "demandee" {
		t.Fatalf("status %d %v", resp.StatusCode, body)
	}
	resp, body = e.send(t, "GET", "", "/api/v1/adhesions/"+id+"/status", nil, "X-Kairos-Adhesion-Token", "faux")
	wantProblem(t, resp, body, 404)

	// An OF key may not decide for France Travail; the FT key may.
	resp, body = e.send(t, "POST", e.keyA, "/api/v1/adhesions/"+id+"/decisions", map[string]any{"action": "instruire"})
	wantProblem(t, resp, body, 404) // not its adhesion
	resp, body = e.send(t, "GET", ftKey, "/api/v1/adhesions?state=demandee", nil)
	if resp.StatusCode != 200 || body["total"] != float64(1) {
		t.Fatalf("queue %d %v", resp.StatusCode, body)
	}
	resp, body = e.send(t, "POST", ftKey, "/api/v1/adhesions/"+id+"/decisions", map[string]any{"action": "valider"})
	wantProblem(t, resp, body, 409)
	for _, act := range []string{"instruire", "valider"} {
		resp, body = e.send(t, "POST", ftKey, "/api/v1/adhesions/"+id+"/decisions", map[string]any{"action": act})
		if resp.StatusCode != 200 {
			t.Fatalf("%s %d %v", act, resp.StatusCode, body)
		}
	}
	if body["state"] != "validee" || body["convention_number"] == "" {
		t.Fatalf("validated %v", body)
	}
	// The new OF's key: its adhesion, and managing users and habilitations.
	orgID := int64(body["org_id"].(float64))
	_, ofKey, err := e.Acc.CreateAPIKey(context.Background(), kairos.System, orgID, "ERP")
	if err != nil {
		t.Fatal(err)
	}
	resp, body = e.send(t, "GET", ofKey, "/api/v1/organisation/adhesion", nil)
	if resp.StatusCode != 200 || body["can_trade"] != true {
		t.Fatalf("org adhesion %d %v", resp.StatusCode, body)
	}
	resp, body = e.send(t, "POST", ofKey, "/api/v1/users", map[string]any{"email": "lea@sud.example", "name": "Léa Petit", "habilitations": []string{"assiduite"}})
	if resp.StatusCode != 201 || body["status"] != "invited" {
		t.Fatalf("invite %d %v", resp.StatusCode, body)
	}
	uid := strconv.FormatInt(int64(body["id"].(float64)), 10)
	resp, body = e.send(t, "PUT", ofKey, "/api/v1/users/"+uid+"/habilitations", map[string]any{"habilitations": []string{"assiduite", "devis"}})
	if resp.StatusCode != 200 || len(body["habilitations"].([]any)) != 2 {
		t.Fatalf("habilitations %d %v", resp.StatusCode, body)
	}
	resp, body = e.send(t, "PUT", ofKey, "/api/v1/users/"+uid+"/habilitations", map[string]any{"habilitations": []string{"pouvoirs"}})
	wantProblem(t, resp, body, 422)
	resp, body = e.send(t, "PUT", e.keyA, "/api/v1/users/"+uid+"/habilitations", map[string]any{"habilitations": []string{}})
	wantProblem(t, resp, body, 404)
	resp, body = e.send(t, "PUT", ofKey, "/api/v1/users/"+uid+"/status", map[string]any{"disabled": true})
	if resp.StatusCode != 200 || body["status"] != "disabled" {
		t.Fatalf("disable %d %v", resp.StatusCode, body)
	}
	resp, body = e.send(t, "POST", ofKey, "/api/v1/organisation/qualiopi", map[string]any{"numero": "", "certificateur": "X", "debut": "2025-01-01", "fin": "2024-01-01"})
	wantProblem(t, resp, body, 422)
	resp, body = e.send(t, "GET", ftKey, "/api/v1/organisation/adhesion", nil)
	wantProblem(t, resp, body, 403)
}
