package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kairos"
	"kairos/input"
)

// Handler returns the portal's whole HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, s.guard(rt))
	}
	if s.API != nil {
		mux.Handle("/api/v1/", s.API)
	}
	// Cross-origin state-changing browser requests are refused before any
	// handler runs (Sec-Fetch-Site / Origin checks); the per-form CSRF token
	// is checked in guard. API calls carry no cookie and no browser origin.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.csrfFailed(w, r)
	}))
	var h http.Handler = mux
	h = s.withSession(h)
	h = s.checkInput(h)
	h = cop.Handler(h)
	h = s.securityHeaders(h)
	h = s.observe(h)
	h = s.withClientIP(h)
	return h
}

// guard checks the route's rule and, for state-changing requests, the CSRF
// token, before the handler runs.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUnsafe(r.Method) {
			limit := int64(2 << 20)
			if l, ok := bodyLimits[rt.pattern]; ok {
				limit = l
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			// Uploaded files beyond the memory limit go to temporary files:
			// removed when the handler returns (the server only removes those
			// of its own request, not of the copies made by the middleware).
			defer func() {
				if r.MultipartForm != nil {
					r.MultipartForm.RemoveAll()
				}
			}()
			if !s.checkCSRF(r) {
				s.csrfFailed(w, r)
				return
			}
			if err := checkForm(r); err != nil {
				s.errorPage(w, r, err)
				return
			}
		}
		if p, ok := r.Context().Value(routeKey).(*string); ok {
			*p = rt.pattern
		}
		if err := kairos.Authorize(kairos.ActorFrom(r.Context()), rt.rule); err != nil {
			s.errorPage(w, r, err)
			return
		}
		rt.handler(w, r)
	})
}

// checkInput refuses, before the session is even read, a path or a query
// string holding bad bytes (input.Path, input.Query). The API checks its own.
func (s *Server) checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			err := input.Path(r.URL.Path)
			if err == nil {
				var q url.Values
				if q, err = url.ParseQuery(r.URL.RawQuery); err != nil {
					err = kairos.Errorf(kairos.EInvalid, "Adresse invalide : ses paramètres sont mal encodés.")
				} else {
					err = input.Query(q)
				}
			}
			if err != nil {
				s.errorPage(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkForm parses the submitted form (multipart included) and checks every
// value and file name at the edge (input.Form).
func checkForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.ParseMultipartForm(32 << 20)
	} else {
		r.ParseForm()
	}
	if err := input.Form(r.PostForm); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		if err := input.Form(r.MultipartForm.Value); err != nil {
			return err
		}
		for _, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				if err := input.FileName(fh.Filename); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isUnsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

func (s *Server) csrfFailed(w http.ResponseWriter, r *http.Request) {
	s.Log.Warn("web: CSRF check failed", "path", r.URL.Path, "origin", r.Header.Get("Origin"), "ip", kairos.ClientIPFrom(r.Context()))
	s.errorPage(w, r, kairos.Errorf(kairos.EForbidden, "Le formulaire a expiré ou ne provient pas de Kairos. Revenez à la page précédente, rechargez-la et recommencez."))
}

// CSRF protection: a random cookie, and in every form a token that is the
// HMAC of that cookie under the server secret (signed double-submit). The
// cookie is renewed at login and logout.
// Behind TLS it carries the __Host- prefix (Secure, Path=/, no Domain), so
// that a sibling subdomain cannot plant one.
func (s *Server) csrfCookie() string {
	if s.Cfg.SecureCookies() {
		return "__Host-kairos_csrf"
	}
	return "kairos_csrf"
}

func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	seed := ""
	if c, err := r.Cookie(s.csrfCookie()); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		seed = s.newCSRFSeed(w)
	}
	return s.sign("csrf:" + seed)
}

func (s *Server) newCSRFSeed(w http.ResponseWriter) string {
	var b [24]byte
	rand.Read(b[:])
	seed := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: s.csrfCookie(), Value: seed, Path: "/", HttpOnly: true, Secure: s.Cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
	return seed
}

func (s *Server) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(s.csrfCookie())
	if err != nil || c.Value == "" {
		return false
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		tok = r.FormValue("csrf_token")
	}
	return tok != "" && hmac.Equal([]byte(tok), []byte(s.sign("csrf:"+c.Value)))
}

const routeKey ctxKey = 2

// Session cookie: the secret token of a server-side session.
func (s *Server) sessionCookieName() string {
	if s.Cfg.SecureCookies() {
		return "__Host-kairos_session"
	}
	return "kairos_session"
}

func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(s.sessionCookieName())
		if err == nil && c.Value != "" {
			a, err := s.Accounts.SessionActor(r.Context(), c.Value)
			if err != nil {
				s.errorPage(w, r, err)
				return
			}
			if a != nil {
				ctx := kairos.WithActor(r.Context(), a)
				r = r.WithContext(withSessionToken(ctx, c.Value))
			} else {
				s.clearSessionCookie(w)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.Cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

// withClientIP puts the client address in the context, for the audit trail
// and login throttling. Behind a load balancer (KAIROS_TRUST_PROXY) it is
// the last address of X-Forwarded-For.
func (s *Server) withClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		if s.Cfg.TrustProxy {
			if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
				parts := strings.Split(xff, ",")
				if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
					ip = last
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(kairos.WithClientIP(r.Context(), ip)))
	})
}

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.Cfg.SecureCookies() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request, counts it for /metrics and turns panics into a
// 500 page.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		route := "other"
		if strings.HasPrefix(r.URL.Path, "/api/") {
			route = "api"
		}
		r = r.WithContext(context.WithValue(r.Context(), routeKey, &route))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("web: panic", "path", r.URL.Path, "panic", p)
				if sw.status == 0 {
					s.errorPage(sw, r, kairos.Errorf(kairos.EInternal, "panic"))
				}
			}
			d := time.Since(start)
			if s.Metrics != nil {
				s.Metrics.ObserveRequest(r.Method, route, sw.status, d)
			}
			if !strings.HasPrefix(r.URL.Path, "/static/") && r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
				s.Log.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", d.Milliseconds(), "ip", kairos.ClientIPFrom(r.Context()))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
