package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/store"
	"kairos/store/storetest"
)

func TestMigrationsSameOnBothEngines(t *testing.T) {
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, lite[i].Version, pg[i].Version)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := storetest.Open(t)
	applied, err := db.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v", applied)
	}
}

func TestConcurrentMigrate(t *testing.T) {
	url := storetest.URL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			_, err = db.Migrate(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestTxRollsBackEverything(t *testing.T) {
	db := storetest.Open(t)
	ctx := kairos.WithActor(context.Background(), kairos.System)
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		id, err := tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES (?, ?, ?)", "of", "Rollback", kairos.SystemClock())
		if err != nil {
			return err
		}
		if err := tx.Record(ctx, store.Change{Action: "organisation.create", ObjectType: "organisation", ObjectID: id}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	for _, table := range []string{"organisations", "audit_log", "events"} {
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after rollback", table, n)
		}
	}
}

func TestRecordWritesAuditAndEvent(t *testing.T) {
	db := storetest.Open(t)
	actor := &kairos.Actor{Name: "Claire Martin", Email: "claire@of.example", Role: kairos.RoleOFAdmin}
	ctx := kairos.WithClientIP(kairos.WithActor(context.Background(), actor), "203.0.113.7")
	at := time.Date(2026, 3, 29, 0, 30, 0, 123456000, time.UTC) // the night of the DST change
	var orgID int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		orgID, err = tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES (?, ?, ?)", "of", "OF", at)
		if err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "thing.update", OrgID: orgID, ObjectType: "thing", ObjectID: 42,
			Before: map[string]string{"etat": "avant"}, After: map[string]string{"etat": "après"}, At: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.Audit(context.Background(), store.AuditFilter{Query: "thing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("got %d entries", len(entries))
	}
	e := entries[0]
	if !e.At.Equal(at) || e.At.Location() != time.UTC && e.At.UTC() != at {
		t.Errorf("at = %v, want %v", e.At, at)
	}
	if e.ActorLabel != "Claire Martin <claire@of.example>" || e.IP != "203.0.113.7" || e.OrgID != orgID || e.OrgName != "OF" || e.ObjectID != "42" {
		t.Errorf("entry = %+v", e)
	}
	if e.Before == "" || e.After == "" {
		t.Errorf("before/after missing: %+v", e)
	}
	var typ, payload string
	if err := db.QueryRow(context.Background(), "SELECT type, "+castText(db, "payload")+" FROM events").Scan(&typ, &payload); err != nil {
		t.Fatal(err)
	}
	if typ != "thing.update" || payload == "" {
		t.Errorf("event %s %s", typ, payload)
	}
}

func castText(db *store.DB, col string) string {
	if db.Engine() == store.Postgres {
		return col + "::text"
	}
	return col
}

func TestAuditPagination(t *testing.T) {
	db := storetest.Open(t)
	ctx := kairos.WithActor(context.Background(), kairos.System)
	for i := range 7 {
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.Record(ctx, store.Change{Action: "page.test", ObjectType: "x", ObjectID: i})
		}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := db.Audit(ctx, store.AuditFilter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	rest, err := db.Audit(ctx, store.AuditFilter{Limit: 5, Before: first[len(first)-1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 5 || len(rest) != 2 || first[0].ObjectID != "6" || rest[1].ObjectID != "0" {
		t.Fatalf("pages: %d then %d", len(first), len(rest))
	}
}

func TestTimestampOrderingAcrossPrecisions(t *testing.T) {
	// SQLite keeps timestamps as text: comparisons must still follow time order.
	db := storetest.Open(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	times := []time.Time{base, base.Add(500 * time.Millisecond), base.Add(123 * time.Millisecond), base.Add(time.Second)}
	for i, at := range times {
		if _, err := db.Exec(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES (?, ?, ?)", "of", string(rune('a'+i)), at); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM organisations WHERE created_at > ?", base.Add(200*time.Millisecond)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d rows after 10:00:00.2, want 2", n)
	}
}

func TestSettingIsSharedAndStable(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	a, err := db.Setting(ctx, "k", func() string { return "first" })
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Setting(ctx, "k", func() string { return "second" })
	if err != nil {
		t.Fatal(err)
	}
	if a != "first" || b != "first" {
		t.Fatalf("got %q then %q", a, b)
	}
}

func TestUniqueViolationDetected(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", "dup", "1"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", "dup", "2")
	if !store.IsUniqueViolation(err) {
		t.Fatalf("not detected: %v", err)
	}
}

// RecordMany writes what Record writes one change after the other: the same
// audit records and events, in the same order, across its batches of rows.
func TestRecordManySameAsRecord(t *testing.T) {
	db := storetest.Open(t)
	db.Clock = kairos.FixedClock(time.Date(2026, 3, 29, 1, 30, 0, 654321000, time.UTC)) // a zero At: the transaction's time
	actor := &kairos.Actor{Name: "Claire Martin", Email: "claire@of.example", Role: kairos.RoleOFAdmin}
	ctx := kairos.WithClientIP(kairos.WithActor(context.Background(), actor), "203.0.113.7")
	at := time.Date(2026, 3, 29, 0, 30, 0, 123456000, time.UTC)
	var orgID int64
	changes := func(tag string) []store.Change {
		var cs []store.Change
		for i := range 601 { // more than two batches
			c := store.Change{Action: "thing." + tag, OrgID: orgID, ObjectType: "thing", ObjectID: int64(i), After: map[string]any{"n": i, "nom": "<é & \"x\">"}, At: at}
			switch i % 3 {
			case 0:
				c.Before, c.OrgID = map[string]string{"etat": "avant"}, 0
			case 1:
				c.After, c.ObjectID = json.RawMessage(fmt.Sprintf(`{ "n" : %d, "s": "<&>" }`, i)), fmt.Sprint("k", i)
			case 2:
				c.After, c.At = nil, time.Time{}
			}
			cs = append(cs, c)
		}
		return cs
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		orgID, err = tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES (?, ?, ?)", "of", "OF", at)
		if err != nil {
			return err
		}
		for _, c := range changes("one") {
			if err := tx.Record(ctx, c); err != nil {
				return err
			}
		}
		return tx.RecordMany(ctx, changes("many"))
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(q string) []string {
		rows, err := db.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var at time.Time
			var s []sql.NullString
			cols, _ := rows.Columns()
			s = make([]sql.NullString, len(cols)-1)
			dest := []any{&at}
			for i := range s {
				dest = append(dest, &s[i])
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(at.UTC(), s))
		}
		return out
	}
	for _, q := range []string{
		"SELECT at, actor_user_id, actor_api_key_id, actor_label, org_id, object_type, object_id, " + castText(db, "before_json") + ", " + castText(db, "after_json") + ", ip FROM audit_log WHERE action = 'thing.%s' ORDER BY id",
		"SELECT at, org_id, object_type, object_id, " + castText(db, "payload") + " FROM events WHERE type = 'thing.%s' ORDER BY id",
	} {
		one, many := read(fmt.Sprintf(q, "one")), read(fmt.Sprintf(q, "many"))
		if len(one) != 601 || len(many) != 601 {
			t.Fatalf("%d and %d rows: %s", len(one), len(many), q)
		}
		for i := range one {
			a := strings.ReplaceAll(one[i], "thing.one", "thing.X")
			b := strings.ReplaceAll(many[i], "thing.many", "thing.X")
			if a != b {
				t.Fatalf("row %d differs:\nRecord     %s\nRecordMany %s", i, a, b)
			}
		}
	}
}

// OnChange is told, after the commit, the organisations of the recorded
// events (0 for none); never for a rolled back transaction.
func TestOnChangeAfterCommit(t *testing.T) {
	db := storetest.Open(t)
	ctx := kairos.WithActor(context.Background(), &kairos.Actor{Name: "RGC", Role: kairos.RoleOFAdmin, OrgID: 0})
	var mu sync.Mutex
	var got [][]int64
	stop := db.OnChange(func(orgs []int64) {
		mu.Lock()
		got = append(got, orgs)
		mu.Unlock()
	})
	var a, b int64
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES ('of', 'A', ?)", tx.Now()); err != nil {
			return err
		}
		if b, err = tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES ('of', 'B', ?)", tx.Now()); err != nil {
			return err
		}
		for _, o := range []int64{a, b, a, 0} {
			if err := tx.Record(ctx, store.Change{Action: "thing.update", OrgID: o, ObjectType: "thing", ObjectID: 1}); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 0 {
			t.Error("called before the commit")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Record(ctx, store.Change{Action: "thing.update", OrgID: a, ObjectType: "thing", ObjectID: 2}); err != nil {
			return err
		}
		return boom
	}); err != boom {
		t.Fatal(err)
	}
	stop()
	db.Tx(ctx, func(tx *store.Tx) error {
		return tx.Record(ctx, store.Change{Action: "thing.update", OrgID: b, ObjectType: "thing", ObjectID: 3})
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0]) != 3 || got[0][0] != a || got[0][1] != b || got[0][2] != 0 {
		t.Fatalf("calls: %v (organisations %d, %d)", got, a, b)
	}
}

// RecordMany tells OnChange the organisations of its events, as Record does.
func TestOnChangeAfterRecordMany(t *testing.T) {
	db := storetest.Open(t)
	ctx := kairos.WithActor(context.Background(), &kairos.Actor{Name: "RGC", Role: kairos.RoleOFAdmin})
	var mu sync.Mutex
	var got [][]int64
	stop := db.OnChange(func(orgs []int64) {
		mu.Lock()
		got = append(got, orgs)
		mu.Unlock()
	})
	defer stop()
	var a, b int64
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES ('of', 'A', ?)", tx.Now()); err != nil {
			return err
		}
		if b, err = tx.Insert(ctx, "INSERT INTO organisations (kind, name, created_at) VALUES ('of', 'B', ?)", tx.Now()); err != nil {
			return err
		}
		var cs []store.Change
		for _, o := range []int64{a, b, a, 0, b} {
			cs = append(cs, store.Change{Action: "thing.update", OrgID: o, ObjectType: "thing", ObjectID: 1})
		}
		return tx.RecordMany(ctx, cs)
	}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0]) != 3 || got[0][0] != a || got[0][1] != b || got[0][2] != 0 {
		t.Fatalf("calls: %v (organisations %d, %d)", got, a, b)
	}
}

// A SQLite writer that waited the whole busy timeout for another writer's
// lock gets EUnavailable (a 503 with Retry-After and a French message),
// whether it writes in a transaction or alone, and nothing of it is stored.
func TestBusyWriterIsUnavailable(t *testing.T) {
	defer store.SetBusyTimeout(150 * time.Millisecond)()
	db := storetest.Open(t)
	if db.Engine() != store.SQLite {
		t.Skip("SQLite's single writer")
	}
	ctx := context.Background()
	if _, err := db.Exec(ctx, "CREATE TABLE busy_test (id INTEGER PRIMARY KEY, x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO busy_test (x) VALUES (1)"); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	check := func(what string, err error) {
		t.Helper()
		var ke *kairos.Error
		if kairos.ErrorCode(err) != kairos.EUnavailable || !errors.As(err, &ke) || ke.RetryAfter <= 0 || !strings.Contains(ke.Message, "réessayez") {
			t.Errorf("%s while another writer holds the lock: %v, want EUnavailable with Retry-After", what, err)
		}
	}
	check("a transaction", db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO busy_test (x) VALUES (2)")
		return err
	}))
	_, err := db.Exec(ctx, "INSERT INTO busy_test (x) VALUES (3)")
	check("a single statement", err)
	_, err = db.Insert(ctx, "INSERT INTO busy_test (x) VALUES (5)")
	check("an insert returning its id", err)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var n, sum int
	if err := db.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(x), 0) FROM busy_test").Scan(&n, &sum); err != nil || n != 1 || sum != 1 {
		t.Fatalf("%d rows, sum %d (%v): want only the holder's row", n, sum, err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO busy_test (x) VALUES (4)"); err != nil {
		t.Fatalf("after the lock is released: %v", err)
	}
}

