package web

import (
	"net/http"
	"strings"

	"kairos/calendar"
	"kairos/store"
)

// The platform administrators' audit log: newest first, French labels for
// the action codes (auditlabels.go), objects named as users know them
// (auditnames.go), filters by period, author, action and object, and CSV —
// on the shared list mechanism (listquery.go).

var auditSpec = ListSpec{
	Path:    "/admin/journal",
	Filters: map[string][]string{"du": nil, "au": nil, "auteur": nil, "action": auditActionValues(), "objet": nil},
}

type auditRow struct {
	store.AuditEntry
	Label  string
	Object auditObject
	Type   string // the object type in French
}

type auditPage struct {
	Rows    []auditRow
	Q       ListQuery
	Pager   ListPager
	Period  period
	Groups  []AuditOptionGroup
	Object  string // the object whose history is shown, named
	Periods []PeriodLink
}

// auditFilter reads the journal's filters: the period is of Paris days.
func (s *Server) auditFilter(r *http.Request) (ListQuery, period, store.AuditFilter) {
	lq := ParseList(r, auditSpec)
	per := parsePeriod(lq)
	f := store.AuditFilter{Query: lq.Q, Actor: lq.Get("auteur"), Action: lq.Get("action")}
	if !per.From.IsZero() {
		f.From = per.From.Midnight()
	}
	if !per.To.IsZero() {
		f.To = per.To.AddDays(1).Midnight()
	}
	if typ, id, ok := strings.Cut(lq.Get("objet"), ":"); ok && auditObjectTypes[typ] != "" && id != "" {
		f.ObjectType, f.ObjectID = typ, id
	} else {
		delete(lq.Filters, "objet")
	}
	return lq, per, f
}

func (s *Server) auditRows(r *http.Request, entries []store.AuditEntry) []auditRow {
	names := auditObjects(r.Context(), s.DB, entries)
	out := make([]auditRow, len(entries))
	for i, e := range entries {
		out[i] = auditRow{AuditEntry: e, Label: auditLabel(e.Action), Object: names[e.ObjectType+":"+e.ObjectID], Type: auditObjectTypes[e.ObjectType]}
		if out[i].Type == "" {
			out[i].Type = e.ObjectType
		}
	}
	return out
}

// auditLog lets the platform admin browse the audit trail.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	lq, per, f := s.auditFilter(r)
	total, err := s.DB.AuditCount(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(total)
	f.Offset, f.Limit = pg.Offset(), pg.Limit()
	entries, err := s.DB.Audit(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := auditPage{Rows: s.auditRows(r, entries), Q: lq, Pager: pg, Period: per, Groups: auditOptionGroups(),
		Periods: periodLinks("/admin/journal", calendar.DateOf(s.DB.Now()))}
	if f.ObjectType != "" {
		p.Object = auditObjectTypes[f.ObjectType] + " n°" + f.ObjectID
		probe := []store.AuditEntry{{ObjectType: f.ObjectType, ObjectID: f.ObjectID}}
		if o, ok := auditObjects(r.Context(), s.DB, probe)[f.ObjectType+":"+f.ObjectID]; ok && o.Name != "" {
			p.Object = o.Name
		}
	}
	s.render(w, r, http.StatusOK, "audit", p)
}

// auditExport is the CSV of exactly the filtered records, newest first.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	_, _, f := s.auditFilter(r)
	f.Limit = 500
	entries, err := s.DB.Audit(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "journal-audit.csv")
	c.Row("Date", "Auteur", "Organisation", "Action", "Code de l'action", "Objet", "Type d'objet", "Identifiant de l'objet", "Avant", "Après", "Adresse IP")
	for len(entries) > 0 {
		for _, e := range s.auditRows(r, entries) {
			c.Row(e.At.In(s.paris).Format("02/01/2006 15:04:05"), e.ActorLabel, e.OrgName, e.Label, e.Action, e.Object.Name, e.Type, e.ObjectID, e.Before, e.After, e.IP)
		}
		last := entries[len(entries)-1]
		f.AtBefore, f.IDBefore = last.At, last.ID
		if len(entries) < f.Limit {
			break
		}
		if entries, err = s.DB.Audit(r.Context(), f); err != nil {
			s.Log.Error("audit: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("audit: csv", "err", err)
	}
}
