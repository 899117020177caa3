package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/api"
)

// API completeness (issue 15): every action of the pages is in the API, so
// that a partner's software never makes someone type twice what it knows.
// The page routes come from the page router itself (routerRules: every
// optional capability switched on): a new state-changing page route with
// neither an API twin below nor an exemption fails TestEveryPageActionHasAnAPITwin.

// pageActionTwins maps every state-changing page route to the API
// operations that do the same thing (same service call, same rule).
var pageActionTwins = map[string][]string{
	"POST /organisme/utilisateurs":                    {"POST /api/v1/users"},
	"POST /organisme/utilisateurs/{id}/habilitations": {"PUT /api/v1/users/{id}/habilitations"},
	"POST /organisme/utilisateurs/{id}/statut":        {"PUT /api/v1/users/{id}/status"},
	"POST /organisme/utilisateurs/{id}/invitation":    {"POST /api/v1/users/{id}/invitation"},

	"POST /adherer":                   {"POST /api/v1/adhesions"},
	"POST /mon-organisme/resiliation": {"POST /api/v1/adhesions/{id}/decisions"}, // action « resilier »
	"POST /mon-organisme/qualiopi":    {"POST /api/v1/organisation/qualiopi"},
	"POST /mon-organisme/facturation": {"PUT /api/v1/organisation/facturation"},
	"POST /adhesions/{id}/decision":   {"POST /api/v1/adhesions/{id}/decisions"},
	"POST /catalogue/imports":         {"POST /api/v1/catalogue/imports"},

	"POST /rendez-vous":                           {"POST /api/v1/appointments"},
	"POST /rendez-vous/abonnement":                {"POST /api/v1/appointments/calendar-feed"},
	"POST /rendez-vous/{id}":                      {"PUT /api/v1/appointments/{id}"},
	"POST /rendez-vous/{id}/annulation":           {"POST /api/v1/appointments/{id}/cancel"},
	"POST /rendez-vous/{id}/presences":            {"POST /api/v1/appointments/{id}/attendance"},
	"POST /rendez-vous-proposes/{id}/inscription": {"POST /api/v1/appointments/{id}/registrations"},
	"POST /participations/{id}/desinscription":    {"DELETE /api/v1/appointments/{id}/registrations/{pid}"},

	"POST /tableau-de-bord/entrees":               {"POST /api/v1/enrolments/bulk-entries"},
	"POST /parcours/inscriptions":                 {"POST /api/v1/enrolments"},
	"POST /parcours/inscriptions/{id}/actions":    {"POST /api/v1/enrolments/{id}/actions"},
	"POST /parcours/inscriptions/{id}/absences":   {"POST /api/v1/enrolments/{id}/absences"},
	"POST /parcours/absences/{id}/correction":     {"POST /api/v1/absences/{id}/correction"},
	"POST /parcours/absences/{id}/retrait":        {"POST /api/v1/absences/{id}/withdrawal"},
	"POST /parcours/declarations/{id}/correction": {"POST /api/v1/enrolment-movements/{id}/corrections"},

	"POST /attestations/session":              {"POST /api/v1/attestations"},
	"POST /attestations/sessions/{id}/rythme": {"PUT /api/v1/attestations/sessions/{id}/schedule"},
	"POST /attestations/{id}/rectificative":   {"POST /api/v1/attestations/{id}/rectificatives"},

	"POST /organisme/webhooks":                  {"POST /api/v1/webhooks"},
	"POST /organisme/webhooks/{id}":             {"PUT /api/v1/webhooks/{id}"},
	"POST /organisme/webhooks/{id}/secret":      {"POST /api/v1/webhooks/{id}/rotate-secret"},
	"POST /organisme/webhooks/{id}/etat":        {"POST /api/v1/webhooks/{id}/enable", "POST /api/v1/webhooks/{id}/disable"},
	"POST /organisme/webhooks/{id}/suppression": {"DELETE /api/v1/webhooks/{id}"},
	"POST /organisme/webhooks/{id}/rejeu":       {"POST /api/v1/webhooks/{id}/deliveries/{did}/replay", "POST /api/v1/webhooks/{id}/replay-failed"},

	"POST /bilans/inscriptions/{id}":                  {"POST /api/v1/enrolments/{id}/assessment/actions"},
	"POST /factures/inscriptions/{id}":                {"POST /api/v1/enrolments/{id}/invoice"},
	"POST /factures/documents/{id}/avoir":             {"POST /api/v1/invoices/{id}/credit-note"},
	"POST /factures/documents/{id}/chorus/recycler":   {"POST /api/v1/invoices/{id}/chorus/recycle"},
	"POST /factures/documents/{id}/chorus/completer":  {"POST /api/v1/invoices/{id}/chorus/complete"},
	"POST /factures/documents/{id}/chorus/actualiser": {"POST /api/v1/invoices/{id}/chorus/refresh"},
	"POST /factures/documents/{id}/chorus/questions":  {"POST /api/v1/invoices/{id}/chorus/questions"},
	"POST /france-travail/attestations/relances":      {"POST /api/v1/ft/attestations/reminders"},

	"POST /devis":                  {"POST /api/v1/quotes"},
	"POST /devis/{id}":             {"PATCH /api/v1/quotes/{id}"},
	"POST /devis/{id}/actions":     {"POST /api/v1/quotes/{id}/actions"},
	"POST /mes-devis/{id}/actions": {"POST /api/v1/quotes/{id}/actions"}, // the same operation and table; the job seeker's own steps (accepter, refuser_de) are his alone, and no API key acts as a job seeker
}

