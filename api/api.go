// Package api is the JSON edge of Kairos: /api/v1, authenticated by an
// organisation's API key (Authorization: Bearer …), errors as RFC 9457
// problem details, described by the OpenAPI 3.1 document openapi.json (a
// test checks it against the routes declared here).
package api

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/catalogue"
	"kairos/enrolment"
	"kairos/input"
	"kairos/invoices"
	"kairos/quotes"
	"kairos/store"
	"kairos/webhooks"
)

//go:embed openapi.json
var openapiJSON []byte

// API serves /api/v1.
type API struct {
	Accounts     *account.Service
	Adhesions    *adhesion.Service
	Catalogue    *catalogue.Service    // nil: built on Accounts.DB
	Appointments *appointments.Service // set after New; nil answers 404 on its routes
	Enrolment    *enrolment.Service    // set after New; nil answers 404 on its routes
	Attestations *attestations.Service // set after New; nil answers 404 on its routes
	Webhooks     *webhooks.Service     // set after New; nil answers 404 on its routes
	Clock        kairos.Clock          // nil: the system clock
	RateLimit    int                   // requests per minute per API key (0: DefaultRateLimit)
	Assessments  *assessments.Service  // set after New; nil answers 404 on its routes
	Invoices     *invoices.Service     // the OF's billing details
	Issuer       *invoices.Issuer      // invoices and credit notes; nil answers 404 on their routes
	Chorus       *invoices.Depositor   // Chorus Pro actions (issue 17); nil answers 404 on them
	Quotes       *quotes.Service       // set after New; nil answers 404 on its routes
	Log          *slog.Logger
	routes       []route
	limiter      limiter
}

type route struct {
	pattern string
	rule    kairos.Rule
	handler func(w http.ResponseWriter, r *http.Request) error
}

var (
	public   = kairos.Rule{Public: true}
	loggedIn = kairos.Rule{}
	ofAdmin  = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin}}
	ftGest   = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire}}
	ftOrOF   = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleOFAdmin}}

	ofRDV      = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabRDV}
	agence     = kairos.Rule{Roles: []kairos.Role{kairos.RoleConseiller}}
	ofOrAgence = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller}}
)

