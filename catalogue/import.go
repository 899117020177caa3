package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"kairos"
	"kairos/lheo"
	"kairos/store"
)

// Import statuses.
const (
	StatusRunning  = "en_cours"
	StatusDone     = "importe"
	StatusRejected = "rejete"
	StatusFailed   = "echec"
)

// StatusLabel returns the French label of an import status.
func StatusLabel(s string) string {
	switch s {
	case StatusRunning:
		return "En cours"
	case StatusDone:
		return "Importé"
	case StatusRejected:
		return "Fichier rejeté"
	case StatusFailed:
		return "Échec technique"
	}
	return s
}

// DefaultSource is the source of imports that do not name one.
const DefaultSource = "catalogue"

// Count is what an import did to one level of the offer.
type Count struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Withdrawn int `json:"withdrawn"`
}

// Counts is the summary of an import.
type Counts struct {
	Formations Count `json:"formations"`
	Actions    Count `json:"actions"`
	Sessions   Count `json:"sessions"`
	Rejected   int   `json:"rejected"` // rejected formations
	Warnings   int   `json:"warnings"`
}

// Import is one recorded import job and its summary.
type Import struct {
	ID           int64      `json:"id"`
	Source       string     `json:"source"`
	FileName     string     `json:"file_name"`
	Size         int64      `json:"size_bytes"`
	Full         bool       `json:"full"`
	Status       string     `json:"status"`
	Version      string     `json:"lheo_version,omitempty"`
	ActorLabel   string     `json:"actor"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	Counts       Counts     `json:"counts"`
	ErrorLine    int        `json:"error_line,omitempty"`
	ErrorColumn  int        `json:"error_column,omitempty"`
	ErrorMessage string     `json:"error_message,omitempty"`
}

// StatusLabel returns the French label of the import's status.
func (i *Import) StatusLabel() string { return StatusLabel(i.Status) }

// Duration is how long the import took.
func (i *Import) Duration() time.Duration {
	if i.FinishedAt == nil {
		return 0
	}
	return i.FinishedAt.Sub(i.StartedAt)
}

// Report line kinds.
const (
	LineRejected = "rejet"
	LineWarning  = "avertissement"
)

// ReportLine is one rejected record or warning of an import.
type ReportLine struct {
	Kind    string `json:"kind"`
	Line    int    `json:"line"`
	Numero  string `json:"numero,omitempty"`
	Message string `json:"message"`
}

// maxReportLines bounds the report lines kept per import (a hostile file
// could hold millions of bad records); the counts stay exact.
const maxReportLines = 20000

// ImportOptions describe one import.
type ImportOptions struct {
	Source   string // import channel, e.g. "carif-occitanie"; DefaultSource when empty
	FileName string
	Size     int64 // bytes, when known (for progress)
	// Partial marks a file that holds only part of the source's offer:
	// sessions absent from it are not withdrawn.
	Partial bool
	// Progress, if set, is called from time to time with the bytes read.
	Progress func(read int64)
}

// Import reads a LHÉO document from r and applies it to the catalogue, in
// one transaction: a malformed document changes nothing (the import is
// recorded as rejected, with the line and column); a rejected formation is
// reported and the others are imported. The import is recorded with its
// report whatever the outcome; err is only for internal failures.
func (s *Service) Import(ctx context.Context, r io.Reader, opt ImportOptions) (*Import, error) {
	opt.Source = strings.TrimSpace(opt.Source)
	if opt.Source == "" {
		opt.Source = DefaultSource
	}
	if len(opt.Source) > 100 {
		return nil, kairos.Invalid(map[string]string{"source": "La source ne doit pas dépasser 100 caractères."})
	}
	a := kairos.ActorFrom(ctx)
	imp := &Import{Source: opt.Source, FileName: opt.FileName, Size: opt.Size, Full: !opt.Partial, Status: StatusRunning, ActorLabel: a.Label(), StartedAt: s.now()}
	var orgID any
	if a != nil && a.OrgID != 0 {
		orgID = a.OrgID
	}
	if err := s.claimSource(ctx, a, opt.Source); err != nil {
		return nil, err
	}
	id, err := s.DB.Insert(ctx, `INSERT INTO catalogue_imports (source, file_name, size_bytes, full_import, status, actor_label, org_id, started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, imp.Source, imp.FileName, imp.Size, b2i(imp.Full), imp.Status, imp.ActorLabel, orgID, imp.StartedAt)
	if err != nil {
		return nil, fmt.Errorf("catalogue: record import: %w", err)
	}
	imp.ID = id

	run := &importRun{s: s, imp: imp, opt: opt, r: r}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error { return run.apply(ctx, tx) })
	var docErr *lheo.DocumentError
	switch {
	case err == nil:
		return imp, nil
	case errors.As(err, &docErr):
		imp.Status = StatusRejected
		imp.ErrorLine, imp.ErrorColumn, imp.ErrorMessage = docErr.Line, docErr.Column, docErr.Msg
		imp.Counts = Counts{Rejected: run.counts.Rejected, Warnings: run.counts.Warnings}
	default:
		imp.Status = StatusFailed
		imp.ErrorMessage = "Erreur technique pendant l'import : rien n'a été importé."
		if s.Log != nil {
			s.Log.Error("catalogue: import failed", "import", imp.ID, "err", err)
		}
	}
	// The document changed nothing: record the outcome alone.
	ferr := s.DB.Tx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		return run.finish(ctx, tx)
	})
	if ferr != nil {
		return imp, ferr
	}
	if imp.Status == StatusFailed {
		return imp, err
	}
	return imp, nil
}

