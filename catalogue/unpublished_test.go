package catalogue_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"kairos"
	"kairos/catalogue"
	"kairos/lheo/lheotest"
)

// skipOnPostgres skips a test of SQLite's publication in short
// transactions: PostgreSQL publishes an import in one transaction.
func skipOnPostgres(t *testing.T, s *catalogue.Service) {
	t.Helper()
	if s.DB.Engine() != "sqlite" {
		t.Skip("PostgreSQL publishes an import in one transaction, which other writers do not wait for")
	}
}

// visibleState is what readers of the catalogue see.
type visibleState struct {
	sessions, formations, exported int
}

func mustVisible(t *testing.T, s *catalogue.Service) visibleState {
	t.Helper()
	res, err := s.Search(ctx(), catalogue.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.LiveFormations(ctx())
	if err != nil {
		t.Fatal(err)
	}
	exported, _, err := s.Export(ctx(), io.Discard)
	if err != nil && !(kairos.ErrorCode(err) == kairos.ENotFound) {
		t.Fatal(err)
	}
	return visibleState{res.Total, n, exported}
}

// On SQLite the new rows of an import are written in short transactions
// before it publishes, and no reader sees them until it does: searches
// (by filters and by words), lookups by id and by numero, the count of
// formations and the export. Meanwhile another writer goes through.
func TestImportHidesUnpublishedRows(t *testing.T) {
	s, _ := newService(t)
	skipOnPostgres(t, s)
	mustImport(t, s, lheotest.MustGenerate(t, 300, 3), catalogue.ImportOptions{Source: "avant"})
	before := mustVisible(t, s)
	if before.sessions != 300 || before.formations == 0 || before.exported != before.formations {
		t.Fatalf("after the first import: %+v", before)
	}
	var maxID int64
	if err := s.DB.QueryRow(ctx(), "SELECT MAX(id) FROM catalogue_sessions").Scan(&maxID); err != nil {
		t.Fatal(err)
	}
	paused := false
	defer catalogue.SetAfterPrepublish(func() error {
		paused = true
		if n := count(t, s, "catalogue_sessions"); n != 700 {
			t.Errorf("%d session rows written before the publication, want 700", n)
		}
		if got := mustVisible(t, s); got != before {
			t.Errorf("before the publication readers see %+v, want %+v", got, before)
		}
		var id int64
		var title, numero string
		if err := s.DB.QueryRow(ctx(), "SELECT id, intitule, numero FROM catalogue_sessions WHERE id > ? ORDER BY id LIMIT 1", maxID).Scan(&id, &title, &numero); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByID(ctx(), id); !(kairos.ErrorCode(err) == kairos.ENotFound) {
			t.Errorf("unpublished session %d by id: %v", id, err)
		}
		if _, err := s.Session(ctx(), id); !(kairos.ErrorCode(err) == kairos.ENotFound) {
			t.Errorf("unpublished session %d in detail: %v", id, err)
		}
		got, err := s.SessionsByNumero(ctx(), numero, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range got {
			if x.ID > maxID {
				t.Errorf("unpublished session %d by numero %s", x.ID, numero)
			}
		}
		for _, f := range []catalogue.Filter{{Q: title}, {Q: title, Sort: catalogue.SortStart}} {
			for _, x := range allSessions(t, s, f) {
				if x.ID > maxID {
					t.Errorf("search %+v found the unpublished session %d", f, x.ID)
				}
			}
		}
		// Another writer is not held up: no transaction is open.
		if _, err := s.DB.Exec(ctx(), "INSERT INTO catalogue_imports (source, status, started_at) VALUES ('autre', ?, ?)", catalogue.StatusFailed, s.Clock.Now()); err != nil {
			t.Errorf("a write while the import is unpublished: %v", err)
		}
		return nil
	}, 7, 50)()
	imp := mustImport(t, s, lheotest.MustGenerate(t, 400, 4), catalogue.ImportOptions{Source: "apres"})
	if !paused || imp.Status != catalogue.StatusDone || imp.Counts.Sessions.Created != 400 {
		t.Fatalf("second import (paused %v): %+v", paused, imp)
	}
	after := mustVisible(t, s)
	if after.sessions != 700 || after.formations <= before.formations || after.exported != after.formations {
		t.Fatalf("after the publication: %+v (before %+v)", after, before)
	}
}

// An import that fails once its new rows are written leaves none of them,
// nor their full-text entries, and the next import goes through.
func TestImportFailedAfterPrepublishLeavesNothing(t *testing.T) {
	s, _ := newService(t)
	skipOnPostgres(t, s)
	mustImport(t, s, lheotest.MustGenerate(t, 200, 5), catalogue.ImportOptions{Source: "avant"})
	rows := func() [3]int {
		return [3]int{count(t, s, "catalogue_formations"), count(t, s, "catalogue_sessions"), count(t, s, "catalogue_search")}
	}
	before, visible := rows(), mustVisible(t, s)
	restore := catalogue.SetAfterPrepublish(func() error { return errors.New("arrêt du test") }, 5, 40)
	doc := lheotest.MustGenerate(t, 500, 6)
	imp, err := s.Import(ctx(), bytes.NewReader(doc), catalogue.ImportOptions{Source: "echec"})
	restore()
	if err == nil || imp.Status != catalogue.StatusFailed {
		t.Fatalf("failed import: %+v %v", imp, err)
	}
	if got := rows(); got != before {
		t.Fatalf("rows (formations, sessions, full text) after the failure: %v, before %v", got, before)
	}
	if got := mustVisible(t, s); got != visible {
		t.Fatalf("readers see %+v after the failure, before %+v", got, visible)
	}
	if imp := mustImport(t, s, doc, catalogue.ImportOptions{Source: "echec"}); imp.Status != catalogue.StatusDone || imp.Counts.Sessions.Created != 500 {
		t.Fatalf("import after the failure: %+v", imp)
	}
	if got := mustVisible(t, s); got.sessions != 700 {
		t.Fatalf("after the next import: %+v", got)
	}
}

// The rows of an import whose process stopped before it published (here: a
// panic) stay hidden, and the next import deletes them before its own.
func TestImportPurgesRowsOfAnInterruptedImport(t *testing.T) {
	s, _ := newService(t)
	skipOnPostgres(t, s)
	mustImport(t, s, lheotest.MustGenerate(t, 200, 7), catalogue.ImportOptions{Source: "avant"})
	visible := mustVisible(t, s)
	doc := lheotest.MustGenerate(t, 300, 8)
	func() {
		defer catalogue.SetAfterPrepublish(func() error { panic("arrêt brutal") }, 1000, 5000)()
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("the import did not stop")
			}
		}()
		s.Import(ctx(), bytes.NewReader(doc), catalogue.ImportOptions{Source: "coupee"})
	}()
	if n := count(t, s, "catalogue_sessions"); n != 500 {
		t.Fatalf("%d session rows after the interruption, want 500 (300 unpublished)", n)
	}
	if got := mustVisible(t, s); got != visible {
		t.Fatalf("readers see %+v after the interruption, before %+v", got, visible)
	}
	imp := mustImport(t, s, doc, catalogue.ImportOptions{Source: "coupee"})
	if imp.Status != catalogue.StatusDone || imp.Counts.Sessions.Created != 300 {
		t.Fatalf("next import: %+v", imp)
	}
	if n := count(t, s, "catalogue_sessions"); n != 500 {
		t.Fatalf("%d session rows after the next import, want 500", n)
	}
	if got := mustVisible(t, s); got.sessions != 500 || got.exported != got.formations {
		t.Fatalf("after the next import: %+v", got)
	}
}

