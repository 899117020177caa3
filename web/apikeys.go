package web

import (
	"net/http"

	"kairos"
	"kairos/account"
)

type apiKeysPage struct {
	Keys     []account.APIKey
	Scopes   map[int64]account.Scopes
	Caps     []struct{ Name, Label string }
	Form     *Form
	NewKey   *account.APIKey
	NewToken string
}

func (s *Server) apiKeysPage(w http.ResponseWriter, r *http.Request, status int, p apiKeysPage) {
	keys, err := s.Accounts.APIKeys(r.Context(), kairos.ActorFrom(r.Context()).OrgID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Keys = keys
	if p.Scopes, err = s.Accounts.OrgAPIKeyScopes(r.Context(), kairos.ActorFrom(r.Context()).OrgID); err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Caps = account.ScopeCapabilities
	s.render(w, r, status, "apikeys", p)
}

func (s *Server) apiKeys(w http.ResponseWriter, r *http.Request) {
	s.apiKeysPage(w, r, http.StatusOK, apiKeysPage{Form: NewForm(r)})
}

// createAPIKey shows the new key's secret once, on the page that answers the
// form (it is not stored and cannot be shown again).
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	a := kairos.ActorFrom(r.Context())
	scopes := []string{"*"}
	if f.Get("acces") == "limite" {
		scopes = f.Values["scopes"]
	}
	k, token, err := s.Accounts.CreateScopedAPIKey(r.Context(), a, a.OrgID, f.Get("name"), scopes)
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.apiKeysPage(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), apiKeysPage{Form: f})
		return
	}
	s.apiKeysPage(w, r, http.StatusCreated, apiKeysPage{Form: NewForm(nil), NewKey: k, NewToken: token})
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.Accounts.RevokeAPIKey(r.Context(), kairos.ActorFrom(r.Context()), id)
	}
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, "/organisme/cles-api", &Flash{"success", "Clé révoquée : elle est refusée dès maintenant."})
	case kairos.EConflict:
		s.redirect(w, r, "/organisme/cles-api", &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