// claimSource checks that a Carif may import into source: a source belongs
// to the Carif that first used it (catalogue_sources), so another Carif's
// source is refused (EForbidden), and so is a source only the platform used
// (command line, demonstration). A new source becomes the Carif's. Other
// actors (the platform's command line, an administrator) may use any source.
func (s *Service) claimSource(ctx context.Context, a *kairos.Actor, source string) error {
	if a == nil || a.Role != kairos.RoleCarif {
		return nil
	}
	refused := &kairos.Error{Code: kairos.EForbidden, Fields: map[string]string{"source": "Choisissez une source propre à votre Carif-Oref."},
		Message: "La source « " + source + " » appartient à un autre Carif-Oref ou à la plateforme : vous ne pouvez pas importer dans cette source. Choisissez la source de votre Carif-Oref."}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		var owner int64
		err := tx.QueryRow(ctx, "SELECT org_id FROM catalogue_sources WHERE source = ?", source).Scan(&owner)
		if err == nil {
			if owner != a.OrgID {
				return refused
			}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var used int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_imports WHERE source = ? LIMIT 1) u", source).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return refused
		}
		_, err = tx.Exec(ctx, "INSERT INTO catalogue_sources (source, org_id, created_at) VALUES (?, ?, ?)", source, a.OrgID, s.now())
		if store.IsUniqueViolation(err) {
			return refused
		}
		return err
	})
}

type fIdx struct {
	id        int64
	hash      string
	rawHash   string
	datemaj   int64
	withdrawn bool
	seen      bool
	sessions  []string // skeys
}

type sIdx struct {
	id        int64
	fid       int64
	akey      string
	hash      string
	withdrawn bool
	seen      bool
}

type aIdx struct {
	hash      string
	live      bool // at least one session not withdrawn
	seen      bool
	withdrawn bool // withdrawn by this import
}

type importRun struct {
	s      *Service
	imp    *Import
	opt    ImportOptions
	r      io.Reader
	counts Counts
	lines  []ReportLine
	extra  int // report lines beyond maxReportLines

	tx           *store.Tx
	now          time.Time
	formations   map[string]*fIdx
	sessions     map[string]*sIdx
	actions      map[string]*aIdx
	nextF, nextS int64
	// byRaw maps the raw digests of stored formations that may be skipped
	// undecoded to their keys; read-only once the decoding has started.
	byRaw  map[string]string
	rawFix []any // (raw_hash, id) of unchanged formations whose digest changed

	fBatch, sBatch []any
	fRows, sRows   int
	ftsBatch       []any
	ftsRows        int
	withdrawIDs    []int64
}

func (run *importRun) report(kind string, line int, numero, msg string) {
	if kind == LineRejected {
		run.counts.Rejected++
	} else {
		run.counts.Warnings++
	}
	if len(run.lines) >= maxReportLines {
		run.extra++
		return
	}
	run.lines = append(run.lines, ReportLine{Kind: kind, Line: line, Numero: numero, Message: msg})
}

type item struct {
	p      *prepared
	f      *lheo.Formation // decoded, not yet prepared
	err    error
	kept   string // key of a stored formation skipped undecoded (unchanged)
	digest string
}

