// Package store is the storage edge of Kairos: it opens the embedded SQLite
// database or a PostgreSQL server behind one API, applies the embedded
// migrations, runs transactions and writes, inside them, the audit record and
// the domain event of every state change.
//
// Capability packages write their own SQL with '?' placeholders in the common
// subset of both engines; the store rebinds placeholders for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
	_ "modernc.org/sqlite"           // pure-Go SQLite driver

	"kairos"
)

// Engine names a storage engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is a database handle for either engine.
type DB struct {
	sql    *sql.DB
	engine Engine
	URL    string       // as configured, password hidden
	Clock  kairos.Clock // the process's clock; nil: the system clock

	listenMu  sync.Mutex
	listeners map[chan struct{}]struct{}
	onChange  map[*func([]int64)]struct{} // OnChange callbacks

	stmts *stmtCache // SQLite only

	// waiting counts this process's SQLite writers asking for the write
	// lock (a transaction until it began, a statement until it ended): see
	// YieldToWriters.
	waiting atomic.Int32
}

// Open connects to url: "postgres://…" or "postgresql://…" selects
// PostgreSQL; anything else is an SQLite file path (optionally "sqlite:" or
// "file:" prefixed). It does not migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	db := &DB{URL: redact(url)}
	var err error
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db.engine = Postgres
		db.sql, err = sql.Open("pgx", url)
		if err == nil {
			db.sql.SetMaxOpenConns(DefaultMaxConns())
			db.sql.SetMaxIdleConns(DefaultMaxConns())
			db.sql.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		db.engine = SQLite
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
		if path == "" {
			return nil, errors.New("store: empty SQLite path")
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		// WAL for concurrent readers, foreign keys on, a busy timeout so that
		// writers from several processes wait for each other, and immediate
		// transactions so that a read-then-write transaction never fails to
		// upgrade its lock.
		dsn := "file:" + path + sep + "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
		db.sql, err = sql.Open("sqlite", dsn)
		if err == nil {
			db.sql.SetMaxOpenConns(8)
			db.sql.SetMaxIdleConns(8)
			db.stmts = &stmtCache{db: db.sql, m: map[string]*sql.Stmt{}}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", db.URL, err)
	}
	return db, nil
}

// DefaultMaxConns is the PostgreSQL pool size unless configured
// (KAIROS_DB_MAX_CONNS): two connections per core the Go scheduler uses, so
// that every running request can hold one while another waits on the
// network, plus 8 for the worker, imports and bursts.
func DefaultMaxConns() int { return 2*runtime.GOMAXPROCS(0) + 8 }

// SetMaxConns sizes the PostgreSQL connection pool (idle connections
// included). SQLite keeps its own pool of 8.
func (db *DB) SetMaxConns(n int) {
	if db.engine == Postgres && n > 0 {
		db.sql.SetMaxOpenConns(n)
		db.sql.SetMaxIdleConns(n)
	}
}

// Close closes the handle.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks the database answers (for /healthz).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// SQL returns the underlying handle, for the rare engine-specific need.
func (db *DB) SQL() *sql.DB { return db.sql }

// Querier is what both *DB and *Tx offer: run a query with '?' placeholders.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Insert(ctx context.Context, query string, args ...any) (int64, error)
	Engine() Engine
	Now() time.Time // the database's clock (DB.Clock)
}

type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type q struct {
	r      runner
	engine Engine
	clock  kairos.Clock
	stmts  *stmtCache // prepared statements to reuse (SQLite DB and Tx); nil: none
	tx     *sql.Tx    // the transaction r is, if any
	stable bool       // cache statements with many placeholders too (Stable)
}

// run returns what runs query: a prepared statement of the cache when there
// is one (bound to the transaction), else the plain runner.
func (x q) run(ctx context.Context, query string) runner {
	if x.stmts == nil {
		return x.r
	}
	st := x.stmts.get(query, x.stable)
	if st == nil {
		return x.r
	}
	if x.tx != nil {
		st = x.tx.StmtContext(ctx, st)
	}
	return stmtRunner{st}
}

