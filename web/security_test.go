package web_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/fixture"
)

// Issue 16, finding 8: bad bytes in a form or a query string get a French
// 422 naming the field, on both engines, before any handler or database
// sees them (anonymous login included); a huge q no longer breaks LIKE.
func TestWebRefusesBadInputAtTheEdge(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for _, v := range []url.Values{
		{"email": {"a\x00b@x.fr"}, "password": {"x"}},
		{"email": {"a\xff\xfe@x.fr"}, "password": {"x"}},
		{"email": {strings.Repeat("a", 1<<20) + "@x.fr"}, "password": {"x"}},
		{"email": {"a@x.fr"}, "password": {"x\x01"}},
	} {
		resp, body := c.post("/connexion", "/connexion", v)
		if resp.StatusCode != 422 || !strings.Contains(body, "Donnée refusée") {
			t.Errorf("login with %.40q: %d", v.Get("email"), resp.StatusCode)
		}
	}
	admin := e.client(t)
	admin.login(e.Users[kairos.RoleAdmin].Email)
	for _, p := range []string{"/admin/utilisateurs?q=" + strings.Repeat("%25a", 60000), "/admin/journal?q=" + strings.Repeat("x", 60000), "/admin/journal?q=a%00b", "/admin/utilisateurs?q=%C3%28"} {
		if status, body := admin.get(p); status != 422 || !strings.Contains(body, "« q »") {
			t.Errorf("%.40s: %d", p, status)
		}
	}
	if status, _ := admin.get("/admin/journal?q=" + strings.Repeat("x", 200)); status != 200 {
		t.Errorf("a 200-character q: %d", status)
	}
	if status, _ := c.get("/agenda/abc%00def"); status != 404 {
		t.Errorf("NUL in a path: %d", status)
	}
}

// Issue 16, finding 6: a return address can only be a path on this site;
// a tab or a backslash (which browsers turn into "//") is refused.
func TestLoginNeverRedirectsOffSite(t *testing.T) {
	e := newEnv(t)
	for _, retour := range []string{"/\t/evil.example/", "/\\evil.example/", "//evil.example/", "https://evil.example/", "/\n/evil.example", "/%09/evil.example/"} {
		c := e.client(t)
		resp, _ := c.post("/connexion", "/connexion", url.Values{"email": {e.Users[kairos.RoleAdmin].Email}, "password": {fixture.Password}, "retour": {retour}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != 422 && resp.StatusCode != http.StatusSeeOther {
			t.Errorf("retour %q: %d", retour, resp.StatusCode)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
		if strings.HasPrefix(browser, "//") || strings.Contains(loc, "evil") && !strings.HasPrefix(loc, "/%") {
			t.Errorf("retour %q → %d Location %q", retour, resp.StatusCode, loc)
		}
	}
	c2 := e.client(t)
	resp, _ := c2.post("/connexion", "/connexion", url.Values{"email": {e.Users[kairos.RoleAdmin].Email}, "password": {fixture.Password}, "retour": {"/admin/journal?q=a"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/admin/journal?q=a" {
		t.Errorf("a local return address is lost: %q", loc)
	}
}

// Issue 16, finding 9: /metrics is for the scraper holding the token (and
// administrators), and uploads beyond the memory limit leave no temporary file.
func TestMetricsTokenAndNoTemporaryFilesLeft(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := newEnvWith(t, map[string]string{"KAIROS_METRICS_TOKEN": "jeton-de-supervision-0123456789"})
	req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer jeton-de-supervision-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("metrics with the token: %d", resp.StatusCode)
	}
	req.Header.Set("Authorization", "Bearer faux")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 404 {
		t.Fatalf("metrics with a wrong token: %d", resp.StatusCode)
	}

	c := e.client(t)
	c.login(e.Users[kairos.RoleCarif].Email)
	_, page := c.get("/catalogue/imports")
	tok := csrfRE.FindStringSubmatch(page)[1]
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", tok)
	mw.WriteField("source", "carif-test")
	fw, _ := mw.CreateFormFile("fichier", "gros.xml")
	fw.Write([]byte("<lheo>"))
	fw.Write(bytes.Repeat([]byte(" "), 33<<20))
	mw.Close()
	post, _ := http.NewRequest("POST", e.srv.URL+"/catalogue/imports", &buf)
	post.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err = c.http.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "multipart-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
}

// Issue 16, finding 1: France Travail's screen says that an adhesion's SIRET
// already belongs to an organisation on Kairos, and what validating does.
func TestAdhesionScreenWarnsOfExistingOrganisation(t *testing.T) {
	e := newEnv(t)
	ctx := fixture.Ctx()
	siret := "73282932000074"
	org, err := e.Acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgOF, Name: "Organisme installé", SIRET: siret, Region: "76"})
	if err != nil {
		t.Fatal(err)
	}
	fixture.MustUser(t, e.Acc, org, kairos.RoleOFAdmin, "vraie.rgc@installe.example")
	a, _, err := adhesion.New(e.Acc).Submit(ctx, adhesion.Application{
		RaisonSociale: "Organisme installé", SIRET: siret, NDA: "76310123456", Address: "1 rue A", PostalCode: "31000", City: "Toulouse", Region: "76",
		RGCName: "Intrus", RGCEmail: "intrus@evil.example", QualiopiNumber: "Q-1", QualiopiCertifier: "AFNOR Certification",
		QualiopiFrom: "2025-01-15", QualiopiUntil: "2028-01-14", AcceptConditions: true})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login(e.Users[kairos.RoleFTGestionnaire].Email)
	status, page := c.get("/adhesions/" + itoa(a.ID))
	page = html.UnescapeString(page)
	if status != 200 || !strings.Contains(page, "Ce SIRET appartient déjà à un organisme inscrit sur Kairos") ||
		!strings.Contains(page, "vraie.rgc@installe.example") || !strings.Contains(page, "ne donne aucun accès à cette personne") {
		t.Fatalf("%d: no warning", status)
	}
}
