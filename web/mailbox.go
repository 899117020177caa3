package web

import (
	"mime"
	"net/http"
	"strconv"

	"kairos"
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

// mailboxAttachment downloads an attachment of a kept mail (e.g. the ICS
// invitation of a convocation).
func (s *Server) mailboxAttachment(w http.ResponseWriter, r *http.Request) {
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
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > len(m.Attachments) {
		s.errorPage(w, r, kairos.NotFound("Pièce jointe"))
		return
	}
	a := m.Attachments[n-1]
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(a.Data)
}
