package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"

	"kairos"
	"kairos/chorus"
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

// invoiceAsk records a question of the OF to the Chorus Pro assistance
// (POST-redirect-GET; a double submit of one form finds the same question).
func (s *Server) invoiceAsk(w http.ResponseWriter, r *http.Request) {
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
	f.IDSuffix = "-q"
	in := invoices.QuestionForm{Subject: f.Values.Get("subject"), Message: f.Values.Get("message"), Token: f.Get("token")}
	if v := f.Get("category_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			n = -1 // unknown: named by Ask
		}
		in.CategoryID = n
	}
	q, created, err := s.Chorus.Ask(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		f.Values.Set("chorus_action", "question")
		s.invoiceShowRender(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), f)
		return
	}
	msg := "Question « " + q.Subject + " » enregistrée : Kairos l'envoie à l'assistance Chorus Pro et vous affichera sa réponse ici."
	if !created {
		msg = "Cette question était déjà enregistrée (formulaire envoyé deux fois) : elle n'est posée qu'une fois."
	}
	s.redirect(w, r, "/factures/documents/"+itoa(id)+"#assistance", &Flash{"success", msg})
}

// assistanceView is the section « Assistance Chorus Pro » of an invoice page.
type assistanceView struct {
	Questions  []invoices.Question
	More       bool // more than QuestionsShown questions: the API lists them all
	Categories []chorus.CategorieSollicitation
	CatError   string // why the categories cannot be read (the form is not shown)
	Token      string // the form's submission token
}

func (s *Server) assistanceOf(ctx context.Context, a *kairos.Actor, id int64, isOF bool, f *Form) (*assistanceView, error) {
	v := &assistanceView{}
	var err error
	if v.Questions, err = s.Issuer.Questions(ctx, a, id, 0, invoices.QuestionsShown+1); err != nil {
		return nil, err
	}
	if len(v.Questions) > invoices.QuestionsShown {
		v.Questions, v.More = v.Questions[:invoices.QuestionsShown], true
	}
	if isOF && s.Chorus != nil {
		if v.Categories, err = s.Chorus.QuestionCategories(ctx); err != nil {
			v.CatError = kairos.ErrorMessage(err)
		}
		v.Token = f.Get("token")
		if f.Get("chorus_action") != "question" || v.Token == "" {
			var b [16]byte
			rand.Read(b[:])
			v.Token = hex.EncodeToString(b[:])
		}
	}
	return v, nil
}

// QField is a field of the question form: the value typed after an error.
func (p invoicePage) QField(name string) chorusField {
	f := chorusField{Name: name}
	if p.Form != nil && p.Form.Get("chorus_action") == "question" {
		f.Value, f.Error = p.Form.Values.Get(name), p.Form.Errors[name]
	}
	return f
}
