package web

import (
	"net/http"

	"kairos"
	"kairos/invoices"
)

var (
	ofFacturation  = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabFacturation}
	invoiceReaders = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleFTComptable, kairos.RoleFTGestionnaire}}
)

type invoicesPage struct {
	View   string // a-preparer, emises, avoirs
	Chorus string // filter by Chorus Pro state (invoices.ChorusFilters)
	Drafts []invoices.Draft
	List   []invoices.Issued
	Ready  int
}

// invoicesPage is the OF's « Factures »: to prepare, issued, credit notes.
func (s *Server) invoicesPage(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	p := invoicesPage{View: r.URL.Query().Get("vue"), Chorus: r.URL.Query().Get("chorus")}
	var err error
	switch p.View {
	case "emises":
		p.List, err = s.Issuer.List(r.Context(), a, "factures", p.Chorus)
	case "avoirs":
		p.List, err = s.Issuer.List(r.Context(), a, "avoirs", p.Chorus)
	default:
		p.View = "a-preparer"
		p.Drafts, err = s.Issuer.ToPrepare(r.Context(), a)
		for _, d := range p.Drafts {
			if d.Ready {
				p.Ready++
			}
		}
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "factures", p)
}

type invoiceDraftPage struct {
	D    *invoices.Draft
	Form *Form
}

func (s *Server) invoiceDraft(w http.ResponseWriter, r *http.Request) {
	s.invoiceDraftRender(w, r, http.StatusOK, nil)
}

func (s *Server) invoiceDraftRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d, err := s.Issuer.Prepare(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
	}
	s.render(w, r, status, "facture-preparer", invoiceDraftPage{D: d, Form: f})
}

// invoiceIssue issues the prepared invoice (POST-redirect-GET).
func (s *Server) invoiceIssue(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	x, err := s.Issuer.Issue(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.invoiceDraftRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	s.redirect(w, r, "/factures/documents/"+itoa(x.ID), &Flash{"success", "Facture " + x.Number + " émise (" + x.Total() + ") : le PDF Factur-X est prêt pour Chorus Pro ; France Travail la voit."})
}

type invoicePage struct {
	X       *invoices.Issued
	IsOF    bool
	Form    *Form
	Chorus  *invoices.Chorus // nil: not followed on Chorus Pro
	Buyer   string           // France Travail's SIRET (the recycling form's default)
	Service string           // the code service of the invoice
}

func (s *Server) invoiceShow(w http.ResponseWriter, r *http.Request) {
	s.invoiceShowRender(w, r, http.StatusOK, nil)
}

func (s *Server) invoiceShowRender(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	x, err := s.Issuer.Get(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if f == nil {
		f = NewForm(nil)
	}
	c, err := s.chorusOf(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, status, "facture", invoicePage{X: x, IsOF: kairos.Authorize(a, ofFacturation) == nil, Form: f, Chorus: c, Buyer: x.Model.Buyer.SIRET, Service: x.Model.BuyerReference})
}

func (s *Server) invoiceDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	kind := map[string]string{"facture.pdf": "pdf", "facture.xml": "xml"}[r.PathValue("doc")]
	if kind == "" {
		s.notFound(w, r)
		return
	}
	name, b, err := s.Issuer.Document(r.Context(), kairos.ActorFrom(r.Context()), id, kind)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	ct := "application/pdf"
	if kind == "xml" {
		ct = "application/xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func (s *Server) invoiceCreditNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	cn, err := s.Issuer.CreditNote(r.Context(), kairos.ActorFrom(r.Context()), id, f.Get("reason"))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.invoiceShowRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	s.redirect(w, r, "/factures/documents/"+itoa(cn.ID), &Flash{"success", "Avoir " + cn.Number + " émis : la facture est annulée ; la formation peut être facturée de nouveau."})
}

type invoicesFTPage struct {
	List   []invoices.Issued
	Chorus string
}

func (s *Server) invoicesFT(w http.ResponseWriter, r *http.Request) {
	chorus := r.URL.Query().Get("chorus")
	list, err := s.Issuer.List(r.Context(), kairos.ActorFrom(r.Context()), "", chorus)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "factures-ft", invoicesFTPage{List: list, Chorus: chorus})
}
