package catalogue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"kairos/store"
)

// On SQLite a transaction that writes holds the database's only write lock
// until it ends: a first import publishing 300 000 sessions in one
// transaction made every other writer wait 10 to 30 s, past the busy
// timeout. So a SQLite import writes its new formations and sessions in
// short transactions (prepublish), under ids above those of the
// catalogue_published row (migration 0029), and every read of the catalogue
// leaves those out (publishedSessions, publishedFormations). The one
// transaction that then publishes the import writes the rest (rewritten and
// withdrawn rows, the report) and moves the row up: readers see the old
// offer or the new one, never half of it. Rows left above it by an import
// that failed or whose process stopped are deleted, in short transactions
// too, before the next import and after a failed one (purgeUnpublished).
//
// PostgreSQL publishes in one transaction, which other writers do not wait
// for; it keeps the row up to date and never reads it.

// Rows written per short transaction: at 300 000 sessions each holds the
// write lock for a few tens of milliseconds.
var prepublishFormations, prepublishSessions = 1000, 5000

// afterPrepublish, when a test sets it, runs once prepublish has written
// the rows, before it builds the indexes it dropped; an error it returns
// makes the import fail there.
var afterPrepublish func() error

// publishedSessions is the condition (with its leading AND) that keeps a
// read of catalogue_sessions s to the published rows; empty on PostgreSQL.
// The unary + keeps SQLite from walking the rowid range instead of the
// index the query chose (the id is in every index).
func (s *Service) publishedSessions() string {
	if s.DB.Engine() == store.Postgres {
		return ""
	}
	return " AND +s.id <= (SELECT sessions FROM catalogue_published)"
}

// publishedFormations is publishedSessions for catalogue_formations
// (unaliased).
func (s *Service) publishedFormations() string {
	if s.DB.Engine() == store.Postgres {
		return ""
	}
	return " AND +id <= (SELECT formations FROM catalogue_published)"
}

// LiveFormations counts the published formations that are not withdrawn.
func (s *Service) LiveFormations(ctx context.Context) (int, error) {
	var n int
	err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM catalogue_formations WHERE withdrawn_at IS NULL"+s.publishedFormations()).Scan(&n)
	return n, err
}

// published reads the catalogue_published row.
func published(ctx context.Context, q store.Querier) (formations, sessions int64, err error) {
	err = q.QueryRow(ctx, "SELECT formations, sessions FROM catalogue_published WHERE id = 1").Scan(&formations, &sessions)
	return formations, sessions, err
}

