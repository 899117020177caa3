package api

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/assessments"
	"kairos/calendar"
)

var (
	ofBilan           = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabBilan}
	assessmentReaders = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleFTComptable, kairos.RoleFTGestionnaire}}
)

func (a *API) bilans() (*assessments.Service, error) {
	if a.Assessments == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Les bilans de formation ne sont pas disponibles sur cette instance.")
	}
	return a.Assessments, nil
}

func (a *API) listAssessments(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.bilans()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := assessments.Filter{State: assessments.State(q.Get("state")), Q: q.Get("q")}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	exit, id, err := afterIntInt(p)
	if err != nil {
		return err
	}
	f.AfterExit, f.AfterID, f.Limit = calendar.Date(exit), id, p.Limit+1
	list, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := AssessmentList{}
	out.Items, out.Next = nextOf(list, p.Limit, func(x assessments.Assessment) []string { return []string{kInt(int64(x.ExitOn)), kInt(x.EnrolmentID)} })
	return writeJSON(w, http.StatusOK, out)
}

// AssessmentList is a page of the OF's assessments, the most recent exits first.
type AssessmentList struct {
	Items []assessments.Assessment `json:"items"`
	Next  string                   `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) getAssessment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.bilans()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Bilan")
	if err != nil {
		return err
	}
	x, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x)
}

func (a *API) assessmentAction(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.bilans()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Bilan")
	if err != nil {
		return err
	}
	var in assessments.Step
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.Do(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x)
}

func (a *API) assessmentCertificate(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.bilans()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Bilan")
	if err != nil {
		return err
	}
	name, pdf, err := svc.Certificate(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(pdf)
	return err
}

func (a *API) assessmentsAccounting(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.bilans()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	org, _ := strconv.ParseInt(q.Get("org_id"), 10, 64)
	ready := q.Get("ready")
	switch ready {
	case "", "oui", "non":
	case "true":
		ready = "oui"
	case "false":
		ready = "non"
	default:
		return kairos.Invalid(map[string]string{"ready": "Indiquez true ou false."})
	}
	acc, err := svc.Accounting(r.Context(), kairos.ActorFrom(r.Context()), org, ready)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, acc)
}