// stmtRunner runs a prepared statement (its query is the one passed).
type stmtRunner struct{ st *sql.Stmt }

func (r stmtRunner) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return r.st.ExecContext(ctx, args...)
}

func (r stmtRunner) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return r.st.QueryContext(ctx, args...)
}

func (r stmtRunner) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return r.st.QueryRowContext(ctx, args...)
}

func (x q) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = rebind(x.engine, query)
	res, err := x.run(ctx, query).ExecContext(ctx, query, args...)
	return res, busy(x.engine, err)
}

func (x q) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = rebind(x.engine, query)
	return x.run(ctx, query).QueryContext(ctx, query, args...)
}

func (x q) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = rebind(x.engine, query)
	return x.run(ctx, query).QueryRowContext(ctx, query, args...)
}

// Insert runs an INSERT and returns the generated "id" (the statement must
// not carry its own RETURNING clause).
func (x q) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	query = rebind(x.engine, query+" RETURNING id")
	err := x.run(ctx, query).QueryRowContext(ctx, query, args...).Scan(&id)
	return id, busy(x.engine, err)
}

// stmtCache keeps prepared statements of an SQLite database, by query text,
// so that a statement run again skips SQLite's parser and planner (a fifth
// of the CPU of a bulk attestation). A query is prepared in the background
// after its first use (preparing needs a connection: a caller inside a
// transaction must not wait for a second one), then reused by every
// connection and transaction (database/sql prepares it once per
// connection). At most stmtCacheMax queries are kept, the first ones seen;
// queries with many placeholders (IN lists of a variable length) and long
// ones are not cached (see cacheable).
// PostgreSQL needs none of this: pgx caches prepared statements per
// connection itself.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt // nil value: being prepared, or could not be
}

const (
	stmtCacheMax   = 512
	stmtCacheQuery = 4000 // longest query text cached
	stmtCacheArgs  = 64   // most placeholders of a query cached
)

// cacheable reports whether query is worth a place in the cache: a
// SELECT, INSERT, UPDATE, DELETE or WITH statement (never DDL, PRAGMA or
// transaction control), short, without a long list of placeholders.
func cacheable(query string) bool {
	if len(query) > stmtCacheQuery || strings.Count(query, "?") > stmtCacheArgs {
		return false
	}
	head := strings.TrimLeft(query, " \t\r\n")
	if len(head) < 6 {
		return false
	}
	switch strings.ToUpper(head[:4]) {
	case "SELE", "INSE", "UPDA", "DELE", "WITH":
		return true
	}
	return false
}

func (c *stmtCache) get(query string, stable bool) *sql.Stmt {
	c.mu.Lock()
	st, seen := c.m[query]
	if seen || len(c.m) >= stmtCacheMax || !cacheable(query) && !(stable && stableOK(query)) {
		c.mu.Unlock()
		return st
	}
	c.m[query] = nil
	c.mu.Unlock()
	go func() {
		st, err := c.db.PrepareContext(context.Background(), query)
		if err != nil {
			return // stays nil: run unprepared
		}
		c.mu.Lock()
		c.m[query] = st
		c.mu.Unlock()
	}()
	return nil
}

// stableOK reports whether a query run through Stable may be cached
// whatever its length and placeholders: a SELECT, INSERT, UPDATE, DELETE or
// WITH statement within SQLite's limit of placeholders.
func stableOK(query string) bool {
	head := strings.TrimLeft(query, " \t\r\n")
	if len(head) < 6 || strings.Count(query, "?") > 32766 {
		return false
	}
	switch strings.ToUpper(head[:4]) {
	case "SELE", "INSE", "UPDA", "DELE", "WITH":
		return true
	}
	return false
}

// Stable returns tx for statements of a few fixed shapes whatever their
// number of placeholders: multi-row VALUES of fixed row counts (ExecValues,
// QueryValues), IN lists padded to fixed lengths (Padded). On SQLite they are
// then prepared once and reused like short statements, instead of being
// parsed again each time; never pass it a query whose text varies with
// its data.
func (tx *Tx) Stable() Querier {
	x := tx.q
	x.stable = true
	return x
}

