package web

import (
	"context"
	"crypto/rand"
	"html/template"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"kairos"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/enrolment"
)

// Training path pages: the OF's dashboard, an enrolment and its actions,
// proposals, the counsellor's portfolio and the job seeker's « Mon parcours ».

type dashboardPage struct {
	*dashData
	Session int64
	Bulk    []enrolment.Enrolment // trainees of the selected session whose entry is to declare
	Form    *Form
	// Sections shown by the actor's habilitations: appointments to
	// complete (rdv), attestations to do (issue 7, assiduite), assessments
	// to write (issue 13, bilan).
	ShowRDV, ShowAttestations, ShowBilans bool
	// The whole lists behind the short ones, with the same session filter.
	DueURL, InterruptedURL, ProposedURL string
	// The page's parts made of the organisation's data (templates
	// dashboard-top and dashboard-bottom), rendered once per cached
	// dashboard with csrfSlot for the CSRF token, then the request's token.
	top, bottom         string
	TopHTML, BottomHTML template.HTML
}

// fillCSRF puts the request's CSRF token in the cached parts (render).
func (p dashboardPage) fillCSRF(token string) any {
	tok := template.HTMLEscapeString(token)
	p.TopHTML, p.BottomHTML = template.HTML(strings.ReplaceAll(p.top, csrfSlot, tok)), template.HTML(strings.ReplaceAll(p.bottom, csrfSlot, tok))
	return p
}

// csrfSlot stands for the CSRF token in HTML rendered for every user of an
// organisation; random, so that no data can carry it.
var csrfSlot = "csrf-" + rand.Text()

// dashboardTop is how many items each list of the dashboard shows, the most
// urgent first; each links to its whole list.
const dashboardTop = 10

// dashData is what the dashboard reads from the database: the
// organisation's, cached (dashCache) for every user who may see the same
// sections.
type dashData struct {
	D           *enrolment.Dashboard
	ToComplete  []appointments.Appointment // at most dashboardTop
	ToCompleteN int
	AttestMonth calendar.Month
	AttestToDo  int
	// AttestOverdue: the month's attestations are late.
	AttestOverdue bool
	Bilans        []assessments.Assessment // at most dashboardTop, the most overdue first
	BilansN       int
	BilansLate    int

	html struct { // the parts of the page, once per dashData
		once        sync.Once
		top, bottom string
		err         error
	}
}

// dashboardHTML renders (once per cached dashboard) the parts of the page
// made of p's data; they depend on nothing else (dashKey).
func (s *Server) dashboardHTML(p *dashboardPage) error {
	h := &p.dashData.html
	h.once.Do(func() {
		t := s.pages["dashboard"]
		v := view{Data: *p, CSRF: csrfSlot}
		var top, bottom strings.Builder
		if h.err = t.ExecuteTemplate(&top, "dashboard-top", v); h.err == nil {
			h.err = t.ExecuteTemplate(&bottom, "dashboard-bottom", v)
		}
		h.top, h.bottom = top.String(), bottom.String()
	})
	p.top, p.bottom = h.top, h.bottom
	return h.err
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	s.dashboardRender(w, r, http.StatusOK, nil)
}

