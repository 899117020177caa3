package web

import (
	"net/http"
	"strings"

	"kairos"
	"kairos/account"
)

const usersPerPage = 25

type usersPage struct {
	Users []account.User
	Query string
	Pager Pager
}

// orgUsers lists the users of the OF of its account manager.
func (s *Server) orgUsers(w http.ResponseWriter, r *http.Request) {
	s.listUsers(w, r, kairos.ActorFrom(r.Context()).OrgID, "users")
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, orgID int64, page string) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	_, total, err := s.Accounts.Users(r.Context(), account.UserFilter{OrgID: orgID, Query: q, Limit: 1})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := NewPager(r, total, usersPerPage)
	users, _, err := s.Accounts.Users(r.Context(), account.UserFilter{OrgID: orgID, Query: q, Offset: pg.Offset(usersPerPage), Limit: usersPerPage})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, page, usersPage{Users: users, Query: q, Pager: pg})
}

func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "invite", NewForm(r))
}

func habsFrom(f *Form) kairos.HabSet {
	return kairos.ParseHabSet(strings.Join(f.Values["habilitations"], ","))
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	u, err := s.Accounts.Invite(r.Context(), kairos.ActorFrom(r.Context()), f.Get("email"), f.Get("name"), habsFrom(f))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.render(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), "invite", f)
		return
	}
	s.redirect(w, r, "/organisme/utilisateurs/"+itoa(u.ID), &Flash{"success", "Invitation envoyée à " + u.Email + ". Le lien d'activation est valable 7 jours."})
}

type userPage struct {
	User *account.User
	Self bool
}

func (s *Server) orgUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	a := kairos.ActorFrom(r.Context())
	u, err := s.Accounts.OrgUser(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "user", userPage{User: u, Self: u.ID == a.UserID})
}

func (s *Server) setHabilitations(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		_, err = s.Accounts.SetHabilitations(r.Context(), kairos.ActorFrom(r.Context()), id, habsFrom(NewForm(r)))
	}
	s.afterUserAction(w, r, id, err, "Habilitations enregistrées.")
}

func (s *Server) setUserStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	disable := r.PostFormValue("action") == "desactiver"
	if err == nil {
		_, err = s.Accounts.SetStatus(r.Context(), kairos.ActorFrom(r.Context()), id, disable)
	}
	msg := "Compte réactivé."
	if disable {
		msg = "Compte désactivé : l'utilisateur ne peut plus se connecter."
	}
	s.afterUserAction(w, r, id, err, msg)
}

func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.Accounts.ResendActivation(r.Context(), kairos.ActorFrom(r.Context()), id)
	}
	s.afterUserAction(w, r, id, err, "Nouvelle invitation envoyée.")
}

func (s *Server) afterUserAction(w http.ResponseWriter, r *http.Request, id int64, err error, ok string) {
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, "/organisme/utilisateurs/"+itoa(id), &Flash{"success", ok})
	case kairos.EInvalid, kairos.EConflict:
		s.redirect(w, r, "/organisme/utilisateurs/"+itoa(id), &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
