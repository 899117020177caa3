package api

import (
	"net/http"

	"kairos"
	"kairos/invoices"
)

var (
	ofFacturation  = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabFacturation}
	invoiceReaders = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleFTComptable, kairos.RoleFTGestionnaire}}
)

func (a *API) issuer() (*invoices.Issuer, error) {
	if a.Issuer == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "La facturation n'est pas disponible sur cette instance.")
	}
	return a.Issuer, nil
}

// draftView is a prepared invoice in the API: the draft and its model.
type draftView struct {
	*invoices.Draft
	Invoice any `json:"invoice,omitempty"`
}

func view(d *invoices.Draft) draftView {
	v := draftView{Draft: d}
	if d.Invoice != nil {
		v.Invoice = d.Invoice
	}
	return v
}

func (a *API) listInvoices(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()), r.URL.Query().Get("type"), r.URL.Query().Get("chorus"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *API) invoicesToPrepare(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	list, err := svc.ToPrepare(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *API) invoiceDraft(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Inscription")
	if err != nil {
		return err
	}
	d, err := svc.Prepare(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, view(d))
}

func (a *API) issueInvoice(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Inscription")
	if err != nil {
		return err
	}
	x, err := svc.Issue(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, x)
}

func (a *API) getInvoice(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	x, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"invoice": x, "model": x.Model})
}

func (a *API) invoiceDoc(w http.ResponseWriter, r *http.Request, kind, ct string) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	name, b, err := svc.Document(r.Context(), kairos.ActorFrom(r.Context()), id, kind)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(b)
	return err
}

func (a *API) invoicePDF(w http.ResponseWriter, r *http.Request) error {
	return a.invoiceDoc(w, r, "pdf", "application/pdf")
}

func (a *API) invoiceXML(w http.ResponseWriter, r *http.Request) error {
	return a.invoiceDoc(w, r, "xml", "application/xml")
}

func (a *API) creditNote(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	x, err := svc.CreditNote(r.Context(), kairos.ActorFrom(r.Context()), id, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, x)
}
