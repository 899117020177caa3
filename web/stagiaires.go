package web

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/enrolment"
)

// « Mes stagiaires »: every enrolment of the OF, whatever its state,
// searched, filtered by state and session, sorted, paginated, exported.

var rosterSpec = ListSpec{
	Path:  "/stagiaires",
	Sorts: []string{"nom", "session", "debut", "etat", "echeance"},
	Filters: map[string][]string{
		"etat": func() []string {
			var out []string
			for _, s := range enrolment.States {
				if s != "" {
					out = append(out, s)
				}
			}
			return out
		}(),
		"session":    nil,
		"a-declarer": {"1"}, // the declarations to make (the dashboard's list, whole)
	},
}

type rosterPage struct {
	Items    []enrolment.Enrolment
	Q        ListQuery
	Pager    ListPager
	States   []string
	Sessions []enrolment.SessionCount
}

func rosterFilter(lq ListQuery) enrolment.RosterFilter {
	f := enrolment.RosterFilter{Query: lq.Q, State: lq.Get("etat"), Sort: lq.Sort, Desc: lq.Desc, Due: lq.Get("a-declarer") == "1"}
	if v := lq.Get("session"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			f.SessionID = id
		} else {
			delete(lq.Filters, "session")
		}
	}
	return f
}

func (s *Server) roster(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	lq := ParseList(r, rosterSpec)
	f := rosterFilter(lq)
	f.Limit = 1
	_, total, err := s.Enrolment.Roster(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(total)
	f.Limit, f.Offset = pg.Limit(), pg.Offset()
	items, _, err := s.Enrolment.Roster(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	sessions, err := s.Enrolment.RosterSessions(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	var states []string
	for _, st := range enrolment.States {
		if st != "" {
			states = append(states, st)
		}
	}
	s.render(w, r, http.StatusOK, "stagiaires", rosterPage{Items: items, Q: lq, Pager: pg, States: states, Sessions: sessions})
}

func (s *Server) rosterExport(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	f := rosterFilter(ParseList(r, rosterSpec))
	f.Limit = 500
	items, total, err := s.Enrolment.Roster(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "stagiaires.csv")
	c.Row("Stagiaire", "Identifiant France Travail", "Session", "Numéro de session", "Début de la session", "Fin de la session", "État", "Entrée prévue", "Entrée", "Sortie", "Motif de sortie", "Numéro d'inscription")
	for {
		for _, e := range items {
			exit := ""
			if e.ExitReason != "" {
				exit = enrolment.ReasonLabel(e.ExitReason)
			}
			c.Row(e.DemandeurName, e.FTID, e.SessionTitle, strconv.FormatInt(e.SessionID, 10), e.SessionDebut.French(), e.SessionFin.French(), e.StateLabel(),
				e.PlannedEntry.French(), e.EntryOn.French(), e.ExitOn.French(), exit, strconv.FormatInt(e.ID, 10))
		}
		f.Offset += len(items)
		if len(items) == 0 || f.Offset >= total {
			break
		}
		if items, _, err = s.Enrolment.Roster(r.Context(), a, f); err != nil {
			s.Log.Error("roster: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("roster: csv", "err", err)
	}
}
