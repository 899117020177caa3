package web

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/account"
)

// The platform administrators' list of users: search, filters (role,
// organisation, status), sort, pagination, CSV; a page per user with its
// actions (deactivate, reactivate, resend the activation link), each
// confirmed first and audited (account.SetStatus, ResendActivation).

var adminUsersSpec = ListSpec{
	Path:  "/admin/utilisateurs",
	Sorts: []string{"nom", "email", "organisation", "connexion"},
	Filters: map[string][]string{
		"role": func() []string {
			var out []string
			for _, r := range kairos.Roles {
				out = append(out, string(r))
			}
			return out
		}(),
		"etat":         {account.StatusActive, account.StatusInvited, account.StatusDisabled},
		"organisation": nil,
	},
}

// UserStatuses are the statuses the list is filtered by.
var userStatuses = []string{account.StatusActive, account.StatusInvited, account.StatusDisabled}

type adminUsersPage struct {
	Users    []account.User
	Q        ListQuery
	Pager    ListPager
	Statuses []string
	Org      *account.Organisation // the organisation filtered on, if any
}

func (s *Server) adminUsersFilter(r *http.Request) (ListQuery, account.UserFilter, *account.Organisation) {
	lq := ParseList(r, adminUsersSpec)
	f := account.UserFilter{Query: lq.Q, Role: kairos.Role(lq.Get("role")), Status: lq.Get("etat"), Sort: lq.Sort, Desc: lq.Desc}
	var org *account.Organisation
	if v := lq.Get("organisation"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err == nil && id > 0 {
			org, err = s.Accounts.Organisation(r.Context(), id)
		}
		if err != nil || org == nil {
			delete(lq.Filters, "organisation")
			org = nil
		} else {
			f.OrgID = org.ID
		}
	}
	return lq, f, org
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	lq, f, org := s.adminUsersFilter(r)
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
	s.render(w, r, http.StatusOK, "adminusers", adminUsersPage{Users: users, Q: lq, Pager: pg, Statuses: userStatuses, Org: org})
}

func (s *Server) adminUsersExport(w http.ResponseWriter, r *http.Request) {
	_, f, _ := s.adminUsersFilter(r)
	f.Limit = 200
	users, total, err := s.Accounts.Users(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	c := NewCSV(w, "utilisateurs.csv")
	c.Row("Nom", "Adresse e-mail", "Rôle", "Organisation", "Habilitations", "État", "Créé le", "Dernière connexion")
	paris := s.paris
	for {
		for _, u := range users {
			last := ""
			if u.LastLoginAt != nil {
				last = u.LastLoginAt.In(paris).Format("02/01/2006 15:04")
			}
			c.Row(u.Name, u.Email, u.Role.Label(), u.OrgName, habLabels(u.Habilitations), account.StatusLabel(u.Status), u.CreatedAt.In(paris).Format("02/01/2006 15:04"), last)
		}
		f.Offset += len(users)
		if len(users) == 0 || f.Offset >= total {
			break
		}
		if users, _, err = s.Accounts.Users(r.Context(), f); err != nil {
			s.Log.Error("admin users: csv", "err", err)
			break
		}
	}
	if err := c.Close(); err != nil {
		s.Log.Error("admin users: csv", "err", err)
	}
}

func habLabels(h kairos.HabSet) string {
	out := ""
	for _, x := range kairos.Habilitations {
		if h.Has(x) {
			if out != "" {
				out += ", "
			}
			out += x.Label()
		}
	}
	return out
}

// userAction is one action of the admin's user page, with its confirmation.
type userAction struct {
	Code, Label, Question, Effect, Path, Value string
}

func adminUserActions(u *account.User) []userAction {
	base := "/admin/utilisateurs/" + itoa(u.ID)
	var out []userAction
	if u.Status == account.StatusInvited {
		out = append(out, userAction{"invitation", "Renvoyer le lien d'activation", "Renvoyer le lien d'activation à " + u.Name + " ?",
			"Un nouveau lien, valable 7 jours, est envoyé à " + u.Email + ".", base + "/invitation", ""})
	}
	if u.Status == account.StatusDisabled {
		out = append(out, userAction{"reactiver", "Réactiver le compte", "Réactiver le compte de " + u.Name + " ?",
			"La personne pourra de nouveau se connecter avec son mot de passe (ou activer son compte si elle ne l'a jamais fait).", base + "/statut", "reactiver"})
	} else {
		out = append(out, userAction{"desactiver", "Désactiver le compte", "Désactiver le compte de " + u.Name + " ?",
			"La personne ne pourra plus se connecter et ses sessions en cours sont fermées. Ses actions passées restent dans le journal.", base + "/statut", "desactiver"})
	}
	return out
}

type adminUserPage struct {
	User    *account.User
	Self    bool
	Actions []userAction
	Confirm *userAction
}

func (s *Server) adminUserLoad(w http.ResponseWriter, r *http.Request) (*account.User, bool) {
	id, err := pathID(r)
	if err == nil {
		var u *account.User
		if u, err = s.Accounts.AdminUser(r.Context(), kairos.ActorFrom(r.Context()), id); err == nil {
			return u, true
		}
	}
	s.errorPage(w, r, err)
	return nil, false
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.adminUserLoad(w, r)
	if !ok {
		return
	}
	self := u.ID == kairos.ActorFrom(r.Context()).UserID
	p := adminUserPage{User: u, Self: self}
	if !self {
		p.Actions = adminUserActions(u)
	}
	s.render(w, r, http.StatusOK, "adminuser", p)
}

// adminUserConfirm asks before an action (no script: a page of its own).
func (s *Server) adminUserConfirm(w http.ResponseWriter, r *http.Request) {
	u, ok := s.adminUserLoad(w, r)
	if !ok {
		return
	}
	if u.ID == kairos.ActorFrom(r.Context()).UserID {
		s.redirect(w, r, "/admin/utilisateurs/"+itoa(u.ID), &Flash{"error", "Vous ne pouvez pas agir sur votre propre compte."})
		return
	}
	want := r.URL.Query().Get("action")
	for _, a := range adminUserActions(u) {
		if a.Code == want {
			s.render(w, r, http.StatusOK, "adminuser", adminUserPage{User: u, Confirm: &a})
			return
		}
	}
	s.redirect(w, r, "/admin/utilisateurs/"+itoa(u.ID), &Flash{"error", "Cette action n'est pas possible sur ce compte dans son état actuel (" + account.StatusLabel(u.Status) + ")."})
}

func (s *Server) adminUserStatus(w http.ResponseWriter, r *http.Request) {
	id, disable, err := s.setAccountStatus(r)
	msg := "Compte réactivé."
	if disable {
		msg = "Compte désactivé : la personne ne peut plus se connecter et ses sessions ont été fermées."
	}
	s.afterAdminUserAction(w, r, id, err, msg)
}

func (s *Server) adminUserInvite(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.Accounts.ResendActivation(r.Context(), kairos.ActorFrom(r.Context()), id)
	}
	s.afterAdminUserAction(w, r, id, err, "Nouveau lien d'activation envoyé (valable 7 jours).")
}

func (s *Server) afterAdminUserAction(w http.ResponseWriter, r *http.Request, id int64, err error, ok string) {
	s.afterAccountAction(w, r, "/admin/utilisateurs/"+itoa(id), err, ok)
}