// decode runs the decoder and the preparation of records in two goroutines
// (the decoder is the bottleneck; preparing and writing overlap with it).
func (run *importRun) decode(ctx context.Context, r io.Reader) (<-chan item, *atomic.Value) {
	version := &atomic.Value{}
	raw := make(chan item, 64)
	out := make(chan item, 64)
	cr := &countingReader{r: r, progress: run.opt.Progress}
	send := func(ch chan<- item, it item) bool {
		select {
		case ch <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(raw)
		// Always through Skip: the digests are stored for the next import.
		dec := lheo.NewDecoder(cr, &lheo.Options{Skip: run.skipper()})
		var k keyer
		k.seen = map[string]int{}
		for {
			f, err := dec.Next()
			if err == lheo.ErrSkipped {
				// An unchanged formation (see skipper): its key is the
				// stored one, first of its numero in the document.
				fkey := run.byRaw[dec.Digest()]
				k.seen[fkey]++
				if !send(raw, item{kept: fkey}) {
					return
				}
				continue
			}
			if err == io.EOF {
				version.Store(string(dec.Version()))
				if cr.progress != nil {
					cr.progress(cr.n)
				}
				return
			}
			var re *lheo.RecordError
			if errors.As(err, &re) {
				if !send(raw, item{p: &prepared{rec: re, line: re.Line, numero: re.Numero}, digest: dec.Digest()}) {
					return
				}
				continue
			}
			if err != nil {
				send(raw, item{err: err})
				return
			}
			fkey := k.formationKey(f)
			if !send(raw, item{p: &prepared{fkey: fkey}, f: f, digest: dec.Digest()}) {
				return
			}
		}
	}()
	go func() {
		defer close(out)
		for it := range raw {
			if it.f != nil {
				p, err := prepare(it.f, it.p.fkey)
				if err != nil {
					send(out, item{err: err})
					return
				}
				p.rawHash = it.digest
				it = item{p: p}
			}
			if !send(out, it) {
				return
			}
		}
	}()
	return out, version
}

type countingReader struct {
	r        io.Reader
	n, last  int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last >= 1<<20 {
		c.last = c.n
		c.progress(c.n)
	}
	return n, err
}

// apply runs inside the import's transaction.
func (run *importRun) apply(ctx context.Context, tx *store.Tx) error {
	run.tx, run.now = tx, run.s.now()
	if tx.Engine() == store.Postgres {
		// One import at a time: identifiers are assigned here.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(4242004)"); err != nil {
			return err
		}
	}
	if err := run.load(ctx); err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items, version := run.decode(ctx, run.r)
	var firstErr error
	for it := range items {
		if firstErr != nil {
			continue // drain
		}
		if it.err != nil {
			firstErr = it.err
			cancel()
			continue
		}
		if it.kept != "" {
			if f := run.formations[it.kept]; f != nil && !f.seen {
				run.keep(f)
				run.counts.Formations.Unchanged++
			}
			continue
		}
		if err := run.applyOne(ctx, it.p); err != nil {
			firstErr = err
			cancel()
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if v, ok := version.Load().(string); ok {
		run.imp.Version = v
	}
	if run.imp.Full {
		run.withdrawAbsent()
	}
	if err := run.flush(ctx, true); err != nil {
		return err
	}
	if err := run.applyWithdrawals(ctx); err != nil {
		return err
	}
	if err := run.applyRawFixes(ctx); err != nil {
		return err
	}
	run.imp.Status = StatusDone
	return run.finish(ctx, tx)
}

// skipper returns the lheo.Options.Skip of the import: a formation whose
// raw bytes are those of a stored formation (not withdrawn) is not decoded,
// unless an earlier formation of the document had the same numero (the
// keys would then differ from the stored ones). Numeros that XML would
// rewrite (entities, whitespace) disable skipping for the rest of the
// document, to stay exact.
func (run *importRun) skipper() func(digest, numero string) bool {
	keys := make(map[string]bool, len(run.byRaw))
	for _, k := range run.byRaw {
		keys[k] = false // key -> seen in this document
	}
	off := false
	return func(digest, numero string) bool {
		if off || strings.ContainsAny(numero, "&\t\r\n") {
			off = true
			return false
		}
		n := strings.TrimSpace(numero)
		seen, tracked := keys[n]
		if tracked {
			keys[n] = true
		}
		k, ok := run.byRaw[digest]
		return ok && k == n && !seen
	}
}

// load reads the stored identities of the source.
func (run *importRun) load(ctx context.Context) error {
	tx := run.tx
	run.formations, run.sessions, run.actions = map[string]*fIdx{}, map[string]*sIdx{}, map[string]*aIdx{}
	run.byRaw = map[string]string{}
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM catalogue_formations").Scan(&run.nextF); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM catalogue_sessions").Scan(&run.nextS); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, "SELECT id, fkey, hash, raw_hash, datemaj, withdrawn_at IS NOT NULL FROM catalogue_formations WHERE source = ?", run.imp.Source)
	if err != nil {
		return err
	}
	byID := map[int64]*fIdx{}
	for rows.Next() {
		var k string
		f := &fIdx{}
		if err := rows.Scan(&f.id, &k, &f.hash, &f.rawHash, &f.datemaj, &f.withdrawn); err != nil {
			rows.Close()
			return err
		}
		run.formations[k] = f
		byID[f.id] = f
		// Formations keyed by their numero alone may be skipped undecoded
		// when their bytes did not change; not those whose key carries an
		// occurrence suffix or stands for a missing numero.
		if f.rawHash != "" && !f.withdrawn && !strings.Contains(k, "#") && !strings.HasPrefix(k, "sans-numero:") {
			if _, dup := run.byRaw[f.rawHash]; dup {
				run.byRaw[f.rawHash] = "" // ambiguous: decode
			} else {
				run.byRaw[f.rawHash] = k
			}
		}
	}
	for d, k := range run.byRaw {
		if k == "" {
			delete(run.byRaw, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, "SELECT id, formation_id, skey, akey, ahash, hash, withdrawn_at IS NOT NULL FROM catalogue_sessions WHERE source = ?", run.imp.Source)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sk, ah string
		x := &sIdx{}
		if err := rows.Scan(&x.id, &x.fid, &sk, &x.akey, &ah, &x.hash, &x.withdrawn); err != nil {
			return err
		}
		run.sessions[sk] = x
		if f := byID[x.fid]; f != nil {
			f.sessions = append(f.sessions, sk)
		}
		a := run.actions[x.akey]
		if a == nil {
			a = &aIdx{hash: ah}
			run.actions[x.akey] = a
		}
		if !x.withdrawn {
			a.live = true
		}
	}
	return rows.Err()
}

func (run *importRun) applyOne(ctx context.Context, p *prepared) error {
	if p.rec != nil {
		msgs := make([]string, len(p.rec.Reasons))
		for i, r := range p.rec.Reasons {
			msgs[i] = r.String()
		}
		run.report(LineRejected, p.line, p.numero, strings.Join(msgs, " ; "))
		// A formation that breaks the standard this time keeps its
		// previous version rather than being withdrawn.
		if f := run.formations[strings.TrimSpace(p.numero)]; p.numero != "" && f != nil && !f.withdrawn && !f.seen {
			run.keep(f)
			run.report(LineWarning, p.line, p.numero, "La version précédente de cette formation est conservée.")
		}
		return nil
	}
	old := run.formations[p.fkey]
	if old != nil && old.seen {
		return nil // cannot happen: keys are unique within a document
	}
	if old != nil && !old.withdrawn && old.hash == p.hash {
		run.keep(old)
		run.counts.Formations.Unchanged++
		if p.rawHash != old.rawHash {
			// Same record, other bytes (layout, or stored before digests):
			// remember them so that the next import skips it.
			old.rawHash = p.rawHash
			run.rawFix = append(run.rawFix, p.rawHash, old.id)
		}
		return nil
	}
	if old != nil && !old.withdrawn && known(old.datemaj) && known(p.datemaj) && p.datemaj < old.datemaj {
		run.keep(old)
		run.counts.Formations.Unchanged++
		run.report(LineWarning, p.line, p.numero, fmt.Sprintf("Date de mise à jour (%s) antérieure à celle de la version enregistrée (%s) : formation ignorée.",
			lheo.Date(p.datemaj), lheo.Date(old.datemaj)))
		return nil
	}

	// Created or updated formation.
	var fid int64
	if old == nil {
		run.nextF++
		fid = run.nextF
		run.formations[p.fkey] = &fIdx{id: fid, hash: p.hash, datemaj: p.datemaj, seen: true}
		run.counts.Formations.Created++
		if err := run.insertFormation(ctx, fid, p); err != nil {
			return err
		}
	} else {
		fid = old.id
		old.seen = true
		run.counts.Formations.Updated++
		if err := run.updateFormation(ctx, fid, p); err != nil {
			return err
		}
	}
	for i, ak := range p.actions {
		a := run.actions[ak]
		switch {
		case a == nil:
			run.actions[ak] = &aIdx{hash: p.ahashes[i], live: true, seen: true}
			run.counts.Actions.Created++
		case a.seen:
		case a.hash != p.ahashes[i] || !a.live:
			a.seen, a.hash, a.live = true, p.ahashes[i], true
			run.counts.Actions.Updated++
		default:
			a.seen = true
			run.counts.Actions.Unchanged++
		}
	}
	present := make(map[string]bool, len(p.sessions))
	for i := range p.sessions {
		r := &p.sessions[i]
		present[r.skey] = true
		x := run.sessions[r.skey]
		switch {
		case x == nil:
			run.nextS++
			r.id = run.nextS
			run.sessions[r.skey] = &sIdx{id: r.id, fid: fid, akey: r.akey, hash: r.hash, seen: true}
			run.counts.Sessions.Created++
			if err := run.insertSession(ctx, fid, r); err != nil {
				return err
			}
		case x.hash != r.hash || x.withdrawn:
			x.seen, x.hash, x.withdrawn = true, r.hash, false
			r.id = x.id
			run.counts.Sessions.Updated++
			if err := run.updateSession(ctx, fid, r); err != nil {
				return err
			}
		default:
			x.seen = true
			run.counts.Sessions.Unchanged++
		}
	}
	// Sessions of the previous version missing from the new one.
	if old != nil {
		for _, sk := range old.sessions {
			if x := run.sessions[sk]; x != nil && !present[sk] && !x.seen {
				x.seen = true
				if !x.withdrawn {
					run.withdrawSession(x)
				}
			}
		}
		old.sessions = nil
	}
	return nil
}

func known(d int64) bool { return d != 0 && d != int64(lheo.UnknownEnd) }

// keep marks a stored formation and its sessions as still present.
func (run *importRun) keep(f *fIdx) {
	f.seen = true
	for _, sk := range f.sessions {
		if x := run.sessions[sk]; x != nil && !x.seen {
			x.seen = true
			if !x.withdrawn {
				run.counts.Sessions.Unchanged++
			}
			if a := run.actions[x.akey]; a != nil && !a.seen && a.live {
				a.seen = true
				run.counts.Actions.Unchanged++
			}
		}
	}
}

func (run *importRun) withdrawSession(x *sIdx) {
	x.withdrawn = true
	run.counts.Sessions.Withdrawn++
	run.withdrawIDs = append(run.withdrawIDs, x.id)
}

// withdrawAbsent withdraws, after a full import, what the file did not hold.
func (run *importRun) withdrawAbsent() {
	for _, x := range run.sessions {
		if !x.seen && !x.withdrawn {
			run.withdrawSession(x)
		}
	}
	for _, f := range run.formations {
		if !f.seen && !f.withdrawn {
			f.withdrawn = true
			run.counts.Formations.Withdrawn++
		}
	}
	for _, a := range run.actions {
		if !a.seen && a.live {
			a.withdrawn = true
			run.counts.Actions.Withdrawn++
		}
	}
}

func (run *importRun) applyWithdrawals(ctx context.Context) error {
	ids := run.withdrawIDs
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := []any{run.now, run.imp.ID}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		if _, err := run.tx.Exec(ctx, "UPDATE catalogue_sessions SET withdrawn_at = ?, import_id = ? WHERE id IN ("+placeholders(n)+")", args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	if run.imp.Full && run.counts.Formations.Withdrawn > 0 {
		var ids []int64
		for _, f := range run.formations {
			if f.withdrawn && !f.seen {
				ids = append(ids, f.id)
			}
		}
		for len(ids) > 0 {
			n := min(len(ids), 500)
			args := []any{run.now}
			for _, id := range ids[:n] {
				args = append(args, id)
			}
			if _, err := run.tx.Exec(ctx, "UPDATE catalogue_formations SET withdrawn_at = ? WHERE withdrawn_at IS NULL AND id IN ("+placeholders(n)+")", args...); err != nil {
				return err
			}
			ids = ids[n:]
		}
	}
	return nil
}

func (run *importRun) applyRawFixes(ctx context.Context) error {
	if len(run.rawFix) == 0 {
		return nil
	}
	// UPDATE … FROM (VALUES …) is common to both engines' dialects.
	for a := run.rawFix; len(a) > 0; {
		n := min(len(a)/2, 400)
		q := "UPDATE catalogue_formations SET raw_hash = v.h FROM (VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ") + ") AS v(h, id) WHERE catalogue_formations.id = v.id"
		if run.tx.Engine() == store.SQLite {
			q = "WITH v(h, id) AS (VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ") + ") UPDATE catalogue_formations SET raw_hash = (SELECT h FROM v WHERE v.id = catalogue_formations.id) WHERE id IN (SELECT id FROM v)"
		}
		args := a[:2*n]
		if run.tx.Engine() == store.Postgres {
			q = strings.Replace(q, "(?, ?)", "(?::text, ?::bigint)", 1)
		}
		if _, err := run.tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("raw hashes: %w", err)
		}
		a = a[2*n:]
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

const (
	formationCols = 10
	sessionCols   = 24
	fBatchRows    = 100
	sBatchRows    = 250
)

func (run *importRun) insertFormation(ctx context.Context, fid int64, p *prepared) error {
	run.fBatch = append(run.fBatch, fid, run.imp.Source, p.fkey, p.numero, p.datemaj, p.hash, p.rawHash, string(p.doc), run.imp.ID, run.now)
	if run.tx.Engine() == store.Postgres {
		run.fBatch = append(run.fBatch, p.search)
	} else {
		run.ftsBatch = append(run.ftsBatch, fid, p.search)
		run.ftsRows++
	}
	run.fRows++
	if run.fRows >= fBatchRows {
		return run.flush(ctx, false)
	}
	return nil
}

func (run *importRun) updateFormation(ctx context.Context, fid int64, p *prepared) error {
	// Pending inserts first, so that statements apply in order.
	if err := run.flush(ctx, true); err != nil {
		return err
	}
	tx := run.tx
	if tx.Engine() == store.Postgres {
		_, err := tx.Exec(ctx, `UPDATE catalogue_formations SET numero = ?, datemaj = ?, hash = ?, raw_hash = ?, doc = ?, import_id = ?, updated_at = ?, withdrawn_at = NULL,
			search = to_tsvector('simple', ?) WHERE id = ?`, p.numero, p.datemaj, p.hash, p.rawHash, string(p.doc), run.imp.ID, run.now, p.search, fid)
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE catalogue_formations SET numero = ?, datemaj = ?, hash = ?, raw_hash = ?, doc = ?, import_id = ?, updated_at = ?, withdrawn_at = NULL WHERE id = ?`,
		p.numero, p.datemaj, p.hash, p.rawHash, string(p.doc), run.imp.ID, run.now, fid); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM catalogue_search WHERE rowid = ?", fid); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO catalogue_search (rowid, text) VALUES (?, ?)", fid, p.search)
	return err
}

func (run *importRun) sessionArgs(fid int64, r *sessionRow) []any {
	return []any{r.id, fid, run.imp.Source, r.skey, r.akey, r.ahash, r.numero, r.intitule, r.organisme, r.siret, r.formacodes, r.romes,
		r.region, r.departement, r.ville, r.debut, r.fin, r.etat, r.certifiante, r.modalite, r.hash, run.imp.ID, run.now, run.now}
}

func (run *importRun) insertSession(ctx context.Context, fid int64, r *sessionRow) error {
	run.sBatch = append(run.sBatch, run.sessionArgs(fid, r)...)
	run.sRows++
	if run.sRows >= sBatchRows {
		return run.flush(ctx, true)
	}
	return nil
}

func (run *importRun) updateSession(ctx context.Context, fid int64, r *sessionRow) error {
	if err := run.flush(ctx, true); err != nil {
		return err
	}
	a := run.sessionArgs(fid, r)
	// id, source, skey are the identity; created_at is kept.
	_, err := run.tx.Exec(ctx, `UPDATE catalogue_sessions SET formation_id = ?, akey = ?, ahash = ?, numero = ?, intitule = ?, organisme = ?, siret = ?,
		formacodes = ?, romes = ?, region = ?, departement = ?, ville = ?, debut = ?, fin = ?, etat = ?, certifiante = ?, modalite = ?, hash = ?,
		import_id = ?, updated_at = ?, withdrawn_at = NULL WHERE id = ?`,
		append(append([]any{a[1]}, a[4:22]...), a[23], r.id)...)
	return err
}

// flush writes the pending inserts (formations always before sessions, for
// the foreign key). With all false, only full batches are written.
func (run *importRun) flush(ctx context.Context, all bool) error {
	tx := run.tx
	if run.fRows > 0 && (all || run.fRows >= fBatchRows) {
		row := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
		if tx.Engine() == store.Postgres {
			row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, to_tsvector('simple', ?))"
		}
		// created_at and updated_at share the same argument position twice:
		// expand the batch accordingly.
		per := formationCols
		if tx.Engine() == store.Postgres {
			per++
		}
		var args []any
		for i := 0; i < len(run.fBatch); i += per {
			r := run.fBatch[i : i+per]
			args = append(args, r[:10]...)
			args = append(args, r[9]) // updated_at = created_at
			args = append(args, r[10:]...)
		}
		cols := "id, source, fkey, numero, datemaj, hash, raw_hash, doc, import_id, created_at, updated_at, withdrawn_at"
		if tx.Engine() == store.Postgres {
			cols += ", search"
		}
		q := "INSERT INTO catalogue_formations (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", run.fRows), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("insert formations: %w", err)
		}
		run.fBatch, run.fRows = run.fBatch[:0], 0
		if run.ftsRows > 0 {
			q := "INSERT INTO catalogue_search (rowid, text) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", run.ftsRows), ", ")
			if _, err := tx.Exec(ctx, q, run.ftsBatch...); err != nil {
				return fmt.Errorf("index formations: %w", err)
			}
			run.ftsBatch, run.ftsRows = run.ftsBatch[:0], 0
		}
	}
	if run.sRows > 0 && (all || run.sRows >= sBatchRows) {
		if run.fRows > 0 {
			if err := run.flush(ctx, true); err != nil {
				return err
			}
		}
		row := "(" + placeholders(sessionCols) + ")"
		q := `INSERT INTO catalogue_sessions (id, formation_id, source, skey, akey, ahash, numero, intitule, organisme, siret, formacodes, romes,
			region, departement, ville, debut, fin, etat, certifiante, modalite, hash, import_id, created_at, updated_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", run.sRows), ", ")
		if _, err := tx.Exec(ctx, q, run.sBatch...); err != nil {
			return fmt.Errorf("insert sessions: %w", err)
		}
		run.sBatch, run.sRows = run.sBatch[:0], 0
	}
	return nil
}

// finish records the outcome of the import, its report lines and the audit
// record, in tx.
func (run *importRun) finish(ctx context.Context, tx *store.Tx) error {
	imp := run.imp
	now := run.s.now()
	imp.FinishedAt = &now
	if run.extra > 0 {
		run.lines = append(run.lines, ReportLine{Kind: LineWarning, Message: fmt.Sprintf("%d autres lignes du rapport ne sont pas conservées (les totaux restent exacts).", run.extra)})
	}
	if imp.Status == StatusDone {
		imp.Counts = run.counts
	}
	counts, _ := json.Marshal(imp.Counts)
	if _, err := tx.Exec(ctx, `UPDATE catalogue_imports SET status = ?, version = ?, finished_at = ?, counts = ?, error_line = ?, error_column = ?, error_message = ? WHERE id = ?`,
		imp.Status, imp.Version, now, string(counts), imp.ErrorLine, imp.ErrorColumn, imp.ErrorMessage, imp.ID); err != nil {
		return err
	}
	lines := run.lines
	for len(lines) > 0 {
		n := min(len(lines), 500)
		args := make([]any, 0, n*5)
		for _, l := range lines[:n] {
			args = append(args, imp.ID, l.Kind, l.Line, l.Numero, l.Message)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO catalogue_import_lines (import_id, kind, line, numero, message) VALUES "+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", "), args...); err != nil {
			return err
		}
		lines = lines[n:]
	}
	return tx.Record(ctx, store.Change{Action: "catalogue.import", ObjectType: "catalogue_import", ObjectID: imp.ID, At: now,
		After: map[string]any{"status": imp.Status, "source": imp.Source, "file": imp.FileName, "counts": imp.Counts, "error": imp.ErrorMessage}})
}
