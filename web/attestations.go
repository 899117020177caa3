package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kairos"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
)

// Monthly attendance attestations (issue 7): the OF's « Attestations du
// mois » (one form per session, attested in one action), one attestation's
// history and rectification, France Travail's follow-up and export.

var (
	ofAssid = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabAssiduite}
	ftPay   = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleFTComptable}}
)

// figureNames are the four figures, in the order of the form.
var figureNames = []string{attendance.FieldPlanned, attendance.FieldAttended, attendance.FieldJustified, attendance.FieldUnjustified}

type attRow struct {
	*attestations.Attestation
	Inputs []attInput // the four figures, editable while a_saisir
	Error  string
}

type attInput struct {
	Name, Label, Value, Error string
}

type attSession struct {
	ID      int64
	Title   string
	Rows    []attRow
	ToDo    int
	Waiting int    // still to attest, the month not lived yet
	Week    string // hours per week, "35"
	DaysOff string // days off, "2026-05-08 2026-05-15"
	// DaysOffList holds the days off (AAAA-MM-JJ, for date inputs) and
	// DaysOffFrench the same in French (jj/mm/aaaa).
	DaysOffList   []string
	DaysOffFrench string
}

type attPage struct {
	Month    calendar.Month
	Due      calendar.Date
	Overdue  bool
	Sessions []attSession
	ToDo     int
	Message  string
	Session  int64 // session whose form failed
	// Open tells whether the month has been lived (its last day has come);
	// OpensOn is that day. Current is today's month and CurrentOpensOn its last day.
	Open           bool
	OpensOn        calendar.Date
	Current        calendar.Month
	CurrentOpensOn calendar.Date
	// Earlier is the month before Month when it still has attestations to do.
	Earlier     calendar.Month
	EarlierToDo int
	Today       calendar.Date // the sign-in sheet's default day
}

var figureLabels = map[string]string{
	attendance.FieldPlanned:     "Heures prévues",
	attendance.FieldAttended:    "Heures réalisées",
	attendance.FieldJustified:   "Absences justifiées",
	attendance.FieldUnjustified: "Absences injustifiées",
}

func figureOf(f attendance.Figures, name string) attendance.Minutes {
	switch name {
	case attendance.FieldPlanned:
		return f.Planned
	case attendance.FieldAttended:
		return f.Attended
	case attendance.FieldJustified:
		return f.Justified
	}
	return f.Unjustified
}

func monthParam(r *http.Request, f *Form, def calendar.Month) calendar.Month {
	v := r.URL.Query().Get("mois")
	if f != nil && f.Get("mois") != "" {
		v = f.Get("mois")
	}
	if m, err := calendar.ParseMonth(v); err == nil && !m.IsZero() {
		return m
	}
	return def
}

func (s *Server) attestationsPage(w http.ResponseWriter, r *http.Request) {
	s.attestationsRender(w, r, http.StatusOK, nil, 0, nil)
}