func (s *Server) dashboardRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	a := kairos.ActorFrom(r.Context())
	sid, _ := strconv.ParseInt(r.URL.Query().Get("session"), 10, 64)
	if f != nil {
		sid, _ = strconv.ParseInt(f.Get("session"), 10, 64)
	} else {
		f = NewForm(nil)
	}
	if sid < 0 {
		sid = 0
	}
	if err := kairos.Authorize(a, ofCand); err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := dashboardPage{Session: sid, Form: f,
		ShowRDV:          s.Appointments != nil && kairos.Authorize(a, ofRDV) == nil,
		ShowAttestations: s.Attestations != nil && kairos.Authorize(a, ofAssid) == nil,
		ShowBilans:       s.Assessments != nil && kairos.Authorize(a, ofBilan) == nil,
	}
	k := dashKey{org: a.OrgID, day: s.Enrolment.Today(), session: sid}
	if p.ShowRDV {
		k.show |= dashShowRDV
	}
	if p.ShowAttestations {
		k.show |= dashShowAttestations
	}
	if p.ShowBilans {
		k.show |= dashShowBilans
	}
	load := func() (*dashData, error) { return s.dashboardData(r.Context(), a, sid, p) }
	var err error
	if sid == 0 {
		s.dash.init(s.DB)
		p.dashData, err = s.dash.get(r.Context(), k, load)
	} else { // one session (any number in the address): not cached, the cache stays one entry per organisation
		p.dashData, err = load()
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	roster := url.Values{"tri": {"echeance"}}
	if sid != 0 {
		roster.Set("session", strconv.FormatInt(sid, 10))
	}
	link := func(name, value string) string {
		v := maps.Clone(roster)
		v.Set(name, value)
		return "/stagiaires?" + v.Encode()
	}
	p.DueURL, p.InterruptedURL, p.ProposedURL = link("a-declarer", "1"), link("etat", enrolment.StInterrompue), link("etat", enrolment.StProposee)
	if sid != 0 {
		if p.Bulk, err = s.Enrolment.List(r.Context(), a, enrolment.Filter{State: enrolment.StInscrite, SessionID: sid, Limit: 500}); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	if !f.Values.Has("date") {
		f.Values.Set("date", p.D.Today.String())
	}
	if err := s.dashboardHTML(&p); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, status, "dashboard", p)
}

// dashboardData reads the dashboard of the actor's organisation: the
// counts, and the short lists of the sections p shows.
func (s *Server) dashboardData(ctx context.Context, a *kairos.Actor, sid int64, p dashboardPage) (*dashData, error) {
	d := &dashData{}
	var err error
	if d.D, err = s.Enrolment.DashboardTop(ctx, a, sid, dashboardTop); err != nil {
		return nil, err
	}
	if p.ShowRDV {
		if d.ToComplete, err = s.Appointments.ToComplete(ctx, a); err != nil {
			return nil, err
		}
		d.ToCompleteN = len(d.ToComplete)
		d.ToComplete = d.ToComplete[:min(len(d.ToComplete), dashboardTop)]
	}
	if p.ShowAttestations {
		if d.AttestMonth, d.AttestToDo, d.AttestOverdue, err = s.Attestations.Pending(ctx, a); err != nil {
			return nil, err
		}
	}
	if p.ShowBilans {
		if d.Bilans, d.BilansLate, err = s.Assessments.Missing(ctx, a); err != nil {
			return nil, err
		}
		d.BilansN = len(d.Bilans)
		d.Bilans = d.Bilans[:min(len(d.Bilans), dashboardTop)]
	}
	return d, nil
}