// batchRows are the row counts of the statements ExecValues and
// QueryValues run: a few fixed shapes, each prepared once (see Stable).
var batchRows = []int{256, 64, 16, 4, 1}

// valuesBatches calls fn with the VALUES list and the arguments of each
// statement writing len(args)/cols rows of row (its cols placeholders).
func valuesBatches(row string, cols int, args []any, fn func(values string, args []any) error) error {
	n := len(args) / cols
	if n*cols != len(args) {
		return fmt.Errorf("store: %d arguments for rows of %d", len(args), cols)
	}
	for start := 0; start < n; {
		k := 0
		for _, k = range batchRows {
			if k <= n-start {
				break
			}
		}
		values := strings.TrimSuffix(strings.Repeat(row+", ", k), ", ")
		if err := fn(values, args[start*cols:(start+k)*cols]); err != nil {
			return err
		}
		start += k
	}
	return nil
}

// ExecValues writes rows with multi-row INSERTs: head + " VALUES " + rows
// of row (cols placeholders each, args their arguments row after row) +
// tail, a few statement shapes reused (see Stable).
func (tx *Tx) ExecValues(ctx context.Context, head, row string, cols int, args []any, tail string) error {
	q := tx.Stable()
	return valuesBatches(row, cols, args, func(values string, args []any) error {
		_, err := q.Exec(ctx, head+" VALUES "+values+tail, args...)
		return err
	})
}

// QueryValues is ExecValues for an INSERT with a RETURNING clause (in
// tail): scan is called for each row returned.
func (tx *Tx) QueryValues(ctx context.Context, head, row string, cols int, args []any, tail string, scan func(*sql.Rows) error) error {
	q := tx.Stable()
	return valuesBatches(row, cols, args, func(values string, args []any) error {
		rows, err := q.Query(ctx, head+" VALUES "+values+tail, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// Padded returns the placeholders "?, ?, …" and the arguments of an IN list
// of ids padded to one of a few fixed lengths by repeating its last id
// (which changes nothing to IN), so that the query keeps a few shapes (see
// Stable); ids must not be empty.
func Padded(ids []int64) (string, []any) {
	n := len(ids)
	for _, k := range []int{8, 32, 128, 512} {
		if k >= n {
			n = k
			break
		}
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", "), args
}

func (x q) Engine() Engine { return x.engine }

// Now returns the time of the clock the database was given.
func (x q) Now() time.Time { return x.clock.Now() }

func (db *DB) q() q { return q{db.sql, db.engine, db.Clock, db.stmts, nil, false} }

// Now returns the time of db's clock: the one clock of the process (set by
// cmd/kairos from KAIROS_NOW in demo mode, else the system clock), which
// services use unless they were given their own.
func (db *DB) Now() time.Time { return db.Clock.Now() }

func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer db.asking(true)()
	return db.q().Exec(ctx, query, args...)
}

func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer db.asking(db.engine == SQLite && writes(query))()
	return db.q().Query(ctx, query, args...)
}

func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	defer db.asking(db.engine == SQLite && writes(query))()
	return db.q().QueryRow(ctx, query, args...)
}

func (db *DB) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	defer db.asking(true)()
	return db.q().Insert(ctx, query, args...)
}

// asking counts a SQLite writer in waiting until the function it returns
// is called (nothing when write is false or on PostgreSQL; Query and
// QueryRow classify their statement on SQLite only).
func (db *DB) asking(write bool) func() {
	if !write || db.engine != SQLite {
		return func() {}
	}
	db.waiting.Add(1)
	return func() { db.waiting.Add(-1) }
}

// writes reports whether a statement run through Query or QueryRow may
// write (INSERT … RETURNING and the like): anything but a SELECT, or a WITH
// whose statements do not write (a search's).
func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	switch {
	case len(q) >= 6 && strings.EqualFold(q[:6], "SELECT"):
		return false
	case len(q) >= 4 && strings.EqualFold(q[:4], "WITH"):
		u := strings.ToUpper(q)
		return strings.Contains(u, "INSERT ") || strings.Contains(u, "UPDATE ") || strings.Contains(u, "DELETE ")
	}
	return true
}

