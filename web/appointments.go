package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/appointments"
	"kairos/catalogue"
)

// Appointment pages (issue 5): the OF's appointments, participants and
// attendance form, « à compléter » list, calendar and feed; the job seeker's
// and the counsellor's views. The rules live in routes.go, the transitions
// in appointments.Participation and appointments.Outcome.

type rdvListPage struct {
	Upcoming, Past []rdvListRow
	ToComplete     int
	PastPager      ListPager
	Q              ListQuery
	States         []struct{ Value, Label string }
}

// rdvListRow is an appointment of the list with its state now: annulé,
// terminé, en cours, complet or ouvert.
type rdvListRow struct {
	appointments.Appointment
	State, Badge string
}

func rdvRows(list []appointments.Appointment, now time.Time) []rdvListRow {
	out := make([]rdvListRow, len(list))
	for i, x := range list {
		r := rdvListRow{Appointment: x}
		switch {
		case x.Cancelled():
			r.State, r.Badge = "Annulé", "error"
		case !now.Before(x.EndsAt):
			r.State, r.Badge = "Terminé", "info"
		case !now.Before(x.StartsAt):
			r.State, r.Badge = "En cours", "new"
		case x.Full():
			r.State, r.Badge = "Complet", "warning"
		default:
			r.State, r.Badge = "Ouvert", "success"
		}
		out[i] = r
	}
	return out
}

// rdvListSpec: the OF's appointments, searched (title, place), filtered by
// kind and state, the past ones paginated, exported as CSV.
var rdvListSpec = ListSpec{
	Path: "/rendez-vous",
	Filters: map[string][]string{
		"type": {appointments.KindCollectif, appointments.KindIndividuel},
		"etat": {"ouvert", "complet", "en-cours", "termine", "annule"},
	},
}

// rdvStates are the values of the « État » filter with their labels.
var rdvStates = []struct{ Value, Label string }{
	{"ouvert", "Ouvert"}, {"complet", "Complet"}, {"en-cours", "En cours"}, {"termine", "Terminé"}, {"annule", "Annulé"},
}

