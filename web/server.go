// Package web is the HTML edge of Kairos: server-rendered pages with the
// French State design system (DSFR), sessions, CSRF protection, security
// headers, and the mounting of the JSON API. All routes are declared in
// routes.go, each with the authorisation rule it needs.
package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata"
	"unicode/utf8" // Europe/Paris even where the system has no time zone database

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/catalogue"
	"kairos/config"
	"kairos/einvoice"
	"kairos/enrolment"
	"kairos/invoices"
	"kairos/lheo"
	"kairos/metrics"
	"kairos/quotes"
	"kairos/store"
	"kairos/webhooks"
)

//go:embed templates
var templatesFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the portal.
type Server struct {
	Cfg          config.Config
	DB           *store.DB
	Accounts     *account.Service
	Adhesions    *adhesion.Service // default: adhesion.New(Accounts)
	Log          *slog.Logger
	Catalogue    *catalogue.Service    // the training offer; default: built on DB with Adhesions as trade check
	Appointments *appointments.Service // nil: no appointment pages
	Enrolment    *enrolment.Service    // nil: no training path pages
	Attestations *attestations.Service // nil: no attestation pages
	Webhooks     *webhooks.Service     // nil: no webhook pages
	Assessments  *assessments.Service  // nil: no assessment pages
	Invoices     *invoices.Service     // billing details of the OF; default: built on DB and Adhesions
	Issuer       *invoices.Issuer      // invoices and credit notes; nil: no invoice pages
	Quotes       *quotes.Service       // nil: no quote pages
	Chorus       *invoices.Depositor   // Chorus Pro deposits (issue 17); nil: follow-up shown, no actions
	Metrics      *metrics.Registry
	API          http.Handler // mounted at /api/v1/
	Secret       []byte       // key of CSRF tokens

	// ChorusPass tracks the Chorus Pro technical account's password (admin page).
	ChorusPass *invoices.PasswordReminder

	pages  map[string]*template.Template
	routes []route
	paris  *time.Location
	assets map[string]string // asset path → versioned URL

	liveOnce  sync.Once
	liveClose sync.Once
	liveDone  chan struct{} // closed by StopLive: live streams end

	dash dashCache // the OF dashboard's data
}

// New parses every template (a template error stops start-up) and builds the routes.
func New(s *Server) (*Server, error) {
	if len(s.Secret) < 16 {
		return nil, fmt.Errorf("web: secret too short")
	}
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("web: Europe/Paris time zone: %w", err)
	}
	s.paris = loc
	if s.Adhesions == nil {
		s.Adhesions = adhesion.New(s.Accounts)
	}
	if s.Invoices == nil {
		s.Invoices = &invoices.Service{DB: s.DB, Adhesions: s.Adhesions}
	}
	if s.Catalogue == nil {
		// A session is visible for prescription only if its OF can trade.
		s.Catalogue = &catalogue.Service{DB: s.DB, Log: s.Log, Trade: s.Adhesions}
	}
	s.assets = map[string]string{}
	err = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(staticFS, p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		s.assets[strings.TrimPrefix(p, "static/")] = "/" + p + "?v=" + base64.RawURLEncoding.EncodeToString(h[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	if s.Cfg.DevMailbox() && s.Log != nil {
		s.Log.Warn("DEMO MODE: /dev/courriels shows every e-mail (password reset and activation links included) to anyone, and the login page publishes the demo password. Never expose this instance.", "base_url", s.Cfg.BaseURL)
	}
	return s, nil
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		// minutesDecimal writes minutes as decimal hours, "3,5".
		"minutesDecimal": func(m int) string { return attendance.Minutes(m).Decimal() },
		// bilans tells whether the assessment pages are served.
		"bilans": func() bool { return s.Assessments != nil },
		// « Infos pratiques » of Chorus Pro (configurable, issue 17).
		"chorusDocURL": s.chorusDocURL, "chorusFTEmail": s.chorusFTEmail,
		// euros writes cents the French way; hoursQ, quarter hours as hours.
		"euros":  einvoice.FormatEuros,
		"hoursQ": einvoice.FormatHoursFrench,
		"asset":  s.assetURL,
		"date": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.In(s.paris).Format("02/01/2006 à 15:04")
			case *time.Time:
				if v == nil {
					return "—"
				}
				return v.In(s.paris).Format("02/01/2006 à 15:04")
			}
			return ""
		},
		"add":         func(a, b int) int { return a + b },
		"sub":         func(a, b int) int { return a - b },
		"roles":       func() []kairos.Role { return kairos.Roles },
		"habs":        func() []kairos.Habilitation { return kairos.Habilitations },
		"statusLabel": account.StatusLabel,
		"linkify":     linkify,
		"day":         adhesion.FormatDate,
		"regions":     func() []adhesion.Region { return adhesion.Regions },
		"regionLabel": adhesion.RegionLabel,
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"ldate":    ldate,
		"de":       deName,
		"duration": durationFrench,
		"formOf":   formOf,
		// perPageChoices and emptyList serve the list partials (listquery.go).
		"perPageChoices": func() []int { return PerPageChoices },
		"emptyList":      func(what, detail string, q ListQuery) emptyList { return emptyList{what, detail, q} },
		"pct":            percent,
		"stateLabel":     enrolment.StateLabel,
		"markdown":       markdown,
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		"reasonLabel": enrolment.ReasonLabel,
		"codeLabel":   func(t, code string) string { return lheo.Label(lheo.Table(t), code) },
		"field": func(name, label, typ string, f *Form, opts ...string) Field {
			fl := Field{Name: name, Label: label, Type: typ, Value: f.Get(name), Error: f.Errors[name]}
			for _, o := range opts {
				switch {
				case o == "required":
					fl.Required = true
				case strings.HasPrefix(o, "hint="):
					fl.Hint = o[5:]
				case strings.HasPrefix(o, "autocomplete="):
					fl.Autocomplete = o[13:]
				}
			}
			if typ == "password" {
				fl.Value = ""
			}
			return fl
		},
	}
}

