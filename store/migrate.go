package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed migrations
var migrationsFS embed.FS

// Migration is one embedded, append-only schema change.
type Migration struct {
	Version string // file name without ".sql", e.g. "0001_foundation"
	SQL     string
}

// Migrations returns the migrations of engine e, in order.
func Migrations(e Engine) ([]Migration, error) {
	dir := "migrations/" + string(e)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, ent := range entries {
		if !strings.HasSuffix(ent.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(migrationsFS, dir+"/"+ent.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: strings.TrimSuffix(ent.Name(), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the pending migrations and returns the versions applied.
// Several processes may call it at once: on PostgreSQL an advisory lock
// serialises them, on SQLite the immediate transaction does.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	migs, err := Migrations(db.engine)
	if err != nil {
		return nil, err
	}
	var applied []string
	err = db.Tx(ctx, func(tx *Tx) error {
		if db.engine == Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(727746)"); err != nil {
				return err
			}
		}
		ts := "TIMESTAMP"
		if db.engine == Postgres {
			ts = "TIMESTAMPTZ"
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at "+ts+" NOT NULL)"); err != nil {
			return err
		}
		done := map[string]bool{}
		rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			done[v] = true
		}
		rows.Close()
		for _, m := range migs {
			if done[m.Version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Version, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.Version, db.Now()); err != nil {
				return err
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	return applied, nil
}

// Setting returns a stored setting, creating it with def() if absent. All
// instances sharing the database agree on its value (used for secrets).
func (db *DB) Setting(ctx context.Context, key string, def func() string) (string, error) {
	var v string
	err := db.Tx(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
		if err == nil {
			return nil
		}
		v = def()
		if _, err := tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, v); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	})
	return v, err
}