// rdvMatch tells whether a row passes the search and the filters of lq.
func rdvMatch(lq ListQuery, x rdvListRow) bool {
	if k := lq.Get("type"); k != "" && x.Kind != k {
		return false
	}
	if st := lq.Get("etat"); st != "" {
		for _, c := range rdvStates {
			if c.Value == st && c.Label != x.State {
				return false
			}
		}
	}
	if lq.Q != "" {
		hay := catalogue.Fold(x.Title + " " + x.Place + " " + x.KindLabel())
		for _, w := range strings.Fields(catalogue.Fold(lq.Q)) {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

func rdvFilter(lq ListQuery, rows []rdvListRow) []rdvListRow {
	out := rows[:0:0]
	for _, x := range rows {
		if rdvMatch(lq, x) {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) rdvList(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, rdvListSpec)
	up, past, todo, err := s.rdvSplit(r, lq)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(len(past))
	s.render(w, r, http.StatusOK, "rdvlist", rdvListPage{Upcoming: up, Past: Window(past, pg), PastPager: pg, ToComplete: todo, Q: lq, States: rdvStates})
}

// rdvExport is the CSV of the appointments the list shows with its filters
// (upcoming and of the last three months).
func (s *Server) rdvExport(w http.ResponseWriter, r *http.Request) {
	up, past, _, err := s.rdvSplit(r, ParseList(r, rdvListSpec))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "rendez-vous.csv")
	c.Row("Date", "Horaire", "Intitulé", "Type", "Lieu", "Inscrits", "Places", "Liste d'attente", "État", "Numéro")
	for _, x := range append(up, past...) {
		c.Row(x.DateShort(), x.Hours(), x.Title, x.KindLabel(), x.Place, strconv.Itoa(x.SeatsTaken), strconv.Itoa(x.Capacity), strconv.Itoa(x.Waiting), x.State, strconv.FormatInt(x.ID, 10))
	}
	if err := c.Close(); err != nil {
		s.Log.Error("rendez-vous: csv", "err", err)
	}
}

// rdvSplit reads the OF's appointments: upcoming (and in progress), and
// those of the last three months, newest first, both filtered by lq; and
// how many past ones still have participants to note.
func (s *Server) rdvSplit(r *http.Request, lq ListQuery) (up, past []rdvListRow, todo int, err error) {
	a := kairos.ActorFrom(r.Context())
	now := s.now()
	// Upcoming and past are split at this instant (the end of each
	// appointment), not by date: this morning's session is past at noon.
	started, err := s.Appointments.List(r.Context(), a, appointments.Filter{From: now.AddDate(0, 0, -1), Cancelled: true})
	if err != nil {
		return nil, nil, 0, err
	}
	before, err := s.Appointments.List(r.Context(), a, appointments.Filter{From: now.AddDate(0, -3, 0), To: now, Cancelled: true})
	if err != nil {
		return nil, nil, 0, err
	}
	var upcoming, ended []appointments.Appointment
	for _, x := range started {
		if x.EndsAt.After(now) {
			upcoming = append(upcoming, x)
		}
	}
	for _, x := range before {
		if !x.EndsAt.After(now) {
			ended = append(ended, x)
		}
	}
	toComplete, err := s.Appointments.ToComplete(r.Context(), a)
	if err != nil {
		return nil, nil, 0, err
	}
	for i, j := 0, len(ended)-1; i < j; i, j = i+1, j-1 {
		ended[i], ended[j] = ended[j], ended[i]
	}
	return rdvFilter(lq, rdvRows(upcoming, now)), rdvFilter(lq, rdvRows(ended, now)), len(toComplete), nil
}

type rdvFormPage struct {
	Form     *Form
	Appt     *appointments.Appointment // nil: creation
	Copy     *appointments.Appointment // the appointment being duplicated
	Sessions []appointments.SessionRef
}

func (s *Server) rdvFormRender(w http.ResponseWriter, r *http.Request, status int, p rdvFormPage) {
	a := kairos.ActorFrom(r.Context())
	refs, err := s.Appointments.LinkableSessions(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Sessions = refs
	s.render(w, r, status, "rdvform", p)
}

func (s *Server) rdvNewForm(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	f.Values.Set("kind", appointments.KindCollectif)
	f.Values.Set("capacity", "12")
	f.Values.Set("start", "09:30")
	f.Values.Set("end", "11:00")
	s.rdvFormRender(w, r, http.StatusOK, rdvFormPage{Form: f})
}

func rdvInput(f *Form) appointments.Input {
	in := appointments.Input{Kind: f.Get("kind"), Title: f.Get("title"), Date: f.Get("date"), Start: f.Get("start"), End: f.Get("end"),
		Place: f.Get("place"), VideoURL: f.Get("video_url"), Comment: f.Values.Get("comment"), Deadline: f.Get("deadline")}
	in.Capacity, _ = strconv.Atoi(f.Get("capacity"))
	if f.Get("capacity") != "" && in.Capacity == 0 {
		in.Capacity = -1 // not a number: refused by validation
	}
	for _, v := range f.Values["sessions"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.SessionIDs = append(in.SessionIDs, id)
		}
	}
	return in
}

func (s *Server) rdvCreate(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	a := kairos.ActorFrom(r.Context())
	var from *appointments.Appointment // duplicated from (the form of /rendez-vous/{id}/dupliquer)
	if v := f.Get("copie_de"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			from, err = s.Appointments.Get(r.Context(), a, id)
		}
		if err != nil {
			s.errorPage(w, r, kairos.NotFound("Rendez-vous"))
			return
		}
	}
	x, err := s.Appointments.Create(r.Context(), a, rdvInput(f))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.rdvFormRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), rdvFormPage{Form: f, Copy: from})
		return
	}
	msg := "Rendez-vous créé. Les demandeurs d'emploi et leurs conseillers peuvent s'y inscrire."
	if from != nil {
		msg = "Rendez-vous dupliqué : « " + x.Title + " » a lieu le " + x.Day() + ", " + x.Hours() + ". Les demandeurs d'emploi et leurs conseillers peuvent s'y inscrire."
	}
	s.redirect(w, r, "/rendez-vous/"+itoa(x.ID), &Flash{"success", msg})
}

