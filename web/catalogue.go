package web

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"

	"kairos"
	"kairos/adhesion"
	"kairos/appointments"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/lheo"
)

// Rules of the catalogue routes, declared by the capability.
var (
	catalogueReaders = catalogue.ReadRule
	catalogueCarif   = catalogue.ImportRule
	catalogueOF      = catalogue.OfferRule
)

// bodyLimits raises the request size limit of guard for some routes.
var bodyLimits = map[string]int64{
	"POST /catalogue/imports": 1 << 30, // LHÉO files: streamed to a temporary file, then imported
}

const cataloguePerPage = 20

type option struct{ Code, Label string }

func tableOptions(t lheo.Table) []option {
	var out []option
	for _, e := range lheo.Entries(t) {
		out = append(out, option{e.Code, e.Label})
	}
	return out
}

type cataloguePage struct {
	Form      *Form
	Result    *catalogue.Result
	Pager     Pager
	Etats     []option
	Modalites []option
	Searched  bool
	Regions   []adhesion.Region
}

func (s *Server) catalogueSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form := &Form{Values: q, Errors: map[string]string{}}
	p := cataloguePage{Form: form, Etats: tableOptions(lheo.TableEtatRecrutement), Modalites: tableOptions(lheo.TableModalitesEnseignement), Regions: adhesion.Regions}
	f := catalogue.Filter{Q: q.Get("q"), Formacode: q.Get("formacode"), ROME: q.Get("rome"), Region: q.Get("region"), Departement: q.Get("departement"),
		Etat: q.Get("etat"), Certifiante: q.Get("certifiante"), Modalite: q.Get("modalite"), Sort: q.Get("tri"), Withdrawn: q.Get("retirees") == "1", Limit: cataloguePerPage}
	if v := strings.TrimSpace(q.Get("region")); v != "" && adhesion.RegionLabel(v) == v {
		// A former region's code (before 2016) in an old link or file: shown as such.
		p.Regions = append(append([]adhesion.Region{}, adhesion.Regions...), adhesion.Region{Code: v, Label: "Région de code " + v})
	}
	if q.Get("terminees") != "1" { // ended sessions are hidden unless asked for
		f.EndsFrom = lheo.DateOf(s.now().In(calendar.Paris()))
	}
	var err error
	if f.StartFrom, err = catalogue.ParseDateParam(q.Get("du")); err != nil {
		form.Errors["du"] = "Saisissez une date de début valide, par exemple 12/05/2026."
	}
	if f.StartTo, err = catalogue.ParseDateParam(q.Get("au")); err != nil {
		form.Errors["au"] = "Saisissez une date de fin valide, par exemple 12/05/2026."
	}
	if len(form.Errors) == 0 {
		pg := NewPager(r, catalogue.MaxCount, cataloguePerPage)
		f.Offset = pg.Offset(cataloguePerPage)
		res, err := s.Catalogue.Search(r.Context(), f)
		if err != nil {
			if !form.Fail(err) {
				s.errorPage(w, r, err)
				return
			}
		} else {
			p.Result, p.Searched = res, true
			p.Pager = NewPager(r, res.Total, cataloguePerPage)
		}
	}
	s.render(w, r, http.StatusOK, "catalogue", p)
}

type sessionPage struct {
	*catalogue.Detail
	Contenu, Objectif, Resultats string
	Appointments                 []appointments.Appointment // open information sessions and interviews for this session
	CanRegister                  bool                       // a job seeker or a counsellor may register from here
}

func (s *Server) catalogueSession(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d, err := s.Catalogue.Session(r.Context(), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	clean := func(t string) string {
		if lheo.IsPlaceholder(t) {
			return ""
		}
		return lheo.PlainText(t)
	}
	p := sessionPage{Detail: d, Contenu: clean(d.Formation.Contenu), Objectif: clean(d.Formation.Objectif), Resultats: clean(d.Formation.ResultatsAttendus)}
	if s.Appointments != nil {
		if p.Appointments, err = s.Appointments.OpenForSession(r.Context(), id, 20); err != nil {
			s.errorPage(w, r, err)
			return
		}
		role := kairos.ActorFrom(r.Context()).Role
		p.CanRegister = role == kairos.RoleDemandeur || role == kairos.RoleConseiller
	}
	s.render(w, r, http.StatusOK, "catalogue_session", p)
}

type importsPage struct {
	Imports []catalogue.Import
	Pager   Pager
	Form    *Form
}

func (s *Server) catalogueImports(w http.ResponseWriter, r *http.Request) {
	s.renderImports(w, r, http.StatusOK, NewForm(nil))
}

func (s *Server) renderImports(w http.ResponseWriter, r *http.Request, status int, form *Form) {
	_, total, err := s.Catalogue.Imports(r.Context(), 0, 1)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := NewPager(r, total, 25)
	list, _, err := s.Catalogue.Imports(r.Context(), pg.Offset(25), 25)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, status, "catalogue_imports", importsPage{Imports: list, Pager: pg, Form: form})
}

