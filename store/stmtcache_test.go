package store_test

import (
	"context"
	"fmt"
	"strings"
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

// Statements of a few fixed shapes with many placeholders, run through
// Tx.Stable (ExecValues, Padded IN lists), are prepared once on SQLite; the
// same statements run plainly are not (their length may vary with the data).
func TestStableStatementsReused(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	idCol := "id INTEGER PRIMARY KEY"
	if db.Engine() == store.Postgres {
		idCol = "id BIGSERIAL PRIMARY KEY"
	}
	if _, err := db.Exec(ctx, "CREATE TABLE stable_probe ("+idCol+", k BIGINT NOT NULL, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	rows := func(n, from int) []any {
		var args []any
		for i := range n {
			args = append(args, int64(from+i), fmt.Sprint("v", from+i))
		}
		return args
	}
	ids := make([]int64, 100)
	for i := range ids {
		ids[i] = int64(3 * i) // 34 of them below 100
	}
	write := func(stable bool, from int) int {
		var n int
		err := db.Tx(ctx, func(tx *store.Tx) error {
			q := store.Querier(tx)
			if stable {
				if err := tx.ExecValues(ctx, "INSERT INTO stable_probe (k, v)", "(?, ?)", 2, rows(300, from), ""); err != nil { // 256 + 16 + 16 + 4 × 3
					return err
				}
				q = tx.Stable()
			} else {
				if _, err := tx.Exec(ctx, "INSERT INTO stable_probe (k, v) VALUES "+strings.TrimSuffix(strings.Repeat("(?, ?), ", 300), ", "), rows(300, from)...); err != nil {
					return err
				}
			}
			ph, args := store.Padded(ids)
			return q.QueryRow(ctx, "SELECT COUNT(*) FROM stable_probe WHERE k < 100 AND k IN ("+ph+")", args...).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := write(false, 0); n != 34 {
		t.Fatalf("%d rows found, want 34", n)
	}
	time.Sleep(200 * time.Millisecond)
	if n := store.PreparedCount(db); n != 0 {
		t.Fatalf("%d long statements prepared, want none", n)
	}
	for i := range 3 {
		if n := write(true, 1000*(i+1)); n != 34 {
			t.Fatalf("%d rows found, want 34", n)
		}
	}
	var total int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM stable_probe").Scan(&total); err != nil || total != 1200 {
		t.Fatalf("%d rows (%v)", total, err)
	}
	if db.Engine() == store.Postgres {
		return
	}
	// The three shapes of INSERT, the padded SELECT and the short count.
	deadline := time.Now().Add(10 * time.Second)
	for store.PreparedCount(db) != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d statements prepared, want 5", store.PreparedCount(db))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