// YieldToWriters waits, up to max, while other writers of this process wait
// for SQLite's write lock. A long series of short transactions (a catalogue
// import's) calls it between two of them: SQLite's busy handler polls (up
// to every 100 ms), so without it the series takes the lock again before a
// waiting writer's next try, and that writer can starve until its busy
// timeout. On PostgreSQL it returns at once.
func (db *DB) YieldToWriters(ctx context.Context, max time.Duration) {
	for i := time.Duration(0); i < max && db.waiting.Load() > 0; i += time.Millisecond {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// Engine returns the engine of db.
func (db *DB) Engine() Engine { return db.engine }

// Tx is a transaction. Every multi-step write runs in one.
type Tx struct {
	q
	tx       *sql.Tx
	db       *DB
	recorded bool    // an event was written: listeners are woken after commit
	orgs     []int64 // the organisations of the recorded events (0: none)
}

// Tx runs fn in a transaction, committed when fn returns nil and rolled back
// otherwise (and on panic).
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.begin(ctx)
	if err != nil {
		return busy(db.engine, fmt.Errorf("store: begin: %w", err))
	}
	tx := &Tx{q: q{stx, db.engine, db.Clock, db.stmts, stx, false}, tx: stx, db: db}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
			return
		}
		if cerr := stx.Commit(); cerr != nil {
			err = busy(db.engine, fmt.Errorf("store: commit: %w", cerr))
			return
		}
		if tx.recorded {
			db.changed(tx.orgs)
			db.wake()
		}
	}()
	return fn(tx)
}

// ListenEvents returns a channel that receives a value (coalesced) after a
// transaction of this process that recorded an event commits, and a function
// to stop listening. Other processes' events are found by polling.
func (db *DB) ListenEvents() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	db.listenMu.Lock()
	if db.listeners == nil {
		db.listeners = map[chan struct{}]struct{}{}
	}
	db.listeners[ch] = struct{}{}
	db.listenMu.Unlock()
	return ch, func() {
		db.listenMu.Lock()
		delete(db.listeners, ch)
		db.listenMu.Unlock()
	}
}

// OnChange registers fn, called after each transaction of this process
// that recorded events commits, with the organisations of those events (0
// for an event without organisation), before that transaction's Tx returns:
// a read that starts after the write sees it. fn must be quick and must not
// write. It returns a function that unregisters fn.
func (db *DB) OnChange(fn func(orgIDs []int64)) (stop func()) {
	p := &fn
	db.listenMu.Lock()
	if db.onChange == nil {
		db.onChange = map[*func([]int64)]struct{}{}
	}
	db.onChange[p] = struct{}{}
	db.listenMu.Unlock()
	return func() {
		db.listenMu.Lock()
		delete(db.onChange, p)
		db.listenMu.Unlock()
	}
}

func (db *DB) changed(orgs []int64) {
	db.listenMu.Lock()
	fns := make([]func([]int64), 0, len(db.onChange))
	for p := range db.onChange {
		fns = append(fns, *p)
	}
	db.listenMu.Unlock()
	for _, fn := range fns {
		fn(orgs)
	}
}

func (db *DB) wake() {
	db.listenMu.Lock()
	defer db.listenMu.Unlock()
	for ch := range db.listeners {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// rebind turns '?' placeholders into PostgreSQL's $n, skipping quoted strings.
func rebind(e Engine, query string) string {
	if e != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, inStr := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// NotFoundIf maps sql.ErrNoRows to a kairos not-found error about what.
func NotFoundIf(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return kairos.NotFound(what)
	}
	return err
}

func redact(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		rest := url[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			cred := rest[:at]
			if c := strings.Index(cred, ":"); c >= 0 {
				return url[:i+3] + cred[:c] + ":***" + rest[at:]
			}
		}
	}
	return url
}

// Conn is one connection taken from the pool, for work that keeps state on
// the connection (temporary tables) across statements and transactions.
// Statements run outside a transaction commit one by one.
type Conn struct {
	q
	c  *sql.Conn
	db *DB
}

// Conn takes a connection from the pool; Close gives it back.
func (db *DB) Conn(ctx context.Context) (*Conn, error) {
	c, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: conn: %w", err)
	}
	return &Conn{q: q{c, db.engine, db.Clock, nil, nil, false}, c: c, db: db}, nil
}

