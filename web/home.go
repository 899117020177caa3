package web

import (
	"net/http"

	"kairos"
	"kairos/account"
)

func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	if kairos.ActorFrom(r.Context()) != nil {
		http.Redirect(w, r, "/accueil", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "landing", nil)
}

type homePage struct {
	Org   *account.Organisation
	Links []navLink
	Users int // of_admin: users of the OF
	Keys  int // of_admin: active API keys
	// Quotes waiting for the actor (quotes.Service.ToDo) and where they are.
	Quotes     int
	QuotesPath string
}

// home is each role's home page: who you are, for which organisation, and
// the entries of your menu.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	p := homePage{}
	for _, l := range s.nav(a, r.URL.Path) {
		if l.Path != "/accueil" {
			p.Links = append(p.Links, l)
		}
	}
	if a.OrgID != 0 {
		org, err := s.Accounts.Organisation(r.Context(), a.OrgID)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		p.Org = org
	}
	if a.Role == kairos.RoleOFAdmin {
		_, n, err := s.Accounts.Users(r.Context(), account.UserFilter{OrgID: a.OrgID, Limit: 1})
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		keys, err := s.Accounts.APIKeys(r.Context(), a.OrgID)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		p.Users = n
		for _, k := range keys {
			if k.RevokedAt == nil {
				p.Keys++
			}
		}
	}
	if s.Quotes != nil {
		n, err := s.Quotes.ToDo(r.Context(), a)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		p.Quotes, p.QuotesPath = n, quotesHome[a.Role]
	}
	s.render(w, r, http.StatusOK, "home", p)
}

func (s *Server) myAccount(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	u, err := s.Accounts.User(r.Context(), a.UserID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "account", accountPage{User: u, Form: NewForm(nil)})
}

type accountPage struct {
	*account.User
	Form *Form // the change of password
}

// changePassword changes the signed-in user's password (/compte): the
// current one, the new one twice; the other sessions are closed.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	f := NewForm(r)
	err := s.Accounts.ChangePassword(r.Context(), a, account.PasswordChange{Current: f.Values.Get("current"), New: f.Values.Get("new"),
		Confirm: f.Values.Get("confirm"), KeepSession: sessionToken(r.Context())})
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		u, uerr := s.Accounts.User(r.Context(), a.UserID)
		if uerr != nil {
			s.errorPage(w, r, uerr)
			return
		}
		s.render(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), "account", accountPage{User: u, Form: f})
		return
	}
	s.redirect(w, r, "/compte", &Flash{"success", "Votre mot de passe est changé. Vos autres sessions ouvertes sont fermées ; un courriel de confirmation vous est envoyé."})
}