// New builds the API and its routes.
func New(acc *account.Service, log *slog.Logger) *API {
	a := &API{Accounts: acc, Log: log}
	if acc != nil {
		a.Adhesions = adhesion.New(acc)
		// A session is visible for prescription only if its OF can trade.
		a.Catalogue = &catalogue.Service{DB: acc.DB, Log: log, Trade: a.Adhesions}
		a.Invoices = &invoices.Service{DB: acc.DB, Adhesions: a.Adhesions}
	}
	a.routes = []route{
		{"GET /api/v1/openapi.json", public, a.openapi},
		{"GET /api/v1/me", loggedIn, a.me},
		{"GET /api/v1/users", ofAdmin, a.listUsers},
		{"GET /api/v1/users/{id}", ofAdmin, a.getUser},
		{"POST /api/v1/users", ofAdmin, a.inviteUser},
		{"PUT /api/v1/users/{id}/habilitations", ofAdmin, a.setHabilitations},
		{"PUT /api/v1/users/{id}/status", ofAdmin, a.setUserStatus},
		{"POST /api/v1/users/{id}/invitation", ofAdmin, a.resendInvitation},
		{"POST /api/v1/adhesions", public, a.submitAdhesion},
		{"GET /api/v1/adhesions", ftGest, a.listAdhesions},
		{"GET /api/v1/adhesions/{id}", ftOrOF, a.getAdhesion},
		{"GET /api/v1/adhesions/{id}/status", public, a.adhesionStatus},
		{"POST /api/v1/adhesions/{id}/decisions", ftOrOF, a.decideAdhesion},
		{"GET /api/v1/organisation/adhesion", ofAdmin, a.orgAdhesion},
		{"POST /api/v1/organisation/qualiopi", ofAdmin, a.renewQualiopi},
		{"GET /api/v1/organisation/facturation", ofAdmin, a.getBilling},
		{"PUT /api/v1/organisation/facturation", ofAdmin, a.putBilling},
		{"GET /api/v1/catalogue/sessions", catalogueReaders, a.searchSessions},
		{"GET /api/v1/catalogue/sessions/{id}", catalogueReaders, a.getSession},
		{"GET /api/v1/catalogue/lheo", catalogueReaders, a.exportLHEO},
		{"GET /api/v1/catalogue/offre", catalogueOF, a.myOffer},
		{"POST /api/v1/catalogue/imports", catalogueCarif, a.createImport},
		{"GET /api/v1/catalogue/imports", catalogueCarif, a.listImports},
		{"GET /api/v1/catalogue/imports/{id}", catalogueCarif, a.getImport},
		{"GET /api/v1/catalogue/imports/{id}/rapport.csv", catalogueCarif, a.importCSV},

		{"GET /api/v1/appointments", ofRDV, a.listAppointments},
		{"POST /api/v1/appointments", ofRDV, a.createAppointment},
		{"GET /api/v1/appointments/{id}", ofRDV, a.getAppointment},
		{"POST /api/v1/appointments/{id}/cancel", ofRDV, a.cancelAppointment},
		{"POST /api/v1/appointments/{id}/registrations", agence, a.registerDemandeur},
		{"DELETE /api/v1/appointments/{id}/registrations/{pid}", ofOrAgence, a.unregisterParticipant},
		{"POST /api/v1/appointments/{id}/attendance", ofRDV, a.recordAttendance},
		{"PUT /api/v1/appointments/{id}", ofRDV, a.updateAppointment},
		{"POST /api/v1/appointments/calendar-feed", ofRDV, a.regenerateCalendarFeed},

		{"GET /api/v1/enrolments", ofCand, a.listEnrolments},
		{"POST /api/v1/enrolments", ofOrAgence, a.proposeEnrolment},
		{"GET /api/v1/enrolments/{id}", pathParties, a.getEnrolment},
		{"POST /api/v1/enrolments/{id}/actions", pathParties, a.enrolmentAction},
		{"POST /api/v1/enrolments/{id}/absences", ofStaff, a.addAbsence},
		{"POST /api/v1/absences/{id}/correction", ofStaff, a.correctAbsence},
		{"POST /api/v1/absences/{id}/withdrawal", ofStaff, a.withdrawAbsence},
		{"GET /api/v1/enrolments/{id}/documents/{doc}", pathParties, a.enrolmentDocument},
		{"POST /api/v1/enrolments/bulk-entries", ofCand, a.bulkEntries},
		{"POST /api/v1/enrolment-movements/{id}/corrections", ofCand, a.correctMovement},
		{"GET /api/v1/justificatifs/{id}", pathParties, a.getJustificatif},
		{"GET /api/v1/dashboard", ofCand, a.dashboard},
		{"GET /api/v1/portfolio", agence, a.portfolio},
		{"GET /api/v1/punctuality", ftGest, a.punctuality},

		{"GET /api/v1/attestations", ofAssid, a.listAttestations},
		{"POST /api/v1/attestations", ofAssid, a.attest},
		{"GET /api/v1/attestations/{id}", ofAssid, a.getAttestation},
		{"POST /api/v1/attestations/{id}/rectificatives", ofAssid, a.rectifyAttestation},
		{"GET /api/v1/attestations/sessions/{id}/schedule", ofAssid, a.getSchedule},
		{"PUT /api/v1/attestations/sessions/{id}/schedule", ofAssid, a.putSchedule},
		{"GET /api/v1/ft/attestations", ftPay, a.attestationsOverview},
		{"GET /api/v1/ft/attestations.csv", ftPay, a.attestationsCSV},
		{"POST /api/v1/ft/attestations/reminders", ftPay, a.remindOF},

		{"GET /api/v1/event-types", loggedIn, a.eventTypes},
		{"GET /api/v1/events", loggedIn, a.events},
		{"GET /api/v1/webhooks", loggedIn, a.listWebhooks},
		{"POST /api/v1/webhooks", loggedIn, a.createWebhook},
		{"GET /api/v1/webhooks/{id}", loggedIn, a.getWebhook},
		{"PUT /api/v1/webhooks/{id}", loggedIn, a.updateWebhook},
		{"DELETE /api/v1/webhooks/{id}", loggedIn, a.deleteWebhook},
		{"POST /api/v1/webhooks/{id}/enable", loggedIn, a.enableWebhook},
		{"POST /api/v1/webhooks/{id}/disable", loggedIn, a.disableWebhook},
		{"POST /api/v1/webhooks/{id}/rotate-secret", loggedIn, a.rotateWebhookSecret},
		{"GET /api/v1/webhooks/{id}/deliveries", loggedIn, a.webhookDeliveries},
		{"POST /api/v1/webhooks/{id}/deliveries/{did}/replay", loggedIn, a.replayDelivery},
		{"POST /api/v1/webhooks/{id}/replay-failed", loggedIn, a.replayFailed},
		{"GET /api/v1/invoices", invoiceReaders, a.listInvoices},
		{"GET /api/v1/invoices/to-prepare", ofFacturation, a.invoicesToPrepare},
		{"GET /api/v1/enrolments/{id}/invoice-draft", ofFacturation, a.invoiceDraft},
		{"POST /api/v1/enrolments/{id}/invoice", ofFacturation, a.issueInvoice},
		{"GET /api/v1/invoices/{id}", invoiceReaders, a.getInvoice},
		{"GET /api/v1/invoices/{id}/facturx.pdf", invoiceReaders, a.invoicePDF},
		{"GET /api/v1/invoices/{id}/cii.xml", invoiceReaders, a.invoiceXML},
		{"POST /api/v1/invoices/{id}/credit-note", ofFacturation, a.creditNote},
		{"GET /api/v1/invoices/{id}/chorus", invoiceReaders, a.getInvoiceChorus},
		{"POST /api/v1/invoices/{id}/chorus/recycle", ofFacturation, a.invoiceChorusAction(invoices.ChorusRecycle)},
		{"POST /api/v1/invoices/{id}/chorus/complete", ofFacturation, a.invoiceChorusAction(invoices.ChorusComplete)},
		{"POST /api/v1/invoices/{id}/chorus/refresh", invoiceReaders, a.invoiceChorusAction(invoices.ChorusRefresh)},
		{"GET /api/v1/invoices/{id}/chorus/questions", invoiceReaders, a.listInvoiceQuestions},
		{"POST /api/v1/invoices/{id}/chorus/questions", ofFacturation, a.askInvoiceQuestion},
		{"GET /api/v1/invoices/{id}/chorus/question-categories", ofFacturation, a.invoiceQuestionCategories},

		{"GET /api/v1/assessments", ofBilan, a.listAssessments},
		{"GET /api/v1/enrolments/{id}/assessment", assessmentReaders, a.getAssessment},
		{"POST /api/v1/enrolments/{id}/assessment/actions", ofBilan, a.assessmentAction},
		{"GET /api/v1/enrolments/{id}/assessment/certificate.pdf", assessmentReaders, a.assessmentCertificate},
		{"GET /api/v1/ft/assessments", ftPay, a.assessmentsAccounting},
		{"GET /api/v1/quotes", quoteReaders, a.listQuotes},
		{"GET /api/v1/quotes.csv", ofQuotes, a.quotesCSV},
		{"POST /api/v1/quotes", ofQuotes, a.createQuote},
		{"GET /api/v1/quotes/{id}", quoteReaders, a.getQuote},
		{"PATCH /api/v1/quotes/{id}", ofQuotes, a.updateQuote},
		{"POST /api/v1/quotes/{id}/actions", quoteReaders, a.quoteAction},
		{"GET /api/v1/quotes/{id}/pdf", quoteReaders, a.quotePDF},
	}
	return a
}

