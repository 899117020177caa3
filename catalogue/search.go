package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/lheo"
	"kairos/store"
)

// Sort orders of a search.
const (
	SortRelevance = "pertinence"
	SortStart     = "debut"
)

// Filter selects sessions of the catalogue.
type Filter struct {
	Q           string    `json:"q,omitempty"` // full text: titles, objectives, contents, organisme, town
	Formacode   string    `json:"formacode,omitempty"`
	ROME        string    `json:"rome,omitempty"`
	Region      string    `json:"region,omitempty"`      // code INSEE de la région
	Departement string    `json:"departement,omitempty"` // e.g. "31", "2A"
	StartFrom   lheo.Date `json:"debut_min,omitempty"`   // sessions starting on or after
	StartTo     lheo.Date `json:"debut_max,omitempty"`   // sessions starting on or before
	Etat        string    `json:"etat_recrutement,omitempty"`
	Certifiante string    `json:"certifiante,omitempty"` // "1", "0" or ""
	Modalite    string    `json:"modalite,omitempty"`    // dict-modalites-enseignement: 0 présentiel, 1 mixte, 2 à distance
	SIRET       string    `json:"siret,omitempty"`
	Withdrawn   bool      `json:"retirees,omitempty"` // include withdrawn sessions
	// EndsFrom leaves out the sessions that ended before it (their end date
	// is known and earlier): the pages pass today unless the user asks for
	// ended sessions; 0 keeps every session.
	EndsFrom lheo.Date `json:"fin_min,omitempty"`
	Sort     string    `json:"tri,omitempty"`
	Offset   int       `json:"offset"`
	Limit    int       `json:"limit"`
}

// MaxCount is where counting the matches of a search stops.
const MaxCount = 1000

// RankCap is the number of matching formations beyond which a search is too
// broad to be ranked by relevance within the response-time budget: it is
// then listed by start date (Result.Broad). Service.RankCap overrides it.
const RankCap = 10000

// dateWalkFrom is the number of matching formations from which a search by
// start date walks the start-date index rather than sorting every match.
const dateWalkFrom = 1000

func (s *Service) rankCap() int {
	if s.RankCap > 0 {
		return s.RankCap
	}
	return RankCap
}

// Session is a session as listed by searches and the OF's view.
type Session struct {
	ID          int64      `json:"id"`
	FormationID int64      `json:"formation_id"`
	Source      string     `json:"source"`
	Numero      string     `json:"numero"`
	Intitule    string     `json:"intitule"`
	Organisme   string     `json:"organisme"`
	SIRET       string     `json:"siret"`
	Formacodes  []string   `json:"formacodes"`
	ROME        []string   `json:"rome"`
	Region      string     `json:"region"`
	Departement string     `json:"departement"`
	Ville       string     `json:"ville"`
	Debut       lheo.Date  `json:"debut"`
	Fin         lheo.Date  `json:"fin"`
	Etat        string     `json:"etat_recrutement"`
	Certifiante bool       `json:"certifiante"`
	Modalite    string     `json:"modalite_enseignement"`
	UpdatedAt   time.Time  `json:"updated_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
	skey        string
}

// EtatLabel returns the French label of the recruitment state.
func (s Session) EtatLabel() string { return lheo.Label(lheo.TableEtatRecrutement, s.Etat) }

// ModaliteLabel returns the French label of the teaching mode.
func (s Session) ModaliteLabel() string {
	return lheo.Label(lheo.TableModalitesEnseignement, s.Modalite)
}

// Result is a page of sessions.
type Result struct {
	Items []Session `json:"items"`
	Total int       `json:"total"` // capped at MaxCount
	More  bool      `json:"more"`  // more than MaxCount sessions match
	Broad bool      `json:"broad"` // too many matches to rank by relevance: listed by start date
}

const sessionSelect = `s.id, s.formation_id, s.source, s.numero, s.intitule, s.organisme, s.siret, s.formacodes, s.romes, s.region, s.departement, s.ville,
	s.debut, s.fin, s.etat, s.certifiante, s.modalite, s.updated_at, s.withdrawn_at, s.skey`

func scanSession(rows interface{ Scan(...any) error }) (Session, error) {
	var x Session
	var fc, rome string
	var debut, fin int64
	var cert int
	var wd sql.NullTime
	err := rows.Scan(&x.ID, &x.FormationID, &x.Source, &x.Numero, &x.Intitule, &x.Organisme, &x.SIRET, &fc, &rome, &x.Region, &x.Departement, &x.Ville,
		&debut, &fin, &x.Etat, &cert, &x.Modalite, &x.UpdatedAt, &wd, &x.skey)
	x.Formacodes, x.ROME = strings.Fields(fc), strings.Fields(rome)
	if x.Formacodes == nil {
		x.Formacodes = []string{}
	}
	if x.ROME == nil {
		x.ROME = []string{}
	}
	x.Debut, x.Fin, x.Certifiante = lheo.Date(debut), lheo.Date(fin), cert == 1
	if wd.Valid {
		t := wd.Time.UTC()
		x.WithdrawnAt = &t
	}
	return x, err
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9]{1,12}$`)

