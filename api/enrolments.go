package api

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/calendar"
	"kairos/enrolment"
)

// EnrolmentList is a page of enrolments.
type EnrolmentList struct {
	Items []enrolment.Enrolment `json:"items"`
	Next  string                `json:"next,omitempty"` // pass as ?after= for the next page
}

var (
	ofCand      = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabCandidatures}
	ofStaff     = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}}
	pathParties = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller}}
)

func (a *API) path() (*enrolment.Service, error) {
	if a.Enrolment == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Le suivi des parcours n'est pas disponible sur cette instance.")
	}
	return a.Enrolment, nil
}

func (a *API) listEnrolments(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := enrolment.Filter{State: q.Get("state")}
	f.SessionID, _ = strconv.ParseInt(q.Get("session_id"), 10, 64)
	p, err := readPage(r, 100)
	if err != nil {
		return err
	}
	if p.After != nil {
		ok := len(p.After) == 1
		if ok {
			f.After, ok = keyInt(p.After[0])
		}
		if !ok {
			return badCursor()
		}
	}
	f.Limit = p.Limit + 1
	list, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := EnrolmentList{}
	out.Items, out.Next = nextOf(list, p.Limit, func(x enrolment.Enrolment) []string { return []string{kInt(x.ID)} })
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) proposeEnrolment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	var in enrolment.Proposal
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.Propose(r.Context(), kairos.ActorFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/enrolments/"+strconv.FormatInt(x.ID, 10))
	return a.enrolmentDetail(w, r, svc, x.ID, http.StatusCreated)
}

func (a *API) enrolmentDetail(w http.ResponseWriter, r *http.Request, svc *enrolment.Service, id int64, status int) error {
	actor := kairos.ActorFrom(r.Context())
	x, err := svc.Get(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, status, EnrolmentDetail{Enrolment: x, AllowedActions: enrolmentActions(x.State, actor)})
}

// EnrolmentDetail is an enrolment with the actions the caller may request
// in its state: the rows of enrolment.Workflow its role and habilitation
// allow (the page's buttons); the guards (dates, reasons, overlaps) are
// checked with the request and refuse with their French reason.
type EnrolmentDetail struct {
	*enrolment.Enrolment
	AllowedActions []string `json:"allowed_actions"`
}

func enrolmentActions(state string, a *kairos.Actor) []string {
	out := []string{}
	for _, t := range enrolment.Offered(state, a) {
		out = append(out, t.Action)
	}
	return out
}

func (a *API) getEnrolment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Inscription")
	if err != nil {
		return err
	}
	return a.enrolmentDetail(w, r, svc, id, http.StatusOK)
}

func (a *API) enrolmentAction(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Inscription")
	if err != nil {
		return err
	}
	var in enrolment.Action
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if _, err := svc.Do(r.Context(), kairos.ActorFrom(r.Context()), id, in); err != nil {
		return err
	}
	return a.enrolmentDetail(w, r, svc, id, http.StatusOK)
}

func (a *API) addAbsence(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Inscription")
	if err != nil {
		return err
	}
	var in enrolment.AbsenceInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.AddAbsence(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, x)
}

func (a *API) correctAbsence(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Absence")
	if err != nil {
		return err
	}
	var in struct {
		enrolment.AbsenceInput
		Comment string `json:"comment"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	in.AbsenceInput.File = nil // a correction keeps the justificatifs
	x, err := svc.CorrectAbsence(r.Context(), kairos.ActorFrom(r.Context()), id, in.AbsenceInput, in.Comment)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x)
}

func (a *API) withdrawAbsence(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Absence")
	if err != nil {
		return err
	}
	var in struct {
		Comment string `json:"comment"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := svc.WithdrawAbsence(r.Context(), kairos.ActorFrom(r.Context()), id, in.Comment); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) enrolmentDocument(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Inscription")
	if err != nil {
		return err
	}
	name, pdf, err := svc.Document(r.Context(), kairos.ActorFrom(r.Context()), id, r.PathValue("doc"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(pdf)
	return err
}

func (a *API) getJustificatif(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Justificatif")
	if err != nil {
		return err
	}
	f, data, err := svc.Justificatif(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", "attachment")
	_, err = w.Write(data)
	return err
}

func (a *API) correctMovement(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Déclaration")
	if err != nil {
		return err
	}
	var in struct {
		Date    calendar.Date `json:"date"`
		Comment string        `json:"comment"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.Correct(r.Context(), kairos.ActorFrom(r.Context()), id, in.Date, in.Comment)
	if err != nil {
		return err
	}
	return a.enrolmentDetail(w, r, svc, x.ID, http.StatusOK)
}

// BulkResult is the outcome of a bulk entry.
type BulkResult struct {
	Declared int               `json:"declared"`
	Failed   map[string]string `json:"failed"` // enrolment id → French message
}

func (a *API) bulkEntries(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	var in struct {
		SessionID    int64         `json:"session_id"`
		EnrolmentIDs []int64       `json:"enrolment_ids"`
		Date         calendar.Date `json:"date"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	n, failed, err := svc.EnterAll(r.Context(), kairos.ActorFrom(r.Context()), in.SessionID, in.EnrolmentIDs, in.Date)
	if err != nil {
		return err
	}
	out := BulkResult{Declared: n, Failed: map[string]string{}}
	for id, e := range failed {
		out.Failed[strconv.FormatInt(id, 10)] = kairos.ErrorMessage(e)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) dashboard(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	sid, _ := strconv.ParseInt(r.URL.Query().Get("session_id"), 10, 64)
	d, err := svc.Dashboard(r.Context(), kairos.ActorFrom(r.Context()), sid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) portfolio(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	var afterName string
	var afterID int64
	if p.After != nil {
		ok := len(p.After) == 2
		if ok {
			afterName = p.After[0]
			afterID, ok = keyInt(p.After[1])
		}
		if !ok {
			return badCursor()
		}
	}
	list, err := svc.PortfolioPage(r.Context(), kairos.ActorFrom(r.Context()), afterName, afterID, p.Limit+1)
	if err != nil {
		return err
	}
	list, next := nextOf(list, p.Limit, func(x enrolment.Path) []string { return []string{x.Name, kInt(x.DemandeurID)} })
	return writeJSON(w, http.StatusOK, PortfolioPage{Items: list, Next: next})
}

// PortfolioPage is a page of the agence's job seekers, by name, with their paths.
type PortfolioPage struct {
	Items []enrolment.Path `json:"items"`
	Next  string           `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) punctuality(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	var afterName string
	var afterID int64
	if p.After != nil {
		ok := len(p.After) == 2
		if ok {
			afterName = p.After[0]
			afterID, ok = keyInt(p.After[1])
		}
		if !ok {
			return badCursor()
		}
	}
	list, err := svc.PunctualityPage(r.Context(), kairos.ActorFrom(r.Context()), afterName, afterID, p.Limit+1)
	if err != nil {
		return err
	}
	list, next := nextOf(list, p.Limit, func(x enrolment.Punctuality) []string { return []string{x.OrgName, kInt(x.OrgID)} })
	return writeJSON(w, http.StatusOK, PunctualityPage{Items: list, Next: next})
}

// PunctualityPage is a page of the OFs' punctuality, by name.
type PunctualityPage struct {
	Items []enrolment.Punctuality `json:"items"`
	Next  string                  `json:"next,omitempty"` // pass as ?after= for the next page
}
