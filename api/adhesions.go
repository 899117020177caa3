package api

import (
	"net/http"
	"strconv"
	"time"

	"kairos"
	"kairos/adhesion"
)

// AdhesionCreated answers a submission: the adhesion and its follow-up token, shown once.
type AdhesionCreated struct {
	Adhesion *adhesion.Adhesion `json:"adhesion"`
	Token    string             `json:"token"`
}

// submitAdhesion records an application. It needs no key: like the public
// form, anyone may apply; the answer's token reads the state later.
func (a *API) submitAdhesion(w http.ResponseWriter, r *http.Request) error {
	var in adhesion.Application
	if err := readJSON(r, &in); err != nil {
		return err
	}
	ad, token, err := a.Adhesions.Submit(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/adhesions/"+strconv.FormatInt(ad.ID, 10))
	return writeJSON(w, http.StatusCreated, AdhesionCreated{Adhesion: ad, Token: token})
}

// AdhesionDetail is an adhesion with its history and certificates.
type AdhesionDetail struct {
	*adhesion.Adhesion
	History      []adhesion.Event       `json:"history"`
	Certificates []adhesion.Certificate `json:"qualiopi_certificates"`
	// AllowedActions are the decisions the caller may take now (adhesion.Workflow, guards included).
	AllowedActions []string `json:"allowed_actions"`
}

func (a *API) detail(r *http.Request, ad *adhesion.Adhesion) (*AdhesionDetail, error) {
	h, err := a.Adhesions.History(r.Context(), ad.ID)
	if err != nil {
		return nil, err
	}
	c, err := a.Adhesions.Certificates(r.Context(), ad.ID)
	if err != nil {
		return nil, err
	}
	allowed := []string{}
	if actor := kairos.ActorFrom(r.Context()); actor != nil {
		for _, t := range adhesion.Allowed(ad, actor.Role, a.now()) {
			allowed = append(allowed, string(t.Action))
		}
	}
	return &AdhesionDetail{Adhesion: ad, History: h, Certificates: c, AllowedActions: allowed}, nil
}

// adhesionStatus reads an adhesion with its follow-up token (header
// X-Kairos-Adhesion-Token), without an API key.
func (a *API) adhesionStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Adhésion")
	if err != nil {
		return err
	}
	ad, err := a.Adhesions.ByToken(r.Context(), id, r.Header.Get("X-Kairos-Adhesion-Token"))
	if err != nil {
		return err
	}
	d, err := a.detail(r, ad)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// AdhesionList is a page of the France Travail queue.
type AdhesionList struct {
	Items  []adhesion.Adhesion `json:"items"`
	Total  int                 `json:"total"`
	Offset int                 `json:"offset"`
	Limit  int                 `json:"limit"`
	Next   string              `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) listAdhesions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, _, err := paging(q.Get("offset"), "")
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	f := adhesion.Filter{Region: q.Get("region"), Offset: offset, Limit: p.Limit + 1}
	if p.After != nil {
		var at time.Time
		id, ok := int64(0), len(p.After) == 2
		if ok {
			at, ok = keyTime(p.After[0])
		}
		if ok {
			id, ok = keyInt(p.After[1])
		}
		if !ok {
			return badCursor()
		}
		f.AfterSubmitted, f.AfterID = at, id
	}
	st := adhesion.State(q.Get("state"))
	if st != "" && !st.Valid() {
		return kairos.Invalid(map[string]string{"state": "État inconnu."})
	}
	f.State = st
	items, total, err := a.Adhesions.List(r.Context(), kairos.ActorFrom(r.Context()), f)
	if err != nil {
		return err
	}
	items, next := nextOf(items, p.Limit, func(x adhesion.Adhesion) []string { return []string{kTime(x.SubmittedAt), kInt(x.ID)} })
	if items == nil {
		items = []adhesion.Adhesion{}
	}
	return writeJSON(w, http.StatusOK, AdhesionList{Items: items, Total: total, Offset: offset, Limit: p.Limit, Next: next})
}

func (a *API) getAdhesion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Adhésion")
	if err != nil {
		return err
	}
	ad, err := a.Adhesions.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	d, err := a.detail(r, ad)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// Decision is a decision on an adhesion.
type Decision struct {
	Action adhesion.Action `json:"action"`
	Reason string          `json:"reason"`
}

func (a *API) decideAdhesion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Adhésion")
	if err != nil {
		return err
	}
	var d Decision
	if err := readJSON(r, &d); err != nil {
		return err
	}
	ad, err := a.Adhesions.Decide(r.Context(), kairos.ActorFrom(r.Context()), id, d.Action, d.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ad)
}

// OrgAdhesion is the caller's OF's current adhesion and whether it may trade.
type OrgAdhesion struct {
	Adhesion *AdhesionDetail `json:"adhesion"`
	CanTrade bool            `json:"can_trade"`
	Reason   string          `json:"reason,omitempty"`
}

func (a *API) orgAdhesion(w http.ResponseWriter, r *http.Request) error {
	actor := kairos.ActorFrom(r.Context())
	out := OrgAdhesion{}
	ad, err := a.Adhesions.Current(r.Context(), actor.OrgID)
	if err != nil {
		return err
	}
	if ad != nil {
		if out.Adhesion, err = a.detail(r, ad); err != nil {
			return err
		}
	}
	if out.CanTrade, out.Reason, err = a.Adhesions.CanTrade(r.Context(), actor.OrgID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// QualiopiRenewal is a new Qualiopi certificate (dates AAAA-MM-JJ).
type QualiopiRenewal struct {
	Number    string `json:"numero"`
	Certifier string `json:"certificateur"`
	From      string `json:"debut"`
	Until     string `json:"fin"`
}

func (a *API) renewQualiopi(w http.ResponseWriter, r *http.Request) error {
	var in QualiopiRenewal
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := a.Adhesions.RenewQualiopi(r.Context(), kairos.ActorFrom(r.Context()), adhesion.QualiopiInput{Number: in.Number, Certifier: in.Certifier, From: in.From, Until: in.Until})
	if err != nil {
		return renameFields(err, map[string]string{"qualiopi_numero": "numero", "qualiopi_certificateur": "certificateur", "qualiopi_debut": "debut", "qualiopi_fin": "fin"})
	}
	return writeJSON(w, http.StatusCreated, c)
}

// renameFields maps service field names to the JSON ones of a request.
func renameFields(err error, names map[string]string) error {
	fields := kairos.FieldErrors(err)
	if len(fields) == 0 {
		return err
	}
	out := map[string]string{}
	for k, v := range fields {
		if n, ok := names[k]; ok {
			k = n
		}
		out[k] = v
	}
	return &kairos.Error{Code: kairos.ErrorCode(err), Message: kairos.ErrorMessage(err), Fields: out}
}

// Invitation invites a user into the caller's OF.
type Invitation struct {
	Email         string   `json:"email"`
	Name          string   `json:"name"`
	Habilitations []string `json:"habilitations"`
}

func habSet(list []string) (kairos.HabSet, error) {
	var out kairos.HabSet
	for _, h := range list {
		if !kairos.Habilitation(h).Valid() {
			return nil, kairos.Invalid(map[string]string{"habilitations": "Habilitation inconnue : « " + h + " » (rdv, candidatures, assiduite, devis, bilan, facturation)."})
		}
		out = append(out, kairos.Habilitation(h))
	}
	return kairos.ParseHabSet(out.String()), nil
}

func (a *API) inviteUser(w http.ResponseWriter, r *http.Request) error {
	var in Invitation
	if err := readJSON(r, &in); err != nil {
		return err
	}
	habs, err := habSet(in.Habilitations)
	if err != nil {
		return err
	}
	u, err := a.Accounts.Invite(r.Context(), kairos.ActorFrom(r.Context()), in.Email, in.Name, habs)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
	return writeJSON(w, http.StatusCreated, u)
}

// HabilitationsInput replaces a user's habilitations.
type HabilitationsInput struct {
	Habilitations []string `json:"habilitations"`
}

func (a *API) setHabilitations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Utilisateur")
	if err != nil {
		return err
	}
	var in HabilitationsInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	habs, err := habSet(in.Habilitations)
	if err != nil {
		return err
	}
	u, err := a.Accounts.SetHabilitations(r.Context(), kairos.ActorFrom(r.Context()), id, habs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

// StatusInput disables or re-enables a user.
type StatusInput struct {
	Disabled bool `json:"disabled"`
}

func (a *API) setUserStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Utilisateur")
	if err != nil {
		return err
	}
	var in StatusInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	u, err := a.Accounts.SetStatus(r.Context(), kairos.ActorFrom(r.Context()), id, in.Disabled)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}