// Routes returns the declared route patterns ("METHOD /path").
func (a *API) Routes() []string {
	out := make([]string, len(a.routes))
	for i, r := range a.routes {
		out[i] = r.pattern
	}
	sort.Strings(out)
	return out
}

// RouteRules returns the rule of every route, by pattern (for the route ×
// role × tenant matrix test).
func (a *API) RouteRules() map[string]kairos.Rule {
	out := make(map[string]kairos.Rule, len(a.routes))
	for _, r := range a.routes {
		out[r.pattern] = r.rule
	}
	return out
}

// Handler returns the API's HTTP handler.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routes {
		mux.Handle(rt.pattern, a.guard(rt))
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		a.problem(w, r, kairos.Errorf(kairos.ENotFound, "Aucune ressource à cette adresse : voir /api/v1/openapi.json."))
	})
	return mux
}

// guard authenticates the API key, checks the route's rule and turns the
// handler's error into a problem document.
func (a *API) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := checkInput(r); err != nil {
			a.problem(w, r, err)
			return
		}
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, token, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				a.problem(w, r, kairos.Errorf(kairos.EUnauthorized, "En-tête Authorization invalide : utilisez « Bearer <clé d'API> »."))
				return
			}
			actor, err := a.Accounts.APIKeyActor(r.Context(), strings.TrimSpace(token))
			if err != nil {
				a.problem(w, r, err)
				return
			}
			r = r.WithContext(kairos.WithActor(r.Context(), actor))
		}
		if err := kairos.Authorize(kairos.ActorFrom(r.Context()), rt.rule); err != nil {
			if kairos.ErrorCode(err) == kairos.EUnauthorized {
				err = kairos.Errorf(kairos.EUnauthorized, "Clé d'API absente : envoyez l'en-tête « Authorization: Bearer <clé d'API> ».")
			}
			a.problem(w, r, err)
			return
		}
		if err := a.checkScope(r); err != nil {
			a.problem(w, r, err)
			return
		}
		if !a.rateLimit(w, r) {
			return
		}
		a.idempotent(w, r, func(w http.ResponseWriter, r *http.Request) {
			if err := rt.handler(w, r); err != nil {
				a.problem(w, r, err)
			}
		})
	})
}

