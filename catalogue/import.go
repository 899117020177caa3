package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
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
	err = run.execute(ctx)
	var docErr *lheo.DocumentError
	switch {
	case err == nil:
		return imp, nil
	case errors.As(err, &docErr):
		imp.Status = StatusRejected
		imp.ErrorLine, imp.ErrorColumn, imp.ErrorMessage = docErr.Line, docErr.Column, docErr.Msg
		imp.Counts = Counts{Rejected: run.counts.Rejected, Warnings: run.counts.Warnings}
	case errors.Is(err, errConcurrentImport):
		imp.Status = StatusFailed
		imp.ErrorMessage = "Un autre import a été publié pendant celui-ci : rien n'a été importé, relancez l'import."
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
	if imp.Status == StatusFailed && !errors.Is(err, errConcurrentImport) {
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

// What an occurrence of this import counted for a formation, an action or a
// session (so that a later occurrence of the same numero can undo it).
const (
	didNone int8 = iota
	didCreated
	didUpdated
	didUnchanged
	didWithdrawn
)

func (c *Count) add(did int8, n int) {
	switch did {
	case didCreated:
		c.Created += n
	case didUpdated:
		c.Updated += n
	case didUnchanged:
		c.Unchanged += n
	case didWithdrawn:
		c.Withdrawn += n
	}
}

type fIdx struct {
	id        int64
	hash      string
	rawHash   string
	datemaj   int64
	withdrawn bool
	seen      bool

	stored bool   // in the database before this import
	orig   fState // as stored before this import
	did    int8
	line   int   // line of this import's occurrence
	staged bool  // a row of it is staged
	tally  tally // what this import's occurrence did to its actions and sessions
}

type fState struct {
	hash, rawHash string
	datemaj       int64
	withdrawn     bool
}

// tally is what the occurrence of a created or updated formation did to its
// actions and sessions (a later occurrence of the same numero takes it
// back). Kept and absent formations have none: their live actions and
// sessions are counted from the database (see liveCounts).
type tally struct {
	actions, sessions Count
	withdrawn         []int64 // ids of the stored sessions it withdraws
	absentActions     int     // live actions of the stored version it no longer has
}

func (c *Count) plus(o Count, sign int) {
	c.Created += sign * o.Created
	c.Updated += sign * o.Updated
	c.Unchanged += sign * o.Unchanged
	c.Withdrawn += sign * o.Withdrawn
}

// storedSession is a stored session of a formation that this import
// rewrites, read when its formation is applied (see loadSessions).
type storedSession struct {
	id          int64
	skey, akey  string
	ahash, hash string
	withdrawn   bool
}

// live is what a stored formation has that is not withdrawn.
type live struct{ sessions, actions int }

type importRun struct {
	s      *Service
	imp    *Import
	opt    ImportOptions
	r      io.Reader
	counts Counts
	lines  []ReportLine
	extra  int // report lines beyond maxReportLines

	w            store.Querier // where rows are staged
	conn         *store.Conn   // the import's connection (COPY on PostgreSQL)
	pg           bool
	now          time.Time
	formations   map[string]*fIdx
	nextF, nextS int64
	// The stored sessions of the formations this import rewrites are read
	// when they are applied, a batch at a time (loadSessions); the live
	// counts of the others, once, while the document is read (liveCounts).
	batch       map[int64][]storedSession
	live        map[int64]live
	liveDone    chan struct{}
	liveErr     error
	absent      []int64 // formations absent from a full import with live sessions
	doneImports int     // successful imports when the index was loaded (SQLite)
	// What prepublish wrote (SQLite): the published ids it wrote above,
	// and how many formations and sessions.
	hiddenAbove, hidden [2]int64
	// byRaw maps the raw digests of stored formations that may be skipped
	// undecoded to their keys; read-only once the decoding has started.
	byRaw  map[string]string
	rawFix map[int64]string // raw_hash of unchanged formations whose digest changed

	fBatch, sBatch []any
	fRows, sRows   int
	// The staged batches are written by a goroutine of their own (see
	// startStager), so that the writes overlap with the decoding.
	stager     chan stageBatch
	stagerDone chan struct{}
	stageErr   error                // of the stager; read after a barrier or its end
	stmts      map[string]*sql.Stmt // full-batch INSERTs prepared (SQLite)
	stageIndex bool                 // kairos_stage_s_f exists
}

// stageBatch is one batch of staged rows, or a barrier (done set).
type stageBatch struct {
	table string
	cols  []string
	vals  []any
	done  chan error
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
	line   int    // line of the kept formation
	digest string
}

// decode reads the document and prepares its records on every core: one
// goroutine runs the decoder, which checks the document around the
// <formation> elements and cuts them out (lheo.Options.Split); a pool of
// GOMAXPROCS workers decodes and prepares the elements; a sequencer hands
// them over in document order (each one's slot waits in a bounded queue),
// so that report lines, duplicate numeros and the first document error are
// those of a sequential reading. At most decodeWindow elements and about
// decodeBudget bytes of them are in flight.
func (run *importRun) decode(ctx context.Context, r io.Reader) (<-chan item, *atomic.Value) {
	version := &atomic.Value{}
	workers := max(runtime.GOMAXPROCS(0), 1)
	order := make(chan *slot, decodeWindow)
	jobs := make(chan *slot, workers)
	out := make(chan item, 16)
	budget := make(chan struct{}, decodeBudget>>16)
	cr := &countingReader{r: r, progress: run.opt.Progress}
	var wg sync.WaitGroup
	push := func(s *slot) bool {
		select {
		case order <- s:
			return true
		case <-ctx.Done():
			return false
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		// Always through Skip: the digests are stored for the next import.
		opts := &lheo.Options{Skip: run.skipper(), Split: true}
		if len(run.byRaw) > 0 {
			opts.Known = func(d string) bool { _, ok := run.byRaw[d]; return ok }
		}
		dec := lheo.NewDecoder(cr, opts)
		for {
			f, err := dec.Next()
			var re *lheo.RecordError
			switch {
			case err == lheo.ErrSkipped:
				// An unchanged formation (see skipper): its key is the
				// stored one.
				if !push(&slot{it: item{kept: run.byRaw[dec.Digest()], line: dec.Line()}}) {
					return
				}
			case err == lheo.ErrChunk:
				c := dec.Chunk()
				s := &slot{chunk: c, done: make(chan struct{}), tokens: min(max(c.Size()>>16, 1), cap(budget))}
				for range s.tokens {
					select {
					case budget <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
				if !push(s) {
					return
				}
				select {
				case jobs <- s:
				case <-ctx.Done():
					return
				}
			case err == io.EOF:
				version.Store(string(dec.Version()))
				if cr.progress != nil {
					cr.progress(cr.n)
				}
				return
			case errors.As(err, &re):
				if !push(&slot{it: item{p: &prepared{rec: re, line: re.Line, numero: re.Numero}, digest: dec.Digest()}}) {
					return
				}
			case err != nil:
				push(&slot{it: item{err: err}})
				return
			default:
				// A formation the scanner did not cut out (oversized).
				if !push(&slot{f: f, it: item{digest: dec.Digest()}}) {
					return
				}
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				if ctx.Err() == nil {
					s.decode()
				}
				close(s.done)
			}
		}()
	}
	go func() {
		defer close(out)
		defer wg.Wait()
		var k keyer
		for s := range order {
			if s.done != nil {
				select {
				case <-s.done:
				case <-ctx.Done():
					return
				}
				for range s.tokens {
					<-budget
				}
			}
			it := s.it
			if s.f != nil {
				// No numero (its key depends on the order) or decoded
				// in line: prepared here, in order.
				p, err := prepare(s.f, k.formationKey(s.f))
				if err != nil {
					it = item{err: err}
				} else {
					p.rawHash = s.it.digest
					it = item{p: p}
				}
			}
			select {
			case out <- it:
			case <-ctx.Done():
				return
			}
			if it.err != nil {
				return
			}
		}
	}()
	return out, version
}

// Bounds of the parallel decoding: elements queued in document order, and
// bytes of cut-out elements held by the queue (counted by 64 KiB).
const (
	decodeWindow = 256
	decodeBudget = 32 << 20
)

// slot is one element of the document, in order; done is closed when a
// worker has decoded its chunk.
type slot struct {
	it     item
	f      *lheo.Formation // decoded, to be keyed and prepared in order
	chunk  *lheo.Chunk
	done   chan struct{}
	tokens int // of the decoding budget
}

// decode decodes and prepares the slot's chunk (in a worker).
func (s *slot) decode() {
	c := s.chunk
	s.chunk = nil
	f, err := c.Decode()
	var re *lheo.RecordError
	switch {
	case errors.As(err, &re):
		s.it = item{p: &prepared{rec: re, line: re.Line, numero: re.Numero}, digest: c.Digest}
	case err != nil:
		s.it = item{err: err}
	case strings.TrimSpace(f.Numero) == "":
		s.f, s.it = f, item{digest: c.Digest}
	default:
		p, err := prepare(f, strings.TrimSpace(f.Numero))
		if err != nil {
			s.it = item{err: err}
			return
		}
		p.rawHash = c.Digest
		s.it = item{p: p}
	}
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

// importLocks serialises the imports of one process on one database (the
// in-memory index of an import is loaded before its rows are staged).
var importLocks sync.Map // *store.DB -> *sync.Mutex

func importLock(db *store.DB) *sync.Mutex {
	m, _ := importLocks.LoadOrStore(db, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// errConcurrentImport is returned when another process imported into the
// SQLite database while this import was staging its rows.
var errConcurrentImport = errors.New("catalogue: another import was published meanwhile")

// execute stages the document's rows and publishes them in one transaction.
//
// SQLite: rows are staged in temporary tables of one connection, written
// outside any transaction on the database (a temporary table lives in its
// own file), so that the decoding and the staging never hold the database's
// write lock: other writers (logins, attestations) go on. The publication,
// set-based statements from the staged tables, is the only transaction that
// writes the catalogue, and readers see the old offer or the new one.
//
// PostgreSQL: the same staging and publication run in one transaction
// (temporary tables dropped at commit); other writers are not blocked by it
// (MVCC) and imports are serialised by an advisory lock.
func (run *importRun) execute(ctx context.Context) error {
	mu := importLock(run.s.DB)
	mu.Lock()
	defer mu.Unlock()
	defer limitMemory()()
	conn, err := run.s.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	run.conn = conn
	run.now = run.s.now()
	if conn.Engine() == store.Postgres {
		run.pg = true
		err := conn.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(4242004)"); err != nil {
				return err
			}
			for _, q := range stageTables(true) {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("stage tables: %w", err)
				}
			}
			run.w = tx
			if err := run.load(ctx, tx); err != nil {
				return fmt.Errorf("load index: %w", err)
			}
			if err := run.stage(ctx); err != nil {
				return err
			}
			staged := run.s.now()
			defer func() { run.logTimes(staged) }()
			return run.publish(ctx, tx)
		})
		if q := maintenance(run.counts); err == nil && q != "" {
			// The offer is published: a failed maintenance only costs
			// time, until the autovacuum daemon does it.
			start := run.s.now()
			_, verr := conn.Exec(ctx, q)
			if run.s.Log != nil {
				if verr != nil {
					run.s.Log.Warn("catalogue: maintenance after import", "import", run.imp.ID, "err", verr)
				} else {
					run.s.Log.Info("catalogue: maintenance after import", "import", run.imp.ID, "statement", q, "took", run.s.now().Sub(start).Round(time.Millisecond))
				}
			}
		}
		return err
	}
	drop := func() {
		for _, t := range []string{"kairos_stage_f", "kairos_stage_s"} {
			conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp."+t)
		}
	}
	drop()
	// Staged rows go to a temporary file, not to memory (the staging of a
	// national file is several hundred megabytes); the connection goes back
	// to the pool with the default setting.
	if _, err := conn.Exec(ctx, "PRAGMA temp_store = FILE"); err != nil {
		return err
	}
	defer func() {
		drop()
		conn.Exec(context.WithoutCancel(ctx), "PRAGMA temp_store = DEFAULT")
	}()
	for _, q := range stageTables(false) {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("stage tables: %w", err)
		}
	}
	run.w = conn
	// Rows an interrupted import left unpublished (see unpublished.go).
	if nf, ns, err := run.purgeUnpublished(ctx); err != nil {
		return err
	} else if nf+ns > 0 && run.s.Log != nil {
		run.s.Log.Warn("catalogue: unpublished rows of an interrupted import deleted", "import", run.imp.ID, "formations", nf, "sessions", ns)
	}
	if err := run.restoreIndexes(ctx); err != nil {
		return err
	}
	if err := run.load(ctx, conn); err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	if err := run.stage(ctx); err != nil {
		return err
	}
	staged := run.s.now()
	defer func() { run.logTimes(staged) }()
	err = run.prepublish(ctx)
	if err == nil {
		err = conn.Tx(ctx, func(tx *store.Tx) error {
			var done int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM catalogue_imports WHERE status = ?", StatusDone).Scan(&done); err != nil {
				return err
			}
			if done != run.doneImports {
				return errConcurrentImport
			}
			if err := run.checkHidden(ctx, tx); err != nil {
				return err
			}
			return run.publish(ctx, tx)
		})
	}
	if err != nil {
		bg := context.WithoutCancel(ctx)
		if _, _, perr := run.purgeUnpublished(bg); perr != nil && run.s.Log != nil {
			run.s.Log.Warn("catalogue: unpublished rows of a failed import left for the next one", "import", run.imp.ID, "err", perr)
		}
		if rerr := run.restoreIndexes(bg); rerr != nil && run.s.Log != nil {
			run.s.Log.Warn("catalogue: indexes dropped by a failed import left for the next one", "import", run.imp.ID, "err", rerr)
		}
	}
	return err
}

// maintenance is the statement PostgreSQL runs after a publication that
// wrote rows (empty when it wrote none).
//
// A large change (reshapes) gets fresh statistics for the planner: ANALYZE
// reads a sample of 30 000 rows of each table, most of a second at a
// national size, so smaller changes leave them to the autovacuum daemon.
//
// Any change gets a VACUUM: each written page leaves the visibility map,
// and the index-only walks of a search (the start-date and place indexes,
// migration 0026) and of the next import's identities (migration 0027) then
// read those pages from the heap. At 300 000 sessions, after a re-import of
// one formation in ten, the 20 searches of bench/ took 43 ms at p95 before
// the VACUUM and 29 ms after it. This one prunes the rewritten rows and
// sets the visibility map (≈ 0.15 s) but leaves the index cleanup (≈ 0.5 s
// more) and the documents' TOAST table to the autovacuum daemon, which
// migration 0028 brings once 2 % of a table is dead; it never truncates
// the table (an exclusive lock, which would hold up searches).
func maintenance(c Counts) string {
	if reshapes(c.Sessions) {
		return "VACUUM (ANALYZE) catalogue_formations, catalogue_sessions"
	}
	for _, x := range []Count{c.Formations, c.Actions, c.Sessions} {
		if x.Created+x.Updated+x.Withdrawn > 0 {
			return vacuumLean
		}
	}
	return ""
}

const vacuumLean = "VACUUM (INDEX_CLEANUP OFF, PROCESS_TOAST FALSE, TRUNCATE FALSE) catalogue_formations, catalogue_sessions"

// reshapes reports whether an import changed the number of live sessions
// by a fifth or more (a first import does).
func reshapes(c Count) bool {
	moved := c.Created + c.Withdrawn
	return moved > 0 && 5*moved >= c.Updated+c.Unchanged+c.Withdrawn
}

// logTimes logs how long the import staged and published its rows.
func (run *importRun) logTimes(staged time.Time) {
	if run.s.Log != nil {
		run.s.Log.Info("catalogue: import timings", "import", run.imp.ID, "stage", staged.Sub(run.now).Round(time.Millisecond),
			"publish", run.s.now().Sub(staged).Round(time.Millisecond))
	}
}

// stageTables are the statements creating the staging tables: one row per
// formation or session the import creates (isnew = 1) or rewrites.
func stageTables(pg bool) []string {
	f := `CREATE TEMP TABLE kairos_stage_f (id BIGINT PRIMARY KEY, isnew INTEGER NOT NULL, fkey TEXT NOT NULL, numero TEXT NOT NULL,
		datemaj BIGINT NOT NULL, hash TEXT NOT NULL, raw_hash TEXT NOT NULL, doc TEXT NOT NULL, search TEXT NOT NULL)`
	s := `CREATE TEMP TABLE kairos_stage_s (id BIGINT PRIMARY KEY, isnew INTEGER NOT NULL, formation_id BIGINT NOT NULL, skey TEXT NOT NULL,
		akey TEXT NOT NULL, ahash TEXT NOT NULL, numero TEXT NOT NULL, intitule TEXT NOT NULL, organisme TEXT NOT NULL, siret TEXT NOT NULL,
		formacodes TEXT NOT NULL, romes TEXT NOT NULL, region TEXT NOT NULL, departement TEXT NOT NULL, ville TEXT NOT NULL,
		debut BIGINT NOT NULL, fin BIGINT NOT NULL, etat TEXT NOT NULL, certifiante INTEGER NOT NULL, modalite TEXT NOT NULL, hash TEXT NOT NULL)`
	if pg {
		// The words of the full-text index are computed by the server as
		// the rows are copied (while the document is still being read),
		// not by the publication.
		f = strings.Replace(f, "search TEXT NOT NULL)", "search TEXT NOT NULL, search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search)) STORED)", 1)
		f += " ON COMMIT DROP"
		s += " ON COMMIT DROP"
	} else {
		// The rowid itself: no second B-tree to write while staging, and
		// the publication reads the rows in id order without an index.
		f = strings.Replace(f, "id BIGINT PRIMARY KEY", "id INTEGER PRIMARY KEY", 1)
		s = strings.Replace(s, "id BIGINT PRIMARY KEY", "id INTEGER PRIMARY KEY", 1)
	}
	return []string{f, s}
}

// stage decodes the document and stages its rows.
func (run *importRun) stage(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	run.startLiveCounts(ctx)
	defer func() {
		cancel()
		<-run.liveDone
	}()
	items, version := run.decode(ctx, run.r)
	run.startStager(ctx)
	defer run.stopStager()
	var firstErr error
	batch := make([]item, 0, sessionBatch)
	for it := range items {
		// The items already decoded, up to a batch: the stored sessions
		// of the formations they rewrite are read in one query.
		batch = append(batch[:0], it)
	fill:
		for len(batch) < sessionBatch {
			select {
			case it, ok := <-items:
				if !ok {
					break fill
				}
				batch = append(batch, it)
			default:
				break fill
			}
		}
		if firstErr == nil {
			if err := run.loadSessions(ctx, batch); err != nil {
				firstErr = err
				cancel()
			}
		}
		for _, it := range batch {
			if firstErr != nil {
				break // drain
			}
			if it.err != nil {
				firstErr = it.err
				cancel()
				break
			}
			if it.kept != "" {
				if f := run.formations[it.kept]; f != nil && !f.seen {
					run.keep(f, it.line)
				}
				continue
			}
			if err := run.applyOne(ctx, it.p); err != nil {
				firstErr = err
				cancel()
			}
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
	if err := run.countLive(ctx); err != nil {
		return err
	}
	return run.flush(ctx, true)
}

// sessionBatch is the number of decoded formations whose stored sessions
// are read in one query.
const sessionBatch = 64

// rewrites reports whether p rewrites the stored formation f (so that its
// stored sessions are needed).
func rewrites(f *fIdx, p *prepared) bool {
	return f != nil && f.stored && p.rec == nil && (f.seen || f.withdrawn || f.orig.hash != p.hash)
}

// loadSessions reads the stored sessions of the formations the batch
// rewrites.
func (run *importRun) loadSessions(ctx context.Context, batch []item) error {
	clear(run.batch)
	var ids []any
	for _, it := range batch {
		if it.p == nil {
			continue
		}
		if f := run.formations[it.p.fkey]; rewrites(f, it.p) {
			if _, ok := run.batch[f.id]; !ok {
				run.batch[f.id] = nil
				ids = append(ids, f.id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return run.readStored(ctx, ids, run.batch)
}

// readStored reads the stored sessions of the formations ids into into.
func (run *importRun) readStored(ctx context.Context, ids []any, into map[int64][]storedSession) error {
	rows, err := run.s.DB.Query(ctx, "SELECT formation_id, id, skey, akey, ahash, hash, withdrawn_at IS NOT NULL FROM catalogue_sessions WHERE formation_id IN ("+placeholders(len(ids))+") ORDER BY id", ids...)
	if err != nil {
		return fmt.Errorf("stored sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fid int64
		var x storedSession
		if err := rows.Scan(&fid, &x.id, &x.skey, &x.akey, &x.ahash, &x.hash, &x.withdrawn); err != nil {
			return err
		}
		into[fid] = append(into[fid], x)
	}
	return rows.Err()
}

// startLiveCounts reads, beside the decoding, how many sessions and actions
// of each stored formation are live: what a kept formation counts as
// unchanged and what a full import withdraws from an absent one.
func (run *importRun) startLiveCounts(ctx context.Context) {
	run.live, run.liveDone = map[int64]live{}, make(chan struct{})
	if len(run.formations) == 0 {
		close(run.liveDone)
		return
	}
	go func() {
		defer close(run.liveDone)
		rows, err := run.s.DB.Query(ctx, "SELECT formation_id, COUNT(*), COUNT(DISTINCT akey) FROM catalogue_sessions WHERE source = ? AND withdrawn_at IS NULL GROUP BY formation_id", run.imp.Source)
		if err != nil {
			run.liveErr = err
			return
		}
		defer rows.Close()
		for rows.Next() {
			var fid int64
			var l live
			if err := rows.Scan(&fid, &l.sessions, &l.actions); err != nil {
				run.liveErr = err
				return
			}
			run.live[fid] = l
		}
		run.liveErr = rows.Err()
	}()
}

// countLive counts the actions and sessions of the kept formations and,
// after a full import, withdraws what the document no longer holds.
func (run *importRun) countLive(ctx context.Context) error {
	select {
	case <-run.liveDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	if run.liveErr != nil {
		return fmt.Errorf("live counts: %w", run.liveErr)
	}
	for _, f := range run.formations {
		l := run.live[f.id]
		switch {
		case f.seen && f.did == didUnchanged:
			run.counts.Sessions.Unchanged += l.sessions
			run.counts.Actions.Unchanged += l.actions
		case f.seen:
			// Its sessions are withdrawn (applyOne), by a partial import too.
			run.counts.Actions.Withdrawn += f.tally.absentActions
		case run.imp.Full && f.stored:
			if !f.withdrawn {
				f.withdrawn = true
				run.counts.Formations.Withdrawn++
			}
			if l.sessions > 0 {
				run.absent = append(run.absent, f.id)
				run.counts.Sessions.Withdrawn += l.sessions
				run.counts.Actions.Withdrawn += l.actions
			}
		}
	}
	return nil
}

// publish applies the staged rows, the withdrawals and the report, in tx.
func (run *importRun) publish(ctx context.Context, tx *store.Tx) error {
	src, id, now := run.imp.Source, run.imp.ID, run.now
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO catalogue_formations (id, source, fkey, numero, datemaj, hash, raw_hash, doc, import_id, created_at, updated_at` + pgOnly(run.pg, ", search") + `)
			SELECT id, ?, fkey, numero, datemaj, hash, raw_hash, doc, ?, ?, ?` + pgOnly(run.pg, ", search_tsv") + ` FROM kairos_stage_f WHERE isnew = 1 ORDER BY id`,
			[]any{src, id, now, now}},
		{`UPDATE catalogue_formations SET numero = st.numero, datemaj = st.datemaj, hash = st.hash, raw_hash = st.raw_hash, doc = st.doc,
			import_id = ?, updated_at = ?, withdrawn_at = NULL` + pgOnly(run.pg, ", search = st.search_tsv") + `
			FROM kairos_stage_f st WHERE st.isnew = 0 AND catalogue_formations.id = st.id`, []any{id, now}},
		{`INSERT INTO catalogue_sessions (id, formation_id, source, skey, akey, ahash, numero, intitule, organisme, siret, formacodes, romes,
			region, departement, ville, debut, fin, etat, certifiante, modalite, hash, import_id, created_at, updated_at)
			SELECT id, formation_id, ?, skey, akey, ahash, numero, intitule, organisme, siret, formacodes, romes,
			region, departement, ville, debut, fin, etat, certifiante, modalite, hash, ?, ?, ? FROM kairos_stage_s WHERE isnew = 1 ORDER BY id`,
			[]any{src, id, now, now}},
		// SQLite updates every index over a column the statement sets:
		// the live sessions whose indexed columns keep their values (most
		// changes: titles, states, organismes) only set the others.
		{`UPDATE catalogue_sessions SET ` + unindexedSetClause() + ` FROM kairos_stage_s st WHERE st.isnew = 0 AND catalogue_sessions.id = st.id AND ` + sameIndexed,
			[]any{id, now}},
		{`UPDATE catalogue_sessions SET formation_id = st.formation_id, akey = st.akey, ahash = st.ahash, numero = st.numero, intitule = st.intitule,
			organisme = st.organisme, siret = st.siret, formacodes = st.formacodes, romes = st.romes, region = st.region, departement = st.departement,
			ville = st.ville, debut = st.debut, fin = st.fin, etat = st.etat, certifiante = st.certifiante, modalite = st.modalite, hash = st.hash,
			import_id = ?, updated_at = ?, withdrawn_at = NULL FROM kairos_stage_s st WHERE st.isnew = 0 AND catalogue_sessions.id = st.id AND NOT ` + sameIndexed, []any{id, now}},
	}
	if run.pg {
		// PostgreSQL leaves unchanged index entries alone by itself (HOT).
		stmts = slices.Delete(stmts, 3, 4)
		stmts[3].q = strings.Replace(stmts[3].q, " AND NOT "+sameIndexed, "", 1)
	} else {
		// SQLite: the new rows and their full-text entries are in
		// already, unpublished (prepublish); the rewritten ones remain.
		stmts = slices.Delete(stmts, 2, 3)
		stmts = slices.Delete(stmts, 0, 1)
		stmts = append(stmts,
			struct {
				q    string
				args []any
			}{"DELETE FROM catalogue_search WHERE rowid IN (SELECT id FROM kairos_stage_f WHERE isnew = 0)", nil},
			struct {
				q    string
				args []any
			}{"INSERT INTO catalogue_search (rowid, text) SELECT id, search FROM kairos_stage_f WHERE isnew = 0 ORDER BY id", nil})
	}
	// SQLite's bulk load dropped and built its indexes in prepublish.
	var rebuild []string
	if run.pg {
		for _, table := range []string{"catalogue_formations", "catalogue_sessions"} {
			r, err := run.dropIndexesIfEmpty(ctx, tx, table)
			if err != nil {
				return fmt.Errorf("publish: indexes of %s: %w", table, err)
			}
			for _, x := range r {
				rebuild = append(rebuild, x.def)
			}
		}
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	for _, q := range rebuild {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("publish: rebuild index: %w", err)
		}
	}
	if err := run.applyWithdrawals(ctx, tx); err != nil {
		return err
	}
	if err := run.applyRawFixes(ctx, tx); err != nil {
		return err
	}
	if err := run.publishIDs(ctx, tx); err != nil {
		return err
	}
	run.imp.Status = StatusDone
	return run.finish(ctx, tx)
}

// sameIndexed holds when a staged session (st) keeps the values of the
// stored one, live, in every column an index of catalogue_sessions covers
// (migrations 0003, 0006, 0015, 0026; TestSameIndexedCoversTheIndexes).
const sameIndexed = `(catalogue_sessions.formation_id = st.formation_id AND catalogue_sessions.siret = st.siret AND catalogue_sessions.debut = st.debut
	AND catalogue_sessions.departement = st.departement AND catalogue_sessions.region = st.region AND catalogue_sessions.numero = st.numero
	AND catalogue_sessions.fin = st.fin AND catalogue_sessions.withdrawn_at IS NULL)`

// unindexedSet are the columns the first publication UPDATE sets (those
// no index of catalogue_sessions covers).
var unindexedSet = []string{"akey", "ahash", "intitule", "organisme", "formacodes", "romes", "ville", "etat", "certifiante", "modalite", "hash", "import_id", "updated_at"}

// unindexedSetClause is the SET clause of that UPDATE: the staged values,
// then the import and its instant (arguments).
func unindexedSetClause() string {
	var b strings.Builder
	for _, c := range unindexedSet {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		v := "st." + c
		if c == "import_id" || c == "updated_at" {
			v = "?"
		}
		b.WriteString(c + " = " + v)
	}
	return b.String()
}

// bulkFrom is the number of staged rows from which the first load of an
// empty table drops its secondary indexes and builds them after the rows
// are in (one sort instead of one B-tree insertion per row and index).
var bulkFrom = 5000

// droppedIndex is a secondary index dropped for a bulk load: its name and
// the statement that builds it again.
type droppedIndex struct{ name, def string }

// dropIndexesIfEmpty drops the secondary indexes of table when it is empty
// and the import stages at least bulkFrom rows for it, and returns them
// with the statements that build them again (read from the database's
// catalog, so that they stay those of the migrations). Unique constraints
// stay. On PostgreSQL this locks the (empty) table until the commit.
func (run *importRun) dropIndexesIfEmpty(ctx context.Context, tx *store.Tx, table string) ([]droppedIndex, error) {
	stage := map[string]string{"catalogue_formations": "kairos_stage_f", "catalogue_sessions": "kairos_stage_s"}[table]
	var staged int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+stage+" WHERE isnew = 1 LIMIT ?) x", bulkFrom).Scan(&staged); err != nil || staged < bulkFrom {
		return nil, err
	}
	var nonEmpty int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+table+" LIMIT 1) x").Scan(&nonEmpty); err != nil || nonEmpty > 0 {
		return nil, err
	}
	q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
	args := []any{table}
	if run.pg {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?
			AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = ?::regclass)`
		args = append(args, table)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []droppedIndex
	for rows.Next() {
		var x droppedIndex
		if err := rows.Scan(&x.name, &x.def); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, x := range out {
		if _, err := tx.Exec(ctx, `DROP INDEX "`+x.name+`"`); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func pgOnly(pg bool, s string) string {
	if pg {
		return s
	}
	return ""
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

// load reads the stored formations of the source (their sessions are read
// when they are rewritten: see loadSessions and startLiveCounts).
func (run *importRun) load(ctx context.Context, tx store.Querier) error {
	run.formations, run.batch = map[string]*fIdx{}, map[int64][]storedSession{}
	run.byRaw, run.rawFix = map[string]string{}, map[int64]string{}
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM catalogue_formations").Scan(&run.nextF); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM catalogue_sessions").Scan(&run.nextS); err != nil {
		return err
	}
	// New ids go above the published ones too, which may be above the
	// highest stored (ids allocated to rows that were replaced before
	// being stored).
	pf, ps, err := published(ctx, tx)
	if err != nil {
		return err
	}
	run.nextF, run.nextS = max(run.nextF, pf), max(run.nextS, ps)
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM catalogue_imports WHERE status = ?", StatusDone).Scan(&run.doneImports); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, "SELECT id, fkey, hash, raw_hash, datemaj, withdrawn_at IS NOT NULL FROM catalogue_formations WHERE source = ?", run.imp.Source)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		f := &fIdx{}
		if err := rows.Scan(&f.id, &k, &f.hash, &f.rawHash, &f.datemaj, &f.withdrawn); err != nil {
			return err
		}
		f.stored, f.orig = true, fState{hash: f.hash, rawHash: f.rawHash, datemaj: f.datemaj, withdrawn: f.withdrawn}
		run.formations[k] = f
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
	if err := rows.Err(); err != nil {
		return err
	}
	for d, k := range run.byRaw {
		if k == "" {
			delete(run.byRaw, d)
		}
	}
	return nil
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
			run.keep(f, p.line)
			run.report(LineWarning, p.line, p.numero, "La version précédente de cette formation est conservée.")
		}
		return nil
	}
	old := run.formations[p.fkey]
	if old != nil && old.seen {
		// The numero was already in this document: the later occurrence
		// replaces the earlier one whole.
		run.report(LineWarning, p.line, p.numero, fmt.Sprintf("Le numéro de formation %q figure aussi ligne %d : cette occurrence (ligne %d) remplace la précédente.",
			strings.TrimSpace(p.numero), old.line, p.line))
		if err := run.undo(ctx, p.fkey, old); err != nil {
			return err
		}
		old = run.formations[p.fkey]
	}
	if old != nil && !old.withdrawn && old.hash == p.hash {
		run.keep(old, p.line)
		if p.rawHash != old.rawHash {
			// Same record, other bytes (layout, or stored before digests):
			// remember them so that the next import skips it.
			old.rawHash = p.rawHash
			run.rawFix[old.id] = p.rawHash
		}
		return nil
	}
	if old != nil && !old.withdrawn && known(old.datemaj) && known(p.datemaj) && p.datemaj < old.datemaj {
		run.keep(old, p.line)
		run.report(LineWarning, p.line, p.numero, fmt.Sprintf("Date de mise à jour (%s) antérieure à celle de la version enregistrée (%s) : formation ignorée.",
			lheo.Date(p.datemaj), lheo.Date(old.datemaj)))
		return nil
	}

	// Created or updated formation: its stored sessions (read for the batch
	// by loadSessions, or now after an earlier occurrence was taken back).
	var f *fIdx
	var stored []storedSession
	if old == nil {
		run.nextF++
		f = &fIdx{id: run.nextF, did: didCreated}
		run.formations[p.fkey] = f
		run.counts.Formations.Created++
	} else {
		f = old
		f.did = didUpdated
		run.counts.Formations.Updated++
		var ok bool
		if stored, ok = run.batch[f.id]; !ok {
			one := map[int64][]storedSession{}
			if err := run.readStored(ctx, []any{f.id}, one); err != nil {
				return err
			}
			stored = one[f.id]
		}
	}
	f.hash, f.rawHash, f.datemaj, f.withdrawn, f.seen, f.line = p.hash, p.rawHash, p.datemaj, false, true, p.line
	delete(run.rawFix, f.id)
	if err := run.stageFormation(ctx, f, p); err != nil {
		return err
	}
	type storedAction struct {
		hash       string
		live, seen bool
	}
	oldS := make(map[string]*storedSession, len(stored))
	oldA := map[string]*storedAction{}
	for i := range stored {
		x := &stored[i]
		oldS[x.skey] = x
		a := oldA[x.akey]
		if a == nil {
			a = &storedAction{hash: x.ahash}
			oldA[x.akey] = a
		}
		a.live = a.live || !x.withdrawn
	}
	t := &f.tally
	*t = tally{}
	for i, ak := range p.actions {
		a := oldA[ak]
		switch {
		case a == nil:
			oldA[ak] = &storedAction{seen: true}
			t.actions.Created++
		case a.seen:
		case a.hash != p.ahashes[i] || !a.live:
			a.seen = true
			t.actions.Updated++
		default:
			a.seen = true
			t.actions.Unchanged++
		}
	}
	for _, a := range oldA {
		if !a.seen && a.live {
			t.absentActions++
		}
	}
	present := make(map[string]bool, len(p.sessions))
	for i := range p.sessions {
		r := &p.sessions[i]
		if present[r.skey] {
			continue // cannot happen: keys carry an occurrence suffix
		}
		present[r.skey] = true
		x := oldS[r.skey]
		switch {
		case x == nil:
			run.nextS++
			r.id = run.nextS
			t.sessions.Created++
			if err := run.stageSession(ctx, f.id, r, true); err != nil {
				return err
			}
		case x.hash != r.hash || x.withdrawn:
			r.id = x.id
			t.sessions.Updated++
			if err := run.stageSession(ctx, f.id, r, false); err != nil {
				return err
			}
		default:
			t.sessions.Unchanged++
		}
	}
	// Sessions of the previous version missing from the new one.
	for _, x := range stored {
		if !present[x.skey] && !x.withdrawn {
			t.withdrawn = append(t.withdrawn, x.id)
			t.sessions.Withdrawn++
		}
	}
	run.counts.Actions.plus(t.actions, 1)
	run.counts.Sessions.plus(t.sessions, 1)
	return nil
}

// undo takes back what an earlier occurrence of the formation keyed fkey
// did in this import: its counts and its staged rows. The formation is then
// as stored before the import (or absent).
func (run *importRun) undo(ctx context.Context, fkey string, f *fIdx) error {
	if err := run.flush(ctx, true); err != nil {
		return err
	}
	run.counts.Formations.add(f.did, -1)
	run.counts.Actions.plus(f.tally.actions, -1)
	run.counts.Sessions.plus(f.tally.sessions, -1)
	if f.staged {
		if !run.stageIndex {
			// Built at the first repeated numero only: the bulk staging
			// keeps no secondary index up to date.
			if _, err := run.w.Exec(ctx, "CREATE INDEX kairos_stage_s_f ON kairos_stage_s (formation_id)"); err != nil {
				return err
			}
			run.stageIndex = true
		}
		if _, err := run.w.Exec(ctx, "DELETE FROM kairos_stage_f WHERE id = ?", f.id); err != nil {
			return err
		}
		if _, err := run.w.Exec(ctx, "DELETE FROM kairos_stage_s WHERE formation_id = ?", f.id); err != nil {
			return err
		}
	}
	delete(run.rawFix, f.id)
	if !f.stored {
		delete(run.formations, fkey)
		return nil
	}
	o := f.orig
	f.hash, f.rawHash, f.datemaj, f.withdrawn = o.hash, o.rawHash, o.datemaj, o.withdrawn
	f.seen, f.did, f.staged, f.tally = false, didNone, false, tally{}
	return nil
}

func known(d int64) bool { return d != 0 && d != int64(lheo.UnknownEnd) }

// keep marks a stored formation as still present and unchanged (its live
// actions and sessions are counted by countLive).
func (run *importRun) keep(f *fIdx, line int) {
	f.seen, f.did, f.line = true, didUnchanged, line
	run.counts.Formations.Unchanged++
}

func (run *importRun) applyWithdrawals(ctx context.Context, tx *store.Tx) error {
	var ids []int64
	for _, f := range run.formations {
		ids = append(ids, f.tally.withdrawn...)
	}
	if err := execByIDs(ctx, tx, "UPDATE catalogue_sessions SET withdrawn_at = ?, import_id = ? WHERE id IN (%s)", ids, run.now, run.imp.ID); err != nil {
		return err
	}
	// The live sessions of the formations a full import no longer holds.
	if err := execByIDs(ctx, tx, "UPDATE catalogue_sessions SET withdrawn_at = ?, import_id = ? WHERE withdrawn_at IS NULL AND formation_id IN (%s)",
		slices.Clone(run.absent), run.now, run.imp.ID); err != nil {
		return err
	}
	if !run.imp.Full || run.counts.Formations.Withdrawn == 0 {
		return nil
	}
	ids = ids[:0]
	for _, f := range run.formations {
		if f.withdrawn && !f.seen {
			ids = append(ids, f.id)
		}
	}
	return execByIDs(ctx, tx, "UPDATE catalogue_formations SET withdrawn_at = ? WHERE withdrawn_at IS NULL AND id IN (%s)", ids, run.now)
}

// execByIDs runs q (whose %s stands for a list of placeholders) for ids in
// ascending order, 500 at a time, after the arguments head.
func execByIDs(ctx context.Context, tx *store.Tx, q string, ids []int64, head ...any) error {
	slices.Sort(ids)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := append([]any(nil), head...)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(q, placeholders(n)), args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (run *importRun) applyRawFixes(ctx context.Context, tx *store.Tx) error {
	if len(run.rawFix) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(run.rawFix))
	a := make([]any, 0, 2*len(ids))
	for _, id := range ids {
		a = append(a, run.rawFix[id], id)
	}
	// UPDATE … FROM (VALUES …) is common to both engines' dialects.
	for len(a) > 0 {
		n := min(len(a)/2, 400)
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		if run.pg {
			values = strings.Replace(values, "(?, ?)", "(?::text, ?::bigint)", 1)
		}
		q := "UPDATE catalogue_formations SET raw_hash = v.h FROM (VALUES " + values + ") AS v(h, id) WHERE catalogue_formations.id = v.id"
		if !run.pg {
			q = "WITH v(h, id) AS (VALUES " + values + ") UPDATE catalogue_formations SET raw_hash = (SELECT h FROM v WHERE v.id = catalogue_formations.id) WHERE id IN (SELECT id FROM v)"
		}
		if _, err := tx.Exec(ctx, q, a[:2*n]...); err != nil {
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
	fBatchRows = 100
	sBatchRows = 200
)

func (run *importRun) stageFormation(ctx context.Context, f *fIdx, p *prepared) error {
	f.staged = true
	run.fBatch = append(run.fBatch, f.id, b2i(!f.stored), p.fkey, p.numero, p.datemaj, p.hash, p.rawHash, string(p.doc), p.search)
	run.fRows++
	if run.fRows >= fBatchRows {
		return run.flush(ctx, false)
	}
	return nil
}

func (run *importRun) stageSession(ctx context.Context, fid int64, r *sessionRow, isnew bool) error {
	run.sBatch = append(run.sBatch, r.id, b2i(isnew), fid, r.skey, r.akey, r.ahash, r.numero, r.intitule, r.organisme, r.siret, r.formacodes, r.romes,
		r.region, r.departement, r.ville, r.debut, r.fin, r.etat, r.certifiante, r.modalite, r.hash)
	run.sRows++
	if run.sRows >= sBatchRows {
		return run.flush(ctx, false)
	}
	return nil
}

var (
	stageFColumns = []string{"id", "isnew", "fkey", "numero", "datemaj", "hash", "raw_hash", "doc", "search"}
	stageSColumns = []string{"id", "isnew", "formation_id", "skey", "akey", "ahash", "numero", "intitule", "organisme", "siret", "formacodes", "romes",
		"region", "departement", "ville", "debut", "fin", "etat", "certifiante", "modalite", "hash"}
)

// flush hands the pending staged rows to the stager: COPY on PostgreSQL,
// multi-row INSERTs on SQLite. With all false, only full batches are
// handed (PostgreSQL takes batches ten times larger); with all true, flush
// also waits until every batch is written.
func (run *importRun) flush(ctx context.Context, all bool) error {
	scale := 1
	if run.pg {
		scale = 10
	}
	if run.fRows > 0 && (all || run.fRows >= fBatchRows*scale) {
		if err := run.hand(ctx, stageBatch{table: "kairos_stage_f", cols: stageFColumns, vals: run.fBatch}); err != nil {
			return err
		}
		run.fBatch, run.fRows = make([]any, 0, cap(run.fBatch)), 0
	}
	if run.sRows > 0 && (all || run.sRows >= sBatchRows*scale) {
		if err := run.hand(ctx, stageBatch{table: "kairos_stage_s", cols: stageSColumns, vals: run.sBatch}); err != nil {
			return err
		}
		run.sBatch, run.sRows = make([]any, 0, cap(run.sBatch)), 0
	}
	if all {
		done := make(chan error, 1)
		if err := run.hand(ctx, stageBatch{done: done}); err != nil {
			return err
		}
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// hand gives b to the stager (or writes it at once when there is none).
func (run *importRun) hand(ctx context.Context, b stageBatch) error {
	if run.stager == nil {
		if b.done != nil {
			b.done <- nil
			return nil
		}
		return run.stageBatch(ctx, b)
	}
	select {
	case run.stager <- b:
		return nil
	case <-run.stagerDone:
		return run.stageErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startStager starts the goroutine that writes the staged batches, in the
// order they are handed; it stops at its first error.
func (run *importRun) startStager(ctx context.Context) {
	run.stager, run.stagerDone = make(chan stageBatch, 2), make(chan struct{})
	go func() {
		defer close(run.stagerDone)
		for b := range run.stager {
			if b.done != nil {
				b.done <- nil
				continue
			}
			if err := run.stageBatch(ctx, b); err != nil {
				run.stageErr = err
				for b := range run.stager {
					if b.done != nil {
						b.done <- err
					}
				}
				return
			}
		}
	}()
}

// stopStager waits for the stager to end and closes the prepared
// statements.
func (run *importRun) stopStager() {
	if run.stager != nil {
		close(run.stager)
		<-run.stagerDone
		run.stager = nil
	}
	for _, st := range run.stmts {
		st.Close()
	}
	run.stmts = nil
}

func (run *importRun) stageBatch(ctx context.Context, b stageBatch) error {
	if err := run.stageRows(ctx, b.table, b.cols, b.vals); err != nil {
		return fmt.Errorf("stage %s: %w", b.table, err)
	}
	return nil
}

func (run *importRun) stageRows(ctx context.Context, table string, cols []string, vals []any) error {
	per := len(cols)
	if run.pg {
		rows := make([][]any, 0, len(vals)/per)
		for i := 0; i < len(vals); i += per {
			r := vals[i : i+per]
			for j, v := range r {
				if n, ok := v.(int); ok {
					r[j] = int64(n) // BIGINT and INTEGER columns both take an int64
				}
			}
			rows = append(rows, r)
		}
		_, err := run.conn.CopyFrom(ctx, table, cols, rows)
		return err
	}
	n := len(vals) / per
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat("("+placeholders(per)+"), ", n), ", ")
	if n != fBatchRows && n != sBatchRows {
		_, err := run.w.Exec(ctx, q, vals...)
		return err
	}
	// A full batch: the statement is prepared once (parsing a statement of
	// thousands of placeholders costs as much as running it).
	st := run.stmts[q]
	if st == nil {
		var err error
		if st, err = run.conn.Prepare(ctx, q); err != nil {
			return err
		}
		if run.stmts == nil {
			run.stmts = map[string]*sql.Stmt{}
		}
		run.stmts[q] = st
	}
	_, err := st.ExecContext(ctx, vals...)
	return err
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
