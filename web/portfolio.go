package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"kairos"
	"kairos/enrolment"
)

// The counsellor's portfolio: his job seekers with their derived path
// status, searched, filtered by status, sorted, paginated and exported
// through the shared list mechanism (listquery.go).

// pathStates are the path statuses a portfolio is filtered by, in order.
var pathStates = []struct{ Code, Label string }{
	{enrolment.PathProposed, "Inscription proposée"},
	{enrolment.PathEnrolled, "Inscrit"},
	{enrolment.PathInTraining, "En formation"},
	{enrolment.PathInterrupted, "Formation interrompue"},
	{enrolment.PathExited, "Sorti de formation"},
	{enrolment.PathNone, "Sans formation en cours"},
}

var portfolioSpec = ListSpec{
	Path:  "/conseiller/portefeuille",
	Sorts: []string{"nom", "identifiant", "situation"},
	Filters: map[string][]string{
		"situation": func() []string {
			var out []string
			for _, p := range pathStates {
				out = append(out, p.Code)
			}
			return out
		}(),
		"a-faire": {"1"},
	},
}

type portfolioPage struct {
	Rows   []enrolment.Path
	Q      ListQuery
	Pager  ListPager
	States []struct{ Code, Label string }
}

// portfolioRows returns the counsellor's job seekers that match lq, in its order.
func (s *Server) portfolioRows(r *http.Request, lq ListQuery) ([]enrolment.Path, error) {
	list, err := s.Enrolment.Portfolio(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(lq.Q)
	state := lq.Get("situation")
	todo := lq.Get("a-faire") == "1"
	out := list[:0]
	for _, p := range list {
		if q != "" && !strings.Contains(strings.ToLower(p.Name), q) && !strings.Contains(strings.ToLower(p.FTID), q) {
			continue
		}
		if state != "" && p.Status.Code != state {
			continue
		}
		if todo && p.Status.Action == "" {
			continue
		}
		out = append(out, p)
	}
	if lq.Sort != "" {
		key := func(p enrolment.Path) string {
			switch lq.Sort {
			case "identifiant":
				return p.FTID
			case "situation":
				return p.Status.Label
			}
			return strings.ToLower(p.Name)
		}
		slices.SortStableFunc(out, func(a, b enrolment.Path) int {
			c := cmp.Compare(key(a), key(b))
			if c == 0 {
				c = cmp.Compare(a.DemandeurID, b.DemandeurID)
			}
			if lq.Desc {
				return -c
			}
			return c
		})
	}
	return out, nil
}

func (s *Server) portfolio(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, portfolioSpec)
	rows, err := s.portfolioRows(r, lq)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(len(rows))
	s.render(w, r, http.StatusOK, "portfolio", portfolioPage{Rows: Window(rows, pg), Q: lq, Pager: pg, States: pathStates})
}

func (s *Server) portfolioExport(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, portfolioSpec)
	rows, err := s.portfolioRows(r, lq)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "portefeuille.csv")
	c.Row("Demandeur d'emploi", "Identifiant France Travail", "Situation", "Détail", "À faire", "Inscriptions")
	for _, p := range rows {
		var ins []string
		for _, e := range p.Enrolments {
			ins = append(ins, e.SessionTitle+" ("+e.StateLabel()+")")
		}
		c.Row(p.Name, p.FTID, p.Status.Label, p.Status.Detail, p.Status.Action, strings.Join(ins, " | "))
	}
	if err := c.Close(); err != nil {
		s.Log.Error("portfolio: csv export", "err", err)
	}
}
