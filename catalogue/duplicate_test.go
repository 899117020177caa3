package catalogue_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"kairos/catalogue"
	"kairos/lheo/lheotest"
)

// formationsOf splits a generated document into its prolog, its
// <formation> elements and its epilog.
func formationsOf(t *testing.T, doc []byte) (head []byte, fs [][]byte, tail []byte) {
	t.Helper()
	i := bytes.Index(doc, []byte("<formation "))
	head, rest := doc[:i], doc[i:]
	for bytes.HasPrefix(rest, []byte("<formation ")) {
		j := bytes.Index(rest, []byte("</formation>")) + len("</formation>")
		for j < len(rest) && rest[j] == '\n' {
			j++
		}
		fs = append(fs, rest[:j])
		rest = rest[j:]
	}
	if len(fs) < 2 {
		t.Fatalf("generated document with %d formations", len(fs))
	}
	return head, fs, rest
}

func lineAt(doc, part []byte, nth int) int {
	off := 0
	for n := 0; n <= nth; n++ {
		i := bytes.Index(doc[off:], part)
		if i < 0 {
			return 0
		}
		off += i + 1
	}
	return bytes.Count(doc[:off-1], []byte("\n")) + 1
}

func storedSessions(t *testing.T, s *catalogue.Service, fkey string) []string {
	t.Helper()
	rows, err := s.DB.Query(ctx(), `SELECT s.numero FROM catalogue_sessions s JOIN catalogue_formations f ON f.id = s.formation_id
		WHERE f.fkey = ? AND s.withdrawn_at IS NULL ORDER BY s.numero`, fkey)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// A formation numero repeated within one file ends as one formation: the
// later occurrence replaces the earlier one whole (no merge of sessions),
// and the report names both lines.
func TestRepeatedNumeroReplacesEarlierOccurrence(t *testing.T) {
	s, _ := newService(t)
	head, fs, tail := formationsOf(t, lheotest.MustGenerate(t, 6, 3))
	f0, f1 := fs[0], fs[1]
	// The second version of F0: one session renumbered, a new title.
	f0b := bytes.Replace(f0, []byte(`<session numero="99_S0000000_0">`), []byte(`<session numero="99_S0000000_9">`), 1)
	f0b = bytes.Replace(f0b, []byte("<intitule-formation>"), []byte("<intitule-formation>Seconde version "), 1)
	if bytes.Equal(f0, f0b) {
		t.Fatal("variant unchanged")
	}
	doc := func(parts ...[]byte) []byte { return bytes.Join(append(append([][]byte{head}, parts...), tail), nil) }
	d1 := doc(f0, f1, f0b)
	first, second := lineAt(d1, []byte(`<formation numero="99_F0000000"`), 0), lineAt(d1, []byte(`<formation numero="99_F0000000"`), 1)
	const fkey = "99_F0000000"

	imp := mustImport(t, s, d1, catalogue.ImportOptions{Source: "dup"})
	c := imp.Counts
	if imp.Status != catalogue.StatusDone || c.Formations.Created != 2 || c.Formations.Updated != 0 || c.Sessions.Created != 6 ||
		c.Actions.Created != 3 || c.Sessions.Withdrawn != 0 || c.Warnings != 1 {
		t.Fatalf("first import: %+v %+v", imp, c)
	}
	if n := count(t, s, "catalogue_formations"); n != 2 {
		t.Fatalf("%d formations stored, want 2", n)
	}
	if n := count(t, s, "catalogue_sessions"); n != 6 {
		t.Fatalf("%d sessions stored, want 6", n)
	}
	if got := strings.Join(storedSessions(t, s, fkey), ","); got != "99_S0000000_1,99_S0000000_9" {
		t.Fatalf("sessions of the repeated formation: %s", got)
	}
	if got := allSessions(t, s, catalogue.Filter{Q: "seconde version"}); len(got) != 2 {
		t.Fatalf("search of the later occurrence: %d sessions", len(got))
	}
	lines, err := s.ReportLines(ctx(), imp.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("figure aussi ligne %d : cette occurrence (ligne %d) remplace la précédente", first, second)
	if len(lines) != 1 || lines[0].Kind != catalogue.LineWarning || lines[0].Line != second || lines[0].Numero != fkey || !strings.Contains(lines[0].Message, want) {
		t.Fatalf("report %+v, want %q", lines, want)
	}

	// The same file again changes nothing (the earlier occurrence differs
	// from the stored formation, the later one does not).
	again := mustImport(t, s, d1, catalogue.ImportOptions{Source: "dup"})
	c = again.Counts
	if c.Formations.Unchanged != 2 || c.Formations.Updated != 0 || c.Sessions.Unchanged != 6 || c.Sessions.Updated != 0 || c.Sessions.Created != 0 ||
		c.Sessions.Withdrawn != 0 || c.Actions.Unchanged != 3 || c.Warnings != 1 {
		t.Fatalf("second import: %+v", c)
	}

	// The order reversed: the earlier occurrence is the stored one (passed
	// over undecoded), the later one brings F0 back to its first version.
	d2 := doc(f0b, f1, f0)
	rev := mustImport(t, s, d2, catalogue.ImportOptions{Source: "dup"})
	c = rev.Counts
	if c.Formations.Updated != 1 || c.Formations.Unchanged != 1 || c.Sessions.Created != 1 || c.Sessions.Withdrawn != 1 ||
		c.Sessions.Updated != 1 || c.Sessions.Unchanged != 4 || c.Warnings != 1 {
		t.Fatalf("reversed import: %+v %s %s", c, rev.Status, rev.ErrorMessage)
	}
	if got := strings.Join(storedSessions(t, s, fkey), ","); got != "99_S0000000_0,99_S0000000_1" {
		t.Fatalf("sessions after the reversed import: %s", got)
	}
	if got := allSessions(t, s, catalogue.Filter{Q: "seconde version"}); len(got) != 0 {
		t.Fatalf("the replaced occurrence is still found: %d sessions", len(got))
	}

	// Three occurrences in a partial file: the last one wins.
	d3 := doc(f0, f0b, f1, f0)
	part := mustImport(t, s, d3, catalogue.ImportOptions{Source: "dup", Partial: true})
	c = part.Counts
	if c.Formations.Unchanged != 2 || c.Sessions.Unchanged != 6 || c.Sessions.Withdrawn != 0 || c.Sessions.Created != 0 || c.Warnings != 2 {
		t.Fatalf("three occurrences: %+v", c)
	}
	if got := strings.Join(storedSessions(t, s, fkey), ","); got != "99_S0000000_0,99_S0000000_1" {
		t.Fatalf("sessions after three occurrences: %s", got)
	}
}

func indexDefs(t *testing.T, s *catalogue.Service) string {
	t.Helper()
	q := "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'catalogue_%' AND sql IS NOT NULL ORDER BY name"
	if s.DB.Engine() == "postgres" {
		q = "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'catalogue_%' ORDER BY indexname"
	}
	rows, err := s.DB.Query(ctx(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return strings.Join(out, "\n")
}

// The first load of an empty catalogue builds the secondary indexes after
// the rows are in: they are all there afterwards, as the migrations made
// them, and used.
func TestFirstBulkLoadRebuildsIndexes(t *testing.T) {
	s, _ := newService(t)
	before := indexDefs(t, s)
	imp := mustImport(t, s, lheotest.MustGenerate(t, 6000, 9), catalogue.ImportOptions{Source: "bulk"})
	if imp.Counts.Sessions.Created != 6000 {
		t.Fatalf("%+v", imp.Counts)
	}
	if after := indexDefs(t, s); after != before || !strings.Contains(after, "catalogue_sessions_region") {
		t.Fatalf("indexes before:\n%s\nafter:\n%s", before, after)
	}
	if res, err := s.Search(ctx(), catalogue.Filter{Q: "soudage", Departement: "31"}); err != nil || res.Total == 0 {
		t.Fatalf("search after the bulk load: %+v %v", res, err)
	}
}
