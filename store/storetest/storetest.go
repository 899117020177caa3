// Package storetest opens a fresh, migrated database for a test: an SQLite
// file in the test's temporary directory, or, when KAIROS_TEST_DATABASE_URL
// holds a postgres:// URL, a new schema on that server (dropped at the end).
// Every test that touches storage goes through it, so the whole suite runs on
// both engines.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kairos/store"
)

// EnvURL is the variable that selects PostgreSQL for the test suite.
const EnvURL = "KAIROS_TEST_DATABASE_URL"

// URL returns a database URL for a fresh, empty database, and registers its
// clean-up. Use it to start real binaries on a test database.
func URL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		return filepath.Join(tb.TempDir(), "kairos.db")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := store.Open(ctx, base)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("storetest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Open returns a migrated database for tb, closed at the end of the test.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	return MustOpen(tb, URL(tb))
}

// MustOpen opens and migrates url.
func MustOpen(tb testing.TB, url string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		tb.Fatalf("storetest: open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	return db
}
