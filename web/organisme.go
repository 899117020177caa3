package web

import (
	"net/http"

	"kairos"
	"kairos/adhesion"
	"kairos/invoices"
)

// OF side: « Mon organisme » for the account manager (RGC).

type myOrgPage struct {
	adhesionPage
	HasAdhesion bool
	CanTrade    bool
	Reason      string
	Users       int
	Keys        int
	Billing     *invoices.BillingDetails
}

func (s *Server) myOrganisation(w http.ResponseWriter, r *http.Request) {
	s.showMyOrganisation(w, r, http.StatusOK, nil)
}

func (s *Server) showMyOrganisation(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	a := kairos.ActorFrom(r.Context())
	ad, err := s.Adhesions.Current(r.Context(), a.OrgID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := myOrgPage{}
	if ad != nil {
		ap, err := s.loadAdhesionPage(r, ad)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		p.adhesionPage, p.HasAdhesion = *ap, true
	} else {
		p.Form = NewForm(r)
	}
	if f != nil {
		p.Form = f
	}
	if p.Billing, err = s.Invoices.Billing(r.Context(), a.OrgID); err != nil {
		s.errorPage(w, r, err)
		return
	}
	if p.CanTrade, p.Reason, err = s.Adhesions.CanTrade(r.Context(), a.OrgID); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, status, "monorganisme", p)
}

func (s *Server) resignAdhesion(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	f := NewForm(r)
	ad, err := s.Adhesions.Current(r.Context(), a.OrgID)
	if err == nil && ad == nil {
		err = kairos.NotFound("Adhésion")
	}
	if err == nil {
		_, err = s.Adhesions.Decide(r.Context(), a, ad.ID, adhesion.Resilier, f.Get("motif"))
	}
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, "/mon-organisme", &Flash{"success", "L'adhésion de votre organisme est résiliée."})
	case kairos.EInvalid:
		f.Fail(err)
		f.Errors["motif-resilier"] = f.Errors["motif"]
		s.showMyOrganisation(w, r, http.StatusUnprocessableEntity, f)
	case kairos.EConflict, kairos.EForbidden:
		s.redirect(w, r, "/mon-organisme", &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}

type qualiopiPage struct {
	Form         *Form
	Certificates []adhesion.Certificate
}

func (s *Server) qualiopiPage(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	a := kairos.ActorFrom(r.Context())
	ad, err := s.Adhesions.Current(r.Context(), a.OrgID)
	if err == nil && ad == nil {
		err = kairos.NotFound("Adhésion")
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	certs, err := s.Adhesions.Certificates(r.Context(), ad.ID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, status, "qualiopi", qualiopiPage{Form: f, Certificates: certs})
}

func (s *Server) qualiopiForm(w http.ResponseWriter, r *http.Request) {
	s.qualiopiPage(w, r, http.StatusOK, NewForm(r))
}

func (s *Server) renewQualiopi(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	_, err := s.Adhesions.RenewQualiopi(r.Context(), kairos.ActorFrom(r.Context()), adhesion.QualiopiInput{
		Number: f.Get("qualiopi_numero"), Certifier: f.Get("qualiopi_certificateur"), From: f.Get("qualiopi_debut"), Until: f.Get("qualiopi_fin")})
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.qualiopiPage(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	s.redirect(w, r, "/mon-organisme", &Flash{"success", "Certificat Qualiopi enregistré. L'ancien reste dans l'historique."})
}
