package api

import (
	"net/http"

	"kairos"
	"kairos/invoices"
)

// The OF's billing details (IBAN, BIC, account holder, VAT number), as on
// « Mon organisme ».

func (a *API) getBilling(w http.ResponseWriter, r *http.Request) error {
	b, err := a.Invoices.Billing(r.Context(), kairos.ActorFrom(r.Context()).OrgID)
	if err != nil {
		return err
	}
	if b == nil {
		return kairos.NotFound("Coordonnées de facturation")
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) putBilling(w http.ResponseWriter, r *http.Request) error {
	var in invoices.BillingInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	b, err := a.Invoices.SetBilling(r.Context(), kairos.ActorFrom(r.Context()), in)
	if err != nil {
		return renameFields(err, map[string]string{"tva": "tva_intracommunautaire"})
	}
	return writeJSON(w, http.StatusOK, b)
}