// rdvDuplicateForm is the creation form pre-filled with an appointment's
// details, a week later (or the next such day still ahead).
func (s *Server) rdvDuplicateForm(w http.ResponseWriter, r *http.Request) {
	x, ok := s.rdvLoad(w, r)
	if !ok {
		return
	}
	in := s.Appointments.DuplicateInput(x)
	f := NewForm(nil)
	v := f.Values
	v.Set("kind", in.Kind)
	v.Set("title", in.Title)
	v.Set("date", in.Date)
	v.Set("start", in.Start)
	v.Set("end", in.End)
	v.Set("place", in.Place)
	v.Set("video_url", in.VideoURL)
	v.Set("capacity", strconv.Itoa(in.Capacity))
	v.Set("comment", in.Comment)
	v.Set("deadline", in.Deadline)
	for _, id := range in.SessionIDs {
		v.Add("sessions", strconv.FormatInt(id, 10))
	}
	s.rdvFormRender(w, r, http.StatusOK, rdvFormPage{Form: f, Copy: x})
}

// rdvSignInSheet serves the appointment's sign-in sheet (PDF).
func (s *Server) rdvSignInSheet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	name, pdf, err := s.Appointments.SignInSheet(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	servePDF(w, name, pdf)
}

func servePDF(w http.ResponseWriter, name string, pdf []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

func (s *Server) rdvLoad(w http.ResponseWriter, r *http.Request) (*appointments.Appointment, bool) {
	id, err := pathID(r)
	if err == nil {
		var x *appointments.Appointment
		x, err = s.Appointments.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
		if err == nil {
			return x, true
		}
	}
	s.errorPage(w, r, err)
	return nil, false
}

func (s *Server) rdvEditForm(w http.ResponseWriter, r *http.Request) {
	x, ok := s.rdvLoad(w, r)
	if !ok {
		return
	}
	f := NewForm(nil)
	v := f.Values
	v.Set("kind", x.Kind)
	v.Set("title", x.Title)
	v.Set("date", x.StartsAt.In(appointments.Paris).Format("2006-01-02"))
	v.Set("start", x.StartsAt.In(appointments.Paris).Format("15:04"))
	v.Set("end", x.EndsAt.In(appointments.Paris).Format("15:04"))
	v.Set("place", x.Place)
	v.Set("video_url", x.VideoURL)
	v.Set("capacity", strconv.Itoa(x.Capacity))
	v.Set("comment", x.Comment)
	if x.Deadline != nil {
		v.Set("deadline", x.Deadline.In(appointments.Paris).Format("2006-01-02T15:04"))
	}
	for _, ref := range x.Sessions {
		v.Add("sessions", strconv.FormatInt(ref.ID, 10))
	}
	s.rdvFormRender(w, r, http.StatusOK, rdvFormPage{Form: f, Appt: x})
}

func (s *Server) rdvUpdate(w http.ResponseWriter, r *http.Request) {
	x, ok := s.rdvLoad(w, r)
	if !ok {
		return
	}
	f := NewForm(r)
	_, err := s.Appointments.Update(r.Context(), kairos.ActorFrom(r.Context()), x.ID, rdvInput(f))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.rdvFormRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), rdvFormPage{Form: f, Appt: x})
		return
	}
	s.redirect(w, r, "/rendez-vous/"+itoa(x.ID), &Flash{"success", "Rendez-vous enregistré. Si la date, l'heure ou le lieu ont changé, les inscrits ont reçu une invitation mise à jour."})
}

// rdvRow is one line of the attendance form.
type rdvRow struct {
	P       appointments.Participant
	Options []appointments.Transition // attendance options besides the current state
	Error   string
	Status  string // value to show as selected (the submitted one after an error)
	Result  string
	Motif   string
}

type rdvShowPage struct {
	Appt      *appointments.Appointment
	Rows      []rdvRow
	Others    []appointments.Participant // unregistered or cancelled
	Results   []appointments.Transition
	Form      *Form // cancellation form
	Record    *Form // attendance form (its message)
	Started   bool
	Past      bool
	CanRecord bool
	// CanPropose offers « Proposer l'inscription » for retained candidates (training path).
	CanPropose bool
}

