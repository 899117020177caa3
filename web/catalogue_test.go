package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"kairos"
)

func TestCatalogueUploadSearchAndOffer(t *testing.T) {
	e := newEnv(t)
	carif := e.client(t)
	carif.login(e.Users[kairos.RoleCarif].Email)
	_, page := carif.get("/catalogue/imports")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the imports page")
	}
	doc, err := os.ReadFile("../lheo/testdata/intercarif-occitanie-daeu.lheo22.xml")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", m[1])
	mw.WriteField("source", "occitanie")
	fw, _ := mw.CreateFormFile("fichier", "daeu.xml")
	fw.Write(doc)
	mw.Close()
	req, _ := http.NewRequest("POST", carif.base+"/catalogue/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := carif.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/catalogue/imports/") {
		t.Fatalf("upload: %d %s", resp.StatusCode, loc)
	}
	if status, report := carif.get(loc); status != 200 || !strings.Contains(report, "Importé") || !strings.Contains(report, "daeu.xml") {
		t.Fatalf("report page: %d", status)
	}
	if status, csv := carif.get(loc + "/rapport.csv"); status != 200 || !strings.Contains(csv, "sessions;créées 1") {
		t.Fatalf("CSV: %d %s", status, csv)
	}

	cons := e.client(t)
	cons.login(e.Users[kairos.RoleConseiller].Email)
	status, res := cons.get("/catalogue?q=ETUDES+universitaires&departement=31")
	if status != 200 || !strings.Contains(res, "Diplôme d&#39;accès aux études universitaires") {
		t.Fatalf("search: %d", status)
	}
	if status, _ := cons.get("/catalogue/imports"); status != 403 {
		t.Fatalf("a counsellor reaches the imports: %d", status)
	}
	if status, x := cons.get("/catalogue/export.xml"); status != 200 || !strings.Contains(x, `xmlns="http://lheo.gouv.fr/2.3"`) {
		t.Fatalf("export: %d", status)
	}

	of := e.client(t)
	of.login(e.Users[kairos.RoleOFAdmin].Email)
	if status, offer := of.get("/organisme/offre"); status != 200 || !strings.Contains(offer, "non renseigné") {
		t.Fatalf("offer without SIRET: %d", status)
	}
}
