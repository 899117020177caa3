package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/appointments"
)

// AppointmentDetail is an appointment with its participants.
type AppointmentDetail struct {
	*appointments.Appointment
	Participants []appointments.Participant `json:"participants"`
}

// AppointmentList is a list of appointments.
type AppointmentList struct {
	Items []appointments.Appointment `json:"items"`
	Next  string                     `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) appts() (*appointments.Service, error) {
	if a.Appointments == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Les rendez-vous ne sont pas disponibles sur cette instance.")
	}
	return a.Appointments, nil
}

// listAppointments lists the caller's appointments, by start (from/to: RFC 3339 or date).
func (a *API) listAppointments(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	f := appointments.Filter{Cancelled: r.URL.Query().Get("cancelled") != "false"}
	fields := map[string]string{}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		v := r.URL.Query().Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02", v, appointments.Paris)
		}
		if err != nil {
			fields[name] = "Date attendue (AAAA-MM-JJ ou RFC 3339)."
		}
		*dst = t
	}
	if len(fields) > 0 {
		return kairos.Invalid(fields)
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	if p.After != nil {
		ok := len(p.After) == 2
		if ok {
			f.AfterStart, ok = keyTime(p.After[0])
		}
		if ok {
			f.AfterID, ok = keyInt(p.After[1])
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
	list, next := nextOf(list, p.Limit, func(x appointments.Appointment) []string { return []string{kTime(x.StartsAt), kInt(x.ID)} })
	return writeJSON(w, http.StatusOK, AppointmentList{Items: list, Next: next})
}

func (a *API) createAppointment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	var in appointments.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.Create(r.Context(), kairos.ActorFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/appointments/"+strconv.FormatInt(x.ID, 10))
	return writeJSON(w, http.StatusCreated, AppointmentDetail{Appointment: x, Participants: []appointments.Participant{}})
}

func (a *API) appointmentDetail(w http.ResponseWriter, r *http.Request, svc *appointments.Service, id int64, status int) error {
	actor := kairos.ActorFrom(r.Context())
	x, err := svc.Get(r.Context(), actor, id)
	if err != nil {
		return err
	}
	ps, err := svc.Participants(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, status, AppointmentDetail{Appointment: x, Participants: ps})
}

func (a *API) getAppointment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Rendez-vous")
	if err != nil {
		return err
	}
	return a.appointmentDetail(w, r, svc, id, http.StatusOK)
}

func (a *API) cancelAppointment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Rendez-vous")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if _, err := svc.Cancel(r.Context(), kairos.ActorFrom(r.Context()), id, in.Reason); err != nil {
		return err
	}
	return a.appointmentDetail(w, r, svc, id, http.StatusOK)
}

// registerDemandeur registers a job seeker of the agence (API key of an FT
// agence), identified by his France Travail identifier.
func (a *API) registerDemandeur(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Rendez-vous")
	if err != nil {
		return err
	}
	var in struct {
		FTID string `json:"ft_id"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	actor := kairos.ActorFrom(r.Context())
	d, err := svc.DemandeurByFTID(r.Context(), actor, in.FTID)
	if err != nil {
		return err
	}
	p, err := svc.Register(r.Context(), actor, id, d.UserID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

// unregisterParticipant takes a participant off: "desinscrit" for an agence,
// "annule" for the OF.
func (a *API) unregisterParticipant(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Rendez-vous")
	if err != nil {
		return err
	}
	pid, err := pathInt(r, "pid", "Participant")
	if err != nil {
		return err
	}
	p, err := svc.UnregisterFrom(r.Context(), kairos.ActorFrom(r.Context()), id, pid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// AttendanceInput is the whole list of attendance and results at once.
type AttendanceInput struct {
	Items []appointments.Entry `json:"items"`
}

func (a *API) recordAttendance(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Rendez-vous")
	if err != nil {
		return err
	}
	var in AttendanceInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if _, err := svc.Record(r.Context(), kairos.ActorFrom(r.Context()), id, in.Items); err != nil {
		return err
	}
	return a.appointmentDetail(w, r, svc, id, http.StatusOK)
}

// updateAppointment replaces an appointment's details (the page's
// « Modifier » form): participants get an updated invitation when the date,
// the time or the place change.
func (a *API) updateAppointment(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Rendez-vous")
	if err != nil {
		return err
	}
	var in appointments.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if _, err := svc.Update(r.Context(), kairos.ActorFrom(r.Context()), id, in); err != nil {
		return err
	}
	return a.appointmentDetail(w, r, svc, id, http.StatusOK)
}

// CalendarFeed is the OF's secret calendar address, shown once.
type CalendarFeed struct {
	URL       string    `json:"url"`
	Path      string    `json:"path"`
	CreatedAt time.Time `json:"created_at"`
}

// regenerateCalendarFeed gives the OF a new secret calendar (ICS) address;
// the previous one stops working.
func (a *API) regenerateCalendarFeed(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.appts()
	if err != nil {
		return err
	}
	actor := kairos.ActorFrom(r.Context())
	tok, err := svc.RegenerateFeed(r.Context(), actor)
	if err != nil {
		return err
	}
	t, err := svc.FeedCreated(r.Context(), actor)
	if err != nil {
		return err
	}
	out := CalendarFeed{Path: "/agenda/" + tok + ".ics"}
	out.URL = strings.TrimRight(svc.BaseURL, "/") + out.Path
	if t != nil {
		out.CreatedAt = t.UTC()
	}
	return writeJSON(w, http.StatusCreated, out)
}
