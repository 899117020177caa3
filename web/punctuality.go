package web

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/calendar"
	"kairos/enrolment"
)

// France Travail's view of the OFs' punctuality: a period, a search by OF,
// sort, pagination, CSV, and the drill-down from an OF to its declarations.

var punctualitySpec = ListSpec{
	Path:        "/ponctualite",
	Sorts:       []string{"organisme", "declarations", "retard"},
	DefaultSort: "-retard",
	Filters:     map[string][]string{"du": nil, "au": nil},
	Keep:        []string{"du", "au"},
}

// period reads du/au (AAAA-MM-JJ or JJ/MM/AAAA); a bad date is reported in
// French and ignored.
type period struct {
	From, To calendar.Date
	Errors   map[string]string
}

func parsePeriod(lq ListQuery) period {
	p := period{Errors: map[string]string{}}
	for _, f := range []struct {
		name, label string
		to          *calendar.Date
	}{{"du", "Du", &p.From}, {"au", "Au", &p.To}} {
		if v := lq.Get(f.name); v != "" {
			d, err := calendar.ParseDate(v)
			if err != nil {
				p.Errors[f.name] = f.label + " : " + err.Error() + "."
				delete(lq.Filters, f.name)
				continue
			}
			*f.to = d
		}
	}
	if !p.From.IsZero() && !p.To.IsZero() && p.To < p.From {
		p.Errors["au"] = "Au : la fin de la période doit suivre son début (" + p.From.French() + ")."
		p.To = 0
		delete(lq.Filters, "au")
	}
	return p
}

// Label says the period in French.
func (p period) Label() string {
	switch {
	case !p.From.IsZero() && !p.To.IsZero():
		return "du " + p.From.French() + " au " + p.To.French()
	case !p.From.IsZero():
		return "depuis le " + p.From.French()
	case !p.To.IsZero():
		return "jusqu'au " + p.To.French()
	}
	return "depuis le début"
}

// PeriodLink is a ready-made period (« 30 derniers jours »…).
type PeriodLink struct{ Label, URL string }

func periodLinks(path string, today calendar.Date) []PeriodLink {
	return []PeriodLink{
		{"30 derniers jours", path + "?du=" + today.AddDays(-29).String() + "&au=" + today.String()},
		{"3 derniers mois", path + "?du=" + today.AddDays(-91).String() + "&au=" + today.String()},
		{"12 derniers mois", path + "?du=" + today.AddDays(-364).String() + "&au=" + today.String()},
		{"Depuis le début", path},
	}
}

type punctualityPage struct {
	Items   []enrolment.Punctuality
	Q       ListQuery
	Pager   ListPager
	Period  period
	Periods []PeriodLink
}

func (s *Server) punctuality(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, punctualitySpec)
	per := parsePeriod(lq)
	a := kairos.ActorFrom(r.Context())
	f := enrolment.PunctualityFilter{From: per.From, To: per.To, Query: lq.Q, Sort: lq.Sort, Desc: lq.Desc, Limit: 1}
	first, err := s.Enrolment.Punctuality(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(first.Total)
	f.Limit, f.Offset = pg.Limit(), pg.Offset()
	p, err := s.Enrolment.Punctuality(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "ponctualite", punctualityPage{Items: p.Items, Q: lq, Pager: pg, Period: per, Periods: periodLinks("/ponctualite", s.Enrolment.Today())})
}

func (s *Server) punctualityExport(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, punctualitySpec)
	per := parsePeriod(lq)
	p, err := s.Enrolment.Punctuality(r.Context(), kairos.ActorFrom(r.Context()), enrolment.PunctualityFilter{From: per.From, To: per.To, Query: lq.Q, Sort: lq.Sort, Desc: lq.Desc, Limit: 500})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "ponctualite.csv")
	c.Row("Organisme de formation", "Déclarations", "Hors délai", "Part hors délai (%)", "Période")
	for off := 0; ; {
		for _, x := range p.Items {
			c.Row(x.OrgName, strconv.Itoa(x.Declared), strconv.Itoa(x.Late), percent(x.Late, x.Declared), per.Label())
		}
		off += len(p.Items)
		if len(p.Items) == 0 || off >= p.Total {
			break
		}
		if p, err = s.Enrolment.Punctuality(r.Context(), kairos.ActorFrom(r.Context()), enrolment.PunctualityFilter{From: per.From, To: per.To, Query: lq.Q, Sort: lq.Sort, Desc: lq.Desc, Limit: 500, Offset: off}); err != nil {
			s.Log.Error("punctuality: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("punctuality: csv", "err", err)
	}
}

// percent is n/total in whole percent, French ("12").
func percent(n, total int) string {
	if total == 0 {
		return "0"
	}
	return strconv.Itoa((n*100 + total/2) / total)
}

var declarationsSpec = ListSpec{
	Filters: map[string][]string{"du": nil, "au": nil, "toutes": {"1"}},
	Keep:    []string{"du", "au"},
}

type declarationsPage struct {
	D       *enrolment.OFDeclarations
	Q       ListQuery
	Pager   ListPager
	Period  period
	Periods []PeriodLink
	Back    string
}

func (s *Server) punctualityOF(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	spec := declarationsSpec
	spec.Path = "/ponctualite/organismes/" + itoa(id)
	lq := ParseList(r, spec)
	per := parsePeriod(lq)
	a := kairos.ActorFrom(r.Context())
	lateOnly := lq.Get("toutes") != "1"
	first, err := s.Enrolment.Declarations(r.Context(), a, id, per.From, per.To, lateOnly, 1, 0)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(first.Total)
	d, err := s.Enrolment.Declarations(r.Context(), a, id, per.From, per.To, lateOnly, pg.Limit(), pg.Offset())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	back := ParseList(r, punctualitySpec).ClearURL()
	s.render(w, r, http.StatusOK, "ponctualite-organisme", declarationsPage{D: d, Q: lq, Pager: pg, Period: per, Periods: periodLinks(spec.Path, s.Enrolment.Today()), Back: back})
}

func (s *Server) punctualityOFExport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	spec := declarationsSpec
	spec.Path = "/ponctualite/organismes/" + itoa(id)
	lq := ParseList(r, spec)
	per := parsePeriod(lq)
	a, lateOnly := kairos.ActorFrom(r.Context()), lq.Get("toutes") != "1"
	const chunk = 1000
	d, err := s.Enrolment.Declarations(r.Context(), a, id, per.From, per.To, lateOnly, chunk, 0)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "ponctualite-organisme-"+itoa(id)+".csv")
	c.Row("Organisme de formation", "Stagiaire", "Identifiant France Travail", "Session", "Déclaration", "Date de l'événement", "À déclarer avant le", "Déclarée le", "Hors délai", "Jours de retard")
	for off := 0; ; {
		for _, x := range d.Items {
			late := "non"
			if x.Late {
				late = "oui"
			}
			c.Row(d.OrgName, x.Demandeur, x.FTID, x.Session, x.Label, x.OccurredOn.French(), x.Deadline.French(), x.DeclaredAt.In(calendar.Paris()).Format("02/01/2006 15:04"), late, strconv.Itoa(x.DaysLate))
		}
		off += len(d.Items)
		if len(d.Items) == 0 || off >= d.Total {
			break
		}
		if d, err = s.Enrolment.Declarations(r.Context(), a, id, per.From, per.To, lateOnly, chunk, off); err != nil {
			s.Log.Error("punctuality: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("punctuality: csv", "err", err)
	}
}
