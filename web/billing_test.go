package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/fixture"
)

func TestBillingDetailsOnMyOrganisation(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	if _, err := e.DB().Exec(fixture.Ctx(), `INSERT INTO adhesions (state, raison_sociale, siret, siren, nda, address, postal_code, city, region,
		rgc_name, rgc_email, token_hash, conditions_at, org_id, convention_number, valid_from, valid_until, submitted_at, updated_at)
		VALUES ('validee', 'Organisme A', '73282932000074', '732829320', '11755012375', '12 rue X', '75010', 'Paris', '11',
		'RGC', 'rgc@a.example', 'x', ?, ?, 'KAI-T-1', ?, ?, ?, ?)`, now, e.OFA, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0), now, now); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login(e.Users[kairos.RoleOFAdmin].Email)
	if code, page := c.get("/mon-organisme"); code != 200 || !strings.Contains(page, "Saisir les coordonnées de facturation") {
		t.Fatalf("mon organisme: %d", code)
	}
	// Wrong key and wrong BIC: 422, French errors next to the fields, values kept.
	resp, page := c.post("/mon-organisme/facturation", "/mon-organisme/facturation", url.Values{
		"iban": {"FR76 3000 6000 0112 3456 7890 188"}, "bic": {"AGRIFRP"}, "titulaire": {"Organisme A"}, "tva": {"FR45732829320"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid: %d", resp.StatusCode)
	}
	for _, want := range []string{"La clé de l&#39;IBAN est fausse", "Un BIC compte 8 ou 11 caractères", "La clé du numéro de TVA est fausse", `value="FR76 3000 6000 0112 3456 7890 188"`} {
		if !strings.Contains(page, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	resp, _ = c.post("/mon-organisme/facturation", "/mon-organisme/facturation", url.Values{
		"iban": {"FR76 3000 6000 0112 3456 7890 189"}, "bic": {"AGRIFRPP"}, "titulaire": {"Organisme A"}, "tva": {"FR44732829320"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/mon-organisme" {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = c.get("/mon-organisme")
	for _, want := range []string{"Coordonnées de facturation enregistrées", `<dd id="iban">FR76 3000 6000 0112 3456 7890 189</dd>`, "AGRIFRPP", "FR44732829320"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if _, page = c.get("/mon-organisme/facturation"); !strings.Contains(page, `value="FR76 3000 6000 0112 3456 7890 189"`) {
		t.Error("form not pre-filled")
	}
	// Other roles: forbidden, page and form.
	for _, r := range []kairos.Role{kairos.RoleOFUser, kairos.RoleFTComptable, kairos.RoleConseiller} {
		o := e.client(t)
		o.login(e.Users[r].Email)
		if code, _ := o.get("/mon-organisme/facturation"); code != http.StatusForbidden {
			t.Errorf("%s GET: %d", r, code)
		}
		resp, _ := o.post("/accueil", "/mon-organisme/facturation", url.Values{"iban": {"FR7630006000011234567890189"}, "bic": {"AGRIFRPP"}, "titulaire": {"X"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST: %d", r, resp.StatusCode)
		}
	}
	// Without the CSRF token: refused.
	resp, _ = c.rawPost("/mon-organisme/facturation", url.Values{"iban": {"FR7630006000011234567890189"}, "bic": {"AGRIFRPP"}, "titulaire": {"X"}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF: %d", resp.StatusCode)
	}
}
