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
	Pager  Pager
}

const invoicesPerPage = 50

// issuedPage reads the page of issued documents of kind the request asks for.
func (s *Server) issuedPage(r *http.Request, kind string) ([]invoices.Issued, Pager, error) {
	a := kairos.ActorFrom(r.Context())
	chorus := r.URL.Query().Get("chorus")
	first, err := s.Issuer.Page(r.Context(), a, invoices.ListFilter{Kind: kind, Chorus: chorus, Limit: 1})
	if err != nil {
		return nil, Pager{}, err
	}
	pg := NewPager(r, first.Total, invoicesPerPage)
	p, err := s.Issuer.Page(r.Context(), a, invoices.ListFilter{Kind: kind, Chorus: chorus, Limit: invoicesPerPage, Offset: pg.Offset(invoicesPerPage)})
	if err != nil {
		return nil, Pager{}, err
	}
	return p.Items, pg, nil
}

// invoicesExport is the CSV of the issued documents the actor reads
// (type=factures or avoirs filters).
func (s *Server) invoicesExport(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	kind, chorus := r.URL.Query().Get("type"), r.URL.Query().Get("chorus")
	if _, err := s.Issuer.Page(r.Context(), a, invoices.ListFilter{Kind: kind, Chorus: chorus, Limit: 1}); err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="factures.csv"`)
	w.Write([]byte("\uFEFF"))
	if err := s.Issuer.WriteCSV(r.Context(), a, kind, w, chorus); err != nil {
		s.Log.Error("factures: csv export", "err", err)
	}
}

// invoicesPage is the OF's « Factures »: to prepare, issued, credit notes.
func (s *Server) invoicesPage(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	p := invoicesPage{View: r.URL.Query().Get("vue"), Chorus: r.URL.Query().Get("chorus")}
	var err error
	switch p.View {
	case "emises":
		p.List, p.Pager, err = s.issuedPage(r, "factures")
	case "avoirs":
		p.List, p.Pager, err = s.issuedPage(r, "avoirs")
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
	// Assistance is the section « Assistance Chorus Pro » (nil: not followed).
	Assistance *assistanceView
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
	p := invoicePage{X: x, IsOF: kairos.Authorize(a, ofFacturation) == nil, Form: f, Chorus: c, Buyer: x.Model.Buyer.SIRET, Service: x.Model.BuyerReference}
	if c != nil {
		if p.Assistance, err = s.assistanceOf(r.Context(), a, id, p.IsOF, f); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	s.render(w, r, status, "facture", p)
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
	Pager  Pager
	Kind   string // "", factures, avoirs
	Chorus string // filter by Chorus Pro state
}

func (s *Server) invoicesFT(w http.ResponseWriter, r *http.Request) {
	p := invoicesFTPage{Kind: r.URL.Query().Get("type"), Chorus: r.URL.Query().Get("chorus")}
	if p.Kind != "factures" && p.Kind != "avoirs" {
		p.Kind = ""
	}
	var err error
	if p.List, p.Pager, err = s.issuedPage(r, p.Kind); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "factures-ft", p)
}
