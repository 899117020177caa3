package web

import (
	"net/http"
	"net/url"

	"kairos"
	"kairos/adhesion"
)

// The public page « Adhérer à Kairos »: why, what it takes, a user guide, and the form.

func (s *Server) adhesionPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "adherer", NewForm(r))
}

func applicationFrom(f *Form) adhesion.Application {
	return adhesion.Application{
		RaisonSociale: f.Get("raison_sociale"), SIRET: f.Get("siret"), NDA: f.Get("nda"),
		Address: f.Get("adresse"), PostalCode: f.Get("code_postal"), City: f.Get("ville"), Region: f.Get("region"),
		RGCName: f.Get("rgc_nom"), RGCEmail: f.Get("rgc_email"), RGCPhone: f.Get("rgc_telephone"),
		QualiopiNumber: f.Get("qualiopi_numero"), QualiopiCertifier: f.Get("qualiopi_certificateur"),
		QualiopiFrom: f.Get("qualiopi_debut"), QualiopiUntil: f.Get("qualiopi_fin"),
		AcceptConditions: f.Get("conditions") == "oui",
	}
}

func (s *Server) submitAdhesion(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	a, _, err := s.Adhesions.Submit(r.Context(), applicationFrom(f))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.render(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), "adherer", f)
		return
	}
	s.redirect(w, r, "/adherer/envoyee?reference="+url.QueryEscape(a.Reference), &Flash{"success", "Votre demande d'adhésion est envoyée. Un courriel de confirmation a été adressé à " + a.RGCEmail + "."})
}

func (s *Server) adhesionSent(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "adherer_envoyee", r.URL.Query().Get("reference"))
}
