package web

import (
	"net/http"

	"kairos"
)

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", NewForm(r))
}

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	if err := s.Accounts.RequestPasswordReset(r.Context(), f.Get("email")); err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "forgot", f)
		return
	}
	s.redirect(w, r, "/connexion", &Flash{"info", "Si un compte existe pour " + f.Get("email") + ", un courriel contenant un lien de réinitialisation vient de lui être envoyé. Le lien est valable 1 heure."})
}

type setPasswordPage struct {
	Form    *Form
	Token   string
	Email   string
	Purpose string
	Invalid string
}

func (s *Server) setPasswordForm(w http.ResponseWriter, r *http.Request) {
	p := setPasswordPage{Form: NewForm(r), Token: r.URL.Query().Get("token")}
	u, purpose, err := s.Accounts.TokenUser(r.Context(), p.Token)
	if err != nil {
		if kairos.ErrorCode(err) != kairos.EInvalid {
			s.errorPage(w, r, err)
			return
		}
		p.Invalid = kairos.ErrorMessage(err)
		s.render(w, r, http.StatusGone, "setpassword", p)
		return
	}
	p.Email, p.Purpose = u.Email, purpose
	s.render(w, r, http.StatusOK, "setpassword", p)
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) {
	f := NewForm(r)
	p := setPasswordPage{Form: f, Token: f.Get("token")}
	u, purpose, err := s.Accounts.TokenUser(r.Context(), p.Token)
	if err == nil {
		p.Email, p.Purpose = u.Email, purpose
		if f.Values.Get("password") != f.Values.Get("confirmation") {
			f.Errors["confirmation"] = "Les deux mots de passe ne sont pas identiques."
			s.render(w, r, http.StatusUnprocessableEntity, "setpassword", p)
			return
		}
		_, err = s.Accounts.SetPasswordWithToken(r.Context(), p.Token, f.Values.Get("password"))
	}
	if err != nil {
		if !f.Fail(err) {
			s.errorPage(w, r, err)
			return
		}
		if len(f.Errors) == 0 {
			p.Invalid = f.Message
		}
		s.render(w, r, kairos.HTTPStatus(kairos.ErrorCode(err)), "setpassword", p)
		return
	}
	msg := "Votre mot de passe est enregistré. Connectez-vous avec votre adresse e-mail et ce mot de passe."
	if purpose == "activation" {
		msg = "Votre compte est activé. Connectez-vous avec votre adresse e-mail et le mot de passe choisi."
	}
	s.redirect(w, r, "/connexion", &Flash{"success", msg})
}
