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
}

// DeliveryList is a page of a subscription's deliveries.
type DeliveryList struct {
	Items      []webhooks.Delivery `json:"items"`
	NextBefore int64               `json:"next_before,omitempty"` // pass as ?before= for the next page
}

// EventTypeList is the catalogue of event types.
type EventTypeList struct {
	Items []webhooks.EventType `json:"items"`
}

func (a *API) hooks() (*webhooks.Service, error) {
	if a.Webhooks == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Les webhooks ne sont pas disponibles sur cette instance.")
	}
	return a.Webhooks, nil
}

func (a *API) eventTypes(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, EventTypeList{Items: webhooks.Types})
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
	return writeJSON(w, http.StatusOK, page)
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.hooks()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, SubscriptionList{Items: list})
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
	list, next, err := svc.Deliveries(r.Context(), kairos.ActorFrom(r.Context()), id, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, DeliveryList{Items: list, NextBefore: next})
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
