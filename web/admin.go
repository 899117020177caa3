package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kairos/store"
)

const auditPerPage = 50

type auditPage struct {
	Entries []store.AuditEntry
	Query   string
	Next    string // link to older records, "" on the last page
	First   bool
}

// auditLog lets the platform admin browse the audit trail, newest first,
// with a search and keyset pagination.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	before, _ := strconv.ParseInt(r.URL.Query().Get("avant"), 10, 64)
	entries, err := s.DB.Audit(r.Context(), store.AuditFilter{Query: q, Before: before, Limit: auditPerPage + 1})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := auditPage{Query: q, First: before == 0}
	if len(entries) > auditPerPage {
		entries = entries[:auditPerPage]
		v := url.Values{"avant": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		if q != "" {
			v.Set("q", q)
		}
		p.Next = "/admin/journal?" + v.Encode()
	}
	p.Entries = entries
	s.render(w, r, http.StatusOK, "audit", p)
}
