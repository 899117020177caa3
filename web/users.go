package web

import (
	"net/http"
	"strings"

	"kairos"
	"kairos/account"
)

var orgUsersSpec = ListSpec{
	Path:    "/organisme/utilisateurs",
	Sorts:   []string{"nom", "email", "connexion"},
	Filters: map[string][]string{"etat": userStatuses, "habilitation": habCodes()},
}

func habCodes() []string {
	var out []string
	for _, h := range kairos.Habilitations {
		out = append(out, string(h))
	}
	return out
}

type usersPage struct {
	Users    []account.User
	Q        ListQuery
	Pager    ListPager
	Statuses []string
}

func orgUsersFilter(r *http.Request) (ListQuery, account.UserFilter) {
	lq := ParseList(r, orgUsersSpec)
	return lq, account.UserFilter{OrgID: kairos.ActorFrom(r.Context()).OrgID, Query: lq.Q, Status: lq.Get("etat"), Habilitation: kairos.Habilitation(lq.Get("habilitation")), Sort: lq.Sort, Desc: lq.Desc}
}

// orgUsers lists the users of the OF of its account manager.
func (s *Server) orgUsers(w http.ResponseWriter, r *http.Request) {
	lq, f := orgUsersFilter(r)
	f.Limit = 1
	_, total, err := s.Accounts.Users(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pg := lq.Pager(total)
	f.Offset, f.Limit = pg.Offset(), pg.Limit()
	users, _, err := s.Accounts.Users(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", usersPage{Users: users, Q: lq, Pager: pg, Statuses: userStatuses})
}

func (s *Server) orgUsersExport(w http.ResponseWriter, r *http.Request) {
	_, f := orgUsersFilter(r)
	f.Limit = 200
	users, total, err := s.Accounts.Users(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "utilisateurs-organisme.csv")
	c.Row("Nom", "Adresse e-mail", "Rôle", "Habilitations", "État", "Créé le", "Dernière connexion")
	for {
		for _, u := range users {
			last := ""
			if u.LastLoginAt != nil {
				last = u.LastLoginAt.In(s.paris).Format("02/01/2006 15:04")
			}
			habs := habLabels(u.Habilitations)
			if u.Role == kairos.RoleOFAdmin {
				habs = "Toutes"
			}
			c.Row(u.Name, u.Email, u.Role.Label(), habs, account.StatusLabel(u.Status), u.CreatedAt.In(s.paris).Format("02/01/2006 15:04"), last)
		}
		f.Offset += len(users)
		if len(users) == 0 || f.Offset >= total {
			break
		}
		if users, _, err = s.Accounts.Users(r.Context(), f); err != nil {
			s.Log.Error("users: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("users: csv", "err", err)
	}
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
	id, disable, err := s.setAccountStatus(r)
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
	s.afterAccountAction(w, r, "/organisme/utilisateurs/"+itoa(id), err, ok)
}

// setAccountStatus disables (action « desactiver ») or reactivates the
// account of the path's id, for an OF administrator or a platform one (the
// service checks which accounts each may change).
func (s *Server) setAccountStatus(r *http.Request) (id int64, disable bool, err error) {
	id, err = pathID(r)
	disable = r.PostFormValue("action") == "desactiver"
	if err == nil {
		_, err = s.Accounts.SetStatus(r.Context(), kairos.ActorFrom(r.Context()), id, disable)
	}
	return id, disable, err
}

// afterAccountAction redirects to the account's page (page) with a flash:
// ok after a success, the reason after a refused action; any other error
// is an error page.
func (s *Server) afterAccountAction(w http.ResponseWriter, r *http.Request, page string, err error, ok string) {
	switch kairos.ErrorCode(err) {
	case "":
		s.redirect(w, r, page, &Flash{"success", ok})
	case kairos.EInvalid, kairos.EConflict:
		s.redirect(w, r, page, &Flash{"error", kairos.ErrorMessage(err)})
	default:
		s.errorPage(w, r, err)
	}
}