// checkInput checks the path, the query string and a JSON body at the edge
// (input): bad bytes never reach a handler or the database.
func checkInput(r *http.Request) error {
	if err := input.Path(r.URL.Path); err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return kairos.Errorf(kairos.EInvalid, "Paramètres de requête mal encodés.")
	}
	if err := input.Query(q); err != nil {
		return err
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	br := bufio.NewReaderSize(r.Body, 64)
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	head, _ := br.Peek(64)
	if !input.LooksJSON(head) {
		return nil // not JSON (an LHÉO document): checked by its own decoder
	}
	b, err := io.ReadAll(io.LimitReader(br, maxJSONBody+1))
	if err != nil {
		return kairos.Errorf(kairos.EInvalid, "Corps de requête illisible.")
	}
	if len(b) > maxJSONBody {
		return kairos.Errorf(kairos.EInvalid, "Corps de requête trop volumineux : 1 Mio au plus.")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return input.JSON(b)
}

const maxJSONBody = 1 << 20

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Code     kairos.Code    `json:"code"`
	Errors   []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is the error of one input field.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

var problemTitles = map[kairos.Code]string{
	kairos.ENotFound:     "Ressource introuvable",
	kairos.EInvalid:      "Données invalides",
	kairos.EForbidden:    "Action non autorisée",
	kairos.EConflict:     "Conflit avec l'état actuel",
	kairos.EUnauthorized: "Authentification requise",
	kairos.ETooMany:      "Trop de requêtes",
	kairos.EUnavailable:  "Service momentanément indisponible",
	kairos.EInternal:     "Erreur interne",
}

func (a *API) problem(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Busy(err)
	code := kairos.ErrorCode(err)
	status := kairos.HTTPStatus(code)
	if n := kairos.RetryAfter(err); n > 0 && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(n))
	}
	if status >= 500 && code != kairos.EUnavailable {
		a.Log.Error("api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if code == kairos.EUnavailable && kairos.ErrorCause(err) != nil {
		a.Log.Warn("api: unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := Problem{
		Type:     "urn:kairos:problem:" + string(code),
		Title:    problemTitles[code],
		Status:   status,
		Detail:   kairos.ErrorMessage(err),
		Instance: r.URL.Path,
		Code:     code,
	}
	fields := kairos.FieldErrors(err)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.Errors = append(p.Errors, FieldProblem{Field: k, Message: fields[k]})
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kairos"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
	return nil
}

// Me describes the caller.
type Me struct {
	Kind         string      `json:"kind"` // "api_key"
	APIKey       *KeyRef     `json:"api_key,omitempty"`
	Organisation *OrgRef     `json:"organisation,omitempty"`
	Role         kairos.Role `json:"role"`
	RoleLabel    string      `json:"role_label"`
	Scopes       []string    `json:"scopes,omitempty"` // of the API key: "*", "read", "write", "capability:read|write"
}

// KeyRef identifies an API key.
type KeyRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// OrgRef identifies an organisation.
type OrgRef struct {
	ID   int64          `json:"id"`
	Name string         `json:"name"`
	Kind kairos.OrgKind `json:"kind"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	actor := kairos.ActorFrom(r.Context())
	org, err := a.Accounts.APIKeyOrganisation(r.Context(), actor)
	if err != nil {
		return err
	}
	scopes, err := a.Accounts.APIKeyScopes(r.Context(), actor.APIKeyID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Me{
		Scopes:       scopes,
		Kind:         "api_key",
		APIKey:       &KeyRef{ID: actor.APIKeyID, Name: actor.Name},
		Organisation: &OrgRef{ID: org.ID, Name: org.Name, Kind: org.Kind},
		Role:         actor.Role,
		RoleLabel:    actor.Role.Label(),
	})
}

// readJSON decodes the request body (at most 1 MiB, no unknown field) into v.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return kairos.Errorf(kairos.EInvalid, "Corps de requête JSON invalide : %s.", err.Error())
	}
	return nil
}

// pathInt reads the positive integer path value name; anything else is not found.
func pathInt(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, kairos.NotFound(what)
	}
	return id, nil
}