// Close gives the connection back to the pool.
func (c *Conn) Close() error { return c.c.Close() }

// Prepare prepares a statement on this connection, to be run many times
// (outside any transaction of the connection); Close it when done.
func (c *Conn) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return c.c.PrepareContext(ctx, rebind(c.db.engine, query))
}

// Tx runs fn in a transaction on this connection, like DB.Tx.
func (c *Conn) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := c.c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{q: q{stx, c.db.engine, c.db.Clock, nil, stx, false}, tx: stx, db: c.db}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
			return
		}
		if cerr := stx.Commit(); cerr != nil {
			err = fmt.Errorf("store: commit: %w", cerr)
			return
		}
		if tx.recorded {
			c.db.changed(tx.orgs)
		}
	}()
	return fn(tx)
}

// CopyFrom bulk-loads rows into table (PostgreSQL's COPY, through pgx), in
// the transaction open on the connection if any. Values must have the Go
// types of the columns (int64 for BIGINT, string for TEXT…). On SQLite it
// returns ErrNoCopy: use multi-row INSERTs.
func (c *Conn) CopyFrom(ctx context.Context, table string, cols []string, rows [][]any) (int64, error) {
	if c.db.engine != Postgres {
		return 0, ErrNoCopy
	}
	var n int64
	err := c.c.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs the pgx driver, not %T", dc)
		}
		var err error
		n, err = pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
	return n, err
}

// ErrNoCopy is CopyFrom's answer on SQLite.
var ErrNoCopy = errors.New("store: COPY is PostgreSQL only")

// busyTimeout is how long a SQLite writer waits for another one's write
// lock (the busy timeout, and begin's retries) before giving up.
var busyTimeout = 15 * time.Second

// busy turns SQLite's SQLITE_BUSY, a writer that waited busyTimeout for the
// write lock (another writer held it all that time: the publication of a
// national catalogue import holds it for seconds), into EUnavailable: a 503
// with Retry-After and a French message, not an internal error. Other
// errors are returned as they are.
func busy(e Engine, err error) error {
	var ke *kairos.Error
	if err == nil || e != SQLite || !strings.Contains(err.Error(), "SQLITE_BUSY") || errors.As(err, &ke) {
		return err
	}
	return &kairos.Error{Code: kairos.EUnavailable, RetryAfter: 10 * time.Second, Err: err,
		Message: "La base de données est momentanément occupée par une autre écriture : réessayez dans quelques secondes. Rien n'a été enregistré."}
}

// Busy is busy for an error whose engine is not known where it surfaces
// (the Scan of a QueryRow that writes): the web and the API pass every
// error through it before choosing its status.
func Busy(err error) error { return busy(SQLite, err) }

// begin starts a transaction. On SQLite, BEGIN IMMEDIATE can answer
// SQLITE_BUSY at once when many writers of this process queue (the busy
// handler is not always given the chance): it is tried again, with a short
// growing pause, for as long as the busy timeout (15 s) would have waited.
func (db *DB) begin(ctx context.Context) (*sql.Tx, error) {
	defer db.asking(true)()
	stx, err := db.sql.BeginTx(ctx, nil)
	if err == nil || db.engine != SQLite || !strings.Contains(err.Error(), "SQLITE_BUSY") {
		return stx, err
	}
	pause, waited := 2*time.Millisecond, time.Duration(0)
	for ; waited < busyTimeout; waited += pause {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		if stx, err = db.sql.BeginTx(ctx, nil); err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return stx, err
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
	return nil, err
}
