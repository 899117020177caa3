package web

import (
	"context"
	"net/http"

	"kairos"
	"kairos/invoices"
)

// Chorus Pro on the invoice pages (issue 17): the follow-up of a document,
// the OF's actions (recycler, completer), the refresh, the admin page.

func (s *Server) chorusDocURL() string {
	if s.Cfg.ChorusDocURL != "" {
		return s.Cfg.ChorusDocURL
	}
	return "https://communaute-chorus-pro.finances.gouv.fr/"
}

func (s *Server) chorusFTEmail() string {
	if s.Cfg.ChorusFTEmail != "" {
		return s.Cfg.ChorusFTEmail
	}
	return "dafgdg_chorus-pro.00135@pole-emploi.fr"
}

// chorusOf returns the follow-up of a document (nil without one).
func (s *Server) chorusOf(ctx context.Context, a *kairos.Actor, id int64) (*invoices.Chorus, error) {
	_, c, err := s.Issuer.ChorusFollowup(ctx, a, id)
	return c, err
}

var chorusActions = map[string]string{"recycler": invoices.ChorusRecycle, "completer": invoices.ChorusComplete, "actualiser": invoices.ChorusRefresh}

// invoiceChorusAction runs recycler, completer or actualiser (POST-redirect-GET).
func (s *Server) invoiceChorusAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		if s.Chorus == nil {
			s.notFound(w, r)
			return
		}
		f := NewForm(r)
		form := invoices.RecycleForm{CodeDestinataire: f.Get("code_destinataire"), CodeServiceExecutant: f.Get("code_service_executant"),
			NumeroBonCommande: f.Get("numero_bon_commande"), Comment: f.Get("commentaire")}
		c, err := s.Chorus.ChorusAct(r.Context(), kairos.ActorFrom(r.Context()), id, chorusActions[action], form)
		if err != nil {
			if !f.Fail(err) {
				s.errorPage(w, r, err)
				return
			}
			f.Values.Set("chorus_action", action)
			s.invoiceShowRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
			return
		}
		msg := "Suivi Chorus Pro actualisé : « " + c.StateLabel + " »."
		switch action {
		case "recycler":
			msg = "Facture recyclée sur Chorus Pro avec les données corrigées : France Travail la reçoit de nouveau (état « " + c.StateLabel + " »)."
		case "completer":
			msg = "Facture complétée sur Chorus Pro avec ses justificatifs : France Travail reprend son traitement (état « " + c.StateLabel + " »)."
		}
		s.redirect(w, r, "/factures/documents/"+itoa(id)+"#chorus", &Flash{"success", msg})
	}
}

type adminChorusPage struct {
	Notice     *invoices.PasswordNotice
	Configured bool
	Sandbox    bool
	Stats      []invoices.PhaseCount
	Failing    []invoices.FailingDeposit
}

// adminChorus is the platform administrator's Chorus Pro page: the
// technical account's password expiry, the deposits by phase and those in
// error.
func (s *Server) adminChorus(w http.ResponseWriter, r *http.Request) {
	p := adminChorusPage{Notice: s.ChorusPass.Notice(), Configured: s.Cfg.ChorusAPIURL != "", Sandbox: s.Cfg.ChorusAPIURL == "" && s.Cfg.Demo}
	var err error
	if p.Stats, p.Failing, err = invoices.DepositStats(r.Context(), s.DB); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin-chorus", p)
}

// chorusField is one text field of the recycling and completing forms.
type chorusField struct{ Name, Label, Value, Error string }

// Field is the field name of the page's form: the value typed (after an
// error), else def.
func (p invoicePage) Field(name, label, def string) chorusField {
	f := chorusField{Name: name, Label: label, Value: def}
	if p.Form != nil {
		if p.Form.Values != nil && p.Form.Values.Has(name) {
			f.Value = p.Form.Get(name)
		}
		f.Error = p.Form.Errors[name]
	}
	return f
}

// chorusFilterView is the filter of the invoice lists by Chorus Pro state.
type chorusFilterView struct {
	Action, View, Chorus string
	Kind                 string // the FT list's type=factures|avoirs, kept
	Options              []struct{ Value, Label string }
}

func (p invoicesPage) Filter() chorusFilterView {
	return chorusFilterView{Action: "/factures", View: p.View, Chorus: p.Chorus, Options: invoices.ChorusFilters}
}

func (p invoicesFTPage) Filter() chorusFilterView {
	return chorusFilterView{Action: "/france-travail/factures", Kind: p.Kind, Chorus: p.Chorus, Options: invoices.ChorusFilters}
}