// Validate checks f and sets its defaults.
func (f *Filter) Validate() error {
	fields := map[string]string{}
	f.Q = strings.TrimSpace(f.Q)
	if len(f.Q) > 200 {
		fields["q"] = "La recherche ne doit pas dépasser 200 caractères."
	}
	for name, v := range map[string]*string{"formacode": &f.Formacode, "rome": &f.ROME, "region": &f.Region, "departement": &f.Departement, "siret": &f.SIRET} {
		*v = strings.ToUpper(strings.TrimSpace(*v))
		if *v != "" && !codeRE.MatchString(*v) {
			fields[name] = "Code invalide."
		}
	}
	if f.Etat != "" && !lheo.Valid(lheo.TableEtatRecrutement, f.Etat) {
		fields["etat_recrutement"] = "État du recrutement inconnu."
	}
	if f.Modalite != "" && !lheo.Valid(lheo.TableModalitesEnseignement, f.Modalite) {
		fields["modalite"] = "Modalité d'enseignement inconnue."
	}
	if f.Certifiante != "" && f.Certifiante != "0" && f.Certifiante != "1" {
		fields["certifiante"] = "Valeur attendue : 1 ou 0."
	}
	switch f.Sort {
	case "":
		f.Sort = SortStart
		if f.Q != "" {
			f.Sort = SortRelevance
		}
	case SortRelevance, SortStart:
	default:
		fields["tri"] = "Tri attendu : pertinence ou debut."
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 20
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	if f.Offset > MaxCount {
		fields["offset"] = "Affinez la recherche : seuls les 1 000 premiers résultats sont consultables."
	}
	if len(fields) > 0 {
		return kairos.Invalid(fields)
	}
	return nil
}

// ParseDateParam reads a date given as AAAA-MM-JJ (HTML date input),
// JJ/MM/AAAA or AAAAMMJJ.
func ParseDateParam(s string) (lheo.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return lheo.DateOf(t), nil
	}
	if t, err := time.Parse("02/01/2006", s); err == nil {
		return lheo.DateOf(t), nil
	}
	if d, err := lheo.ParseDate(s); err == nil && !d.IsUnknown() {
		return d, nil
	}
	return 0, kairos.Errorf(kairos.EInvalid, "« %s » n'est pas une date valide : saisissez une date valide, par exemple 12/05/2026.", s)
}

// terms returns the folded words of a query.
func terms(q string) []string {
	ws := strings.Fields(Fold(q))
	if len(ws) > 12 {
		ws = ws[:12]
	}
	return ws
}

// stopWords are French words too common to narrow a search (folded).
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a au aux avec ce ces d dans de des du en et l la le les leur leurs n ou par pas pour qu que qui sa se ses son sur un une vos votre y`) {
		m[w] = true
	}
	return m
}()

// term is one word of a full-text query; prefix: also matches the words it
// begins (« compta » finds « comptabilité »).
type term struct {
	word   string
	prefix bool
}

// matchTerms returns the words of a query as they are matched: French stop
// words are left out (unless the query holds nothing else), and words of
// one or two letters or digits are matched whole, never as prefixes (« rh »
// must not find every word beginning with rh).
func matchTerms(q string) []term {
	ws := terms(q)
	var out []term
	for _, w := range ws {
		if !stopWords[w] {
			out = append(out, term{w, len(w) > 2})
		}
	}
	if len(out) == 0 {
		for _, w := range ws {
			out = append(out, term{w, false})
		}
	}
	return out
}

// ftsMatch is the SQLite FTS5 expression of the terms.
func ftsMatch(ts []term) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + t.word + `"`)
		if t.prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// tsQuery is the PostgreSQL to_tsquery expression of the terms.
