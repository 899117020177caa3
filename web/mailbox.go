package web

import (
	"net/http"

	"kairos/mail"
)

// mailbox shows the mails kept in demo mode (no SMTP configured), so that
// invitation and reset links can be followed on a fresh machine.
func (s *Server) mailbox(w http.ResponseWriter, r *http.Request) {
	mails, err := mail.List(r.Context(), s.DB, 100)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mailbox", mails)
}

func (s *Server) mailboxMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	m, err := mail.Get(r.Context(), s.DB, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mailmessage", m)
}
