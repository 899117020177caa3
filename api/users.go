package api

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/account"
)

// UserList is a page of users.
type UserList struct {
	Items  []account.User `json:"items"`
	Total  int            `json:"total"`
	Offset int            `json:"offset"`
	Limit  int            `json:"limit"`
	Next   string         `json:"next,omitempty"` // pass as ?after= for the next page
}

// listUsers lists the users of the caller's organisation, by name.
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, _, err := paging(q.Get("offset"), "")
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	actor := kairos.ActorFrom(r.Context())
	f := account.UserFilter{OrgID: actor.OrgID, Query: q.Get("q"), Offset: offset, Limit: p.Limit + 1}
	if p.After != nil {
		id, ok := int64(0), len(p.After) == 2
		if ok {
			id, ok = keyInt(p.After[1])
		}
		if !ok {
			return badCursor()
		}
		f.AfterName, f.AfterID = p.After[0], id
	}
	users, total, err := a.Accounts.Users(r.Context(), f)
	if err != nil {
		return err
	}
	users, next := nextOf(users, p.Limit, func(u account.User) []string { return []string{u.Name, kInt(u.ID)} })
	return writeJSON(w, http.StatusOK, UserList{Items: users, Total: total, Offset: offset, Limit: p.Limit, Next: next})
}

// getUser returns one user of the caller's organisation; any other is not found.
func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Utilisateur")
	if err != nil {
		return err
	}
	u, err := a.Accounts.OrgUser(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

// paging reads offset and limit (default 50, at most 200).
func paging(off, lim string) (int, int, error) {
	offset, limit := 0, 50
	var err error
	fields := map[string]string{}
	if off != "" {
		if offset, err = strconv.Atoi(off); err != nil || offset < 0 {
			fields["offset"] = "Entier positif ou nul attendu."
		}
	}
	if lim != "" {
		if limit, err = strconv.Atoi(lim); err != nil || limit < 1 || limit > 200 {
			fields["limit"] = "Entier de 1 à 200 attendu."
		}
	}
	if len(fields) > 0 {
		return 0, 0, kairos.Invalid(fields)
	}
	return offset, limit, nil
}

// resendInvitation sends a new activation link to an invited user of the
// caller's OF (the page's « Renvoyer l'invitation »).
func (a *API) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Utilisateur")
	if err != nil {
		return err
	}
	actor := kairos.ActorFrom(r.Context())
	if err := a.Accounts.ResendActivation(r.Context(), actor, id); err != nil {
		return err
	}
	u, err := a.Accounts.OrgUser(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, u)
}