// dashboardBulkEntry declares at once the entry of the checked trainees of a session.
func (s *Server) dashboardBulkEntry(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	sid, _ := strconv.ParseInt(f.Get("session"), 10, 64)
	var ids []int64
	for _, v := range f.Values["id"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	date, err := calendar.ParseDate(f.Get("date"))
	if err != nil {
		f.Errors["date"] = "Saisissez une date valide au format jj/mm/aaaa, par exemple 12/05/2026."
		f.Message = "Le formulaire contient des erreurs."
		s.dashboardRender(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	n, failed, err := s.Enrolment.EnterAll(r.Context(), kairos.ActorFrom(r.Context()), sid, ids, date)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.dashboardRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	to := "/tableau-de-bord?session=" + itoa(sid)
	if len(failed) > 0 {
		var msgs []string
		for id, e := range failed {
			msgs = append(msgs, "n° "+itoa(id)+" : "+kairos.ErrorMessage(e))
		}
		s.redirect(w, r, to, &Flash{"warning", strconv.Itoa(n) + " entrée" + plural(n) + " déclarée" + plural(n) + " ; non déclarées : " + strings.Join(msgs, " ; ")})
		return
	}
	s.redirect(w, r, to, &Flash{"success", strconv.Itoa(n) + " entrée" + plural(n) + " déclarée" + plural(n) + "."})
}

type enrolmentPage struct {
	E            *enrolment.Enrolment
	Offered      []enrolment.Transition
	Form         *Form
	Absence      *Form
	CanAbsence   bool
	CanCorrect   bool
	IsOF         bool
	Today        calendar.Date
	ExitReasons  []enrolment.Reason
	Interruption []enrolment.Reason
	Return       string
}

func (s *Server) enrolmentShow(w http.ResponseWriter, r *http.Request) {
	s.enrolmentRender(w, r, http.StatusOK, nil, nil)
}

func (s *Server) enrolmentRender(w http.ResponseWriter, r *http.Request, status int, f, abs *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	e, err := s.Enrolment.Get(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
	}
	if abs == nil {
		abs = NewForm(nil)
	}
	today := s.Enrolment.Today()
	if !f.Values.Has("date") {
		d := today
		if e.State == enrolment.StInscrite && e.PlannedEntry < today {
			d = e.PlannedEntry
		}
		f.Values.Set("date", d.String())
	}
	isOF := a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser
	p := enrolmentPage{E: e, Offered: enrolment.Offered(e.State, a), Form: f, Absence: abs, IsOF: isOF, Today: today,
		CanAbsence:  isOF && (a.Can(kairos.HabCandidatures) || a.Can(kairos.HabAssiduite)) && (e.State == enrolment.StEntree || e.State == enrolment.StInterrompue || e.State == enrolment.StSortie),
		CanCorrect:  isOF && a.Can(kairos.HabCandidatures),
		ExitReasons: enrolment.ExitReasons, Interruption: enrolment.InterruptionReasons, Return: r.URL.Query().Get("retour")}
	s.render(w, r, status, "enrolment", p)
}

func dateField(f *Form, name string) calendar.Date {
	d, err := calendar.ParseDate(f.Get(name))
	if err != nil {
		return 0
	}
	return d
}

// enrolmentAction performs one transition of the table from a button or form.
func (s *Server) enrolmentAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	version, _ := strconv.Atoi(f.Get("version"))
	in := enrolment.Action{Action: f.Get("action"), Date: dateField(f, "date"), Reason: f.Get("reason"), Comment: f.Get("comment"), Version: version}
	e, err := s.Enrolment.Do(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		if f.Get("retour") == "/tableau-de-bord" {
			s.redirect(w, r, "/parcours/inscriptions/"+itoa(id), &Flash{"error", kairos.ErrorMessage(err) + " " + strings.Join(values(kairos.FieldErrors(err)), " ")})
			return
		}
		f.Values.Set("open", in.Action)
		f.IDSuffix = "-" + in.Action
		s.enrolmentRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f, nil)
		return
	}
	msg := enrolment.Find(in.Action).Label + " : c'est fait. Le conseiller et le demandeur d'emploi le voient dès maintenant."
	if n := len(e.Movements); n > 0 && e.Movements[n-1].Late {
		msg += " Déclaration hors délai (plus de 3 jours après l'événement) : elle est signalée à France Travail."
	}
	to := "/parcours/inscriptions/" + itoa(id)
	if f.Get("retour") == "/tableau-de-bord" {
		to = "/tableau-de-bord"
	}
	s.redirect(w, r, to, &Flash{"success", msg})
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// enrolmentAbsence declares an absence, with an optional justificatif (multipart).
func (s *Server) enrolmentAbsence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	max := s.Enrolment.MaxFileSize
	if max <= 0 {
		max = 5 << 20
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+64<<10)
	f := NewForm(nil)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		f.Errors["justificatif"] = "Le justificatif ne doit pas dépasser " + strconv.FormatInt(max>>20, 10) + " Mo."
		f.Message = "Le formulaire contient des erreurs."
		s.enrolmentRender(w, r, http.StatusRequestEntityTooLarge, nil, f)
		return
	}
	f.Values = r.PostForm
	in, herr := absenceForm(f)
	if file, hdr, err := r.FormFile("justificatif"); err == nil {
		data, err := io.ReadAll(io.LimitReader(file, max+1))
		file.Close()
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		if len(data) > 0 {
			in.File = &enrolment.Upload{Name: hdr.Filename, Data: data}
		}
	}
	if herr != nil {
		f.Fail(herr)
		s.enrolmentRender(w, r, http.StatusUnprocessableEntity, nil, f)
		return
	}
	if _, err := s.Enrolment.AddAbsence(r.Context(), kairos.ActorFrom(r.Context()), id, in); err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.enrolmentRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), nil, f)
		return
	}
	s.redirect(w, r, "/parcours/inscriptions/"+itoa(id)+"#absences", &Flash{"success", "Absence déclarée. Le conseiller la voit dès maintenant."})
}

