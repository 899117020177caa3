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
	// The file's session ended years ago: hidden unless ended sessions are asked for.
	status, res := cons.get("/catalogue?q=ETUDES+universitaires&departement=31")
	if status != 200 || strings.Contains(res, "Diplôme d&#39;accès aux études universitaires") || !strings.Contains(res, `id="terminees"`) {
		t.Fatalf("search shows an ended session by default: %d", status)
	}
	status, res = cons.get("/catalogue?q=ETUDES+universitaires&departement=31&terminees=1")
	if status != 200 || !strings.Contains(res, "Diplôme d&#39;accès aux études universitaires") || !strings.Contains(res, `id="terminees" name="terminees" value="1" checked`) {
		t.Fatalf("search with ended sessions: %d", status)
	}
	// The region is chosen by its name.
	if _, res := cons.get("/catalogue?region=76&terminees=1"); !strings.Contains(res, `<option value="76" selected>Occitanie</option>`) || strings.Contains(res, "Diplôme d&#39;accès aux études universitaires") {
		t.Error("no region select, or the region filter kept a session of another region")
	}
	// The file's session is in a former region (73, Midi-Pyrénées).
	if _, res := cons.get("/catalogue?region=73&terminees=1"); !strings.Contains(res, `<option value="73" selected>Région de code 73</option>`) || !strings.Contains(res, "Diplôme d&#39;accès aux études universitaires") {
		t.Error("a former region's code is lost")
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
