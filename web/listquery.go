package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// One mechanism for every list of people or objects: a ListSpec says which
// filters and sort keys a list accepts; ParseList reads and validates the
// query string (q, tri, page, par-page and the filters) into a ListQuery,
// whose methods give the links of the sortable column headers, of the
// pagination (partial "list-pager") and of the CSV export, all of them
// keeping the other filters (GET forms, bookmarkable). NewCSV writes the
// export the way French spreadsheets read it.

// Query-string names shared by every list.
const (
	paramQuery   = "q"
	paramSort    = "tri"
	paramPage    = "page"
	paramPerPage = "par-page"
)

// MaxQueryLen is the longest search text kept (in characters).
const MaxQueryLen = 100

// PerPageChoices are the page sizes a user may choose; the first is the default.
var PerPageChoices = []int{25, 50, 100}

// ListSpec describes what a list accepts.
type ListSpec struct {
	Path string // the list's page, for its links
	// Sorts are the accepted sort keys; "-key" sorts descending. The
	// default sort is DefaultSort ("" means the list's natural order).
	Sorts       []string
	DefaultSort string
	// Filters are the accepted filter parameters with their allowed
	// values (nil: any value of at most MaxQueryLen characters).
	Filters map[string][]string
	// Keep are filters that choose what the list is about (a month, a
	// period) rather than narrow it: not counted by Filtered, kept by
	// ClearURL.
	Keep []string
}

// ListQuery is a parsed, validated list request.
type ListQuery struct {
	Q       string
	Sort    string // a key of spec.Sorts, or ""
	Desc    bool
	Page    int // asked for (1…); bounded by Pager once the total is known
	PerPage int
	Filters map[string]string
	spec    ListSpec
}

// ParseList reads the list parameters of r. Values it does not accept are
// dropped (an unknown sort, a filter value not in its list, a page size not
// offered): a bookmarked or edited address still shows a list.
func ParseList(r *http.Request, spec ListSpec) ListQuery {
	v := r.URL.Query()
	lq := ListQuery{Q: clip(strings.TrimSpace(v.Get(paramQuery))), Filters: map[string]string{}, spec: spec, Page: 1, PerPage: PerPageChoices[0]}
	sortKey := v.Get(paramSort)
	if sortKey == "" {
		sortKey = spec.DefaultSort
	}
	key, desc := strings.CutPrefix(sortKey, "-")
	if slices.Contains(spec.Sorts, key) {
		lq.Sort, lq.Desc = key, desc
	} else if k, d := strings.CutPrefix(spec.DefaultSort, "-"); slices.Contains(spec.Sorts, k) {
		lq.Sort, lq.Desc = k, d
	}
	if p, err := strconv.Atoi(v.Get(paramPage)); err == nil && p > 0 && p <= 1_000_000 {
		lq.Page = p
	}
	if n, err := strconv.Atoi(v.Get(paramPerPage)); err == nil && slices.Contains(PerPageChoices, n) {
		lq.PerPage = n
	}
	for name, allowed := range spec.Filters {
		val := strings.TrimSpace(v.Get(name))
		if val == "" {
			continue
		}
		if allowed == nil {
			lq.Filters[name] = clip(val)
		} else if slices.Contains(allowed, val) {
			lq.Filters[name] = val
		}
	}
	return lq
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxQueryLen {
		return s
	}
	return string([]rune(s)[:MaxQueryLen])
}

// Get returns the value of a filter ("" when not set).
func (lq ListQuery) Get(name string) string { return lq.Filters[name] }

// Filtered tells whether a search or a filter narrows the list.
func (lq ListQuery) Filtered() bool {
	if lq.Q != "" {
		return true
	}
	for k := range lq.Filters {
		if !slices.Contains(lq.spec.Keep, k) {
			return true
		}
	}
	return false
}

// SortValue is the value of the tri parameter ("-key" when descending).
func (lq ListQuery) SortValue() string {
	if lq.Sort == "" {
		return ""
	}
	if lq.Desc {
		return "-" + lq.Sort
	}
	return lq.Sort
}

