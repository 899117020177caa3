package catalogue

import (
	"context"
	"strings"
)

// SetDenseWalk sets, for a test, the longest dense walk of a broad SQLite
// search (0: never) and its length whatever the density (0: estimated); it
// returns the function that restores them.
func SetDenseWalk(longest, length int) (restore func()) {
	m, t := denseWalkMax, denseWalkTest
	denseWalkMax, denseWalkTest = longest, length
	return func() { denseWalkMax, denseWalkTest = m, t }
}

// SetOnePass forces, for a test, the plan of a PostgreSQL search by
// relevance (1: one pass, -1: counted first, 0: chosen from the words'
// statistics); it returns the function that restores it.
func SetOnePass(mode int) (restore func()) {
	m := onePassTest
	onePassTest = mode
	return func() { onePassTest = m }
}

// RankInOnePass tells whether a PostgreSQL search by relevance for q
// would count and rank its matched formations in one pass, and the
// number of formations the words' statistics say match (ok: they have
// statistics).
func (s *Service) RankInOnePass(ctx context.Context, q string) (onePass bool, n int, ok bool, err error) {
	ts := matchTerms(q)
	if onePass, err = s.rankInOnePass(ctx, ts, s.rankCap()); err != nil {
		return
	}
	n, ok, err = s.matchEstimate(ctx, ts)
	return
}

// WordsEstimate is wordsEstimate for words given as "word" or "word*"
// (a prefix).
func WordsEstimate(words []string, share map[string]float64, least, formations float64) int {
	ts := make([]term, len(words))
	for i, w := range words {
		ts[i] = term{strings.TrimSuffix(w, "*"), strings.HasSuffix(w, "*")}
	}
	return wordsEstimate(ts, share, least, formations)
}

// SetAfterPrepublish sets, for a test, what a SQLite import runs once its
// new rows are written unpublished, before it publishes them (an error
// makes it fail there), and the rows per short transaction; it returns the
// function that restores them.
func SetAfterPrepublish(f func() error, formations, sessions int) (restore func()) {
	a, pf, ps := afterPrepublish, prepublishFormations, prepublishSessions
	afterPrepublish, prepublishFormations, prepublishSessions = f, formations, sessions
	return func() { afterPrepublish, prepublishFormations, prepublishSessions = a, pf, ps }
}

// SetBulkFrom sets, for a test, the number of staged rows from which the
// first load of an empty table drops its indexes; it returns the function
// that restores it.
func SetBulkFrom(n int) (restore func()) {
	b := bulkFrom
	bulkFrom = n
	return func() { bulkFrom = b }
}
