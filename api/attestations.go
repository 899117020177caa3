package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"kairos"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
)

var (
	ofAssid = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabAssiduite}
	ftPay   = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleFTComptable}}
)

// AttestationMonth is the OF's attestations of a month.
type AttestationMonth struct {
	Month   calendar.Month              `json:"month"`
	Due     calendar.Date               `json:"due_on"`
	Overdue bool                        `json:"overdue"`
	Items   []*attestations.Attestation `json:"items"`
	Next    string                      `json:"next,omitempty"` // pass as ?after= (with the same month) for the next page
}

// AttestRequest attests many attestations of one month.
type AttestRequest struct {
	Month calendar.Month      `json:"month"`
	Items []attestations.Item `json:"items"`
}

// AttestResponse has one result per item, in order.
type AttestResponse struct {
	Attested int                   `json:"attested"`
	Failed   int                   `json:"failed"`
	Results  []attestations.Result `json:"results"`
}

// RectifyRequest is a rectificative.
type RectifyRequest struct {
	Month   calendar.Month     `json:"month"`
	Figures attestations.Hours `json:"figures"`
	Reason  string             `json:"reason"`
}

func (a *API) attestationsSvc() (*attestations.Service, error) {
	if a.Attestations == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Les attestations de présence ne sont pas disponibles sur cette instance.")
	}
	return a.Attestations, nil
}

func monthQuery(r *http.Request, def calendar.Month) (calendar.Month, error) {
	v := r.URL.Query().Get("month")
	if v == "" {
		return def, nil
	}
	m, err := calendar.ParseMonth(v)
	if err != nil || m.IsZero() {
		return 0, kairos.Invalid(map[string]string{"month": "Indiquez le mois au format AAAA-MM."})
	}
	return m, nil
}

func (a *API) listAttestations(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	m, err := monthQuery(r, svc.DefaultMonth())
	if err != nil {
		return err
	}
	var sid int64
	if v := r.URL.Query().Get("session_id"); v != "" {
		if err := json.Unmarshal([]byte(v), &sid); err != nil {
			return kairos.Invalid(map[string]string{"session_id": "Numéro de session invalide."})
		}
	}
	p, err := readPage(r, pageMax)
	if err != nil {
		return err
	}
	// The month is computed whole (each attestation is pre-filled from the
	// enrolment's movements and absences): cut here, by session then enrolment.
	list, err := svc.Month(r.Context(), kairos.ActorFrom(r.Context()), m, sid)
	if err != nil {
		return err
	}
	out := AttestationMonth{Month: m, Due: svc.Due.Date(m), Overdue: svc.IsOverdue(m)}
	if out.Items, out.Next, err = pageOf(p, list, false, func(x *attestations.Attestation) []string { return []string{kInt(x.SessionID), kInt(x.EnrolmentID)} }); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// attest attests one or many attestations; each is atomic on its own, and
// the answer reports each one (200 even if some failed).
func (a *API) attest(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	var in AttestRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return kairos.Errorf(kairos.EInvalid, "Corps de requête JSON invalide : %s.", err.Error())
	}
	if len(in.Items) == 0 {
		return kairos.Invalid(map[string]string{"items": "Indiquez au moins une attestation."})
	}
	res, err := svc.Attest(r.Context(), kairos.ActorFrom(r.Context()), in.Month, in.Items)
	if err != nil {
		return err
	}
	out := AttestResponse{Results: res}
	for _, x := range res {
		if x.OK {
			out.Attested++
		} else {
			out.Failed++
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getAttestation(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Attestation")
	if err != nil {
		return err
	}
	m, err := monthQuery(r, svc.DefaultMonth())
	if err != nil {
		return err
	}
	x, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id, m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x)
}

func (a *API) rectifyAttestation(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Attestation")
	if err != nil {
		return err
	}
	var in RectifyRequest
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.Rectify(r.Context(), kairos.ActorFrom(r.Context()), in.Month, id, in.Figures.Figures(), in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, x)
}

func (a *API) attestationsOverview(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	m, err := monthQuery(r, svc.DefaultMonth())
	if err != nil {
		return err
	}
	o, err := svc.Overview(r.Context(), kairos.ActorFrom(r.Context()), m, strings.TrimSpace(r.URL.Query().Get("region")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (a *API) attestationsCSV(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	m, err := monthQuery(r, svc.DefaultMonth())
	if err != nil {
		return err
	}
	var buf strings.Builder
	if err := svc.Export(r.Context(), kairos.ActorFrom(r.Context()), m, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="attestations-`+m.String()+`.csv"`)
	_, err = io.WriteString(w, buf.String())
	return err
}

// ScheduleInput is the rhythm of a session: its hours per week (in minutes,
// a multiple of 15) and its days off (dates AAAA-MM-JJ).
type ScheduleInput struct {
	WeekMinutes attendance.Minutes `json:"week_minutes"`
	DaysOff     []calendar.Date    `json:"days_off"`
}

// getSchedule returns the rhythm of one of the OF's sessions.
func (a *API) getSchedule(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Session")
	if err != nil {
		return err
	}
	sc, err := svc.ScheduleOf(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

// putSchedule sets the rhythm of one of the OF's sessions (the page's
// « Rythme de la session »): the attestations to fill are pre-filled from it.
func (a *API) putSchedule(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.attestationsSvc()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Session")
	if err != nil {
		return err
	}
	var in ScheduleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	actor := kairos.ActorFrom(r.Context())
	if err := svc.SetSchedule(r.Context(), actor, attestations.Schedule{SessionID: id, Week: in.WeekMinutes, DaysOff: in.DaysOff}); err != nil {
		return err
	}
	sc, err := svc.ScheduleOf(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}
