package web

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/webhooks"
)

type webhooksPage struct {
	Subs     []webhooks.Subscription
	Families []webhooks.Family
	Form     *Form
	Types    map[string]bool
}

type webhookPage struct {
	Sub        *webhooks.Subscription
	Families   []webhooks.Family
	Form       *Form
	Secret     string // after creation or rotation, shown once
	Deliveries []webhooks.Delivery
	State      string
	NextBefore int64
	Types      map[string]bool
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, p webhooksPage) {
	subs, err := s.Webhooks.List(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Subs, p.Families = subs, webhooks.Families()
	p.Types = map[string]bool{}
	for _, t := range p.Form.Values["event_types"] {
		p.Types[t] = true
	}
	if p.Form.Get("all") == "1" {
		p.Types["*"] = true
	}
	s.render(w, r, status, "webhooks", p)
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) {
	s.renderWebhooks(w, r, http.StatusOK, webhooksPage{Form: NewForm(r)})
}

func webhookInput(f *Form) webhooks.Input {
	types := f.Values["event_types"]
	if f.Get("all") == "1" {
		types = []string{"*"}
	}
	return webhooks.Input{URL: f.Get("url"), Description: f.Get("description"), EventTypes: types}
}

// webhookCreate shows the new subscription's secret once, on the page that
// answers the form (it is never shown again).
func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	sub, secret, err := s.Webhooks.Create(r.Context(), kairos.ActorFrom(r.Context()), webhookInput(f))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.renderWebhooks(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), webhooksPage{Form: f})
		return
	}
	s.renderWebhook(w, r, http.StatusCreated, sub.ID, webhookPage{Secret: secret})
}

func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, status int, id int64, p webhookPage) {
	a := kairos.ActorFrom(r.Context())
	sub, err := s.Webhooks.Get(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.State = r.URL.Query().Get("etat")
	var before int64
	if v := r.URL.Query().Get("avant"); v != "" {
		before, _ = strconv.ParseInt(v, 10, 64)
	}
	state := map[string]string{"en-attente": "pending", "livrees": "delivered", "echecs": "failed"}[p.State]
	p.Deliveries, p.NextBefore, err = s.Webhooks.Deliveries(r.Context(), a, id, webhooks.DeliveryFilter{State: state, Before: before, Limit: 30})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Sub, p.Families = sub, webhooks.Families()
	if p.Form == nil {
		p.Form = NewForm(nil)
		p.Form.Values.Set("url", sub.URL)
		p.Form.Values.Set("description", sub.Description)
	}
	if p.Types == nil {
		p.Types = map[string]bool{}
		for _, t := range sub.EventTypes {
			p.Types[t] = true
		}
	}
	s.render(w, r, status, "webhook", p)
}

func (s *Server) webhookShow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.renderWebhook(w, r, http.StatusOK, id, webhookPage{})
}

func (s *Server) webhookUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	f := NewForm(r)
	in := webhookInput(f)
	_, err = s.Webhooks.Update(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		if !f.Fail(err) || kairos.ErrorCode(err) != kairos.EInvalid {
			s.errorPage(w, r, err)
			return
		}
		types := map[string]bool{}
		for _, t := range in.EventTypes {
			types[t] = true
		}
		s.renderWebhook(w, r, http.StatusUnprocessableEntity, id, webhookPage{Form: f, Types: types})
		return
	}
	s.redirect(w, r, "/organisme/webhooks/"+strconv.FormatInt(id, 10), &Flash{"success", "Abonnement enregistré."})
}

func (s *Server) webhookRotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var secret string
		if _, secret, err = s.Webhooks.Rotate(r.Context(), kairos.ActorFrom(r.Context()), id); err == nil {
			s.renderWebhook(w, r, http.StatusOK, id, webhookPage{Secret: secret})
			return
		}
	}
	s.errorPage(w, r, err)
}

func (s *Server) webhookSetState(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	on := r.PostFormValue("etat") == "actif"
	_, err = s.Webhooks.SetEnabled(r.Context(), kairos.ActorFrom(r.Context()), id, on)
	to := "/organisme/webhooks/" + strconv.FormatInt(id, 10)
	switch kairos.ErrorCode(err) {
	case "":
		msg := "Abonnement désactivé : les événements suivants ne lui sont plus envoyés (ils restent dans le flux GET /api/v1/events)."
		if on {
			msg = "Abonnement réactivé : les livraisons en attente repartent."
		}
		s.redirect(w, r, to, &Flash{"success", msg})
	case kairos.EConflict:
		s.redirect(w, r, to, &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}

func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.Webhooks.Delete(r.Context(), kairos.ActorFrom(r.Context()), id)
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.redirect(w, r, "/organisme/webhooks", &Flash{"success", "Abonnement supprimé : plus rien ne lui est envoyé."})
}

// webhookReplay queues again one delivery (livraison=ID) or every failed one.
func (s *Server) webhookReplay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	var n int
	if v := r.PostFormValue("livraison"); v != "" {
		did, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || did <= 0 {
			s.errorPage(w, r, kairos.NotFound("Livraison"))
			return
		}
		n, err = s.Webhooks.Replay(r.Context(), a, id, did)
	} else {
		n, err = s.Webhooks.ReplayFailed(r.Context(), a, id)
	}
	to := "/organisme/webhooks/" + strconv.FormatInt(id, 10)
	switch kairos.ErrorCode(err) {
	case "":
		msg := "Livraison remise en file : l'événement part à nouveau, avec le même identifiant."
		if n > 1 {
			msg = strconv.Itoa(n) + " livraisons remises en file : les événements partent à nouveau, avec leurs identifiants."
		}
		s.redirect(w, r, to, &Flash{"success", msg})
	case kairos.EConflict:
		s.redirect(w, r, to, &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
