package web

import (
	"net/http"
	"strconv"
	"strings"

	"kairos"
	"kairos/assessments"
)

// Bilans de formation (issue 13): the OF's list (to write, late,
// transmitted), one assessment's form and history, the attestation de fin
// de formation, France Travail's accounting view.

var (
	ofBilan     = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabBilan}
	pathReaders = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleDemandeur, kairos.RoleFTComptable, kairos.RoleFTGestionnaire}}
)

type assessmentsPage struct {
	List  []assessments.Assessment
	State string
	Q     string
	Late  int
}

func assessmentFilter(r *http.Request) assessments.Filter {
	q := r.URL.Query()
	st := assessments.State(q.Get("etat"))
	if !q.Has("etat") {
		st = assessments.None
	}
	return assessments.Filter{State: st, Q: q.Get("q")}
}

// assessmentsList is the OF's list of its exited trainees' assessments.
func (s *Server) assessmentsList(w http.ResponseWriter, r *http.Request) {
	f := assessmentFilter(r)
	list, err := s.Assessments.List(r.Context(), kairos.ActorFrom(r.Context()), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := assessmentsPage{List: list, State: string(f.State), Q: f.Q}
	for _, x := range list {
		if x.Overdue {
			p.Late++
		}
	}
	s.render(w, r, http.StatusOK, "bilans", p)
}

func (s *Server) assessmentsExport(w http.ResponseWriter, r *http.Request) {
	var buf strings.Builder
	if err := s.Assessments.WriteCSV(r.Context(), kairos.ActorFrom(r.Context()), assessmentFilter(r), &buf); err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="bilans.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(buf.String()))
}

type assessmentPage struct {
	X       *assessments.Assessment
	Form    *Form
	IsOF    bool
	Editing bool // the OF may write (a draft, or a correction)
	Results []assessments.Result
	Actions map[string]bool
	Texts   []textArea
}

type textArea struct{ Name, Label, Hint string }

var assessmentTexts = []textArea{
	{"blocks_validated", "Blocs de compétences validés", "Si la certification est obtenue en partie."},
	{"skills", "Compétences acquises", "Ce que le stagiaire sait faire désormais : le demandeur d'emploi et son conseiller s'en servent pour la recherche d'emploi."},
	{"comments", "Commentaires", "Facultatif."},
	{"next_steps", "Suites conseillées", "Facultatif : formation complémentaire, certification à présenter, recherche d'emploi…"},
}

func (s *Server) assessmentShow(w http.ResponseWriter, r *http.Request) {
	s.assessmentRender(w, r, http.StatusOK, nil)
}

func (s *Server) assessmentRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	x, err := s.Assessments.Get(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
		f.Values.Set("result", string(x.Content.Result))
		f.Values.Set("blocks_validated", x.Content.Blocks)
		f.Values.Set("skills", x.Content.Skills)
		f.Values.Set("comments", x.Content.Comments)
		f.Values.Set("next_steps", x.Content.NextSteps)
	}
	p := assessmentPage{X: x, Form: f, IsOF: (a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser) && a.OrgID == x.OrgID,
		Results: assessments.Results, Actions: map[string]bool{}, Texts: assessmentTexts}
	for _, act := range x.Actions {
		p.Actions[act.Action] = true
	}
	p.Editing = p.Actions[string(assessments.ActEnregistrer)] || p.Actions[string(assessments.ActCorriger)]
	s.render(w, r, status, "bilan", p)
}

// assessmentAction saves, transmits, corrects, withdraws or reopens.
func (s *Server) assessmentAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	step := assessments.Step{Action: assessments.Action(f.Get("action")), Reason: f.Get("reason"), Content: assessments.Content{
		Result: assessments.Result(f.Get("result")), Blocks: f.Get("blocks_validated"), Skills: f.Get("skills"), Comments: f.Get("comments"), NextSteps: f.Get("next_steps")}}
	if _, err := s.Assessments.Do(r.Context(), kairos.ActorFrom(r.Context()), id, step); err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.assessmentRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	msg := "Bilan enregistré."
	if t := assessments.Table.Find(step.Action); t != nil && t.Done != "" {
		msg = t.Done
	}
	s.redirect(w, r, "/bilans/inscriptions/"+itoa(id), &Flash{"success", msg})
}

func (s *Server) assessmentCertificate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	name, pdf, err := s.Assessments.Certificate(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

type accountingPage struct {
	A     *assessments.Accounting
	OrgID int64
	Ready string
}

// assessmentsAccounting is France Travail's view: per OF, the exited
// trainees ready to invoice and what the others lack.
func (s *Server) assessmentsAccounting(w http.ResponseWriter, r *http.Request) {
	org, _ := strconv.ParseInt(r.URL.Query().Get("organisme"), 10, 64)
	ready := r.URL.Query().Get("pret")
	if ready != "oui" && ready != "non" {
		ready = ""
	}
	acc, err := s.Assessments.Accounting(r.Context(), kairos.ActorFrom(r.Context()), org, ready)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "bilans-facturation", accountingPage{A: acc, OrgID: org, Ready: ready})
}
