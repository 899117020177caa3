package api

import (
	"net/http"
	"strconv"
	"strings"

	"kairos"
	"kairos/webhooks"
)

// SubscriptionCreated is a new subscription with its secret, shown once.
type SubscriptionCreated struct {
	*webhooks.Subscription
	Secret string `json:"secret"`
}

// SubscriptionList lists an organisation's subscriptions.
type SubscriptionList struct {
	Items []webhooks.Subscription `json:"items"`
	Next  string                  `json:"next,omitempty"` // pass as ?after= for the next page
}

// DeliveryList is a page of a subscription's deliveries.
type DeliveryList struct {
	Items      []webhooks.Delivery `json:"items"`
	NextBefore int64               `json:"next_before,omitempty"` // pass as ?before= for the next page
	Next       string              `json:"next,omitempty"`        // or this as ?after=
}

// EventTypeList is the catalogue of event types.
type EventTypeList struct {
	Items []webhooks.EventType `json:"items"`
	Next  string               `json:"next,omitempty"` // pass as ?after= for the next page
}

// FeedPage is a page of the change feed: next is given when more events
// are already there (has_more), next_cursor always (where to resume polling).
type FeedPage struct {
	*webhooks.FeedPage
	Next string `json:"next,omitempty"`
}

func (a *API) hooks() (*webhooks.Service, error) {
	if a.Webhooks == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Les webhooks ne sont pas disponibles sur cette instance.")
	}
	return a.Webhooks, nil
}

func (a *API) eventTypes(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r, pageMax)
	if err != nil {
		return err
	}
	// The catalogue's order is fixed (by family): the key is the position.
	pos := make(map[string]int, len(webhooks.Types))
	for i, t := range webhooks.Types {
		pos[t.Name] = i
	}
	out := EventTypeList{}
	if out.Items, out.Next, err = pageOf(p, webhooks.Types, false, func(t webhooks.EventType) []string { return []string{kInt(int64(pos[t.Name]))} }); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// events is the change feed: ?after=<cursor>&limit=&types=a,b
func (a *API) events(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, err := webhooks.ParseCursor(q.Get("after"))
	if err != nil {
		return err
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > webhooks.MaxFeedPage {
			return kairos.Invalid(map[string]string{"limit": "Nombre d'événements par page : de 1 à " + strconv.Itoa(webhooks.MaxFeedPage) + "."})
		}
	}
	var types []string
	if v := q.Get("types"); v != "" {
		types = strings.Split(v, ",")
	}
	page, err := svc.Feed(r.Context(), kairos.ActorFrom(r.Context()), after, types, limit)
	if err != nil {
		return err
	}
	out := FeedPage{FeedPage: page}
	if page.HasMore {
		out.Next = page.NextCursor
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	// An organisation's subscriptions are few (webhooks.MaxSubscriptions): read whole, cut here.
	list, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		return err
	}
	out := SubscriptionList{}
	if out.Items, out.Next, err = pageOf(p, list, false, func(s webhooks.Subscription) []string { return []string{kInt(s.ID)} }); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	var in webhooks.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sub, secret, err := svc.Create(r.Context(), kairos.ActorFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(sub.ID, 10))
	return writeJSON(w, http.StatusCreated, SubscriptionCreated{Subscription: sub, Secret: secret})
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	sub, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sub)
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	var in webhooks.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sub, err := svc.Update(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sub)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), kairos.ActorFrom(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) enableWebhook(w http.ResponseWriter, r *http.Request) error {
	return a.setWebhookEnabled(w, r, true)
}
func (a *API) disableWebhook(w http.ResponseWriter, r *http.Request) error {
	return a.setWebhookEnabled(w, r, false)
}

func (a *API) setWebhookEnabled(w http.ResponseWriter, r *http.Request, on bool) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	sub, err := svc.SetEnabled(r.Context(), kairos.ActorFrom(r.Context()), id, on)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sub)
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	sub, secret, err := svc.Rotate(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, SubscriptionCreated{Subscription: sub, Secret: secret})
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	f := webhooks.DeliveryFilter{State: r.URL.Query().Get("state")}
	if v := r.URL.Query().Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil || f.Before < 0 {
			return kairos.Invalid(map[string]string{"before": "Curseur invalide : reprenez next_before d'une réponse précédente."})
		}
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 200 {
			return kairos.Invalid(map[string]string{"limit": "Nombre de livraisons par page : de 1 à 200."})
		}
	}
	if r.URL.Query().Get("after") != "" {
		p, err := readPage(r, 0)
		if err != nil {
			return err
		}
		if f.Before, err = afterInt(p); err != nil {
			return err
		}
	}
	list, next, err := svc.Deliveries(r.Context(), kairos.ActorFrom(r.Context()), id, f)
	if err != nil {
		return err
	}
	out := DeliveryList{Items: list, NextBefore: next}
	if next > 0 {
		out.Next = encodeCursor([]string{kInt(next)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// Replayed counts the deliveries queued again.
type Replayed struct {
	Queued int `json:"queued"`
}

func (a *API) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	did, err := pathInt(r, "did", "Livraison")
	if err != nil {
		return err
	}
	n, err := svc.Replay(r.Context(), kairos.ActorFrom(r.Context()), id, did)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, Replayed{Queued: n})
}

func (a *API) replayFailed(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Abonnement")
	if err != nil {
		return err
	}
	n, err := svc.ReplayFailed(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, Replayed{Queued: n})
}