func tsQuery(ts []term) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.word
		if t.prefix {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// Search lists sessions matching f, with the total number of matches (up
// to MaxCount).
//
// On SQLite the full-text part is planned by hand, from measurements on a
// 300 000-session catalogue (docs/PERFORMANCE.md): bm25 costs about 2 µs per
// matching formation and term, so relevance is computed only when at most
// RankCap formations match, and then only for the best candidates; a
// broader search is listed by start date (Result.Broad), walking the
// start-date index and keeping the sessions whose formation is in the
// matched set.
func (s *Service) Search(ctx context.Context, f Filter) (*Result, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if s.DB.Engine() == store.Postgres {
		return s.searchPostgres(ctx, f)
	}
	res := &Result{Items: []Session{}}
	// Nothing published yet: a first import may be loading the sessions
	// without the indexes the plans below name (see unpublished.go).
	if _, ps, err := published(ctx, s.DB); err != nil || ps == 0 {
		return res, err
	}
	where, args, hint := f.conditions()
	where = append(where, strings.TrimPrefix(s.publishedSessions(), " AND "))
	page := " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset)
	ts := matchTerms(f.Q)
	if len(ts) == 0 {
		// Filters only: walk the start-date index (after a place, if any).
		w := whereClause(where)
		if err := s.count(ctx, res, " FROM catalogue_sessions s"+w, args); err != nil || res.Total == 0 {
			return res, err
		}
		return res, s.scanPage(ctx, res, "SELECT "+sessionSelect+" FROM catalogue_sessions s"+hint+w+" ORDER BY "+startOrder+page, args)
	}
	ts, err := s.wholeWords(ctx, ts)
	if err != nil {
		return nil, err
	}
	match := ftsMatch(ts)
	matched, last, err := s.matchedFormations(ctx, ts, match)
	if err != nil || matched == 0 {
		return res, err
	}
	margs := append([]any{match}, args...)
	if matched <= s.rankCap() && (f.Sort == SortRelevance || matched <= dateWalkFrom) {
		// Few enough formations: every query starts from the matched set
		// (CROSS JOIN keeps that order) and reaches their sessions by index.
		w := whereClause(where)
		from := " FROM (SELECT rowid AS fid FROM catalogue_search WHERE catalogue_search MATCH ?) m" + sessionsOfMatched
		if f.Sort == SortRelevance {
			return res, s.rankedPage(ctx, res, f, match, matched, from, w, args)
		}
		if err := s.count(ctx, res, from+w, margs); err != nil || res.Total == 0 {
			return res, err
		}
		return res, s.scanPage(ctx, res, "SELECT "+sessionSelect+from+w+" ORDER BY "+startOrder+page, margs)
	}
	// A broad search (or many matches listed by date): by start date, walking
	// the index and keeping the sessions whose formation is in the matched set. One statement builds
	// that set once, keeps the first MaxCount+1 sessions (the count) and
	// reads the page among them.
	res.Broad = f.Sort == SortRelevance
	if matched > s.rankCap() && f.placeOnly() {
		// More than the rank cap match, among the formations up to id last,
		// and no filter but the place (which the walked index holds): the
		// walk may find its sessions among its first few thousand.
		walk := max((MaxCount+1)*int(last)/matched*5/4, 2*(MaxCount+1))
		if denseWalkTest > 0 {
			walk = denseWalkTest
		}
		if walk <= denseWalkMax {
			if ok, err := s.densePage(ctx, res, f, match, hint, where, args, walk); err != nil || ok {
				return res, err
			}
		}
	}
	return s.broadPage(ctx, res, f, "s.formation_id IN (SELECT rowid FROM catalogue_search WHERE catalogue_search MATCH ?)", hint, where, margs)
}

// denseWalkMax is the longest walk densePage tries: beyond, building the
// whole matched set costs less than checking the walked formations. Tests
// set it to 0 (no dense walk) or set denseWalkTest, the walk's length
// whatever the density.
var denseWalkMax, denseWalkTest = 8000, 0

// densePage is broadPage for words that match many formations: the first
// walk sessions in start-date order are read from the place or start-date
// index (which holds their formation), the full-text query keeps those of
// their formations that match (probing a set of at most walk formations
// instead of building the whole matched set: at 300 000 sessions,
// « maîtriser les gestes professionnels » matches all 71 610 formations),
// and the first MaxCount+1 kept sessions are the count. It reports false,
// with res untouched, when that walk is not enough to tell: fewer than
// MaxCount+1 sessions kept and more sessions to walk, or no row on the page.
func (s *Service) densePage(ctx context.Context, res *Result, f Filter, match, hint string, where []string, args []any, walk int) (bool, error) {
	w := whereClause(where)
	// +rowid: the formations walked are probed while the words are read,
	// not looked up one by one in the full-text index.
	q := "WITH w (id, fid, unknown, debut) AS MATERIALIZED (SELECT s.id, s.formation_id, CASE WHEN s.debut = 0 THEN 1 ELSE 0 END, s.debut FROM catalogue_sessions s" + hint + w + " ORDER BY " + startOrder + " LIMIT " + strconv.Itoa(walk) + ")," +
		" r AS MATERIALIZED (SELECT rowid AS fid FROM catalogue_search WHERE catalogue_search MATCH ? AND +rowid IN (SELECT fid FROM w))," +
		" hits AS MATERIALIZED (SELECT id, unknown, debut FROM w WHERE fid IN r ORDER BY unknown, debut, id LIMIT " + strconv.Itoa(MaxCount+1) + ")" +
		" SELECT (SELECT COUNT(*) FROM w), (SELECT COUNT(*) FROM hits), " + sessionSelect + pageOfHits(f)
	var walked, total int
	items, err := s.scanHeadPage(ctx, []any{&walked, &total}, q, append(append([]any{}, args...), match))
	if err != nil || len(items) == 0 || total <= MaxCount && walked == walk {
		return false, err
	}
	res.Items, res.Total = items, total
	if res.Total > MaxCount {
		res.Total, res.More = MaxCount, true
	}
	return true, nil
}

// wholeWords returns ts with its prefix terms that begin no other indexed
// word (catalogue_search_vocab, migration 0026) matched whole: the same
// matches and the same bm25 scores, without FTS5 merging the word's list
// into a new one (« maîtriser les gestes professionnels », every formation:
// 28 → 21 ms). Each word costs one look-up that stops at the first
// occurrence of a longer word (0.1 ms).
func (s *Service) wholeWords(ctx context.Context, ts []term) ([]term, error) {
	out := make([]term, len(ts))
	for i, t := range ts {
		out[i] = t
		if !t.prefix || strings.IndexFunc(t.word, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') }) >= 0 {
			continue // other letters may be indexed as FTS5 folds them, not as the word reads
		}
		var longer int
		// Tokens hold no control character: "\x01" sorts before every longer
		// word, U+10FFFF after.
		err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_search_vocab WHERE term >= ? AND term < ? LIMIT 1) x", t.word+"\x01", t.word+"\U0010FFFF").Scan(&longer)
		if err != nil {
			return nil, err
		}
		out[i].prefix = longer > 0
	}
	return out, nil
}