// values are the list's parameters, without the page.
func (lq ListQuery) values() url.Values {
	v := url.Values{}
	if lq.Q != "" {
		v.Set(paramQuery, lq.Q)
	}
	for k, val := range lq.Filters {
		v.Set(k, val)
	}
	if s := lq.SortValue(); s != "" && s != lq.spec.DefaultSort {
		v.Set(paramSort, s)
	}
	if lq.PerPage != PerPageChoices[0] {
		v.Set(paramPerPage, strconv.Itoa(lq.PerPage))
	}
	return v
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// ClearURL is the list without search nor filters.
func (lq ListQuery) ClearURL() string {
	v := url.Values{}
	for _, k := range lq.spec.Keep {
		if val := lq.Filters[k]; val != "" {
			v.Set(k, val)
		}
	}
	return withQuery(lq.spec.Path, v)
}

// ExportURL is the CSV export of exactly the filtered rows (every page).
func (lq ListQuery) ExportURL(path string) string {
	v := lq.values()
	v.Del(paramPerPage)
	return withQuery(path, v)
}

// SortColumn is what the partial "th-sort" needs for one column header.
type SortColumn struct {
	Label, URL string
	AriaSort   string // ascending, descending, or "" when the list is not sorted by it
	Next       string // the French words for what a click does
}

// Col describes the header of a column sorted by key: a click sorts by it
// ascending, or descending when it is already sorted ascending. Back to
// page 1.
func (lq ListQuery) Col(key, label string) SortColumn {
	c := SortColumn{Label: label, Next: "trier par ordre croissant"}
	next := key
	if lq.Sort == key {
		if lq.Desc {
			c.AriaSort = "descending"
		} else {
			c.AriaSort = "ascending"
			next, c.Next = "-"+key, "trier par ordre décroissant"
		}
	}
	v := lq.values()
	if next == lq.spec.DefaultSort {
		v.Del(paramSort)
	} else {
		v.Set(paramSort, next)
	}
	c.URL = withQuery(lq.spec.Path, v)
	return c
}

// Pager bounds the page once the total is known: a page past the end
// shows the last one.
func (lq ListQuery) Pager(total int) ListPager {
	pages := (total + lq.PerPage - 1) / lq.PerPage
	if pages < 1 {
		pages = 1
	}
	p := min(lq.Page, pages)
	return ListPager{Page: p, Pages: pages, Total: total, PerPage: lq.PerPage, lq: lq}
}

// ListPager is one page of a list, for the partial "list-pager".
type ListPager struct {
	Page, Pages, Total, PerPage int
	lq                          ListQuery
}

// Offset is the index of the page's first row; Limit its size.
func (p ListPager) Offset() int { return (p.Page - 1) * p.PerPage }
func (p ListPager) Limit() int  { return p.PerPage }

// From and To are the numbers of the page's first and last rows (1-based).
func (p ListPager) From() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset() + 1
}
func (p ListPager) To() int { return min(p.Offset()+p.PerPage, p.Total) }

// URL is the link to page n with the same filters and sort.
func (p ListPager) URL(n int) string {
	v := p.lq.values()
	if n > 1 {
		v.Set(paramPage, strconv.Itoa(n))
	}
	return withQuery(p.lq.spec.Path, v)
}

// Numbers are the page numbers to link: the first, the last, and two
// either side of the current one; 0 stands for an ellipsis.
func (p ListPager) Numbers() []int {
	var out []int
	for n := 1; n <= p.Pages; n++ {
		if n == 1 || n == p.Pages || (n >= p.Page-2 && n <= p.Page+2) {
			out = append(out, n)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// Window returns the rows of items on page p (for lists built in memory).
func Window[T any](items []T, p ListPager) []T {
	from := min(p.Offset(), len(items))
	return items[from:min(from+p.PerPage, len(items))]
}

// CSV writes an export the way spreadsheets in France read it: UTF-8 with
// a byte order mark, semicolons, CRLF, and no cell a spreadsheet would run
// as a formula.
type CSV struct {
	cw *csv.Writer
}

// NewCSV starts a CSV download named filename.
func NewCSV(w http.ResponseWriter, filename string) *CSV {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	return &CSV{cw: cw}
}

// Row writes one line; each cell is made safe (CSVCell).
func (c *CSV) Row(cells ...string) {
	for i, s := range cells {
		cells[i] = CSVCell(s)
	}
	c.cw.Write(cells)
}

// Close flushes the file and reports a write error.
func (c *CSV) Close() error {
	c.cw.Flush()
	return c.cw.Error()
}

// CSVCell keeps a spreadsheet from reading a value as a formula: a cell
// starting with = + - @ (or a tab or carriage return) is prefixed with an
// apostrophe.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// emptyList is what the partial "list-empty" shows.
type emptyList struct {
	What, Detail string
	Q            ListQuery
}

// SortChoice is one option of the « Trier par » select of a filter form
// (the column headers are hidden on phones).
type SortChoice struct {
	Value, Label string
	Selected     bool
}

// SortChoices lists value/label pairs for the « Trier par » select; the
// first pair should be the default order.
func (lq ListQuery) SortChoices(pairs ...string) []SortChoice {
	cur := lq.SortValue()
	if cur == "" {
		cur = lq.spec.DefaultSort
	}
	var out []SortChoice
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, SortChoice{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == cur})
	}
	return out
}

// Path is the list's page.
func (lq ListQuery) Path() string { return lq.spec.Path }

// Kept is the query string ("?du=…") of the Keep filters, for links to a
// related list about the same month or period ("" when none).
func (lq ListQuery) Kept() string {
	u := lq.ClearURL()
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[i:]
	}
	return ""
}
