package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"kairos"
)

// Cursor pagination, the one convention of every list of the API: ?limit=
// (1 to 200, 50 by default) and ?after=<cursor>; the answer's "next" is the
// cursor of the following page, absent on the last one. A cursor is opaque:
// it holds the sort key of the last item of its page (keyset pagination), so
// that rows inserted or changed between two pages neither repeat nor skip
// the rows that were already there, and the order is the same on every page.

const (
	pageDefault = 50
	pageMax     = 200
	cursorV     = "k1." // version of the cursor encoding
)

// pageReq is the page a request asks for: its size and the key of the last
// item already seen (nil: the first page).
type pageReq struct {
	Limit int
	After []string
}

// readPage reads limit and after; def is the default size (0: pageDefault).
func readPage(r *http.Request, def int) (pageReq, error) {
	q := r.URL.Query()
	p := pageReq{Limit: def}
	if p.Limit <= 0 {
		p.Limit = pageDefault
	}
	fields := map[string]string{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > pageMax {
			fields["limit"] = "Entier de 1 à 200 attendu."
		}
		p.Limit = n
	}
	if v := q.Get("after"); v != "" {
		k, ok := decodeCursor(v)
		if !ok {
			fields["after"] = "Curseur invalide : reprenez la valeur « next » d'une page précédente de cette liste."
		}
		p.After = k
	}
	if len(fields) > 0 {
		return pageReq{}, kairos.Invalid(fields)
	}
	return p, nil
}

// badCursor is the error of a cursor of another list (a key of another shape).
func badCursor() error {
	return kairos.Invalid(map[string]string{"after": "Curseur invalide pour cette liste : reprenez la valeur « next » d'une page précédente de cette liste."})
}

func encodeCursor(key []string) string {
	b, _ := json.Marshal(key)
	return cursorV + base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) ([]string, bool) {
	rest, ok := strings.CutPrefix(s, cursorV)
	if !ok || len(rest) > 2048 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, false
	}
	var k []string
	if err := json.Unmarshal(b, &k); err != nil || len(k) == 0 || len(k) > 4 {
		return nil, false
	}
	return k, true
}

// Key parts: each encodes one sort field so that the byte order of the
// encoding is the order of the field (the key of an item is compared part
// by part).

// kInt encodes a non-negative integer (ids, day numbers).
func kInt(n int64) string { return strconv.FormatInt(n+1<<62, 10) } // fixed width for 0 ≤ n < 2^62

// kTime encodes an instant (UTC, nanoseconds).
func kTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// keyInt reads back a kInt part.
func keyInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1<<62 {
		return 0, false
	}
	return n - 1<<62, true
}

// keyTime reads back a kTime part.
func keyTime(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02T15:04:05.000000000Z", s)
	return t, err == nil
}

// pageOf cuts the page p out of a complete list, sorted by key (ascending;
// desc reverses it); it returns the page and the cursor of the next one ("" at
// the end). For the lists a service returns whole (bounded by nature).
func pageOf[T any](p pageReq, items []T, desc bool, key func(T) []string) ([]T, string, error) {
	cmp := func(a, b []string) int {
		if desc {
			return slices.Compare(b, a)
		}
		return slices.Compare(a, b)
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return cmp(key(a), key(b)) })
	start := 0
	if p.After != nil && len(sorted) > 0 && !sameShape(p.After, key(sorted[0])) {
		return nil, "", badCursor()
	}
	if p.After != nil {
		start = len(sorted)
		for i, it := range sorted {
			if cmp(key(it), p.After) > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+p.Limit, len(sorted))
	out := sorted[start:end]
	if out == nil {
		out = []T{}
	}
	next := ""
	if end < len(sorted) && len(out) > 0 {
		next = encodeCursor(key(out[len(out)-1]))
	}
	return out, next, nil
}

// sameShape reports whether a cursor's key has the parts of a list's key
// (same number, integers where integers, instants where instants).
func sameShape(after, key []string) bool {
	if len(after) != len(key) {
		return false
	}
	for i := range key {
		_, ki := keyInt(key[i])
		_, ai := keyInt(after[i])
		_, kt := keyTime(key[i])
		_, at := keyTime(after[i])
		if ki != ai || kt != at {
			return false
		}
	}
	return true
}

// nextOf cuts a page read from the database with one row more than asked
// (limit+1, in the list's order): the extra row, when it came, tells that a
// next page exists, and the cursor is the key of the page's last row.
func nextOf[T any](items []T, limit int, key func(T) []string) ([]T, string) {
	if len(items) <= limit {
		if items == nil {
			items = []T{}
		}
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(key(items[len(items)-1]))
}

// afterInt reads a cursor of one integer (0: the first page).
func afterInt(p pageReq) (int64, error) {
	if p.After == nil {
		return 0, nil
	}
	if len(p.After) == 1 {
		if n, ok := keyInt(p.After[0]); ok {
			return n, nil
		}
	}
	return 0, badCursor()
}

// afterIntInt reads a cursor of two integers (zeros: the first page).
func afterIntInt(p pageReq) (int64, int64, error) {
	if p.After == nil {
		return 0, 0, nil
	}
	if len(p.After) == 2 {
		a, ok1 := keyInt(p.After[0])
		b, ok2 := keyInt(p.After[1])
		if ok1 && ok2 {
			return a, b, nil
		}
	}
	return 0, 0, badCursor()
}