// matchedFormations counts the formations matching the words (match, the
// FTS5 expression of ts) up to the rank cap + 1. A prefix term makes FTS5
// merge the whole list of every word it begins, however few rows are read:
// the count first reads the words matched whole, a subset of the matches,
// which is enough when more than the rank cap of them match (at 300 000
// sessions, « maîtriser les gestes professionnels »: 3 ms instead of 17).
func (s *Service) matchedFormations(ctx context.Context, ts []term, match string) (n int, last int64, err error) {
	limit := s.rankCap() + 1
	count := func(m string) error {
		return s.DB.QueryRow(ctx, "SELECT COUNT(*), COALESCE(MAX(r), 0) FROM (SELECT rowid AS r FROM catalogue_search WHERE catalogue_search MATCH ? LIMIT ?) x", m, limit).Scan(&n, &last)
	}
	whole := make([]term, len(ts))
	for i, t := range ts {
		whole[i] = term{t.word, false}
	}
	if exact := ftsMatch(whole); exact != match {
		if err := count(exact); err != nil || n == limit {
			return n, last, err
		}
	}
	return n, last, count(match)
}

// broadPage lists by start date the sessions of a broad search (cond: the
// sessions of matched formations), walking the start-date index: one
// statement builds the matched set once, keeps the first MaxCount+1
// sessions (the count) and reads the page among them.
func (s *Service) broadPage(ctx context.Context, res *Result, f Filter, cond, hint string, where []string, margs []any) (*Result, error) {
	w := whereClause(append([]string{cond}, where...))
	q := "WITH hits AS MATERIALIZED (SELECT s.id AS id, CASE WHEN s.debut = 0 THEN 1 ELSE 0 END AS unknown, s.debut AS debut FROM catalogue_sessions s" + hint + w + " ORDER BY " + startOrder + " LIMIT " + strconv.Itoa(MaxCount+1) + ")" +
		" SELECT (SELECT COUNT(*) FROM hits), " + sessionSelect + pageOfHits(f)
	if err := s.scanCountedPage(ctx, res, q, margs); err != nil {
		return nil, err
	}
	if len(res.Items) == 0 && f.Offset > 0 { // past the last page: count alone
		if err := s.count(ctx, res, " FROM catalogue_sessions s"+w, margs); err != nil {
			return nil, err
		}
	}
	if res.Total > MaxCount {
		res.Total, res.More = MaxCount, true
	}
	return res, nil
}

// pageOfHits is the FROM clause of the page of a broad search among hits,
// its first MaxCount+1 sessions in start-date order (id, unknown, debut):
// only the page's sessions are read from the table, not every hit (at
// 300 000 sessions, 1 001 rows read for 20 cost 8 ms warm, 40 ms cold).
func pageOfHits(f Filter) string {
	return " FROM (SELECT id, unknown, debut FROM hits ORDER BY unknown, debut, id LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset) + ") p" +
		" JOIN catalogue_sessions s ON s.id = p.id ORDER BY p.unknown, p.debut, p.id"
}

// scanCountedPage appends to res.Items the sessions of rows whose first
// column is the count of the search (res.Total).
func (s *Service) scanCountedPage(ctx context.Context, res *Result, q string, args []any) error {
	items, err := s.scanHeadPage(ctx, []any{&res.Total}, q, args)
	res.Items = append(res.Items, items...)
	return err
}

