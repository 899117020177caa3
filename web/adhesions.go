package web

import (
	"net/http"

	"kairos"
	"kairos/adhesion"
)

// France Travail side: the queue of adhesion requests, their detail and the decisions.

var adhesionsSpec = ListSpec{
	Path:        "/adhesions",
	Sorts:       []string{"organisme", "deposee"},
	DefaultSort: "deposee",
	Filters:     map[string][]string{"etat": adhesionStates(), "region": regionCodes()},
}

func adhesionStates() []string {
	var out []string
	for _, st := range adhesion.States {
		out = append(out, string(st))
	}
	return out
}

type adhesionQueuePage struct {
	Items    []adhesion.Adhesion
	State    string
	Region   string
	National bool // a national service chooses the region
	States   []adhesion.State
	Q        ListQuery
	Pager    ListPager
}

// adhesionFilter reads the queue's filters; a regional service sees its region only.
func (s *Server) adhesionFilter(r *http.Request) (adhesionQueuePage, adhesion.Filter, error) {
	a := kairos.ActorFrom(r.Context())
	lq := ParseList(r, adhesionsSpec)
	p := adhesionQueuePage{State: lq.Get("etat"), Region: lq.Get("region"), States: adhesion.States, Q: lq}
	org, err := s.Accounts.Organisation(r.Context(), a.OrgID)
	if err != nil {
		return p, adhesion.Filter{}, err
	}
	p.National = org.Region == ""
	if !p.National {
		p.Region = org.Region
	}
	return p, adhesion.Filter{Region: p.Region, State: adhesion.State(p.State), Query: lq.Q, Sort: lq.Sort, Desc: lq.Desc}, nil
}

func (s *Server) adhesionQueue(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	p, f, err := s.adhesionFilter(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f.Limit = 1
	_, total, err := s.Adhesions.List(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Pager = p.Q.Pager(total)
	f.Offset, f.Limit = p.Pager.Offset(), p.Pager.Limit()
	if p.Items, _, err = s.Adhesions.List(r.Context(), a, f); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "adhesions", p)
}

func (s *Server) adhesionsExport(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	_, f, err := s.adhesionFilter(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f.Limit = 200
	items, total, err := s.Adhesions.List(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "adhesions.csv")
	c.Row("Référence", "Raison sociale", "SIRET", "NDA", "Région", "Commune", "Responsable du compte", "Courriel", "Déposée le", "État", "Convention", "Valable jusqu'au", "Motif")
	for {
		for _, x := range items {
			until := ""
			if x.ValidUntil != nil {
				until = adhesion.FormatDate(*x.ValidUntil)
			}
			c.Row(x.Reference, x.RaisonSociale, x.SIRET, x.NDA, x.RegionLabel(), x.City, x.RGCName, x.RGCEmail, adhesion.FormatDate(x.SubmittedAt), x.State.Label(),
				x.ConventionNumber, until, x.Reason)
		}
		f.Offset += len(items)
		if len(items) == 0 || f.Offset >= total {
			break
		}
		if items, _, err = s.Adhesions.List(r.Context(), a, f); err != nil {
			s.Log.Error("adhesions: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("adhesions: csv", "err", err)
	}
}

type adhesionPage struct {
	A            *adhesion.Adhesion
	History      []adhesion.Event
	Certificates []adhesion.Certificate
	Actions      []adhesion.Transition
	Form         *Form
	DaysLeft     int
}

func (s *Server) loadAdhesionPage(r *http.Request, a *adhesion.Adhesion) (*adhesionPage, error) {
	h, err := s.Adhesions.History(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	certs, err := s.Adhesions.Certificates(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	actor := kairos.ActorFrom(r.Context())
	now := s.now()
	p := &adhesionPage{A: a, History: h, Certificates: certs, Actions: adhesion.Allowed(a, actor.Role, now), Form: NewForm(r)}
	if a.Qualiopi != nil {
		p.DaysLeft = a.Qualiopi.DaysLeft(now)
	}
	return p, nil
}

func (s *Server) adhesionDetail(w http.ResponseWriter, r *http.Request) {
	s.showAdhesion(w, r, http.StatusOK, nil)
}

func (s *Server) showAdhesion(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a, err := s.Adhesions.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p, err := s.loadAdhesionPage(r, a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f != nil {
		p.Form = f
	}
	s.render(w, r, status, "adhesion", p)
}

func (s *Server) adhesionDecide(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	act := adhesion.Action(f.Get("action"))
	_, err = s.Adhesions.Decide(r.Context(), kairos.ActorFrom(r.Context()), id, act, f.Get("motif"))
	to := "/adhesions/" + itoa(id)
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, to, &Flash{"success", adhesion.TransitionFor(act).Done})
	case kairos.EInvalid:
		f.Fail(err)
		if m, ok := f.Errors["motif"]; ok {
			// The reason box of that action shows the error.
			f.Errors["motif-"+string(act)] = m
		}
		s.showAdhesion(w, r, http.StatusUnprocessableEntity, f)
	case kairos.EConflict:
		s.redirect(w, r, to, &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
