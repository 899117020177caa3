package catalogue

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"kairos"
	"kairos/lheo"
	"kairos/store"
)

// Export writes the catalogue (formations not withdrawn, in import order) as
// a LHÉO 2.3 document. It returns the number of formations written. A
// formation that the encoder refuses is skipped and counted in skipped.
func (s *Service) Export(ctx context.Context, w io.Writer) (written, skipped int, err error) {
	n, err := s.LiveFormations(ctx)
	if err != nil {
		return 0, 0, err
	}
	if n == 0 {
		return 0, 0, kairos.Errorf(kairos.ENotFound, "Le catalogue est vide : aucune formation à exporter.")
	}
	rows, err := s.DB.Query(ctx, "SELECT doc FROM catalogue_formations WHERE withdrawn_at IS NULL"+s.publishedFormations()+" ORDER BY id")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	enc := lheo.NewEncoder(w)
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return written, skipped, err
		}
		var f lheo.Formation
		if err := json.Unmarshal(doc, &f); err != nil {
			return written, skipped, err
		}
		if err := enc.Encode(&f); err != nil {
			var re *lheo.RecordError
			if errors.As(err, &re) {
				skipped++
				if s.Log != nil {
					s.Log.Warn("catalogue: formation not exported", "numero", f.Numero, "err", err)
				}
				continue
			}
			return written, skipped, err
		}
		written++
	}
	if err := rows.Err(); err != nil {
		return written, skipped, err
	}
	if written == 0 {
		return 0, skipped, kairos.Errorf(kairos.EConflict, "Aucune formation du catalogue n'a pu être exportée.")
	}
	return written, skipped, enc.Close()
}

const importCols = `id, source, file_name, size_bytes, full_import, status, version, actor_label, started_at, finished_at, counts, error_line, error_column, error_message`

func scanImport(r interface{ Scan(...any) error }) (*Import, error) {
	var i Import
	var full int
	var fin sql.NullTime
	var counts string
	if err := r.Scan(&i.ID, &i.Source, &i.FileName, &i.Size, &full, &i.Status, &i.Version, &i.ActorLabel, &i.StartedAt, &fin, &counts, &i.ErrorLine, &i.ErrorColumn, &i.ErrorMessage); err != nil {
		return nil, err
	}
	i.Full = full == 1
	if fin.Valid {
		t := fin.Time
		i.FinishedAt = &t
	}
	json.Unmarshal([]byte(counts), &i.Counts)
	return &i, nil
}

// importScope restricts the imports a Carif reads to its own (another
// Carif's import is not found); the platform and its administrators read
// every import.
func importScope(ctx context.Context) (string, []any) {
	if a := kairos.ActorFrom(ctx); a != nil && a.Role == kairos.RoleCarif {
		return " WHERE org_id = ?", []any{a.OrgID}
	}
	return "", nil
}

// Imports lists the imports the actor of ctx may read (importScope), with their total number.
func (s *Service) Imports(ctx context.Context, offset, limit int) ([]Import, int, error) {
	return s.ImportsBefore(ctx, 0, offset, limit)
}

// ImportsBefore lists, newest first, the imports older than the import
// before (0: from the newest; keyset pagination), with the total number of
// imports the actor may read. limit: 1 to 201 (25 when out of range).
func (s *Service) ImportsBefore(ctx context.Context, before int64, offset, limit int) ([]Import, int, error) {
	if limit <= 0 || limit > 201 {
		limit = 25
	}
	where, args := importScope(ctx)
	var total int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM catalogue_imports"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if before > 0 {
		if where == "" {
			where = " WHERE id < ?"
		} else {
			where += " AND id < ?"
		}
		args = append(args, before)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+importCols+" FROM catalogue_imports"+where+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit)+" OFFSET "+strconv.Itoa(max(offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Import{}
	for rows.Next() {
		i, err := scanImport(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *i)
	}
	return out, total, rows.Err()
}

// ImportByID returns one import.
func (s *Service) ImportByID(ctx context.Context, id int64) (*Import, error) {
	where, args := importScope(ctx)
	if where == "" {
		where = " WHERE id = ?"
	} else {
		where += " AND id = ?"
	}
	i, err := scanImport(s.DB.QueryRow(ctx, "SELECT "+importCols+" FROM catalogue_imports"+where, append(args, id)...))
	if err != nil {
		return nil, store.NotFoundIf(err, "Import")
	}
	return i, nil
}

// ReportLines returns the report lines of an import, in file order (at most limit, 0 for all).
func (s *Service) ReportLines(ctx context.Context, id int64, limit int) ([]ReportLine, error) {
	q := "SELECT kind, line, numero, message FROM catalogue_import_lines WHERE import_id = ? ORDER BY id"
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.DB.Query(ctx, q, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ReportLine{}
	for rows.Next() {
		var l ReportLine
		if err := rows.Scan(&l.Kind, &l.Line, &l.Numero, &l.Message); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// WriteReportCSV writes the report of an import as CSV (semicolon-separated,
// UTF-8 with BOM, as spreadsheets in France expect): the summary, then one
// line per rejected record or warning.
func (s *Service) WriteReportCSV(ctx context.Context, id int64, w io.Writer) error {
	imp, err := s.ImportByID(ctx, id)
	if err != nil {
		return err
	}
	lines, err := s.ReportLines(ctx, id, 0)
	if err != nil {
		return err
	}
	io.WriteString(w, "\ufeff")
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	c := imp.Counts
	cw.Write([]string{"type", "ligne", "numero", "message"})
	cw.Write([]string{"import", "", strconv.FormatInt(imp.ID, 10), "Import n°" + strconv.FormatInt(imp.ID, 10) + " — " + imp.FileName + " — source " + imp.Source + " — " + imp.StatusLabel()})
	if imp.Status == StatusRejected || imp.Status == StatusFailed {
		cw.Write([]string{"document", strconv.Itoa(imp.ErrorLine), "", imp.ErrorMessage + " (colonne " + strconv.Itoa(imp.ErrorColumn) + ")"})
	}
	for _, l := range []struct {
		name string
		c    Count
	}{{"formations", c.Formations}, {"actions", c.Actions}, {"sessions", c.Sessions}} {
		cw.Write([]string{"total", "", l.name, "créées " + strconv.Itoa(l.c.Created) + ", mises à jour " + strconv.Itoa(l.c.Updated) +
			", inchangées " + strconv.Itoa(l.c.Unchanged) + ", retirées " + strconv.Itoa(l.c.Withdrawn)})
	}
	cw.Write([]string{"total", "", "rejets", strconv.Itoa(c.Rejected) + " formation(s) rejetée(s), " + strconv.Itoa(c.Warnings) + " avertissement(s)"})
	for _, l := range lines {
		cw.Write([]string{l.Kind, strconv.Itoa(l.Line), csvSafe(l.Numero), csvSafe(l.Message)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a value of the file as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