// scanHeadPage returns the sessions of rows whose first columns are read
// into head.
func (s *Service) scanHeadPage(ctx context.Context, head []any, q string, args []any) ([]Session, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []Session
	for rows.Next() {
		x, err := scanSession(scanFunc(func(dest ...any) error { return rows.Scan(append(head, dest...)...) }))
		if err != nil {
			return nil, err
		}
		items = append(items, x)
	}
	return items, rows.Err()
}

// scanFunc adapts a function to the Scan interface of scanSession.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// count sets res.Total (and res.More) from the rows of from, up to MaxCount.
func (s *Service) count(ctx context.Context, res *Result, from string, args []any) error {
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1"+from+" LIMIT "+strconv.Itoa(MaxCount+1)+") x", args...).Scan(&res.Total); err != nil {
		return err
	}
	if res.Total > MaxCount {
		res.Total, res.More = MaxCount, true
	}
	return nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// rankedPage reads the page of a search by relevance (SQLite) and its
// count in one statement: the matched formations are read from the
// full-text index and scored once (a MATERIALIZED set), the count joins
// all of them to their sessions, the page only the best k; k grows ×8
// when the filters leave the page short. from joins the matched formations
// to their sessions (for the count alone, when the page is empty).
func (s *Service) rankedPage(ctx context.Context, res *Result, f Filter, match string, matched int, from, w string, args []any) error {
	k := 4 * (f.Offset + f.Limit)
	if k < 256 {
		k = 256
	}
	qargs := append(append([]any{match}, args...), args...)
	for ; ; k *= 8 {
		q := "WITH m AS MATERIALIZED (SELECT rowid AS fid, rank AS score FROM catalogue_search WHERE catalogue_search MATCH ?)" +
			" SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM m" + sessionsOfMatched + w + " LIMIT " + strconv.Itoa(MaxCount+1) + ")), " +
			sessionSelect + " FROM (SELECT fid, score FROM m ORDER BY score LIMIT " + strconv.Itoa(k) + ") m" + sessionsOfMatched + w +
			" ORDER BY m.score, " + startOrder + " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset)
		res.Items = res.Items[:0]
		if err := s.scanCountedPage(ctx, res, q, qargs); err != nil {
			return err
		}
		if len(res.Items) == f.Limit || k >= matched {
			break
		}
	}
	if len(res.Items) == 0 {
		// No row to carry the count (no match, or past the last page).
		return s.count(ctx, res, from+w, append([]any{match}, args...))
	}
	if res.Total > MaxCount {
		res.Total, res.More = MaxCount, true
	}
	return nil
}

func (s *Service) scanPage(ctx context.Context, res *Result, q string, args []any) error {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return err
		}
		res.Items = append(res.Items, x)
	}
	return rows.Err()
}

// sessionsOfMatched joins the matched formations (m.fid) to their sessions
// by the formation index: without statistics, SQLite would otherwise walk a
// place index (which holds formation_id) once per formation.
const sessionsOfMatched = " CROSS JOIN catalogue_sessions s INDEXED BY catalogue_sessions_formation ON s.formation_id = m.fid"

// startOrder sorts sessions by start date, unknown dates last; the indexes of
// migration 0006 have this expression, so that a page stops early.
const startOrder = "CASE WHEN s.debut = 0 THEN 1 ELSE 0 END, s.debut, s.id"

// placeOnly reports whether f filters the sessions by place (and end date)
// at most: such a filter has its own index and leaves most sessions.
func (f Filter) placeOnly() bool {
	return f.Formacode == "" && f.ROME == "" && f.SIRET == "" && f.Etat == "" && f.Modalite == "" && f.Certifiante == "" && f.StartFrom == 0 && f.StartTo == 0
}