func (s *Server) rdvShowRender(w http.ResponseWriter, r *http.Request, status int, x *appointments.Appointment, cancel, record *Form) {
	a := kairos.ActorFrom(r.Context())
	ps, err := s.Appointments.Participants(r.Context(), a, x.ID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	now := s.now()
	if cancel == nil {
		cancel = NewForm(nil)
	}
	if record == nil {
		record = NewForm(nil)
	}
	p := rdvShowPage{Appt: x, Results: appointments.Outcome, Form: cancel, Record: record, Started: !now.Before(x.StartsAt), Past: !now.Before(x.EndsAt),
		CanPropose: s.Enrolment != nil && a.Can(kairos.HabCandidatures)}
	for _, pt := range ps {
		switch pt.Status {
		case appointments.StDesinscrit, appointments.StAnnule:
			p.Others = append(p.Others, pt)
			continue
		}
		key := "p" + strconv.FormatInt(pt.ID, 10)
		row := rdvRow{P: pt, Options: appointments.Allowed(appointments.Participation, pt.Status, a, appointments.Cond{Now: now, Appt: x}),
			Error: record.Errors[key], Status: pt.Status, Result: pt.Result, Motif: pt.Motif}
		if record.Values.Has("status_" + key) {
			row.Status, row.Result, row.Motif = record.Get("status_"+key), record.Get("result_"+key), record.Get("motif_"+key)
		}
		if len(row.Options) > 0 {
			p.CanRecord = true
		}
		p.Rows = append(p.Rows, row)
	}
	s.render(w, r, status, "rdvshow", p)
}

func (s *Server) rdvShow(w http.ResponseWriter, r *http.Request) {
	if x, ok := s.rdvLoad(w, r); ok {
		s.rdvShowRender(w, r, http.StatusOK, x, nil, nil)
	}
}

func (s *Server) rdvCancel(w http.ResponseWriter, r *http.Request) {
	x, ok := s.rdvLoad(w, r)
	if !ok {
		return
	}
	f := NewForm(r)
	_, err := s.Appointments.Cancel(r.Context(), kairos.ActorFrom(r.Context()), x.ID, f.Get("reason"))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.rdvShowRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), x, f, nil)
		return
	}
	s.redirect(w, r, "/rendez-vous/"+itoa(x.ID), &Flash{"success", "Rendez-vous annulé. Les inscrits ont reçu le motif et l'annulation pour leur agenda."})
}

// rdvRecord records the attendance (and results) of the whole list at once.
func (s *Server) rdvRecord(w http.ResponseWriter, r *http.Request) {
	x, ok := s.rdvLoad(w, r)
	if !ok {
		return
	}
	f := NewForm(r)
	var entries []appointments.Entry
	for _, v := range f.Values["participant"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		key := "p" + v
		st := f.Get("status_" + key)
		if f.Get("tous") == appointments.StPresent && st == appointments.StInscrit {
			st = appointments.StPresent // « Tous présents »: whoever is not noted yet
		}
		entries = append(entries, appointments.Entry{ParticipantID: id, Status: st, Result: f.Get("result_" + key), Motif: f.Get("motif_" + key)})
	}
	n, err := s.Appointments.Record(r.Context(), kairos.ActorFrom(r.Context()), x.ID, entries)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.rdvShowRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), x, nil, f)
		return
	}
	msg := "Aucun changement."
	if n > 0 {
		msg = strconv.Itoa(n) + " participant" + plural(n) + " mis à jour."
	}
	s.redirect(w, r, "/rendez-vous/"+itoa(x.ID)+"#participants", &Flash{"success", msg})
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

func (s *Server) rdvToComplete(w http.ResponseWriter, r *http.Request) {
	list, err := s.Appointments.ToComplete(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "rdvtodo", list)
}

// Calendar views: a week as a list of days, a month as a table.

type calDay struct {
	Date    time.Time
	Label   string
	InMonth bool
	Today   bool
	Items   []appointments.Appointment
}

type rdvCalendarPage struct {
	Month           bool
	Title           string
	Days            []calDay
	Weeks           [][]calDay
	Prev, Next, Now string
	Switch          string
	Empty           bool
}

