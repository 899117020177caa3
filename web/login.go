package web

import (
	"net/http"
	"net/url"
	"strings"

	"kairos"
	"kairos/demo"
)

type loginPage struct {
	Form   *Form
	Retour string
	Demo   []demo.Account
	Pass   string
}

func (s *Server) loginPage(r *http.Request, f *Form) loginPage {
	p := loginPage{Form: f, Retour: safeReturn(f.Get("retour"))}
	if p.Retour == "" {
		p.Retour = safeReturn(r.URL.Query().Get("retour"))
	}
	if s.Cfg.Demo {
		p.Demo, p.Pass = demo.Accounts, demo.Password
	}
	return p
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if kairos.ActorFrom(r.Context()) != nil {
		http.Redirect(w, r, "/accueil", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", s.loginPage(r, NewForm(r)))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	email, password := f.Get("email"), f.Values.Get("password")
	if email == "" || password == "" {
		if email == "" {
			f.Errors["email"] = "Saisissez votre adresse e-mail."
		}
		if password == "" {
			f.Errors["password"] = "Saisissez votre mot de passe."
		}
		s.render(w, r, http.StatusUnprocessableEntity, "login", s.loginPage(r, f))
		return
	}
	u, err := s.Accounts.Authenticate(r.Context(), email, password, kairos.ClientIPFrom(r.Context()))
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		setRetryAfter(w, err)
		s.render(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), "login", s.loginPage(r, f))
		return
	}
	// A fresh session token at every login; any token the browser held before is dropped.
	if old := sessionToken(r.Context()); old != "" {
		if err := s.Accounts.DeleteSession(r.Context(), old); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	token, err := s.Accounts.CreateSession(r.Context(), u.ID, kairos.ClientIPFrom(r.Context()), r.UserAgent())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.setSessionCookie(w, token)
	s.newCSRFSeed(w)
	to := safeReturn(f.Get("retour"))
	if to == "" {
		to = "/accueil"
	}
	s.redirect(w, r, to, &Flash{"success", "Bonjour " + u.Name + ", vous êtes connecté."})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if tok := sessionToken(r.Context()); tok != "" {
		if err := s.Accounts.DeleteSession(r.Context(), tok); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	s.newCSRFSeed(w)
	s.redirect(w, r, "/connexion", &Flash{"info", "Vous êtes déconnecté. À bientôt sur Kairos."})
}

// safeReturn keeps only local paths, so that the login form cannot redirect
// elsewhere (see localPath).
func safeReturn(p string) string { return localPath(p) }

// localPath returns p when it is a path on this site, "" otherwise. It is the
// one check of a redirect target taken from a request: it must start with
// one "/" and hold no backslash, no white space and no control character
// (browsers drop tabs and new lines, so "/\t/evil.example/" would become
// "//evil.example/"), and parse without scheme or host.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || len(p) > 2000 {
		return ""
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f || r == '\\' || (r >= 0x80 && r <= 0x9f) || r == '\u00a0' || r == '\u2028' || r == '\u2029' {
			return ""
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return p
}