// conditions returns the WHERE conditions of the filters other than the
// words, their arguments, and (SQLite) the index to walk for the start-date
// order.
func (f Filter) conditions() (where []string, args []any, hint string) {
	if !f.Withdrawn {
		where = append(where, "s.withdrawn_at IS NULL")
	}
	like := func(col, v string) {
		where = append(where, "(' ' || "+col+" || ' ') LIKE ?")
		args = append(args, "% "+v+" %")
	}
	if f.Formacode != "" {
		like("s.formacodes", f.Formacode)
	}
	if f.ROME != "" {
		like("s.romes", f.ROME)
	}
	eq := func(col string, v any) {
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	hint = " INDEXED BY catalogue_sessions_start"
	if f.Region != "" {
		eq("s.region", f.Region)
		hint = " INDEXED BY catalogue_sessions_region"
	}
	if f.Departement != "" {
		eq("s.departement", f.Departement)
		hint = " INDEXED BY catalogue_sessions_departement"
	}
	if f.SIRET != "" {
		eq("s.siret", f.SIRET)
		hint = "" // its own index is better
	}
	if f.Etat != "" {
		eq("s.etat", f.Etat)
	}
	if f.Modalite != "" {
		eq("s.modalite", f.Modalite)
	}
	if f.Certifiante != "" {
		eq("s.certifiante", map[string]int{"1": 1, "0": 0}[f.Certifiante])
	}
	if f.StartFrom != 0 {
		where = append(where, "s.debut >= ?")
		args = append(args, int64(f.StartFrom))
	}
	if f.StartTo != 0 {
		where = append(where, "s.debut BETWEEN 1 AND ?")
		args = append(args, int64(f.StartTo))
	}
	if f.EndsFrom != 0 {
		where = append(where, "(s.fin = 0 OR s.fin >= ?)")
		args = append(args, int64(f.EndsFrom))
	}
	return where, args, hint
}

// searchPostgres is Search on PostgreSQL, planned as on SQLite: the words
// match the formations' tsvector (GIN index); when at most RankCap
// formations match, the query starts from them and ranks (ts_rank) only the
// best candidates; a broader search lists sessions by start date, walking
// the start-date index and keeping those of matched formations.
//
// Unlike FTS5, the GIN index cannot count its matches without reading each
// matched formation from the heap, so one statement (wordsPagePostgres)
// gives the number of matched formations (up to the plan's limit), the
// count of matching sessions and the page, ranking the formations only when
// there are few enough: on a 100 000-session catalogue a query such as
// « titre professionnel » (8 000 formations) was three statements, each
// reading the matched formations again. By relevance, that statement reads
// the matched formations once, ranking each as it is read, when
// PostgreSQL's statistics of the words say at most RankCap match
// (matchEstimate); otherwise it counts them first, and reads them again to
// rank them only if the count says few enough.
//
// The words are always given as (SELECT to_tsquery('simple', ?)), computed
// once per statement: pgx prepares its statements, and in the generic plan
// PostgreSQL chooses after a few runs, a bare to_tsquery of a parameter is
// computed again for every row it is compared with or ranked against.
func (s *Service) searchPostgres(ctx context.Context, f Filter) (*Result, error) {
	where, args, _ := f.conditions()
	res := &Result{Items: []Session{}}
	page := " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset)
	ts := matchTerms(f.Q)
	if len(ts) == 0 {
		w := whereClause(where)
		if err := s.count(ctx, res, " FROM catalogue_sessions s"+w, args); err != nil || res.Total == 0 {
			return res, err
		}
		return res, s.scanPage(ctx, res, "SELECT "+sessionSelect+" FROM catalogue_sessions s"+w+" ORDER BY "+startOrder+page, args)
	}
	tsq := tsQuery(ts)
	const match = "search @@ (SELECT to_tsquery('simple', ?))"
	// The matched set is read whole only when it is small enough for the
	// plan that starts from it: RankCap formations to rank by relevance,
	// dateWalkFrom to sort by start date.
	limit := dateWalkFrom
	if f.Sort == SortRelevance {
		limit = s.rankCap()
	}
	// By relevance, the matched formations are counted and ranked in one
	// pass when the words' statistics say few enough match; otherwise they
	// are counted first, and ranked only when there are few enough.
	onePass := f.Sort != SortRelevance
	if !onePass {
		var err error
		if onePass, err = s.rankInOnePass(ctx, ts, limit); err != nil {
			return nil, err
		}
	}
	for k := max(4*(f.Offset+f.Limit), 256); ; k *= 8 {
		matched, err := s.wordsPagePostgres(ctx, res, f, tsq, limit, k, onePass, where, args)
		if err != nil || matched == 0 {
			return res, err
		}
		if matched > limit {
			break
		}
		if f.Sort != SortRelevance || res.Total == 0 || len(res.Items) == f.Limit || k >= matched {
			return res, nil
		}
	}
	res.Broad = f.Sort == SortRelevance
	res.Items, res.Total, res.More = res.Items[:0], 0, false
	if res.Broad && f.placeOnly() {
		// More than RankCap formations match and no filter but the place:
		// one walked session in a few belongs to one of them, so the walk of
		// the start-date (or place) index finds its MaxCount+1 sessions
		// soon, and checking each session's formation (by its primary key)
		// costs less than building the whole matched set first. Other
		// filters may leave few sessions: the walk could then check most of
		// the catalogue (on 100 000 sessions, with a filter no session
		// passes, nine times slower than building the matched set).
		return s.broadPage(ctx, res, f, "(SELECT f.search @@ (SELECT to_tsquery('simple', ?)) FROM catalogue_formations f WHERE f.id = s.formation_id) IS TRUE", "", where, append([]any{tsq}, args...))
	}
	// Listed by date (more than dateWalkFrom formations match), or broad
	// with other filters: the matched set is built once. The IN inside an
	// expression stays a hashed subplan (not a join): the planner, which
	// estimates a prefix tsquery at a few rows, then walks the start-date
	// index instead of sorting every match.
	return s.broadPage(ctx, res, f, "(s.formation_id IN (SELECT id FROM catalogue_formations WHERE "+match+")) IS TRUE", "", where, append([]any{tsq}, args...))
}

// onePassTest, set by tests, forces the plan of a search by relevance on
// PostgreSQL: 1 counts and ranks the matched formations in one pass, -1
// counts them first; 0 lets the words' statistics choose.
var onePassTest = 0

// rankInOnePass tells whether a search by relevance for ts counts and ranks
// the matched formations in one pass: when their words' statistics say at
// most limit formations match.
func (s *Service) rankInOnePass(ctx context.Context, ts []term, limit int) (bool, error) {
	if onePassTest != 0 {
		return onePassTest > 0, nil
	}
	n, ok, err := s.matchEstimate(ctx, ts)
	return ok && n <= limit, err
}

// matchEstimate guesses how many formations match the terms, from
// PostgreSQL's statistics of the formations' words (pg_stats, kept by
// ANALYZE from a sample): the share of formations holding each word (for a
// prefix, the sum of the shares of the listed words it begins; for a word
// not listed, the share of the least common listed word), the smallest of
// the terms' shares. ok is false when the words have no statistics. The
// guess only chooses a plan: a wrong one costs time, never a result.
func (s *Service) matchEstimate(ctx context.Context, ts []term) (n int, ok bool, err error) {
	words := make([]string, len(ts))
	for i, t := range ts {
		words[i] = t.word
	}
	// The frequencies list one per word, then the smallest and the largest
	// of them (and the share of empty vectors).
	rows, err := s.DB.Query(ctx, `WITH st AS (SELECT s.most_common_elems::text::text[] AS e, s.most_common_elem_freqs AS f
		FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		JOIN pg_stats s ON s.schemaname = ns.nspname AND s.tablename = c.relname AND s.attname = 'search'
		WHERE c.oid = 'catalogue_formations'::regclass)
		SELECT COALESCE(u.e, ''), u.f, (SELECT reltuples FROM pg_class WHERE oid = 'catalogue_formations'::regclass)
		FROM st, unnest(st.e, st.f) WITH ORDINALITY AS u(e, f, i)
		WHERE u.i = array_length(st.e, 1) + 1 OR EXISTS (SELECT 1 FROM unnest(string_to_array(?, ' ')) AS w WHERE starts_with(u.e, w))`, strings.Join(words, " "))
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	share := map[string]float64{}
	least, formations := -1.0, 0.0
	for rows.Next() {
		var e string
		var f float64
		if err := rows.Scan(&e, &f, &formations); err != nil {
			return 0, false, err
		}
		if e == "" {
			least = f
		} else {
			share[e] = f
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	if least < 0 || formations <= 0 {
		return 0, false, nil
	}
	return wordsEstimate(ts, share, least, formations), true, nil
}

// wordsEstimate is matchEstimate's guess from the listed words' shares.
func wordsEstimate(ts []term, share map[string]float64, least, formations float64) int {
	smallest := 1.0
	for _, t := range ts {
		f, listed := share[t.word]
		if t.prefix {
			f = 0
			for w, x := range share {
				if strings.HasPrefix(w, t.word) {
					f, listed = f+x, true
				}
			}
		}
		if !listed {
			f = least
		}
		smallest = min(smallest, f)
	}
	return int(math.Ceil(smallest * formations))
}

// wordsPagePostgres runs, in one statement, the plan that starts from the
// formations matching tsq: it counts them up to limit+1 (n) and returns
// that number; when there are at most limit (m, with their ts_rank when
// sorting by relevance), it also sets res.Total (the sessions of m that
// pass the filters, up to MaxCount+1) and res.Items (by relevance: from the
// sessions of the k best formations only; by start date: from all of m's).
// onePass reads the matched formations once, ranking each as it is read;
// otherwise (by relevance, when many formations may match) they are counted
// first and read again to be ranked only when there are at most limit: on
// 10 000 matched formations, ranking costs about as much as reading them,
// so a broad search costs no more than that count.
func (s *Service) wordsPagePostgres(ctx context.Context, res *Result, f Filter, tsq string, limit, k int, onePass bool, where []string, args []any) (int, error) {
	relevance := f.Sort == SortRelevance
	small := "(SELECT n FROM n) <= " + strconv.Itoa(limit) // a one-time filter: nothing more is read when m is too large
	w := whereClause(append([]string{small}, where...))
	score, cols, order, pageOrder, from := "", "s.*", startOrder, startOrder, "m"
	var qargs []any
	if relevance {
		score, cols = ", ts_rank(search, (SELECT to_tsquery('simple', ?))) AS score", "s.*, m.score"
		order, pageOrder = "s.score DESC, "+startOrder, "m.score DESC, "+startOrder
		// Only the k best formations are joined to their sessions.
		from = "(SELECT fid, score FROM m WHERE " + small + " ORDER BY score DESC, fid LIMIT " + strconv.Itoa(k) + ") m"
		qargs = append(qargs, tsq)
	}
	qargs = append(qargs, tsq)
	qargs = append(append(qargs, args...), args...) // the filters of h, then of the page
	// m: the matched formations, at most limit+1 of them, and n their number.
	with := "WITH m AS MATERIALIZED (SELECT id AS fid" + score + " FROM catalogue_formations WHERE search @@ (SELECT to_tsquery('simple', ?)) LIMIT " + strconv.Itoa(limit+1) + ")," +
		" n AS MATERIALIZED (SELECT COUNT(*) AS n FROM m),"
	if !onePass {
		with = "WITH n AS MATERIALIZED (SELECT COUNT(*) AS n FROM (SELECT 1 FROM catalogue_formations WHERE search @@ (SELECT to_tsquery('simple', ?)) LIMIT " + strconv.Itoa(limit+1) + ") x)," +
			" m AS MATERIALIZED (SELECT id AS fid" + score + " FROM catalogue_formations WHERE " + small + " AND search @@ (SELECT to_tsquery('simple', ?))),"
		qargs = append([]any{tsq}, qargs...)
	}
	q := with +
		" h AS MATERIALIZED (SELECT COUNT(*) AS total FROM (SELECT 1 FROM m JOIN catalogue_sessions s ON s.formation_id = m.fid" + w + " LIMIT " + strconv.Itoa(MaxCount+1) + ") x)" +
		" SELECT n.n, h.total, s.id IS NOT NULL, " + sessionSelect + " FROM n CROSS JOIN h LEFT JOIN (SELECT " + cols + " FROM " + from + " JOIN catalogue_sessions s ON s.formation_id = m.fid" + w + " ORDER BY " + pageOrder + " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset) + ") s ON TRUE ORDER BY " + order
	rows, err := s.DB.Query(ctx, q, qargs...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var matched int
	res.Items = res.Items[:0]
	for rows.Next() {
		var found bool
		head := []any{&matched, &res.Total, &found}
		rest := make([]any, strings.Count(sessionSelect, ",")+1)
		for i := range rest {
			rest[i] = new(any)
		}
		if err := rows.Scan(append(head, rest...)...); err != nil {
			return 0, err
		}
		if !found { // no session on this page: the counts alone
			continue
		}
		x, err := scanSession(scanFunc(func(dest ...any) error { return rows.Scan(append(head, dest...)...) }))
		if err != nil {
			return 0, err
		}
		res.Items = append(res.Items, x)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	res.More = res.Total > MaxCount
	if res.More {
		res.Total = MaxCount
	}
	return matched, nil
}

// Detail is a session with its formation, action and visibility.
type Detail struct {
	Session    Session         `json:"session"`
	Visibility Visibility      `json:"visibility"`
	Formation  *lheo.Formation `json:"formation"`
	Action     *lheo.Action    `json:"-"`
	LHEO       *lheo.Session   `json:"-"` // nil when the session left its formation (withdrawn)
}

// Session returns one session of the catalogue.
func (s *Service) Session(ctx context.Context, id int64) (*Detail, error) {
	row := s.DB.QueryRow(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.id = ?"+s.publishedSessions(), id)
	x, err := scanSession(row)
	if err != nil {
		return nil, store.NotFoundIf(err, "Session")
	}
	d := &Detail{Session: x}
	var doc, fkey string
	if err := s.DB.QueryRow(ctx, "SELECT doc, fkey FROM catalogue_formations WHERE id = ?", x.FormationID).Scan(&doc, &fkey); err != nil {
		return nil, err
	}
	d.Formation = &lheo.Formation{}
	if err := json.Unmarshal([]byte(doc), d.Formation); err != nil {
		return nil, err
	}
	// Find the action and session by recomputing their keys.
	if p, err := prepare(cloneFormation(d.Formation), fkey); err == nil {
		i := 0
		for ai := range d.Formation.Actions {
			for si := range d.Formation.Actions[ai].Sessions {
				if i < len(p.sessions) && p.sessions[i].skey == x.skey {
					d.Action = &d.Formation.Actions[ai]
					d.LHEO = &d.Formation.Actions[ai].Sessions[si]
				}
				i++
			}
		}
	}
	vs, err := s.Visibilities(ctx, []Session{x})
	if err != nil {
		return nil, err
	}
	d.Visibility = vs[0]
	return d, nil
}

func cloneFormation(f *lheo.Formation) *lheo.Formation {
	b, _ := json.Marshal(f)
	var c lheo.Formation
	json.Unmarshal(b, &c)
	return &c
}
