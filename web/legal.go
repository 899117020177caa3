package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kairos/docs"
)

// The pages every public-service portal owes its users: the accessibility
// statement (docs/ACCESSIBILITY.md), the legal notice, the personal data
// page, the terms of use that an OF accepts when it applies, and the state
// of the service in words (/healthz stays the probes' JSON).

func (s *Server) accessibilityPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "accessibilite", markdown(docs.Accessibility))
}

func (s *Server) legalNotice(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "mentions", nil)
}

func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "donnees", nil)
}

func (s *Server) termsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "conditions", nil)
}

type serviceState struct {
	DatabaseOK      bool
	Engine          string
	JobsWaiting     int
	JobsFailed      int
	Description     template.HTML
	ResponseTimeMS  string
	JobsUnavailable bool
}

// serviceStatus is « État du service »: whether the database answers, and
// the background jobs waiting and failed, in words.
func (s *Server) serviceStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	st := serviceState{Engine: string(s.DB.Engine())}
	t0 := time.Now()
	st.DatabaseOK = s.DB.Ping(ctx) == nil
	st.ResponseTimeMS = durationFrench(time.Since(t0))
	status := http.StatusOK
	if st.DatabaseOK {
		err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND failed_at IS NULL").Scan(&st.JobsWaiting)
		if err == nil {
			err = s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE failed_at IS NOT NULL").Scan(&st.JobsFailed)
		}
		st.JobsUnavailable = err != nil
	} else {
		status = http.StatusServiceUnavailable
	}
	s.render(w, r, status, "etat", st)
}

// durationFrench writes a duration for people: « 1,6 ms », « 2,4 s »,
// « 3 min 05 s ».
func durationFrench(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "moins d'une milliseconde"
	case d < time.Second:
		return strings.Replace(strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64), ".", ",", 1) + " ms"
	case d < time.Minute:
		return strings.Replace(strconv.FormatFloat(d.Seconds(), 'f', 1, 64), ".", ",", 1) + " s"
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}
