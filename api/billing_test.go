package api_test

import (
	"testing"
)

func TestBillingDetailsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	resp, body := e.send(t, "GET", e.keyA, "/api/v1/organisation/facturation", nil)
	wantProblem(t, resp, body, 404)
	resp, body = e.send(t, "PUT", e.keyA, "/api/v1/organisation/facturation", map[string]any{"iban": "FR76 3000 6000 0112 3456 7890 188", "bic": "AGRIFRPP", "titulaire": "Organisme A", "tva_intracommunautaire": "FR45732829320"})
	wantProblem(t, resp, body, 422)
	fields := map[string]bool{}
	for _, e := range body["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	if !fields["iban"] || !fields["tva_intracommunautaire"] {
		t.Fatalf("field errors %v", body)
	}
	resp, body = e.send(t, "PUT", e.keyA, "/api/v1/organisation/facturation", map[string]any{"iban": "fr76 3000 6000 0112 3456 7890 189", "bic": "agrifrpp", "titulaire": "Organisme A", "inconnu": 1})
	wantProblem(t, resp, body, 422)
	resp, body = e.send(t, "PUT", e.keyA, "/api/v1/organisation/facturation", map[string]any{"iban": "fr76 3000 6000 0112 3456 7890 189", "bic": "agrifrpp", "titulaire": "Organisme A"})
	if resp.StatusCode != 200 || body["iban"] != "FR7630006000011234567890189" || body["bic"] != "AGRIFRPP" {
		t.Fatalf("put %d %v", resp.StatusCode, body)
	}
	resp, body = e.send(t, "GET", e.keyA, "/api/v1/organisation/facturation", nil)
	if resp.StatusCode != 200 || body["titulaire"] != "Organisme A" {
		t.Fatalf("get %d %v", resp.StatusCode, body)
	}
	// Another OF's key sees its own (none), never OF A's.
	resp, body = e.send(t, "GET", e.keyB, "/api/v1/organisation/facturation", nil)
	wantProblem(t, resp, body, 404)
}
