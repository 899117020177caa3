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
	Next  int64                 `json:"next,omitempty"` // pass as "after" for the next page
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
	f.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	list, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := EnrolmentList{Items: list}
	if lim := f.Limit; len(list) > 0 && (len(list) == lim || (lim <= 0 || lim > 500) && len(list) == 100) {
		out.Next = list[len(list)-1].ID
	}
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
	list, err := svc.Portfolio(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		return err
	}
	if list == nil {
		list = []enrolment.Path{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *API) punctuality(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.path()
	if err != nil {
		return err
	}
	list, err := svc.PunctualityByOF(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
