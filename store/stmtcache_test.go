package store_test

import (
	"context"
	"testing"
	"time"

	"kairos/store"
	"kairos/store/storetest"
)

// Issue 18: on SQLite, statements run again are prepared once and reused,
// inside and outside transactions, and still see a changed schema and
// rolled-back writes correctly.
func TestPreparedStatementsReused(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	idCol := "id INTEGER PRIMARY KEY"
	if db.Engine() == store.Postgres {
		idCol = "id BIGSERIAL PRIMARY KEY"
	}
	if _, err := db.Exec(ctx, "CREATE TABLE stmt_probe ("+idCol+", v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	count := func(tb testing.TB, q store.Querier, want int) {
		tb.Helper()
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM stmt_probe WHERE v <> ?", "x").Scan(&n); err != nil || n != want {
			tb.Fatalf("count %d (%v), want %d", n, err, want)
		}
	}
	insert := func(tb testing.TB, q store.Querier, v string) {
		tb.Helper()
		if _, err := q.Insert(ctx, "INSERT INTO stmt_probe (v) VALUES (?)", v); err != nil {
			tb.Fatal(err)
		}
	}
	insert(t, db, "a")
	count(t, db, 1)
	if db.Engine() == store.SQLite {
		deadline := time.Now().Add(10 * time.Second)
		for store.PreparedCount(db) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%d statements prepared, want at least 2", store.PreparedCount(db))
			}
			time.Sleep(10 * time.Millisecond)
		}
	} else if n := store.PreparedCount(db); n != 0 {
		t.Fatalf("PostgreSQL: %d statements in the cache (pgx caches them itself)", n)
	}
	for i := range 20 {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			insert(t, tx, "b")
			count(t, tx, 2+i)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count(t, db, 21)
	// A rolled-back transaction's writes are gone.
	db.Tx(ctx, func(tx *store.Tx) error {
		insert(t, tx, "c")
		count(t, tx, 22)
		return context.Canceled
	})
	count(t, db, 21)
	// A schema change: the prepared statements are prepared again.
	if _, err := db.Exec(ctx, "ALTER TABLE stmt_probe ADD COLUMN w INTEGER NOT NULL DEFAULT 0"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "CREATE INDEX stmt_probe_v ON stmt_probe (v)"); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "d")
	count(t, db, 22)
	if _, err := db.Exec(ctx, "DROP TABLE stmt_probe"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM stmt_probe WHERE v <> ?", "x").Scan(&n); err == nil {
		t.Fatal("a prepared statement read a dropped table")
	}
}
