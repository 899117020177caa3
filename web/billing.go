package web

import (
	"net/http"

	"kairos"
	"kairos/invoices"
)

// OF side: the billing details of « Mon organisme » (IBAN, BIC, account
// holder, VAT number), entered once and printed on every invoice.

type billingPage struct {
	Form    *Form
	Current *invoices.BillingDetails
}

func (s *Server) billingForm(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	b, err := s.Invoices.Billing(r.Context(), a.OrgID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	if b != nil {
		f.Values.Set("iban", b.IBANGroups())
		f.Values.Set("bic", b.BIC)
		f.Values.Set("titulaire", b.AccountName)
		f.Values.Set("tva", b.VATID)
	}
	s.render(w, r, http.StatusOK, "facturation", billingPage{Form: f, Current: b})
}

func (s *Server) saveBilling(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	f := NewForm(r)
	_, err := s.Invoices.SetBilling(r.Context(), a, invoices.BillingInput{
		IBAN: f.Get("iban"), BIC: f.Get("bic"), AccountName: f.Get("titulaire"), VATID: f.Get("tva")})
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		cur, _ := s.Invoices.Billing(r.Context(), a.OrgID)
		s.render(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), "facturation", billingPage{Form: f, Current: cur})
		return
	}
	s.redirect(w, r, "/mon-organisme", &Flash{"success", "Coordonnées de facturation enregistrées : elles figureront sur vos prochaines factures."})
}