// absenceForm reads the fields of an absence (days, hours to the quarter
// hour, justified, reason); the error names the hours field.
func absenceForm(f *Form) (enrolment.AbsenceInput, error) {
	in := enrolment.AbsenceInput{From: dateField(f, "from"), To: dateField(f, "to"), Justified: f.Get("justified") == "oui", Reason: f.Get("reason")}
	h, err := attendance.ParseHours(f.Get("hours"))
	switch {
	case strings.TrimSpace(f.Get("hours")) == "":
		return in, kairos.Invalid(map[string]string{"hours": "Indiquez la durée de l'absence (en heures, par exemple 3,5)."})
	case err != nil:
		return in, kairos.Invalid(map[string]string{"hours": err.Error() + "."})
	}
	in.Minutes = int(h)
	return in, nil
}

// absenceEnrolment returns the enrolment of the absence named in the form,
// for the redirection back to its page.
func absenceEnrolment(f *Form) string {
	if eid, err := strconv.ParseInt(f.Get("enrolment"), 10, 64); err == nil && eid > 0 {
		return itoa(eid)
	}
	return ""
}

// absenceCorrect corrects a declared absence (history kept).
func (s *Server) absenceCorrect(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	eid := absenceEnrolment(f)
	in, err := absenceForm(f)
	if err == nil {
		_, err = s.Enrolment.CorrectAbsence(r.Context(), kairos.ActorFrom(r.Context()), id, in, f.Get("comment"))
	}
	if err != nil {
		if !f.Fail(err) || eid == "" {
			s.errorPage(w, r, err)
			return
		}
		s.redirect(w, r, "/parcours/inscriptions/"+eid+"#absence-"+itoa(id), &Flash{"error", "Correction refusée : " + strings.Join(values(kairos.FieldErrors(err)), " ")})
		return
	}
	s.redirect(w, r, "/parcours/inscriptions/"+eid+"#absence-"+itoa(id), &Flash{"success", "Absence corrigée ; l'historique garde la déclaration précédente. Si le mois était déjà attesté, son attestation est à rectifier."})
}

// absenceWithdraw withdraws an absence declared by mistake.
func (s *Server) absenceWithdraw(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	eid := absenceEnrolment(f)
	if err := s.Enrolment.WithdrawAbsence(r.Context(), kairos.ActorFrom(r.Context()), id, f.Get("comment")); err != nil {
		if !f.Fail(err) || eid == "" {
			s.errorPage(w, r, err)
			return
		}
		s.redirect(w, r, "/parcours/inscriptions/"+eid+"#absence-"+itoa(id), &Flash{"error", "Retrait refusé : " + kairos.ErrorMessage(err) + " " + strings.Join(values(kairos.FieldErrors(err)), " ")})
		return
	}
	s.redirect(w, r, "/parcours/inscriptions/"+eid+"#absences", &Flash{"success", "Absence retirée ; elle reste dans l'historique. Si le mois était déjà attesté, son attestation est à rectifier."})
}

