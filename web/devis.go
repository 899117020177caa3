package web

import (
	"net/http"
	"strconv"
	"strings"

	"kairos"
	"kairos/enrolment"
	"kairos/quotes"
)

// AIF quotes (issue 12): the OF's list and form, the job seeker's « Mes
// devis », the counsellor's and the regional manager's queues, one detail
// page whose buttons come from quotes.Workflow (with the reason when an
// action is not possible now).

var (
	ofDevis      = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabDevis}
	quoteParties = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleFTGestionnaire, kairos.RoleDemandeur}}
)

// quotesHome is where each role finds the quotes counted on its home page.
var quotesHome = map[kairos.Role]string{
	kairos.RoleOFAdmin: "/devis", kairos.RoleOFUser: "/devis", kairos.RoleDemandeur: "/mes-devis?etat=transmis_au_de",
	kairos.RoleConseiller: "/conseiller/devis", kairos.RoleFTGestionnaire: "/france-travail/devis",
}

// quoteLines is how many co-funding lines the form offers.
const quoteLines = 5

type devisListPage struct {
	Title, Intro, Path string
	Items              []quotes.Quote
	Pager              Pager
	States             []quotes.State
	State, Query       string
	Export             bool
}

const devisPerPage = 30

func (s *Server) devisList(w http.ResponseWriter, r *http.Request, p devisListPage, defState string) {
	a := kairos.ActorFrom(r.Context())
	q := r.URL.Query()
	p.State, p.Query = q.Get("etat"), strings.TrimSpace(q.Get("q"))
	if !q.Has("etat") {
		p.State = defState
	}
	f := quotes.Filter{State: quotes.State(p.State), Search: p.Query, Limit: 1}
	first, err := s.Quotes.List(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Pager = NewPager(r, first.Total, devisPerPage)
	f.Limit, f.Offset = devisPerPage, p.Pager.Offset(devisPerPage)
	page, err := s.Quotes.List(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Items, p.States = page.Items, quotes.States
	s.render(w, r, http.StatusOK, "devislist", p)
}

func (s *Server) devisOF(w http.ResponseWriter, r *http.Request) {
	s.devisList(w, r, devisListPage{Title: "Devis AIF", Path: "/devis", Export: true,
		Intro: "Les devis d'aide individuelle à la formation de votre organisme. Créez un devis depuis une session de votre offre : il est pré-rempli avec les données du Carif-Oref."}, "")
}

func (s *Server) devisCounsellor(w http.ResponseWriter, r *http.Request) {
	s.devisList(w, r, devisListPage{Title: "Devis à instruire", Path: "/conseiller/devis",
		Intro: "Les devis AIF des demandeurs d'emploi de votre agence. Ceux qu'ils ont acceptés attendent votre décision."}, string(quotes.AccepteParDE))
}

func (s *Server) devisRegion(w http.ResponseWriter, r *http.Request) {
	s.devisList(w, r, devisListPage{Title: "Devis au-delà du seuil régional", Path: "/france-travail/devis",
		Intro: "Les devis AIF au-delà du seuil régional, validés par le conseiller, attendent votre décision."}, string(quotes.EnInstruction))
}

func (s *Server) devisMine(w http.ResponseWriter, r *http.Request) {
	s.devisList(w, r, devisListPage{Title: "Mes devis", Path: "/mes-devis",
		Intro: "Les devis de formation que les organismes vous ont transmis. Lisez-les, acceptez-les ou refusez-les : votre conseiller France Travail décide ensuite du financement."}, "")
}

func (s *Server) devisExport(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	q := r.URL.Query()
	f := quotes.Filter{State: quotes.State(q.Get("etat")), Search: q.Get("q")}
	if _, err := s.Quotes.List(r.Context(), a, quotes.Filter{State: f.State, Search: f.Search, Limit: 1}); err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="devis-aif.csv"`)
	w.Write([]byte("\uFEFF"))
	if err := s.Quotes.WriteCSV(r.Context(), a, f, w); err != nil {
		s.Log.Error("devis: csv export", "err", err)
	}
}

type devisFormPage struct {
	Q       *quotes.Quote
	Form    *Form
	Funders []quotes.Funder
	Lines   []int
	New     bool
}

func (s *Server) devisNewForm(w http.ResponseWriter, r *http.Request) {
	sid, _ := strconv.ParseInt(r.URL.Query().Get("session"), 10, 64)
	s.devisNewRender(w, r, http.StatusOK, sid, nil)
}

func (s *Server) devisNewRender(w http.ResponseWriter, r *http.Request, status int, sid int64, f *Form) {
	q, err := s.Quotes.Prefill(r.Context(), kairos.ActorFrom(r.Context()), sid)
	if err != nil {
		if kairos.ErrorCode(err) == kairos.EInvalid {
			err = kairos.NotFound("Session")
		}
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = contentForm(q)
	}
	s.render(w, r, status, "devisform", devisFormPage{Q: q, Form: f, Funders: quotes.Funders, Lines: lineIndexes(), New: true})
}

func lineIndexes() []int {
	out := make([]int, quoteLines)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// contentForm fills the form with q's content.
func contentForm(q *quotes.Quote) *Form {
	f := NewForm(nil)
	f.Values.Set("hours_centre", q.HoursCentre.Plain())
	f.Values.Set("hours_company", q.HoursCompany.Plain())
	f.Values.Set("hourly_cost", q.HourlyCost.Plain())
	f.Values.Set("comment", q.Comment)
	for i, l := range q.Lines {
		n := strconv.Itoa(i + 1)
		f.Values.Set("funder_"+n, l.Funder)
		f.Values.Set("amount_"+n, l.Amount.Plain())
	}
	f.Values.Set("version", strconv.Itoa(q.Version))
	return f
}

// content reads the form's content, with a French error per field.
func content(f *Form) (quotes.Content, map[string]string) {
	errs := map[string]string{}
	var c quotes.Content
	if h, ok := quotes.ParseQuarters(f.Get("hours_centre")); ok {
		c.HoursCentre = &h
	} else {
		errs["hours_centre"] = "Indiquez les heures en centre, par quarts d'heure (exemple : 120 ou 120,5)."
	}
	hc := f.Get("hours_company")
	if hc == "" {
		hc = "0"
	}
	if h, ok := quotes.ParseQuarters(hc); ok {
		c.HoursCompany = &h
	} else {
		errs["hours_company"] = "Indiquez les heures en entreprise, par quarts d'heure (exemple : 35 ou 35,25)."
	}
	if v, ok := quotes.ParseCents(f.Get("hourly_cost")); ok {
		c.HourlyCost = &v
	} else {
		errs["hourly_cost"] = "Indiquez le coût horaire en euros (exemple : 12,50)."
	}
	lines := []quotes.Line{}
	for i := 1; i <= quoteLines; i++ {
		n := strconv.Itoa(i)
		funder, amount := f.Get("funder_"+n), f.Get("amount_"+n)
		if funder == "" && amount == "" {
			continue
		}
		v, ok := quotes.ParseCents(amount)
		if !ok {
			errs["cofunding_"+n] = "Ligne " + n + " : indiquez le montant en euros (exemple : 500 ou 500,00)."
			continue
		}
		lines = append(lines, quotes.Line{Funder: funder, Amount: v})
	}
	c.Lines = &lines
	comment := f.Values.Get("comment")
	c.Comment = &comment
	c.Version, _ = strconv.Atoi(f.Get("version"))
	return c, errs
}

// lineErrors moves the service's line errors (numbered among the filled
// lines) onto the form's rows.
func lineErrors(f *Form) {
	filled := []string{}
	for i := 1; i <= quoteLines; i++ {
		n := strconv.Itoa(i)
		if f.Get("funder_"+n) != "" || f.Get("amount_"+n) != "" {
			filled = append(filled, n)
		}
	}
	for k, v := range f.Errors {
		if rest, ok := strings.CutPrefix(k, "cofunding_"); ok {
			if i, err := strconv.Atoi(rest); err == nil && i >= 1 && i <= len(filled) && filled[i-1] != rest {
				delete(f.Errors, k)
				f.Errors["cofunding_"+filled[i-1]] = strings.Replace(v, "Ligne "+rest, "Ligne "+filled[i-1], 1)
			}
		}
	}
}

func (s *Server) devisCreate(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	sid, _ := strconv.ParseInt(f.Get("session_id"), 10, 64)
	c, errs := content(f)
	if len(errs) > 0 {
		f.Fail(kairos.Invalid(errs))
		s.devisNewRender(w, r, http.StatusUnprocessableEntity, sid, f)
		return
	}
	q, err := s.Quotes.Create(r.Context(), kairos.ActorFrom(r.Context()), quotes.NewQuote{SessionID: sid, FTID: f.Get("ft_id"), Nom: f.Get("nom"), Content: c})
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		lineErrors(f)
		s.devisNewRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), sid, f)
		return
	}
	s.redirect(w, r, "/devis/"+itoa(q.ID), &Flash{"success", "Devis n° " + q.Number + " créé en brouillon : vérifiez-le puis transmettez-le au demandeur d'emploi."})
}

func (s *Server) devisEditForm(w http.ResponseWriter, r *http.Request) {
	s.devisEditRender(w, r, http.StatusOK, nil)
}

func (s *Server) devisEditRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	q, err := s.Quotes.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if !hasAction(q, quotes.Modifier) {
		s.redirect(w, r, "/devis/"+itoa(id), &Flash{"error", "Ce devis ne peut plus être modifié (état : " + q.State.Label() + ")."})
		return
	}
	if f == nil {
		f = contentForm(q)
	}
	s.render(w, r, status, "devisform", devisFormPage{Q: q, Form: f, Funders: quotes.Funders, Lines: lineIndexes()})
}

func hasAction(q *quotes.Quote, act quotes.Action) bool {
	for _, a := range q.AllowedActions {
		if a == string(act) {
			return true
		}
	}
	return false
}

func (s *Server) devisUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	c, errs := content(f)
	if len(errs) > 0 {
		f.Fail(kairos.Invalid(errs))
		s.devisEditRender(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if _, err := s.Quotes.Update(r.Context(), kairos.ActorFrom(r.Context()), id, c); err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		lineErrors(f)
		s.devisEditRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	s.redirect(w, r, "/devis/"+itoa(id), &Flash{"success", "Devis enregistré."})
}

type devisPage struct {
	Q      *quotes.Quote
	Form   *Form
	Path   *enrolment.Path // the job seeker's path, beside the quote (counsellor)
	Base   string          // /devis or /mes-devis
	IsOF   bool
	IsDE   bool
	Review quotes.Threshold
}

func (s *Server) devisShow(w http.ResponseWriter, r *http.Request) {
	s.devisRender(w, r, http.StatusOK, nil)
}

func (s *Server) devisRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	q, err := s.Quotes.Get(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
	}
	p := devisPage{Q: q, Form: f, Base: "/devis", IsOF: a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser, IsDE: a.Role == kairos.RoleDemandeur,
		Review: s.Quotes.Thresholds.For(q.Region)}
	if p.IsDE {
		p.Base = "/mes-devis"
	}
	if a.Role == kairos.RoleConseiller && s.Enrolment != nil {
		if p.Path, err = s.Enrolment.PathOf(r.Context(), a, q.DemandeurID); err != nil && kairos.ErrorCode(err) != kairos.ENotFound {
			s.errorPage(w, r, err)
			return
		}
	}
	s.render(w, r, status, "devis", p)
}

// devisAction performs one step of the table from a button or form.
func (s *Server) devisAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	version, _ := strconv.Atoi(f.Get("version"))
	act := quotes.Action(f.Get("action"))
	a := kairos.ActorFrom(r.Context())
	q, err := s.Quotes.Do(r.Context(), a, id, quotes.Step{Action: act, Reason: f.Values.Get("reason"), Version: version})
	base := "/devis/"
	if a.Role == kairos.RoleDemandeur {
		base = "/mes-devis/"
	}
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		f.Values.Set("open", string(act))
		s.devisRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	msg := quotes.Workflow.Find(act).Done
	if q.State == quotes.Valide && q.EnrolmentID != 0 {
		msg += " Numéro d'engagement : " + q.Number + "."
	}
	s.redirect(w, r, base+itoa(id), &Flash{"success", msg})
}

func (s *Server) devisPDF(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	q, err := s.Quotes.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pdf, err := quotes.PDF(q, s.now())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="devis-`+q.Number+`.pdf"`)
	w.Write(pdf)
}