// pageOnlyActions are the state-changing page routes that have no meaning
// in an API, each with its reason.
var pageOnlyActions = map[string]string{
	"POST /admin/utilisateurs/{id}/statut":     "Administration de la plateforme : aucune clé d'API n'a le rôle d'administrateur de la plateforme.",
	"POST /admin/utilisateurs/{id}/invitation": "Administration de la plateforme : aucune clé d'API n'a le rôle d'administrateur de la plateforme.",
	"POST /connexion":                          "Ouverture d'une session de navigateur : l'API s'authentifie par clé (Authorization: Bearer).",
	"POST /deconnexion":                        "Fermeture d'une session de navigateur : une clé d'API n'a pas de session.",
	"POST /mot-de-passe/oublie":                "Mot de passe d'une personne : une clé d'API n'en a pas.",
	"POST /mot-de-passe/nouveau":               "Mot de passe d'une personne, par un lien à usage unique reçu par courriel.",
	"POST /compte/mot-de-passe":                "Mot de passe d'une personne connectée, qui donne l'actuel : une clé d'API n'en a pas.",
	"POST /organisme/cles-api":                 "Une clé d'API ne crée pas de clé : une clé divulguée ne pourrait pas se donner de successeur ; seul le responsable du compte, connecté, en crée.",
	"POST /organisme/cles-api/{id}/revocation": "La révocation se fait par une personne connectée, même si la clé est perdue ou divulguée (une clé ne gère pas les clés).",
}

// apiKeyRoles are the roles an API key acts with (account.APIKeyActor).
var apiKeyRoles = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleCarif, kairos.RoleConseiller, kairos.RoleFTGestionnaire, kairos.RoleFTComptable}

func isWrite(pattern string) bool {
	m, _, ok := strings.Cut(pattern, " ")
	return ok && m != "GET" && m != "HEAD"
}

func TestEveryPageActionHasAnAPITwin(t *testing.T) {
	webRules, apiRules := routerRules(t)
	documented := openapiRoutes(t)
	handler := api.New(&account.Service{}, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()

	var pages []string
	for p := range webRules {
		if isWrite(p) {
			pages = append(pages, p)
		}
	}
	sort.Strings(pages)
	if len(pages) < 40 {
		t.Fatalf("only %d state-changing page routes found: is every capability switched on? %v", len(pages), pages)
	}
	for _, p := range pages {
		twins, mapped := pageActionTwins[p]
		reason, exempt := pageOnlyActions[p]
		switch {
		case mapped && exempt:
			t.Errorf("%s is both mapped to the API and exempt", p)
		case exempt:
			if len(reason) < 20 {
				t.Errorf("%s: exemption without a real reason", p)
			}
		case !mapped:
			t.Errorf("page action %s has no API operation: add one (same service call) and list it in pageActionTwins, or exempt it in pageOnlyActions with its reason", p)
		}
		for _, op := range twins {
			apiRule, ok := apiRules[op]
			if !ok {
				t.Errorf("%s: its twin %s is not an API route", p, op)
				continue
			}
			if !slices.Contains(documented, op) {
				t.Errorf("%s: its twin %s is not in openapi.json", p, op)
			}
			if apiRule.Public != webRules[p].Public {
				t.Errorf("%s and its twin %s: one is public, the other not", p, op)
			}
			// Routed: the API's router answers (401: no key) rather than 404/405.
			method, path, _ := strings.Cut(op, " ")
			if apiRule.Public {
				continue
			}
			req := httptest.NewRequest(method, paramRE.ReplaceAllString(path, "1"), strings.NewReader("{}"))
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s: %s answers %d without a key, want 401 (not routed?)", p, op, rec.Code)
			}
			// Same authorisation: every role that may act on the page and
			// may hold an API key may act through the API.
			for _, role := range apiKeyRoles {
				k := &kairos.Actor{Role: role, OrgID: 1, APIKeyID: 1}
				if kairos.Authorize(k, webRules[p]) == nil && kairos.Authorize(k, apiRule) != nil {
					t.Errorf("%s: role %s may act on the page but not through %s", p, role, op)
				}
			}
		}
	}
	// No stale entry: a renamed page route must be renamed here too.
	for p := range pageActionTwins {
		if _, ok := webRules[p]; !ok {
			t.Errorf("pageActionTwins lists %s, which is not a page route", p)
		}
	}
	for p := range pageOnlyActions {
		if _, ok := webRules[p]; !ok {
			t.Errorf("pageOnlyActions lists %s, which is not a page route", p)
		}
	}
	t.Logf("%d state-changing page routes: %d with an API twin, %d page-only", len(pages), len(pageActionTwins), len(pageOnlyActions))
}
