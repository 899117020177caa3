package web

import (
	"net/http"

	"kairos"
	"kairos/adhesion"
)

// France Travail side: the queue of adhesion requests, their detail and the decisions.

const adhesionsPerPage = 20

type adhesionQueuePage struct {
	Items    []adhesion.Adhesion
	State    string
	Region   string
	National bool // a national service chooses the region
	States   []adhesion.State
	Pager    Pager
}

func (s *Server) adhesionQueue(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	q := r.URL.Query()
	p := adhesionQueuePage{State: q.Get("etat"), Region: q.Get("region"), States: adhesion.States}
	if !adhesion.State(p.State).Valid() {
		p.State = ""
	}
	org, err := s.Accounts.Organisation(r.Context(), a.OrgID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.National = org.Region == ""
	if !p.National {
		p.Region = org.Region
	}
	f := adhesion.Filter{Region: p.Region, State: adhesion.State(p.State), Limit: 1}
	_, total, err := s.Adhesions.List(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Pager = NewPager(r, total, adhesionsPerPage)
	f.Offset, f.Limit = p.Pager.Offset(adhesionsPerPage), adhesionsPerPage
	if p.Items, _, err = s.Adhesions.List(r.Context(), a, f); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "adhesions", p)
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