// purgeUnpublished deletes, a short transaction at a time, the rows above
// the published ids (with their full-text entries), and returns how many
// formations and sessions it deleted.
func (run *importRun) purgeUnpublished(ctx context.Context) (nf, ns int, err error) {
	pf, ps, err := published(ctx, run.conn)
	if err != nil {
		return 0, 0, err
	}
	var left int
	if err := run.conn.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_sessions WHERE id > ? LIMIT 1) a)
		+ (SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_formations WHERE id > ? LIMIT 1) b)
		+ (SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_search WHERE rowid > ? LIMIT 1) c)`, ps, pf, pf).Scan(&left); err != nil || left == 0 {
		return 0, 0, err
	}
	steps := []struct {
		q string
		w int64
		n *int
	}{
		{"DELETE FROM catalogue_sessions WHERE id IN (SELECT id FROM catalogue_sessions WHERE id > ? ORDER BY id DESC LIMIT ?)", ps, &ns},
		{"DELETE FROM catalogue_search WHERE rowid IN (SELECT rowid FROM catalogue_search WHERE rowid > ? ORDER BY rowid DESC LIMIT ?)", pf, nil},
		{"DELETE FROM catalogue_formations WHERE id IN (SELECT id FROM catalogue_formations WHERE id > ? ORDER BY id DESC LIMIT ?)", pf, &nf},
	}
	for _, st := range steps {
		for {
			var n int64
			err := run.shortTx(ctx, func(tx *store.Tx) error {
				res, err := tx.Exec(ctx, st.q, st.w, prepublishSessions)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return nf, ns, fmt.Errorf("purge unpublished rows: %w", err)
			}
			if st.n != nil {
				*st.n += int(n)
			}
			if n < int64(prepublishSessions) {
				break
			}
		}
	}
	return nf, ns, nil
}

// prepublish writes the staged new formations (with their full-text
// entries) and sessions to the catalogue tables, hidden above the published
// ids, a short transaction at a time; it records what it wrote and the
// published ids it wrote above, which the publication checks.
func (run *importRun) prepublish(ctx context.Context) error {
	pf, ps, err := published(ctx, run.conn)
	if err != nil {
		return err
	}
	run.hiddenAbove = [2]int64{pf, ps}
	src, id, now := run.imp.Source, run.imp.ID, run.now
	steps := []struct {
		stage string
		size  int
		n     *int64
		qs    []string
		args  []any
	}{
		{"kairos_stage_f", prepublishFormations, &run.hidden[0], []string{
			`INSERT INTO catalogue_formations (id, source, fkey, numero, datemaj, hash, raw_hash, doc, import_id, created_at, updated_at)
			SELECT id, ?, fkey, numero, datemaj, hash, raw_hash, doc, ?, ?, ? FROM kairos_stage_f WHERE isnew = 1 AND id > ? AND id <= ? ORDER BY id`,
			`INSERT INTO catalogue_search (rowid, text) SELECT id, search FROM kairos_stage_f WHERE isnew = 1 AND id > ? AND id <= ? ORDER BY id`,
		}, []any{src, id, now, now}},
		{"kairos_stage_s", prepublishSessions, &run.hidden[1], []string{
			`INSERT INTO catalogue_sessions (id, formation_id, source, skey, akey, ahash, numero, intitule, organisme, siret, formacodes, romes,
			region, departement, ville, debut, fin, etat, certifiante, modalite, hash, import_id, created_at, updated_at)
			SELECT id, formation_id, ?, skey, akey, ahash, numero, intitule, organisme, siret, formacodes, romes,
			region, departement, ville, debut, fin, etat, certifiante, modalite, hash, ?, ?, ? FROM kairos_stage_s WHERE isnew = 1 AND id > ? AND id <= ? ORDER BY id`,
		}, []any{src, id, now, now}},
	}
	// An empty table, nothing published yet: its secondary indexes are
	// dropped, then built after the rows (one sort instead of one B-tree
	// insertion per row and index). Searches, the only reads that name an
	// index, find nothing to read while nothing is published (Search), and
	// the indexes are back before anything is.
	var longest time.Duration
	for i, table := range []string{"catalogue_formations", "catalogue_sessions"} {
		if run.hiddenAbove[i] != 0 {
			continue
		}
		start := run.s.now()
		err := run.shortTx(ctx, func(tx *store.Tx) error {
			dropped, err := run.dropIndexesIfEmpty(ctx, tx, table)
			for _, x := range dropped {
				if err == nil {
					_, err = tx.Exec(ctx, "INSERT INTO catalogue_dropped_indexes (name, tbl, def) VALUES (?, ?, ?)", x.name, table, x.def)
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("prepublish: indexes of %s: %w", table, err)
		}
		longest = max(longest, run.s.now().Sub(start))
	}
	for _, st := range steps {
		var lo int64
		for {
			var hi int64
			if err := run.conn.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM "+st.stage+" WHERE isnew = 1 AND id > ? ORDER BY id LIMIT ?) x", lo, st.size).Scan(&hi); err != nil {
				return err
			}
			if hi == 0 {
				break
			}
			start := run.s.now()
			err := run.shortTx(ctx, func(tx *store.Tx) error {
				for i, q := range st.qs {
					args := []any{lo, hi}
					if i == 0 {
						args = append(append([]any{}, st.args...), lo, hi)
					}
					res, err := tx.Exec(ctx, q, args...)
					if err != nil {
						return err
					}
					if i == 0 {
						n, err := res.RowsAffected()
						if err != nil {
							return err
						}
						*st.n += n
					}
				}
				return nil
			})
			if store.IsUniqueViolation(err) {
				// Another process allocated the same ids.
				return errConcurrentImport
			}
			if err != nil {
				return fmt.Errorf("prepublish: %w", err)
			}
			longest = max(longest, run.s.now().Sub(start))
			lo = hi
		}
	}
	if afterPrepublish != nil {
		if err := afterPrepublish(); err != nil {
			return err
		}
	}
	if err := run.restoreIndexes(ctx); err != nil {
		return err
	}
	if run.s.Log != nil {
		run.s.Log.Info("catalogue: new rows written unpublished", "import", run.imp.ID, "formations", run.hidden[0], "sessions", run.hidden[1],
			"longest_transaction", longest.Round(time.Millisecond))
	}
	return nil
}

// checkHidden is the publication's check that the rows above the published
// ids are those prepublish wrote: no other import published or purged in
// between (another process on the same database file).
func (run *importRun) checkHidden(ctx context.Context, tx *store.Tx) error {
	pf, ps, err := published(ctx, tx)
	if err != nil {
		return err
	}
	if [2]int64{pf, ps} != run.hiddenAbove {
		return errConcurrentImport
	}
	var nf, ns int64
	if err := tx.QueryRow(ctx, "SELECT (SELECT COUNT(*) FROM catalogue_formations WHERE id > ?), (SELECT COUNT(*) FROM catalogue_sessions WHERE id > ?)", pf, ps).Scan(&nf, &ns); err != nil {
		return err
	}
	if [2]int64{nf, ns} != run.hidden {
		return errConcurrentImport
	}
	return nil
}

// publishIDs moves the published ids up to the highest this import
// allocated (in the publishing transaction).
func (run *importRun) publishIDs(ctx context.Context, tx *store.Tx) error {
	greatest := "MAX"
	if run.pg {
		greatest = "GREATEST"
	}
	_, err := tx.Exec(ctx, "UPDATE catalogue_published SET formations = "+greatest+"(formations, ?), sessions = "+greatest+"(sessions, ?) WHERE id = 1", run.nextF, run.nextS)
	return err
}

// restoreIndexes builds again the indexes a bulk load dropped
// (catalogue_dropped_indexes), each in a transaction of its own.
func (run *importRun) restoreIndexes(ctx context.Context) error {
	for {
		var name, def string
		err := run.conn.QueryRow(ctx, "SELECT name, def FROM catalogue_dropped_indexes ORDER BY name LIMIT 1").Scan(&name, &def)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		start := run.s.now()
		err = run.shortTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, def); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DELETE FROM catalogue_dropped_indexes WHERE name = ?", name)
			return err
		})
		if err != nil {
			return fmt.Errorf("build index %s again: %w", name, err)
		}
		if run.s.Log != nil {
			run.s.Log.Info("catalogue: index built", "import", run.imp.ID, "index", name, "took", run.s.now().Sub(start).Round(time.Millisecond))
		}
	}
}

// shortTx runs fn in one of the import's short transactions, once the
// writers of this process waiting for the write lock had it (up to
// yieldFor).
func (run *importRun) shortTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	run.s.DB.YieldToWriters(ctx, yieldFor)
	return run.conn.Tx(ctx, fn)
}

// yieldFor is the longest an import's short transaction waits for the other
// writers: SQLite's busy handler tries again at most every 100 ms.
const yieldFor = 250 * time.Millisecond
