package api

import (
	"net/http"

	"kairos"
	"kairos/calendar"
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
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	before, err := afterInt(p)
	if err != nil {
		return err
	}
	list, err := svc.ListPage(r.Context(), kairos.ActorFrom(r.Context()), r.URL.Query().Get("type"), before, p.Limit+1)
	if err != nil {
		return err
	}
	out := InvoiceList{}
	out.Items, out.Next = nextOf(list, p.Limit, func(x invoices.Issued) []string { return []string{kInt(x.ID)} })
	return writeJSON(w, http.StatusOK, out)
}

// InvoiceList is a page of invoices and credit notes, the most recent first.
type InvoiceList struct {
	Items []invoices.Issued `json:"items"`
	Next  string            `json:"next,omitempty"` // pass as ?after= for the next page
}

// DraftList is a page of the exited trainees to invoice, the most recent exits first.
type DraftList struct {
	Items []invoices.Draft `json:"items"`
	Next  string           `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) invoicesToPrepare(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	exit, id, err := afterIntInt(p)
	if err != nil {
		return err
	}
	list, err := svc.ToPreparePage(r.Context(), kairos.ActorFrom(r.Context()), calendar.Date(exit), id, p.Limit+1)
	if err != nil {
		return err
	}
	out := DraftList{}
	out.Items, out.Next = nextOf(list, p.Limit, func(x invoices.Draft) []string { return []string{kInt(int64(x.ExitOn)), kInt(x.EnrolmentID)} })
	return writeJSON(w, http.StatusOK, out)
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