// attestationsRender shows the month; f and errs (by enrolment id) carry a
// failed submission of session sid.
func (s *Server) attestationsRender(w http.ResponseWriter, r *http.Request, status int, f *Form, sid int64, errs map[int64]error) {
	a := kairos.ActorFrom(r.Context())
	def, _, _, err := s.Attestations.Pending(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	m := monthParam(r, f, def)
	list, err := s.Attestations.Month(r.Context(), a, m, 0)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	today := s.Attestations.Today()
	p := attPage{Month: m, Due: s.Attestations.Due.Date(m), Overdue: s.Attestations.IsOverdue(m), Session: sid,
		Open: m.Last() <= today, OpensOn: m.Last(), Current: calendar.MonthOf(today), CurrentOpensOn: s.Attestations.CurrentOpensOn(), Today: today}
	if prev := m.AddMonths(-1); m <= p.Current {
		if n, err := s.Attestations.ToDo(r.Context(), a, prev); err == nil && n > 0 {
			p.Earlier, p.EarlierToDo = prev, n
		}
	}
	for _, g := range attestations.Sessions(list) {
		as := attSession{ID: g.ID, Title: g.Title, ToDo: g.ToDo}
		sc, err := s.Attestations.ScheduleOf(r.Context(), a, g.ID)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		as.Week = sc.Week.Decimal()
		var days, french []string
		for _, d := range sc.DaysOff {
			days = append(days, d.String())
			french = append(french, d.French())
		}
		as.DaysOff = strings.Join(days, " ")
		as.DaysOffList = days
		as.DaysOffFrench = strings.Join(french, ", ")
		for _, x := range g.List {
			row := attRow{Attestation: x}
			if x.State == attestations.StASaisir && !x.Open {
				as.Waiting++
			}
			if e := errs[x.EnrolmentID]; e != nil {
				row.Error = kairos.ErrorMessage(e)
			}
			for _, n := range figureNames {
				in := attInput{Name: "h-" + itoa(x.EnrolmentID) + "-" + n, Label: figureLabels[n], Value: figureOf(x.Figures, n).Decimal()}
				if f != nil && g.ID == sid && f.Values.Has(in.Name) {
					in.Value = f.Get(in.Name)
				}
				if e := errs[x.EnrolmentID]; e != nil {
					in.Error = kairos.FieldErrors(e)[n]
				}
				row.Inputs = append(row.Inputs, in)
			}
			as.Rows = append(as.Rows, row)
		}
		p.ToDo += g.ToDo
		p.Sessions = append(p.Sessions, as)
	}
	if f != nil {
		p.Message = f.Message
	}
	s.render(w, r, status, "attestations", p)
}

// attestSession attests in one action the attestations still to attest of
// one session, with the figures of the form.
func (s *Server) attestSession(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	a := kairos.ActorFrom(r.Context())
	sid, _ := strconv.ParseInt(f.Get("session"), 10, 64)
	m, err := calendar.ParseMonth(f.Get("mois"))
	if err != nil || m.IsZero() {
		s.errorPage(w, r, kairos.Invalid(map[string]string{"mois": "Mois invalide."}))
		return
	}
	var items []attestations.Item
	errs := map[int64]error{}
	for _, v := range f.Values["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		var fig attendance.Figures
		fields := map[string]string{}
		for _, n := range figureNames {
			h, err := attendance.ParseHours(f.Get("h-" + v + "-" + n))
			if err != nil {
				fields[n] = "Saisissez un nombre d'heures, par exemple 7,5."
				continue
			}
			switch n {
			case attendance.FieldPlanned:
				fig.Planned = h
			case attendance.FieldAttended:
				fig.Attended = h
			case attendance.FieldJustified:
				fig.Justified = h
			default:
				fig.Unjustified = h
			}
		}
		if len(fields) > 0 {
			errs[id] = kairos.Invalid(fields)
			continue
		}
		items = append(items, attestations.Item{EnrolmentID: id, Figures: &fig})
	}
	if len(items) == 0 && len(errs) == 0 {
		s.redirect(w, r, "/attestations?mois="+m.String(), &Flash{"info", "Aucune attestation à faire pour cette session."})
		return
	}
	n := 0
	if len(items) > 0 {
		res, err := s.Attestations.Attest(r.Context(), a, m, items)
		if err != nil {
			if !f.Fail(err) {
				s.errorPage(w, r, err)
				return
			}
			s.attestationsRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f, sid, errs)
			return
		}
		for _, x := range res {
			if x.OK {
				n++
			} else {
				errs[x.EnrolmentID] = x.Err()
			}
		}
	}
	to := "/attestations?mois=" + m.String() + "#session-" + itoa(sid)
	if len(errs) > 0 {
		f.Message = strconv.Itoa(n) + " attestation" + plural(n) + " transmise" + plural(n) + " ; " + strconv.Itoa(len(errs)) + " à corriger (voir les lignes signalées)."
		s.attestationsRender(w, r, http.StatusUnprocessableEntity, f, sid, errs)
		return
	}
	s.redirect(w, r, to, &Flash{"success", strconv.Itoa(n) + " attestation" + plural(n) + " attestée" + plural(n) + " et transmise" + plural(n) + " à France Travail."})
}

type attDetailPage struct {
	X    *attestations.Attestation
	Form *Form
	Rows []attInput
}

func (s *Server) attestationShow(w http.ResponseWriter, r *http.Request) {
	s.attestationShowRender(w, r, http.StatusOK, nil)
}

func (s *Server) attestationShowRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	m := monthParam(r, f, s.Attestations.DefaultMonth())
	x, err := s.Attestations.Get(r.Context(), kairos.ActorFrom(r.Context()), id, m)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
	}
	p := attDetailPage{X: x, Form: f}
	src := x.Figures
	if x.ToRectify {
		src = x.Prefill // what the changed absences give
	}
	for _, n := range figureNames {
		in := attInput{Name: n, Label: figureLabels[n], Value: figureOf(src, n).Decimal(), Error: f.Errors[n]}
		if f.Values.Has(n) {
			in.Value = f.Get(n)
		}
		p.Rows = append(p.Rows, in)
	}
	s.render(w, r, status, "attestation", p)
}