func (s *Server) rdvCalendar(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	month := q.Get("vue") == "mois"
	today := s.now().In(appointments.Paris)
	day, err := time.ParseInLocation("2006-01-02", q.Get("date"), appointments.Paris)
	if err != nil {
		day = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, appointments.Paris)
	}
	var from, to time.Time
	p := rdvCalendarPage{Month: month}
	view := "semaine"
	if month {
		view = "mois"
		first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, appointments.Paris)
		from = first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7)) // the Monday of the first week
		last := first.AddDate(0, 1, 0)
		to = last.AddDate(0, 0, (7-(int(last.Weekday())+6)%7)%7)
		p.Title = strings.ToUpper(appointments.MonthName(first.Month())[:1]) + appointments.MonthName(first.Month())[1:] + " " + strconv.Itoa(first.Year())
		p.Prev = first.AddDate(0, -1, 0).Format("2006-01-02")
		p.Next = first.AddDate(0, 1, 0).Format("2006-01-02")
		p.Switch = "/rendez-vous/calendrier?vue=semaine&date=" + first.Format("2006-01-02")
	} else {
		from = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		to = from.AddDate(0, 0, 7)
		p.Title = "Semaine du " + appointments.FrenchDate(from)
		p.Prev = from.AddDate(0, 0, -7).Format("2006-01-02")
		p.Next = to.Format("2006-01-02")
		p.Switch = "/rendez-vous/calendrier?vue=mois&date=" + from.Format("2006-01-02")
	}
	p.Prev = "/rendez-vous/calendrier?vue=" + view + "&date=" + p.Prev
	p.Next = "/rendez-vous/calendrier?vue=" + view + "&date=" + p.Next
	p.Now = "/rendez-vous/calendrier?vue=" + view
	list, err := s.Appointments.List(r.Context(), kairos.ActorFrom(r.Context()), appointments.Filter{From: from, To: to, Cancelled: true, Limit: 500})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Empty = len(list) == 0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		cd := calDay{Date: d, Label: appointments.FrenchDate(d), InMonth: !month || d.Month() == day.Month(),
			Today: d.Year() == today.Year() && d.YearDay() == today.YearDay()}
		for _, x := range list {
			xs := x.StartsAt.In(appointments.Paris)
			if xs.Year() == d.Year() && xs.YearDay() == d.YearDay() {
				cd.Items = append(cd.Items, x)
			}
		}
		p.Days = append(p.Days, cd)
	}
	for i := 0; i+7 <= len(p.Days); i += 7 {
		p.Weeks = append(p.Weeks, p.Days[i:i+7])
	}
	s.render(w, r, http.StatusOK, "rdvcalendar", p)
}

type rdvFeedPage struct {
	Created *time.Time
	URL     string
}

func (s *Server) rdvFeedPage(w http.ResponseWriter, r *http.Request) {
	t, err := s.Appointments.FeedCreated(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "rdvfeed", rdvFeedPage{Created: t})
}