func (s *Server) movementCorrect(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	e, err := s.Enrolment.Correct(r.Context(), kairos.ActorFrom(r.Context()), id, dateField(f, "date"), f.Get("comment"))
	if err != nil {
		eid, _ := strconv.ParseInt(f.Get("enrolment"), 10, 64)
		if !f.Fail(err) || eid == 0 {
			s.errorPage(w, r, err)
			return
		}
		s.redirect(w, r, "/parcours/inscriptions/"+itoa(eid)+"#historique", &Flash{"error", "Correction refusée : " + kairos.ErrorMessage(err) + " " + strings.Join(values(kairos.FieldErrors(err)), " ")})
		return
	}
	s.redirect(w, r, "/parcours/inscriptions/"+itoa(e.ID)+"#historique", &Flash{"success", "Date corrigée ; l'historique garde la valeur précédente."})
}

func (s *Server) enrolmentDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	name, pdf, err := s.Enrolment.Document(r.Context(), kairos.ActorFrom(r.Context()), id, strings.TrimSuffix(r.PathValue("doc"), ".pdf"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

func (s *Server) justificatif(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f, data, err := s.Enrolment.Justificatif(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename*=UTF-8''`+url.PathEscape(f.Name))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data)
}

type proposePage struct {
	Demandeur   int64
	Name        string
	Sessions    []appointments.SessionRef
	Form        *Form
	FromAppt    string
	Counsellor  bool
	Demandeurs  []appointments.Demandeur
	NoSessions  bool
	SessionsErr string
	// The counsellor's search of the catalogue (title, place, dates, LHÉO
	// number) and its results, each with why it cannot be chosen.
	Q        string
	Searched bool
	Results  []proposeChoice
	// NeedRetained: an OF opened the form without a retained candidate.
	NeedRetained bool
}

// proposeChoice is a catalogue session offered to the counsellor.
type proposeChoice struct {
	catalogue.Session
	NotChoosable string // why it cannot be chosen ("" when it can)
	Selected     bool
}

// enrolmentProposeForm offers the sessions a job seeker may be proposed on:
// the OF's own (from a retained participant), or, for a counsellor, the
// sessions of the catalogue found by a search.
func (s *Server) enrolmentProposeForm(w http.ResponseWriter, r *http.Request) {
	s.enrolmentProposeRender(w, r, http.StatusOK, nil)
}

func (s *Server) enrolmentProposeRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	a := kairos.ActorFrom(r.Context())
	if f == nil {
		f = NewForm(nil)
		f.Values.Set("demandeur", r.URL.Query().Get("demandeur"))
		f.Values.Set("session", r.URL.Query().Get("session"))
		f.Values.Set("q", r.URL.Query().Get("q"))
	}
	p := proposePage{Form: f, FromAppt: r.URL.Query().Get("rdv"), Counsellor: a.Role == kairos.RoleConseiller}
	p.Demandeur, _ = strconv.ParseInt(f.Get("demandeur"), 10, 64)
	if p.Counsellor && s.Appointments != nil {
		var err error
		if p.Demandeurs, err = s.Appointments.Demandeurs(r.Context(), a); err != nil {
			s.errorPage(w, r, err)
			return
		}
		if err := s.proposeSearch(r, &p); err != nil {
			if !f.Fail(err) {
				s.errorPage(w, r, err)
				return
			}
			status = http.StatusUnprocessableEntity
		}
	} else if s.Enrolment.Sessions != nil {
		var err error
		if p.Sessions, err = s.Enrolment.Sessions.ForOrg(r.Context(), a.OrgID); err != nil {
			s.errorPage(w, r, err)
			return
		}
		// Only a job seeker this OF may propose shows his name (issue 16).
		if p.Name, err = s.Enrolment.ProposableName(r.Context(), a, p.Demandeur); err != nil {
			s.errorPage(w, r, err)
			return
		}
		p.NeedRetained = p.Name == ""
		// From an appointment: its session is the one proposed by default.
		if rid, err := strconv.ParseInt(p.FromAppt, 10, 64); err == nil && f.Get("session") == "" && s.Appointments != nil {
			if appt, err := s.Appointments.Get(r.Context(), a, rid); err == nil && len(appt.Sessions) > 0 {
				f.Values.Set("session", itoa(appt.Sessions[0].ID))
			}
		}
	}
	s.render(w, r, status, "propose", p)
}

// proposeSearch fills the counsellor's results: the sessions whose LHÉO
// number is the query, then those the full-text search finds, and the
// session already chosen (from the catalogue's « Proposer l'inscription »).
func (s *Server) proposeSearch(r *http.Request, p *proposePage) error {
	ctx := r.Context()
	p.Q = p.Form.Get("q")
	chosen, _ := strconv.ParseInt(p.Form.Get("session"), 10, 64)
	var list []catalogue.Session
	seen := map[int64]bool{}
	add := func(xs ...catalogue.Session) {
		for _, x := range xs {
			if !seen[x.ID] {
				seen[x.ID] = true
				list = append(list, x)
			}
		}
	}
	if chosen > 0 {
		if x, err := s.Catalogue.SessionByID(ctx, chosen); err == nil {
			add(*x)
		}
	}
	if p.Q != "" {
		p.Searched = true
		if len(p.Q) <= 100 {
			byNum, err := s.Catalogue.SessionsByNumero(ctx, p.Q, 10)
			if err != nil {
				return err
			}
			add(byNum...)
		}
		f := catalogue.Filter{Q: p.Q, Limit: 20}
		if err := f.Validate(); err != nil {
			return err
		}
		res, err := s.Catalogue.Search(ctx, f)
		if err != nil {
			return err
		}
		add(res.Items...)
	}
	vis, err := s.Catalogue.Visibilities(ctx, list)
	if err != nil {
		return err
	}
	for i, x := range list {
		c := proposeChoice{Session: x, NotChoosable: catalogue.ReasonsText(vis[i])}
		c.Selected = x.ID == chosen && c.NotChoosable == ""
		p.Results = append(p.Results, c)
	}
	return nil
}

func (s *Server) enrolmentPropose(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	de, _ := strconv.ParseInt(f.Get("demandeur"), 10, 64)
	sid, err := strconv.ParseInt(f.Get("session"), 10, 64)
	if err != nil && f.Get("session") != "" && len(f.Get("session")) <= 100 {
		// A LHÉO session number (e.g. DEMO_S_COMPTA_2) rather than an id.
		if byNum, err := s.Catalogue.SessionsByNumero(r.Context(), f.Get("session"), 2); err == nil && len(byNum) == 1 {
			sid = byNum[0].ID
		}
	}
	e, err := s.Enrolment.Propose(r.Context(), kairos.ActorFrom(r.Context()), enrolment.Proposal{DemandeurID: de, SessionID: sid, PlannedEntry: dateField(f, "planned_entry"), Comment: f.Get("comment")})
	if err != nil {
		if kairos.ErrorCode(err) == kairos.ENotFound {
			f.Errors["demandeur"] = kairos.ErrorMessage(err)
			f.Message = ""
		} else if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		if sessErr, ok := f.Errors["session_id"]; ok {
			f.Errors["session"] = sessErr
			delete(f.Errors, "session_id")
		}
		if sid == 0 && f.Errors["session"] == "" {
			f.Errors["session"] = "Choisissez une session."
		}
		s.enrolmentProposeRender(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	s.redirect(w, r, "/parcours/inscriptions/"+itoa(e.ID), &Flash{"success", "Inscription proposée à " + e.DemandeurName + " sur « " + e.SessionTitle + " »."})
}

func (s *Server) myPath(w http.ResponseWriter, r *http.Request) {
	p, err := s.Enrolment.Mine(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "monparcours", p)
}
