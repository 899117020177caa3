package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kairos"
)

// healthz answers 200 when the database answers, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status, body := http.StatusOK, map[string]string{"status": "ok", "database": string(s.DB.Engine())}
	if err := s.DB.Ping(ctx); err != nil {
		s.Log.Error("healthz: database", "err", err)
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "indisponible", "database": "injoignable"}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// metrics serves the Prometheus exposition to a scraper holding
// KAIROS_METRICS_TOKEN (Authorization: Bearer …) or to a logged-in
// administrator; anyone else gets 404 (the route is not advertised).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	ok := false
	if a := kairos.ActorFrom(r.Context()); a != nil && a.Role == kairos.RoleAdmin {
		ok = true
	} else if tok := s.Cfg.MetricsToken; tok != "" {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		ok = strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(tok)) == 1
	}
	if !ok {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.Metrics.Write(w)
}

var staticRoot, _ = fs.Sub(staticFS, "static")

// static serves the embedded assets; versioned URLs are cached for a year.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if name == "" || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".txt") {
		s.notFound(w, r)
		return
	}
	if _, err := fs.Stat(staticRoot, name); err != nil {
		s.notFound(w, r)
		return
	}
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	http.ServeFileFS(w, r, staticRoot, name)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, kairos.NotFound("Page"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