// rdvFeedRegenerate shows the new secret address once, on the page that
// answers the form (only its hash is stored).
func (s *Server) rdvFeedRegenerate(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	tok, err := s.Appointments.RegenerateFeed(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	t, err := s.Appointments.FeedCreated(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusCreated, "rdvfeed", rdvFeedPage{Created: t, URL: strings.TrimRight(s.Cfg.BaseURL, "/") + "/agenda/" + tok + ".ics"})
}

// rdvFeed serves an OF's calendar to calendar applications (no session: the
// address is the secret).
func (s *Server) rdvFeed(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimSuffix(r.PathValue("token"), ".ics")
	if !strings.HasPrefix(tok, appointments.FeedPrefix) {
		s.errorPage(w, r, kairos.NotFound("Agenda"))
		return
	}
	b, err := s.Appointments.Feed(r.Context(), tok)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(b)
}

// Job seekers and counsellors.

type rdvItemRow struct {
	appointments.Item
	CanLeave bool
}

type rdvMinePage struct {
	Upcoming, Past []rdvItemRow
	Open           []appointments.Appointment
}

func (s *Server) splitItems(a *kairos.Actor, items []appointments.Item) (up, past []rdvItemRow) {
	now := s.now()
	for _, it := range items {
		row := rdvItemRow{Item: it}
		_, err := appointments.Check(appointments.Participation, "desinscrire", it.Status, a, appointments.Cond{Now: now, Appt: &it.Appt})
		row.CanLeave = err == nil
		if it.Appt.EndsAt.After(now) {
			up = append([]rdvItemRow{row}, up...) // soonest first
		} else {
			past = append(past, row)
		}
	}
	return up, past
}

func (s *Server) rdvMine(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	items, err := s.Appointments.ForDemandeur(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	open, err := s.Appointments.Open(r.Context(), 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := rdvMinePage{Open: open}
	p.Upcoming, p.Past = s.splitItems(a, items)
	s.render(w, r, http.StatusOK, "rdvmine", p)
}

func (s *Server) rdvCounsellor(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	items, err := s.Appointments.ForConseiller(r.Context(), a)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	open, err := s.Appointments.Open(r.Context(), 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := rdvMinePage{Open: open}
	p.Upcoming, p.Past = s.splitItems(a, items)
	s.render(w, r, http.StatusOK, "rdvcounsellor", p)
}

type rdvPublicPage struct {
	Appt      *appointments.Appointment
	Mine      *appointments.Participant // job seeker: his participation
	CanJoin   bool
	CanLeave  bool
	Closed    string                     // why registration is closed
	Agence    []appointments.Participant // counsellor: his agence's participants
	Portfolio []appointments.Demandeur   // counsellor: whom he may register
	Form      *Form
}

func (s *Server) rdvPublicRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	x, err := s.Appointments.Public(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
	}
	p := rdvPublicPage{Appt: x, Form: f}
	now := s.now()
	c := appointments.Cond{Now: now, Appt: x}
	from := ""
	if a.Role == kairos.RoleDemandeur {
		if p.Mine, err = s.Appointments.Mine(r.Context(), a, id); err != nil {
			s.errorPage(w, r, err)
			return
		}
		if p.Mine != nil {
			from = p.Mine.Status
			_, err := appointments.Check(appointments.Participation, "desinscrire", from, a, c)
			p.CanLeave = err == nil
		}
	} else {
		if p.Agence, err = s.Appointments.OfAgence(r.Context(), a, id); err != nil {
			s.errorPage(w, r, err)
			return
		}
		if p.Portfolio, err = s.Appointments.Demandeurs(r.Context(), a); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	if _, err := appointments.Check(appointments.Participation, "inscrire", from, a, c); err == nil {
		p.CanJoin = true
	} else if from == "" || from == appointments.StDesinscrit {
		p.Closed = kairos.ErrorMessage(err)
	}
	s.render(w, r, status, "rdvpublic", p)
}

func (s *Server) rdvPublic(w http.ResponseWriter, r *http.Request) {
	s.rdvPublicRender(w, r, http.StatusOK, nil)
}

func (s *Server) rdvRegister(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	f := NewForm(r)
	de := a.UserID
	if a.Role == kairos.RoleConseiller {
		de, _ = strconv.ParseInt(f.Get("demandeur"), 10, 64)
		if de == 0 {
			f.Errors["demandeur"] = "Choisissez le demandeur d'emploi à inscrire."
			f.Message = "Le formulaire contient des erreurs."
			s.rdvPublicRender(w, r, http.StatusUnprocessableEntity, f)
			return
		}
	}
	p, err := s.Appointments.Register(r.Context(), a, id, de)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.rdvPublicRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	msg := "Vous êtes inscrit(e). La convocation, avec l'invitation pour votre agenda, vous est envoyée par courriel."
	if a.Role == kairos.RoleConseiller {
		msg = p.Name + " est inscrit(e) et reçoit sa convocation par courriel."
	}
	if p.Status == appointments.StEnAttente {
		msg = "Le rendez-vous est complet : vous êtes sur la liste d'attente. Une place libérée est attribuée dans l'ordre d'inscription."
		if a.Role == kairos.RoleConseiller {
			msg = "Le rendez-vous est complet : " + p.Name + " est sur la liste d'attente. Une place libérée est attribuée dans l'ordre d'inscription."
		}
	}
	s.redirect(w, r, "/rendez-vous-proposes/"+itoa(id), &Flash{"success", msg})
}

func (s *Server) rdvUnregister(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	back := localPath(r.PostFormValue("retour"))
	if back == "" {
		back = "/accueil"
	}
	_, err = s.Appointments.Unregister(r.Context(), kairos.ActorFrom(r.Context()), id)
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, back, &Flash{"success", "Désinscription enregistrée : la place est libérée."})
	case kairos.EConflict, kairos.EInvalid:
		s.redirect(w, r, back, &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
