package web

import (
	"net/http"
	"strconv"
	"strings"

	"kairos"
	"kairos/adhesion"
	"kairos/attestations"
	"kairos/calendar"
)

// France Travail's list of the missing monthly attestations, by OF, with
// « Relancer » per OF (attestations.RemindOF), on the shared list mechanism.

var missingSpec = ListSpec{
	Path:        "/france-travail/attestations/manquantes",
	Sorts:       []string{"organisme", "manquantes"},
	DefaultSort: "-manquantes",
	Filters:     map[string][]string{"mois": nil, "region": regionCodes()},
	Keep:        []string{"mois"},
}

func regionCodes() []string {
	var out []string
	for _, r := range adhesion.Regions {
		out = append(out, r.Code)
	}
	return out
}

type missingPage struct {
	L     *attestations.MissingList
	Q     ListQuery
	Pager ListPager
	Month calendar.Month
	Back  string // this page, for « Relancer » to come back to
}

func (s *Server) missingFilter(r *http.Request, lq ListQuery) attestations.MissingFilter {
	return attestations.MissingFilter{Month: monthParam(r, nil, s.Attestations.DefaultMonth()), Region: lq.Get("region"), Query: lq.Q, Sort: lq.Sort, Desc: lq.Desc}
}

func (s *Server) attestationsMissing(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, missingSpec)
	f := s.missingFilter(r, lq)
	a := kairos.ActorFrom(r.Context())
	f.Limit = 1
	first, err := s.Attestations.Missing(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(first.Total)
	f.Limit, f.Offset = pg.Limit(), pg.Offset()
	l, err := s.Attestations.Missing(r.Context(), a, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "attestations-manquantes", missingPage{L: l, Q: lq, Pager: pg, Month: f.Month, Back: r.URL.RequestURI()})
}

func (s *Server) attestationsMissingExport(w http.ResponseWriter, r *http.Request) {
	lq := ParseList(r, missingSpec)
	f := s.missingFilter(r, lq)
	a := kairos.ActorFrom(r.Context())
	var rows []attestations.MissingRow
	if err := s.Attestations.EachMissing(r.Context(), a, f, func(m attestations.MissingRow) { rows = append(rows, m) }); err != nil {
		s.errorPage(w, r, err)
		return
	}
	due := s.Attestations.Due.Date(f.Month)
	late := ""
	if s.Attestations.IsOverdue(f.Month) {
		late = strconv.Itoa(s.Attestations.Today().Sub(due))
	}
	c := NewCSV(w, "attestations-manquantes-"+f.Month.String()+".csv")
	c.Row("Mois", "Organisme de formation", "SIRET", "Stagiaire", "Identifiant France Travail", "Session", "Numéro de session", "Agence", "Due le", "Jours de retard", "Numéro d'inscription")
	for _, m := range rows {
		c.Row(f.Month.String(), m.OrgName, m.SIRET, m.Name, m.FTID, m.Session, strconv.FormatInt(m.SessionID, 10), m.Agence, due.French(), late, strconv.FormatInt(m.EnrolmentID, 10))
	}
	if err := c.Close(); err != nil {
		s.Log.Error("attestations: missing csv", "err", err)
	}
}

// attestationsRemind is « Relancer » for one OF and month.
func (s *Server) attestationsRemind(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	m := monthParam(r, f, 0)
	back := f.Get("retour")
	if !strings.HasPrefix(back, missingSpec.Path) {
		back = missingSpec.Path + "?mois=" + m.String()
	}
	org, err := strconv.ParseInt(f.Get("organisme"), 10, 64)
	if err != nil || org <= 0 || m.IsZero() {
		s.errorPage(w, r, kairos.NotFound("Organisme"))
		return
	}
	res, err := s.Attestations.RemindOF(r.Context(), kairos.ActorFrom(r.Context()), org, m)
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, back, &Flash{"success", "Relance envoyée à « " + res.OrgName + " » (" + strconv.Itoa(res.Recipients) + " destinataire(s)) pour ses " +
			strconv.Itoa(res.Missing) + " attestation(s) manquante(s) " + m.FrenchOf() + "."})
	case kairos.EConflict:
		s.redirect(w, r, back, &Flash{"warning", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