// A first import into an empty catalogue drops the tables' secondary
// indexes while it writes the rows unpublished, and builds them again
// before it publishes. Meanwhile searches (whose plans name those indexes)
// answer that nothing matches, without an error; if the process stops in
// between, the next import builds the indexes again.
func TestFirstLoadWithoutIndexesUntilPublished(t *testing.T) {
	s, _ := newService(t)
	skipOnPostgres(t, s)
	defer catalogue.SetBulkFrom(50)()
	indexes := indexDefs(t, s)
	empty := mustVisible(t, s)
	check := func(when string) {
		if got := indexDefs(t, s); strings.Contains(got, "catalogue_sessions_region") || strings.Contains(got, "catalogue_formations_identity") {
			t.Errorf("%s: the secondary indexes were not dropped:\n%s", when, got)
		}
		if got := mustVisible(t, s); got != empty {
			t.Errorf("%s: readers see %+v", when, got)
		}
		for _, f := range []catalogue.Filter{{Departement: "31"}, {Region: "84"}, {Q: "soudage"}, {Q: "soudage", Sort: catalogue.SortStart, Departement: "31"}} {
			if res, err := s.Search(ctx(), f); err != nil || res.Total != 0 {
				t.Errorf("%s: search %+v: %+v %v", when, f, res, err)
			}
		}
		if got, err := s.SessionsOfSIRET(ctx(), "12345678900012", 0, 10); err != nil || len(got) != 0 {
			t.Errorf("%s: sessions of a SIRET: %d %v", when, len(got), err)
		}
	}
	doc := lheotest.MustGenerate(t, 600, 9)
	func() {
		defer catalogue.SetAfterPrepublish(func() error {
			check("while the first import is unpublished")
			panic("arrêt brutal")
		}, 20, 100)()
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("the import did not stop")
			}
		}()
		s.Import(ctx(), bytes.NewReader(doc), catalogue.ImportOptions{Source: "premier"})
	}()
	check("after the interruption")
	imp := mustImport(t, s, doc, catalogue.ImportOptions{Source: "premier"})
	if imp.Status != catalogue.StatusDone || imp.Counts.Sessions.Created != 600 {
		t.Fatalf("next import: %+v", imp)
	}
	if got := indexDefs(t, s); got != indexes {
		t.Fatalf("indexes after the next import:\n%s\nbefore:\n%s", got, indexes)
	}
	if n := count(t, s, "catalogue_dropped_indexes"); n != 0 {
		t.Fatalf("%d dropped indexes still recorded", n)
	}
	if got := mustVisible(t, s); got.sessions != 600 {
		t.Fatalf("after the next import: %+v", got)
	}
	if res, err := s.Search(ctx(), catalogue.Filter{Q: "soudage", Departement: "31"}); err != nil {
		t.Fatalf("search after the import: %+v %v", res, err)
	}
}
