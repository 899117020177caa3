package catalogue

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
	"kairos/store"
	"kairos/store/storetest"
)

// The formation's document put together by marshalDocs is byte for byte
// json.Marshal(f), and the action and session documents are those the
// hashes were computed from: stored documents and hashes do not change.
func TestMarshalDocsIsMarshal(t *testing.T) {
	var forms []*lheo.Formation
	for seed := range uint64(20) {
		forms = append(forms, lheotest.Formation(seed, int(seed%13)+1))
	}
	for _, name := range []string{"intercarif-occitanie-daeu.ns23.xml", "onisep-bts-nrc.lheo22.xml"} {
		data, err := os.ReadFile("../lheo/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		d := lheo.NewDecoder(bytes.NewReader(data), nil)
		for {
			f, err := d.Next()
			if err != nil {
				break
			}
			forms = append(forms, f)
		}
	}
	noSessions := lheotest.Formation(99, 3)
	noSessions.Actions = append(noSessions.Actions, noSessions.Actions[0], noSessions.Actions[0])
	noSessions.Actions[0].Sessions = nil
	noSessions.Actions[1].Sessions = []lheo.Session{}
	noActions := lheotest.Formation(98, 1)
	noActions.Actions = nil
	emptyActions := lheotest.Formation(97, 1)
	emptyActions.Actions = []lheo.Action{}
	tricky := lheotest.Formation(96, 2)
	tricky.Intitule = `"Actions":null "Sessions":null`
	forms = append(forms, noSessions, noActions, emptyActions, tricky)
	for i, f := range forms {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := marshalDocs(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.formation, want) {
			t.Fatalf("formation %d: marshalDocs\n%s\njson.Marshal\n%s", i, d.formation, want)
		}
		for ai := range f.Actions {
			a := f.Actions[ai]
			a.Sessions = nil
			if w, _ := json.Marshal(&a); !bytes.Equal(d.actions[ai], w) {
				t.Fatalf("formation %d action %d: %s, want %s", i, ai, d.actions[ai], w)
			}
			for si := range f.Actions[ai].Sessions {
				if w, _ := json.Marshal(&f.Actions[ai].Sessions[si]); !bytes.Equal(d.sessions[ai][si], w) {
					t.Fatalf("formation %d action %d session %d differs", i, ai, si)
				}
			}
		}
	}
}

func TestReshapes(t *testing.T) {
	for _, c := range []struct {
		c    Count
		want bool
	}{
		{Count{Created: 300000}, true},
		{Count{Unchanged: 300000}, false},
		{Count{Updated: 30000, Unchanged: 270000}, false},
		{Count{Created: 100, Updated: 30000, Unchanged: 270000}, false},
		{Count{Created: 30000, Withdrawn: 30000, Unchanged: 240000}, true},
		{Count{Withdrawn: 10, Unchanged: 20}, true},
		{Count{}, false},
	} {
		if got := reshapes(c.c); got != c.want {
			t.Errorf("reshapes(%+v) = %v, want %v", c.c, got, c.want)
		}
	}
}

func TestMaintenance(t *testing.T) {
	for _, c := range []struct {
		c    Counts
		want string
	}{
		{Counts{Sessions: Count{Created: 300000}}, "VACUUM (ANALYZE) catalogue_formations, catalogue_sessions"},
		{Counts{Sessions: Count{Updated: 30000, Unchanged: 270000}}, vacuumLean},
		{Counts{Formations: Count{Updated: 1, Unchanged: 9}, Sessions: Count{Unchanged: 100}}, vacuumLean},
		{Counts{Actions: Count{Withdrawn: 1, Unchanged: 9}, Sessions: Count{Unchanged: 100}}, vacuumLean},
		{Counts{Formations: Count{Unchanged: 10}, Sessions: Count{Unchanged: 300000}, Rejected: 3}, ""},
		{Counts{}, ""},
	} {
		if got := maintenance(c.c); got != c.want {
			t.Errorf("maintenance(%+v) = %q, want %q", c.c, got, c.want)
		}
	}
}

// The first publication UPDATE of the sessions sets no column an index of
// catalogue_sessions covers, and sameIndexed compares every column the
// indexes cover (but the session's identity: id, source, skey), so that a
// migration adding an index over a column cannot make it wrong silently.
func TestSameIndexedCoversTheIndexes(t *testing.T) {
	db := storetest.Open(t)
	if db.Engine() != store.SQLite {
		t.Skip("the split UPDATE is SQLite's")
	}
	ctx := context.Background()
	var cols []string
	rows, err := db.Query(ctx, "SELECT name FROM pragma_table_info('catalogue_sessions')")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	indexed := map[string]bool{}
	rows, err = db.Query(ctx, `SELECT ii.name, COALESCE(m.sql, '') FROM sqlite_master m, pragma_index_xinfo(m.name) ii
		WHERE m.type = 'index' AND m.tbl_name = 'catalogue_sessions'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c sql.NullString
		var def string
		if err := rows.Scan(&c, &def); err != nil {
			t.Fatal(err)
		}
		if c.Valid {
			indexed[c.String] = true
		}
		// Columns inside expressions (CASE WHEN debut = 0 …).
		for _, col := range cols {
			if regexp.MustCompile(`\b` + col + `\b`).MatchString(def) {
				indexed[col] = true
			}
		}
	}
	rows.Close()
	if len(indexed) < 5 {
		t.Fatalf("indexed columns read: %v", indexed)
	}
	for _, c := range unindexedSet {
		if indexed[c] {
			t.Errorf("column %s is indexed but set by the UPDATE that keeps the indexes", c)
		}
	}
	for c := range indexed {
		if c != "id" && c != "source" && c != "skey" && !strings.Contains(sameIndexed, "catalogue_sessions."+c+" ") {
			t.Errorf("column %s is indexed but not compared by sameIndexed", c)
		}
	}
}
