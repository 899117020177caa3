package catalogue_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/catalogue"
	"kairos/fixture"
)

// Issue 16, finding 4: an import source belongs to the Carif that created
// it; another Carif (or a source only the platform used) is refused with
// 403, and a Carif reads its own imports only.
func TestImportSourceBelongsToItsCarif(t *testing.T) {
	s, acc := newService(t)
	occ := fixture.MustOrg(t, acc, kairos.OrgCarif, "Carif Occitanie")
	ara := fixture.MustOrg(t, acc, kairos.OrgCarif, "Carif ARA")
	as := func(org int64) context.Context {
		return kairos.WithActor(context.Background(), &kairos.Actor{APIKeyID: org, OrgID: org, Role: kairos.RoleCarif, Name: "clé"})
	}
	doc := sample(t, "intercarif-occitanie-daeu.lheo22.xml")
	// The platform (command line, demo) loads a source of its own.
	platform := mustImport(t, s, doc, catalogue.ImportOptions{Source: "demo-formapro", FileName: "demo.xml"})
	mine, err := s.Import(as(occ), bytes.NewReader(doc), catalogue.ImportOptions{Source: "carif-occitanie", FileName: "occ.xml"})
	if err != nil || mine.Status != catalogue.StatusDone {
		t.Fatalf("own source: %+v %v", mine, err)
	}
	before := len(allSessions(t, s, catalogue.Filter{}))
	for _, src := range []string{"carif-occitanie", "demo-formapro"} {
		_, err := s.Import(as(ara), bytes.NewReader([]byte(`<lheo xmlns="http://lheo.gouv.fr/2.3"><offres></offres></lheo>`)), catalogue.ImportOptions{Source: src, FileName: "x.xml"})
		if kairos.ErrorCode(err) != kairos.EForbidden || kairos.HTTPStatus(kairos.ErrorCode(err)) != 403 {
			t.Fatalf("Carif ARA into %s: %v", src, err)
		}
	}
	if after := len(allSessions(t, s, catalogue.Filter{})); after != before || before == 0 {
		t.Fatalf("sessions %d → %d", before, after)
	}
	// The owner goes on using its source.
	if _, err := s.Import(as(occ), bytes.NewReader(doc), catalogue.ImportOptions{Source: "carif-occitanie", FileName: "occ2.xml"}); err != nil {
		t.Fatal(err)
	}
	// Reading: ARA sees none of the others' imports.
	if _, err := s.ImportByID(as(ara), mine.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("ARA reads Occitanie's import: %v", err)
	}
	if _, err := s.ImportByID(as(ara), platform.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("ARA reads the platform's import: %v", err)
	}
	list, total, err := s.Imports(as(ara), 0, 50)
	if err != nil || total != 0 || len(list) != 0 {
		t.Fatalf("ARA lists %d imports (%v)", total, err)
	}
	list, total, err = s.Imports(as(occ), 0, 50)
	if err != nil || total != 2 || len(list) != 2 {
		t.Fatalf("Occitanie lists %d imports (%v)", total, err)
	}
	if _, total, _ := s.Imports(ctx(), 0, 50); total != 3 {
		t.Fatalf("the platform lists %d imports", total)
	}
}

// Issue 16, finding 9: an import interrupted mid-way (process killed) does
// not stay « en cours » forever.
func TestInterruptedImportIsClosed(t *testing.T) {
	s, acc := newService(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	old, err := acc.DB.Insert(ctx(), `INSERT INTO catalogue_imports (source, file_name, status, started_at) VALUES (?, ?, ?, ?)`, "x", "a.xml", catalogue.StatusRunning, now.Add(-3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	recent, err := acc.DB.Insert(ctx(), `INSERT INTO catalogue_imports (source, file_name, status, started_at) VALUES (?, ?, ?, ?)`, "x", "b.xml", catalogue.StatusRunning, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.FailStaleImports(ctx()); err != nil || n != 1 {
		t.Fatalf("closed %d (%v)", n, err)
	}
	if i, _ := s.ImportByID(ctx(), old); i.Status != catalogue.StatusFailed || !strings.Contains(i.ErrorMessage, "interrompu") {
		t.Fatalf("old import: %+v", i)
	}
	if i, _ := s.ImportByID(ctx(), recent); i.Status != catalogue.StatusRunning {
		t.Fatalf("running import: %+v", i)
	}
}