func (s *Server) catalogueUpload(w http.ResponseWriter, r *http.Request) {
	form := &Form{Values: r.PostForm, Errors: map[string]string{}}
	file, hdr, err := r.FormFile("fichier")
	if err != nil {
		form.Errors["fichier"] = "Choisissez un fichier LHÉO (.xml)."
		form.Message = "Le formulaire contient des erreurs."
		s.renderImports(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	defer file.Close()
	imp, err := s.Catalogue.Import(r.Context(), bufio.NewReaderSize(file, 1<<20), catalogue.ImportOptions{
		Source: r.PostFormValue("source"), FileName: hdr.Filename, Size: hdr.Size, Partial: r.PostFormValue("partiel") == "1"})
	if err != nil {
		if !form.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.renderImports(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), form)
		return
	}
	flash := &Flash{"success", fmt.Sprintf("Fichier importé : %d session(s) créée(s), %d mise(s) à jour, %d inchangée(s), %d retirée(s) ; %d formation(s) rejetée(s).",
		imp.Counts.Sessions.Created, imp.Counts.Sessions.Updated, imp.Counts.Sessions.Unchanged, imp.Counts.Sessions.Withdrawn, imp.Counts.Rejected)}
	if imp.Status != catalogue.StatusDone {
		flash = &Flash{"error", "Fichier rejeté : rien n'a été importé. " + imp.ErrorMessage}
	}
	s.redirect(w, r, "/catalogue/imports/"+itoa(imp.ID), flash)
}

type importPage struct {
	Import *catalogue.Import
	Lines  []catalogue.ReportLine
	More   bool
}

func (s *Server) catalogueImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	imp, err := s.Catalogue.ImportByID(r.Context(), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	lines, err := s.Catalogue.ReportLines(r.Context(), id, 501)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := importPage{Import: imp, Lines: lines}
	if len(lines) > 500 {
		p.Lines, p.More = lines[:500], true
	}
	s.render(w, r, http.StatusOK, "catalogue_import", p)
}

func (s *Server) catalogueImportCSV(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		_, err = s.Catalogue.ImportByID(r.Context(), id)
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="rapport-import-%d.csv"`, id))
	if err := s.Catalogue.WriteReportCSV(r.Context(), id, w); err != nil {
		s.Log.Error("web: import report CSV", "err", err)
	}
}

func (s *Server) catalogueExport(w http.ResponseWriter, r *http.Request) {
	n, err := s.Catalogue.LiveFormations(r.Context())
	if err != nil || n == 0 {
		if err == nil {
			err = kairos.Errorf(kairos.ENotFound, "Le catalogue est vide : aucune formation à exporter.")
		}
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="catalogue-lheo-2.3.xml"`)
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, _, err := s.Catalogue.Export(r.Context(), bw); err != nil {
		s.Log.Error("web: LHÉO export", "err", err)
		return
	}
	bw.Flush()
}

type offerPage struct {
	Offer   *catalogue.Offer
	Pager   Pager
	Reasons []catalogue.Reason
}

func (s *Server) myOffer(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	o, err := s.Catalogue.Offer(r.Context(), a, 0, 1)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := NewPager(r, o.Total, 50)
	if o.Total > 0 {
		if o, err = s.Catalogue.Offer(r.Context(), a, pg.Offset(50), 50); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "offre", offerPage{Offer: o, Pager: pg, Reasons: catalogue.Reasons})
}

// ldate formats an LHÉO date for people.
func ldate(d lheo.Date) string {
	switch {
	case d == lheo.UnknownDate || d == lheo.UnknownEnd:
		return "non communiquée"
	case d.Precision() == lheo.PrecisionYear:
		return fmt.Sprint(d.Year())
	case d.Precision() == lheo.PrecisionMonth:
		return strings.ToLower(frMonths[d.Month()-1]) + " " + fmt.Sprint(d.Year())
	}
	return fmt.Sprintf("%02d/%02d/%d", d.Day(), d.Month(), d.Year())
}

var frMonths = []string{"Janvier", "Février", "Mars", "Avril", "Mai", "Juin", "Juillet", "Août", "Septembre", "Octobre", "Novembre", "Décembre"}