// Busy maps SQLITE_BUSY however it surfaced (the Scan of a QueryRow that
// writes is not wrapped where it runs) and leaves other errors as they are.
func TestBusyAtTheEdge(t *testing.T) {
	if got := store.Busy(errors.New("database is locked (5) (SQLITE_BUSY)")); kairos.ErrorCode(got) != kairos.EUnavailable || kairos.RetryAfter(got) <= 0 {
		t.Errorf("SQLITE_BUSY: %v", got)
	}
	other := errors.New("no such table: x")
	if got := store.Busy(other); got != other {
		t.Errorf("other error: %v", got)
	}
	if store.Busy(nil) != nil {
		t.Error("nil")
	}
	wrapped := store.Busy(store.Busy(errors.New("SQLITE_BUSY")))
	if strings.Count(wrapped.Error(), "unavailable") != 1 {
		t.Errorf("wrapped twice: %v", wrapped)
	}
}

// A writer of this process waiting for SQLite's write lock is counted, and
// YieldToWriters returns once it has written (not before).
func TestYieldToWaitingWriters(t *testing.T) {
	db := storetest.Open(t)
	if db.Engine() != store.SQLite {
		t.Skip("SQLite's single writer")
	}
	ctx := context.Background()
	if _, err := db.Exec(ctx, "CREATE TABLE yield_test (id INTEGER PRIMARY KEY, x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if n := store.Waiting(db); n != 0 {
		t.Fatalf("%d writers waiting at rest", n)
	}
	holding, release, held := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		held <- db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO yield_test (x) VALUES (1)"); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	wrote := make(chan error, 2)
	go func() {
		_, err := db.Exec(ctx, "INSERT INTO yield_test (x) VALUES (2)")
		wrote <- err
	}()
	go func() {
		wrote <- db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO yield_test (x) VALUES (3)")
			return err
		})
	}()
	for i := 0; store.Waiting(db) < 2; i++ {
		if i == 5000 {
			t.Fatalf("%d writers counted as waiting, want 2", store.Waiting(db))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	db.YieldToWriters(ctx, 10*time.Second)
	if n := store.Waiting(db); n != 0 {
		t.Fatalf("YieldToWriters returned with %d writers waiting", n)
	}
	for i := 0; i < 2; i++ {
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM yield_test").Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d rows (%v), want 3", n, err)
	}
}

func TestWritesClassifiesStatements(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1": false, "  select id FROM t": false, "(SELECT 1) UNION (SELECT 2)": false,
		"INSERT INTO t (x) VALUES (1) RETURNING id": true, "UPDATE t SET x = 1 RETURNING x": true,
		"WITH x AS (SELECT 1) SELECT * FROM x": false, "WITH x AS MATERIALIZED (SELECT s.updated_at FROM s) SELECT * FROM x": false,
		"WITH x AS (SELECT 1) UPDATE t SET y = 1 RETURNING y": true, "WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x": true,
		"DELETE FROM t RETURNING id": true, "": true,
	} {
		if got := store.Writes(q); got != want {
			t.Errorf("writes(%q) = %v, want %v", q, got, want)
		}
	}
}