func (s *Server) parseTemplates() error {
	base, err := template.New("").Funcs(s.funcs()).ParseFS(templatesFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	s.pages = map[string]*template.Template{}
	files, err := fs.Glob(templatesFS, "templates/pages/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		t, err := template.Must(base.Clone()).ParseFS(templatesFS, f)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", f, err)
		}
		s.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return nil
}

// assetURL returns the URL of a static file with a content hash, so that it
// can be cached for a long time.
func (s *Server) assetURL(name string) string {
	if u, ok := s.assets[name]; ok {
		return u
	}
	return "/static/" + name
}

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string // success, info, warning, error
	Message string
}

// view is what every page template receives.
type view struct {
	Title      string
	Actor      *kairos.Actor
	Nav        []navLink
	Flashes    []Flash
	CSRF       string
	Demo       bool
	DevMailbox bool
	Data       any
	Live       string // object types this page follows live (data-live), "" for none
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.Log.Error("web: unknown page template", "page", page)
		http.Error(w, "Erreur interne", http.StatusInternalServerError)
		return
	}
	a := kairos.ActorFrom(r.Context())
	v := view{
		Actor:      a,
		Nav:        navBar(s.nav(a, r.URL.Path)),
		Flashes:    s.takeFlashes(w, r),
		CSRF:       s.csrfToken(w, r),
		Demo:       s.Cfg.Demo,
		DevMailbox: s.Cfg.DevMailbox(),
		Data:       data,
	}
	if s.Webhooks != nil {
		v.Live = livePages[page]
	}
	if f, ok := data.(interface{ fillCSRF(string) any }); ok { // HTML rendered for several users (dashboard)
		v.Data = f.fillCSRF(v.CSRF)
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			renderBufs.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		s.Log.Error("web: render", "page", page, "err", err)
		http.Error(w, "Erreur interne", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderBufs are the buffers of rendered pages, reused (a page is written
// whole, then its buffer goes back).
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// errorPage renders err as a French error page with the right status.
// Internal errors are logged and shown without their details.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Busy(err)
	code := kairos.ErrorCode(err)
	status := kairos.HTTPStatus(code)
	if code == kairos.EUnauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/connexion?retour="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	setRetryAfter(w, err)
	if status >= 500 && code != kairos.EUnavailable {
		s.Log.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if code == kairos.EUnavailable && kairos.ErrorCause(err) != nil {
		s.Log.Warn("web: unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	data := struct {
		Status  int
		Title   string
		Message string
	}{status, errorTitle(status), kairos.ErrorMessage(err)}
	s.render(w, r, status, "error", data)
}

func errorTitle(status int) string {
	switch status {
	case 404:
		return "Page non trouvée"
	case 403:
		return "Accès refusé"
	case 401:
		return "Connexion requise"
	case 409:
		return "Action impossible"
	case 422, 400:
		return "Demande invalide"
	case 429:
		return "Trop de tentatives"
	case 503:
		return "Service momentanément indisponible"
	}
	return "Erreur inattendue"
}

// setRetryAfter sets the Retry-After header of a 429 or 503 answer.
func setRetryAfter(w http.ResponseWriter, err error) {
	if n := kairos.RetryAfter(err); n > 0 && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(n))
	}
}

// redirect ends a POST with a redirect (POST-redirect-GET) and an optional flash.
// Whatever to holds, the redirect stays on this site (localPath).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string, f *Flash) {
	if localPath(to) == "" {
		to = "/accueil"
	}
	if f != nil {
		s.addFlash(w, *f)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

const flashCookie = "kairos_flash"

func (s *Server) addFlash(w http.ResponseWriter, f Flash) {
	v := base64.RawURLEncoding.EncodeToString([]byte(f.Kind + "|" + f.Message))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v + "." + s.sign("flash:"+v), Path: "/", HttpOnly: true, Secure: s.Cfg.SecureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// takeFlashes reads and spends the one-time message. A live page's
// background refresh (X-Kairos-Live, see static/live.js) leaves it for the
// page the user is being sent to: spending it there lost the confirmation of
// the action just done whenever a change event crossed the redirect.
func (s *Server) takeFlashes(w http.ResponseWriter, r *http.Request) []Flash {
	if r.Header.Get("X-Kairos-Live") != "" {
		return nil
	}
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
	v, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign("flash:"+v))) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	kind, msg, _ := strings.Cut(string(b), "|")
	return []Flash{{Kind: kind, Message: msg}}
}

func (s *Server) sign(msg string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, kairos.NotFound("Page")
	}
	return id, nil
}

// Pager describes a page of a list.
type Pager struct {
	Page, Pages, Total int
	base               url.Values
	path               string
}

// NewPager builds a pager for total items, per per page, from the "page" query parameter.
func NewPager(r *http.Request, total, per int) Pager {
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pages := (total + per - 1) / per
	if pages < 1 {
		pages = 1
	}
	if p < 1 {
		p = 1
	}
	if p > pages {
		p = pages
	}
	return Pager{Page: p, Pages: pages, Total: total, base: r.URL.Query(), path: r.URL.Path}
}

// Offset is the index of the first item of the page.
func (p Pager) Offset(per int) int { return (p.Page - 1) * per }

// URL returns the link to page n, keeping the other query parameters.
func (p Pager) URL(n int) string {
	q := url.Values{}
	for k, v := range p.base {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(n))
	return p.path + "?" + q.Encode()
}

type ctxKey int

const sessionTokenKey ctxKey = 0

func withSessionToken(ctx context.Context, tok string) context.Context {
	return context.WithValue(ctx, sessionTokenKey, tok)
}

func sessionToken(ctx context.Context) string {
	t, _ := ctx.Value(sessionTokenKey).(string)
	return t
}

// linkify escapes text and turns the http(s) URLs in it into links (dev mailbox).
func linkify(text string) template.HTML {
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		for j, word := range strings.Split(line, " ") {
			if j > 0 {
				b.WriteString(" ")
			}
			esc := template.HTMLEscapeString(word)
			if strings.HasPrefix(word, "http://") || strings.HasPrefix(word, "https://") {
				fmt.Fprintf(&b, `<a href="%s">%s</a>`, esc, esc)
			} else {
				b.WriteString(esc)
			}
		}
	}
	return template.HTML(b.String())
}

// deName returns « de Julien » or « d'Inès »: French elides de before a vowel.
func deName(name string) string {
	if r, _ := utf8.DecodeRuneInString(name); r != utf8.RuneError && strings.ContainsRune("AEIOUYÂÉÈÊÎÔÛaeiouyâéèêîôû", r) {
		return "d'" + name
	}
	return "de " + name
}

// now is the time of the process's one clock (the database's, set from
// KAIROS_NOW in demo mode): pages never read the wall clock themselves.
func (s *Server) now() time.Time { return s.DB.Now() }