// attestationRectify records a rectificative version.
func (s *Server) attestationRectify(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	m, err := calendar.ParseMonth(f.Get("mois"))
	if err != nil || m.IsZero() {
		s.errorPage(w, r, kairos.Invalid(map[string]string{"mois": "Mois invalide."}))
		return
	}
	var fig attendance.Figures
	for _, n := range figureNames {
		h, err := attendance.ParseHours(f.Get(n))
		if err != nil {
			f.Errors[n] = "Saisissez un nombre d'heures, par exemple 7,5."
		}
		switch n {
		case attendance.FieldPlanned:
			fig.Planned = h
		case attendance.FieldAttended:
			fig.Attended = h
		case attendance.FieldJustified:
			fig.Justified = h
		default:
			fig.Unjustified = h
		}
	}
	if len(f.Errors) == 0 {
		_, err = s.Attestations.Rectify(r.Context(), kairos.ActorFrom(r.Context()), m, id, fig, f.Get("reason"))
		if err == nil {
			s.redirect(w, r, "/attestations/"+itoa(id)+"?mois="+m.String(), &Flash{"success", "Attestation rectificative enregistrée et transmise à France Travail."})
			return
		}
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
	} else {
		f.Message = "Le formulaire contient des erreurs."
	}
	s.attestationShowRender(w, r, http.StatusUnprocessableEntity, f)
}

type attFollowPage struct {
	O      *attestations.Overview
	Region string
}

// attestationsFollow is France Travail's view: received, missing and late
// attestations of a month per region and agence.
func (s *Server) attestationsFollow(w http.ResponseWriter, r *http.Request) {
	m := monthParam(r, nil, s.Attestations.DefaultMonth())
	region := strings.TrimSpace(r.URL.Query().Get("region"))
	o, err := s.Attestations.Overview(r.Context(), kairos.ActorFrom(r.Context()), m, region)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "attestations-suivi", attFollowPage{O: o, Region: region})
}

// attestationsExport is the CSV export for the pay service.
func (s *Server) attestationsExport(w http.ResponseWriter, r *http.Request) {
	m := monthParam(r, nil, s.Attestations.DefaultMonth())
	var buf strings.Builder
	if err := s.Attestations.Export(r.Context(), kairos.ActorFrom(r.Context()), m, &buf); err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="attestations-`+m.String()+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(buf.String()))
}

// attestationSchedule sets a session's hours per week and days off, which
// the pre-fill of the attestations still to attest follows.
func (s *Server) attestationSchedule(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	sid, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	mois := f.Get("mois")
	to := "/attestations?mois=" + url.QueryEscape(mois) + "#session-" + itoa(sid)
	week, err := attendance.ParseHours(f.Get("week"))
	if err != nil {
		s.redirect(w, r, to, &Flash{"error", "Heures par semaine : saisissez un nombre d'heures, par exemple 35 ou 32,5."})
		return
	}
	var days []calendar.Date
	for _, v := range strings.FieldsFunc(strings.Join(f.Values["days_off"], " "), func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		d, err := calendar.ParseDate(v)
		if err != nil {
			s.redirect(w, r, to, &Flash{"error", "Jours sans formation : « " + v + " » n'est pas une date valide (jj/mm/aaaa)."})
			return
		}
		days = append(days, d)
	}
	if err := s.Attestations.SetSchedule(r.Context(), kairos.ActorFrom(r.Context()), attestations.Schedule{SessionID: sid, Week: week, DaysOff: days}); err != nil {
		if kairos.ErrorCode(err) == kairos.EInvalid {
			msg := kairos.ErrorMessage(err)
			for _, m := range kairos.FieldErrors(err) {
				msg = m
			}
			s.redirect(w, r, to, &Flash{"error", msg})
			return
		}
		s.errorPage(w, r, err)
		return
	}
	s.redirect(w, r, to, &Flash{"success", "Rythme de la session enregistré : les attestations à saisir sont pré-remplies en conséquence."})
}

// attestationSignInSheet serves the sign-in sheet of a session on a day
// (?jour=2026-05-12, the date input of the attestations page); a day that is
// not a training day goes back to the page with the reason.
func (s *Server) attestationSignInSheet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	v := strings.TrimSpace(r.URL.Query().Get("jour"))
	day, _ := calendar.ParseDate(v)
	name, pdf, err := s.Attestations.SignInSheet(r.Context(), kairos.ActorFrom(r.Context()), id, day)
	if kairos.ErrorCode(err) == kairos.EInvalid {
		back := "/attestations"
		if !day.IsZero() {
			back += "?mois=" + calendar.MonthOf(day).String()
		}
		s.redirect(w, r, back+"#titre-session-"+itoa(id), &Flash{"error", "Feuille d'émargement : " + kairos.FieldErrors(err)["jour"]})
		return
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	servePDF(w, name, pdf)
}
