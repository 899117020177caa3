package api

import (
	"net/http"

	"kairos"
	"kairos/invoices"
)

// The Chorus Pro follow-up of invoices (issue 17).

func (a *API) getInvoiceChorus(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	_, c, err := svc.ChorusFollowup(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	if c == nil {
		return kairos.Errorf(kairos.ENotFound, "Ce document n'est pas suivi sur Chorus Pro (émis avant le dépôt automatique).")
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) invoiceChorusAction(action string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := a.issuer(); err != nil {
			return err
		}
		if a.Chorus == nil {
			return kairos.Errorf(kairos.ENotFound, "Chorus Pro n'est pas disponible sur cette instance.")
		}
		id, err := pathInt(r, "id", "Facture")
		if err != nil {
			return err
		}
		var in invoices.RecycleForm
		if action != invoices.ChorusRefresh || r.ContentLength > 0 {
			if err := readJSON(r, &in); err != nil {
				return err
			}
		}
		c, err := a.Chorus.ChorusAct(r.Context(), kairos.ActorFrom(r.Context()), id, action, in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	}
}
