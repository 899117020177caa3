package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/api"
	"kairos/config"
	"kairos/demo"
	"kairos/store"
	"kairos/store/storetest"
	"kairos/web"
)

// The route × role × tenant matrix (issue 16). Every route of the portal and
// of the API, taken from the routers themselves (web.Server.RouteRules with
// every optional capability switched on, api.API.RouteRules) and from
// api/openapi.json, is called by every identity: anonymous, one user per
// role of the demo (the owners of the demo objects), an OF user with one
// habilitation only, and a foreign tenant of each kind (another OF, another
// agence, another region, another Carif, another job seeker); the API by
// the organisations' keys. Objects come from the demo data; forms carry a
// valid CSRF token. A new route is covered without any change here: its
// rule comes from its router and its object from the name of its path.
//
// What must hold, in every cell:
//   - never a 5xx;
//   - no success (2xx, or a redirect elsewhere than to the login page) for
//     an identity the route's rule refuses, nor for one that does not own
//     the object in the path (objectOwners);
//   - no body holding another tenant's data (markers);
//   - a route open to anonymous visitors is one of publicRoutes.

// publicRoutes are the only routes anonymous visitors may use.
var publicRoutes = []string{
	"GET /{$}", "GET /connexion", "POST /connexion", "GET /mot-de-passe/oublie", "POST /mot-de-passe/oublie",
	"GET /mot-de-passe/nouveau", "POST /mot-de-passe/nouveau", "GET /adherer", "POST /adherer", "GET /adherer/envoyee",
	"GET /healthz", "GET /metrics", "GET /static/", "GET /agenda/{token}", "/",
	"GET /accessibilite", "GET /mentions-legales", "GET /donnees-personnelles", "GET /conditions-utilisation", "GET /etat-du-service", // public information (issue 11)
	"GET /dev/courriels", "GET /dev/courriels/{id}", "GET /dev/courriels/{id}/pieces-jointes/{n}", // demo mode only, said at start-up
	"GET /api/v1/openapi.json", "POST /api/v1/adhesions", "GET /api/v1/adhesions/{id}/status",
}

// objectRoutes gives the kind of demo object a route's {id} names, where the
// last literal segment before it does not tell (see objectKind).
var objectRoutes = map[string]string{
	"POST /participations/{id}/desinscription":                    "participant",
	"DELETE /api/v1/appointments/{id}/registrations/{pid}":        "appointment",
	"POST /rendez-vous-proposes/{id}/inscription":                 "proposed",
	"GET /rendez-vous-proposes/{id}":                              "proposed",
	"POST /api/v1/appointments/{id}/registrations":                "proposed",
	"POST /attestations/sessions/{id}/rythme":                     "attsession",
	"GET /attestations/sessions/{id}/emargement.pdf":              "attsession",
	"POST /parcours/declarations/{id}/correction":                 "movement",
	"POST /api/v1/enrolment-movements/{id}/corrections":           "movement",
	"GET /api/v1/adhesions/{id}/status":                           "nobody", // needs the follow-up token
	"POST /organisme/cles-api/{id}/revocation":                    "apikey",
	"GET /catalogue/imports/{id}/rapport.csv":                     "import",
	"GET /api/v1/catalogue/imports/{id}/rapport.csv":              "import",
	"GET /dev/courriels/{id}/pieces-jointes/{n}":                  "mail",
	"GET /parcours/inscriptions/{id}/documents/{doc}":             "enrolment",
	"GET /api/v1/enrolments/{id}/documents/{doc}":                 "enrolment",
	"POST /organisme/utilisateurs/{id}/habilitations":             "user",
	"POST /organisme/utilisateurs/{id}/statut":                    "user",
	"POST /organisme/utilisateurs/{id}/invitation":                "user",
	"PUT /api/v1/users/{id}/habilitations":                        "user",
	"PUT /api/v1/users/{id}/status":                               "user",
	"POST /api/v1/attestations/{id}/rectificatives":               "attestation",
	"POST /api/v1/appointments/{id}/attendance":                   "appointment",
	"POST /api/v1/appointments/{id}/cancel":                       "appointment",
	"POST /rendez-vous/{id}/presences":                            "appointment",
	"POST /api/v1/enrolments/{id}/actions":                        "enrolment",
	"POST /api/v1/enrolments/{id}/absences":                       "enrolment",
	"POST /parcours/inscriptions/{id}/absences":                   "enrolment",
	"POST /adhesions/{id}/decision":                               "adhesion",
	"POST /api/v1/adhesions/{id}/decisions":                       "adhesion",
	"GET /api/v1/justificatifs/{id}":                              "justificatif",
	"GET /parcours/justificatifs/{id}":                            "justificatif",
	"GET /catalogue/sessions/{id}":                                "session",
	"GET /api/v1/catalogue/sessions/{id}":                         "session",
	"GET /bilans/inscriptions/{id}":                               "assessment",
	"POST /bilans/inscriptions/{id}":                              "assessment",
	"GET /bilans/inscriptions/{id}/attestation-fin-formation.pdf": "assessment",
	"GET /api/v1/enrolments/{id}/assessment":                      "assessment",
	"GET /api/v1/enrolments/{id}/assessment/certificate.pdf":      "assessment",
	"POST /api/v1/enrolments/{id}/assessment/actions":             "assessment",
	"GET /api/v1/attestations/sessions/{id}/schedule":             "attsesskey",
	"PUT /api/v1/attestations/sessions/{id}/schedule":             "attsesskey",
	// Lists (issue 11): the admin's user pages, FT's drill-down to an OF.
	"GET /admin/utilisateurs/{id}":                "anyuser",
	"GET /admin/utilisateurs/{id}/confirmation":   "anyuser",
	"POST /admin/utilisateurs/{id}/statut":        "anyuser",
	"POST /admin/utilisateurs/{id}/invitation":    "anyuser",
	"GET /ponctualite/organismes/{id}":            "of76",
	"GET /ponctualite/organismes/{id}/export.csv": "of76",

	// Chorus Pro follow-up of an invoice (issue 17): read by the OF and France Travail.
	"POST /factures/documents/{id}/chorus/recycler":   "invoice",
	"POST /factures/documents/{id}/chorus/completer":  "invoice",
	"POST /factures/documents/{id}/chorus/actualiser": "invoice",
	"GET /api/v1/invoices/{id}/chorus":                "invoice",
	"POST /api/v1/invoices/{id}/chorus/recycle":       "invoice",
	"POST /api/v1/invoices/{id}/chorus/complete":      "invoice",
	"POST /api/v1/invoices/{id}/chorus/refresh":       "invoice",
	// Questions to the Chorus Pro assistance about an invoice (issue 17).
	"POST /factures/documents/{id}/chorus/questions":       "invoice",
	"GET /api/v1/invoices/{id}/chorus/questions":           "invoice",
	"POST /api/v1/invoices/{id}/chorus/questions":          "invoice",
	"GET /api/v1/invoices/{id}/chorus/question-categories": "invoice",
}

// segmentKinds names the object of {id} from the segment before it.
var segmentKinds = map[string]string{
	"utilisateurs": "user", "users": "user", "cles-api": "apikey", "adhesions": "adhesion", "sessions": "session",
	"imports": "import", "rendez-vous": "appointment", "appointments": "appointment", "inscriptions": "enrolment",
	"enrolments": "enrolment", "attestations": "attestation", "courriels": "mail", "justificatifs": "justificatif",
}

// objectOwners are the identities that own (or may use) each kind of demo
// object; "*" is everyone the route's rule lets in. Every other identity
// must be refused on a route naming such an object.
var objectOwners = map[string][]string{
	"user":        {"of_admin", "key_of"},
	"apikey":      {"of_admin"},
	"adhesion":    {"ft_gestionnaire", "admin", "key_dr"},
	"session":     {"*"}, // the catalogue is open to its readers
	"import":      {"carif", "key_carif"},
	"appointment": {"of_admin", "of_user", "key_of", "key_agence"}, // an agence unregisters its job seekers
	"proposed":    {"*"},                                           // open appointments, offered to every job seeker
	"participant": {"demandeur", "conseiller"},
	"enrolment":   {"of_admin", "of_user", "of_user_assiduite", "conseiller", "demandeur", "key_of", "key_agence"},
	// The assessment (bilan) of an enrolment is also read by France Travail's
	// services of the OF's region (the assessment and invoicing journeys).
	"assessment":   {"of_admin", "of_user", "of_user_assiduite", "conseiller", "demandeur", "key_of", "key_agence", "ft_gestionnaire", "ft_comptable", "key_dr", "key_comptable"},
	"justificatif": {"of_admin", "of_user", "of_user_assiduite", "conseiller", "demandeur", "key_of", "key_agence"},
	"movement":     {"of_admin", "of_user", "key_of"},
	"attestation":  {"of_admin", "of_user", "of_user_assiduite", "key_of"},
	"attsession":   {"of_admin", "of_user", "of_user_assiduite"},
	"attsesskey":   {"key_of"},
	"mail":         {"*"}, // the demo mailbox
	"unknown":      {"*"},
	"nobody":       {},

	// Lists (issue 11): the platform's administrators manage every user; an
	// OF of the DR Occitanie's region, for its punctuality.
	"anyuser": {"admin"},
	"of76":    {"ft_gestionnaire"},
	// An invoice of the demo OF: its OF and France Travail's services of its region.
	"invoice": {"of_admin", "of_user", "key_of", "ft_gestionnaire", "ft_comptable", "key_dr", "key_comptable"},
}

// identity is one caller of the matrix.
type identity struct {
	name   string
	role   kairos.Role // "" for anonymous
	habs   kairos.HabSet
	email  string // web identities
	key    string // API identities
	http   *http.Client
	csrf   string
	forbid []string // markers of other tenants' data this identity must never see
}

// Private data of the owners' tenants.
var (
	formaproPrivate = []string{"formateur@formapro-occitanie.example", "assiduite@formapro-occitanie.example"}
	karimPrivate    = []string{"Karim Haddad", "3141592A"}
	dr76Private     = []string{"rgc@sud-formation-pro.example", "contact@garonne-langues.example"}
	carifPrivate    = []string{"matrice-occitanie.xml"}
)

func TestRouteRoleTenantMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("matrix: not in -short")
	}
	dbURL := storetest.URL(t)
	in := MustStart(t, dbURL)
	ctx := kairos.WithActor(context.Background(), kairos.System)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acc := &account.Service{DB: db, BaseURL: in.URL}

	// Foreign tenants of every kind, next to the demo's.
	orgID := func(kind kairos.OrgKind, name, region string) int64 {
		if o, err := acc.OrganisationByName(ctx, kind, name); err == nil {
			return o.ID
		}
		id, err := acc.CreateOrganisation(ctx, account.Organisation{Kind: kind, Name: name, Region: region, Code: strings.ToUpper(name[:3]) + region})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	formapro := orgID(kairos.OrgOF, "Formapro Occitanie", "76")
	cplus := orgID(kairos.OrgOF, "Compétences Plus Lyon", "84")
	toulouse := orgID(kairos.OrgFTAgence, "Agence France Travail Toulouse Bonnefoy", "76")
	lyon := orgID(kairos.OrgFTAgence, "Agence France Travail Lyon Part-Dieu", "84")
	dr76 := orgID(kairos.OrgFTService, "Direction régionale France Travail Occitanie", "76")
	cpt76 := orgID(kairos.OrgFTService, "Service comptable France Travail Occitanie", "76")
	dr84 := orgID(kairos.OrgFTService, "Direction régionale France Travail Auvergne-Rhône-Alpes", "84")
	carif76 := orgID(kairos.OrgCarif, "Carif-Oref Occitanie", "76")
	carif84 := orgID(kairos.OrgCarif, "Carif-Oref Auvergne-Rhône-Alpes", "84")
	for _, u := range []account.NewUser{
		{OrgID: lyon, Role: kairos.RoleConseiller, Email: "conseiller@lyon.example", Name: "Conseiller Lyon"},
		{OrgID: dr84, Role: kairos.RoleFTGestionnaire, Email: "gestionnaire@ara.example", Name: "Gestionnaire ARA"},
		{OrgID: carif84, Role: kairos.RoleCarif, Email: "operateur@carif-ara.example", Name: "Opérateur ARA"},
	} {
		u.Password = demo.Password
		if _, err := acc.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// An import of the Carif Occitanie (the demo's are the platform's).
	importID, err := db.Insert(ctx, `INSERT INTO catalogue_imports (source, file_name, status, org_id, started_at) VALUES (?, ?, ?, ?, ?)`,
		"carif-occitanie", "matrice-occitanie.xml", "termine", carif76, kairos.SystemClock())
	if err != nil {
		t.Fatal(err)
	}

	webIDs := []*identity{{name: "anonyme"}}
	for _, a := range demo.Accounts {
		webIDs = append(webIDs, &identity{name: string(a.Role), role: a.Role, habs: a.Habs, email: a.Email})
	}
	webIDs = append(webIDs,
		&identity{name: "of_user_assiduite", role: kairos.RoleOFUser, habs: kairos.HabSet{kairos.HabAssiduite}, email: "assiduite@formapro-occitanie.example"},
		&identity{name: "of_admin_autre_of", role: kairos.RoleOFAdmin, email: "rgc@competences-plus.example", forbid: append(slices.Clone(formaproPrivate), karimPrivate...)},
		&identity{name: "conseiller_autre_agence", role: kairos.RoleConseiller, email: "conseiller@lyon.example", forbid: karimPrivate},
		&identity{name: "gestionnaire_autre_region", role: kairos.RoleFTGestionnaire, email: "gestionnaire@ara.example", forbid: dr76Private},
		&identity{name: "carif_autre", role: kairos.RoleCarif, email: "operateur@carif-ara.example", forbid: carifPrivate},
		&identity{name: "demandeur_autre", role: kairos.RoleDemandeur, email: "amina.diallo@exemple.example", forbid: karimPrivate},
	)
	for _, id := range webIDs {
		b := NewBrowser(t)
		if id.email != "" {
			if status := b.Login(in, id.email, demo.Password); status != http.StatusSeeOther {
				t.Fatalf("login %s: %d", id.email, status)
			}
		}
		_, page := b.Get(in.URL + "/connexion")
		if id.email != "" {
			_, page = b.Get(in.URL + "/compte")
		}
		m := csrfRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s: no CSRF token", id.name)
		}
		id.http, id.csrf = b.http, m[1]
	}
	key := func(org int64, name string) string {
		_, tok, err := acc.CreateAPIKey(ctx, kairos.System, org, name)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	apiIDs := []*identity{
		{name: "anonyme"},
		{name: "key_of", role: kairos.RoleOFAdmin, key: key(formapro, "ERP Formapro")},
		{name: "key_agence", role: kairos.RoleConseiller, key: key(toulouse, "SI Toulouse")},
		{name: "key_dr", role: kairos.RoleFTGestionnaire, key: key(dr76, "SI DR76")},
		{name: "key_comptable", role: kairos.RoleFTComptable, key: key(cpt76, "SI comptable")},
		{name: "key_carif", role: kairos.RoleCarif, key: key(carif76, "SI Carif")},
		{name: "key_autre_of", role: kairos.RoleOFAdmin, key: key(cplus, "ERP CP"), forbid: append(slices.Clone(formaproPrivate), karimPrivate...)},
		{name: "key_autre_agence", role: kairos.RoleConseiller, key: key(lyon, "SI Lyon"), forbid: karimPrivate},
		{name: "key_autre_region", role: kairos.RoleFTGestionnaire, key: key(dr84, "SI DR84"), forbid: dr76Private},
		{name: "key_autre_carif", role: kairos.RoleCarif, key: key(carif84, "SI Carif ARA"), forbid: carifPrivate},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, id := range apiIDs {
		id.http = noRedirect
	}

	// The demo objects, owned by Formapro, the agence Toulouse, the DR
	// Occitanie, the Carif Occitanie and Karim Haddad.
	one := func(q string, args ...any) string {
		var id int64
		if err := db.QueryRow(ctx, q, args...).Scan(&id); err != nil {
			return "999999999" // none in this demo: a missing object, refused to all
		}
		return fmt.Sprint(id)
	}
	karim := one("SELECT id FROM users WHERE email = ?", "demandeur@exemple.example")
	objects := map[string]string{
		"user":         one("SELECT id FROM users WHERE email = ?", "formateur@formapro-occitanie.example"),
		"apikey":       one("SELECT id FROM api_keys WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"adhesion":     one("SELECT id FROM adhesions WHERE siret = ?", "84567890300012"),
		"session":      one("SELECT id FROM catalogue_sessions ORDER BY id LIMIT 1"),
		"import":       fmt.Sprint(importID),
		"appointment":  one("SELECT id FROM appointments WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"proposed":     one("SELECT id FROM appointments WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"participant":  one("SELECT p.id FROM participants p JOIN appointments a ON a.id = p.appointment_id WHERE a.org_id = ? AND p.demandeur_id = ? ORDER BY p.id LIMIT 1", formapro, karim),
		"enrolment":    one("SELECT id FROM enrolments WHERE org_id = ? AND demandeur_id = ? ORDER BY id LIMIT 1", formapro, karim),
		"justificatif": one("SELECT f.id FROM enrolment_files f JOIN enrolments e ON e.id = f.enrolment_id WHERE e.org_id = ? AND e.demandeur_id = ? ORDER BY f.id LIMIT 1", formapro, karim),
		"movement":     one("SELECT id FROM enrolment_movements WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"attestation":  one("SELECT id FROM attestations WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"attsession":   one("SELECT session_id FROM enrolments WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"attsesskey":   one("SELECT session_id FROM enrolments WHERE org_id = ? ORDER BY id LIMIT 1", formapro),
		"mail":         one("SELECT id FROM mails ORDER BY id LIMIT 1"),
		"anyuser":      one("SELECT id FROM users WHERE email = ?", "formateur@formapro-occitanie.example"),
		"of76":         fmt.Sprint(formapro),
		"assessment":   one("SELECT id FROM enrolments WHERE org_id = ? AND demandeur_id = ? ORDER BY id LIMIT 1", formapro, karim),
		"invoice":      one("SELECT id FROM invoices WHERE org_id = ? ORDER BY id LIMIT 1", formapro), // none until the demo has invoices
		"unknown":      "999999999",
		"nobody":       "999999999",
	}

	webRules, apiRules := routerRules(t)
	type cell struct {
		route string
		rule  *kairos.Rule // nil: in the OpenAPI document only
		web   bool
	}
	var routes []cell
	for p, r := range webRules {
		routes = append(routes, cell{p, &r, true})
	}
	for p, r := range apiRules {
		routes = append(routes, cell{p, &r, false})
	}
	for _, p := range openapiRoutes(t) {
		if _, ok := apiRules[p]; !ok {
			routes = append(routes, cell{p, nil, false})
		}
	}
	// Reads first, then writes; logging out last (it ends the sessions).
	rank := func(p string) int {
		switch {
		case p == "POST /deconnexion":
			return 2
		case strings.HasPrefix(p, "GET ") || !strings.Contains(p, " "):
			return 0
		}
		return 1
	}
	sort.Slice(routes, func(i, j int) bool {
		if ri, rj := rank(routes[i].route), rank(routes[j].route); ri != rj {
			return ri < rj
		}
		return routes[i].route < routes[j].route
	})

	cells, fails := 0, 0
	fail := func(format string, args ...any) {
		fails++
		if fails <= 60 {
			t.Errorf(format, args...)
		}
	}
	for _, rc := range routes {
		method, path, ok := strings.Cut(rc.route, " ")
		if !ok {
			method, path = "GET", "/page-inexistante" // the catch-all
		}
		path = strings.TrimSuffix(path, "{$}")
		kind := objectKind(rc.route, path)
		path = substitute(path, objects[kind])
		public := rc.rule != nil && rc.rule.Public
		if public && !slices.Contains(publicRoutes, rc.route) {
			fail("%s is open to anonymous visitors but not in publicRoutes", rc.route)
		}
		ids := apiIDs
		if rc.web {
			ids = webIDs
		}
		for _, id := range ids {
			cells++
			status, loc, body := call(t, in.URL, id, method, path, rc.web)
			if (path == "/connexion" || path == "/") && rc.web {
				body = "" // in demo mode the login page lists the demo accounts, by design
			}
			allowed := roleAllowed(rc.rule, id, rc.route) && owns(kind, id, paramRE.MatchString(rc.route))
			success := status < 300 || (status < 400 && !strings.HasPrefix(loc, "/connexion"))
			switch {
			case status >= 500:
				fail("%s as %s: %d\n%.300s", rc.route, id.name, status, body)
			case success && !allowed:
				fail("%s (%s) as %s: unexpected %d %s", rc.route, path, id.name, status, loc)
			}
			if strings.HasPrefix(path, "/dev/courriels") {
				continue // the demo mailbox shows every e-mail, by design (demo mode only)
			}
			for _, m := range id.forbid {
				if strings.Contains(body, m) {
					fail("%s (%s) as %s: the body holds another tenant's %q", rc.route, path, id.name, m)
				}
			}
		}
	}
	if fails > 60 {
		t.Errorf("… and %d more failures", fails-60)
	}
	t.Logf("route × role × tenant matrix: %d routes, %d cells (%d web identities, %d API identities), %d failures", len(routes), cells, len(webIDs), len(apiIDs), fails)
	fmt.Fprintf(os.Stderr, "matrix: %d cells\n", cells)
}

// routerRules builds the portal with every optional capability switched on
// (each nil service field set to a zero value, so that a capability added
// later is listed without a change here) and returns the routes' rules.
func routerRules(t *testing.T) (webRules, apiRules map[string]kairos.Rule) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"KAIROS_DEMO": "1"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &web.Server{Cfg: cfg, Log: log, Secret: []byte("0123456789abcdef0123456789abcdef")}
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.CanSet() && f.Kind() == reflect.Pointer && f.IsNil() && f.Type().Elem().Kind() == reflect.Struct {
			f.Set(reflect.New(f.Type().Elem()))
		}
	}
	ws, err := web.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return ws.RouteRules(), api.New(&account.Service{}, log).RouteRules()
}

// openapiRoutes lists "METHOD /path" for every operation of openapi.json.
func openapiRoutes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

var paramRE = regexp.MustCompile(`\{[a-z]+\}`)

// objectKind is the kind of demo object the route's first parameter names.
func objectKind(route, path string) string {
	if k, ok := objectRoutes[route]; ok {
		return k
	}
	i := strings.Index(path, "/{")
	if i < 0 {
		return ""
	}
	segs := strings.Split(path[:i], "/")
	if k, ok := segmentKinds[segs[len(segs)-1]]; ok {
		return k
	}
	return "unknown"
}

// substitute fills the path parameters: {id} with the object, the others
// with sensible values.
func substitute(path, id string) string {
	return paramRE.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case "{doc}":
			return "ais"
		case "{n}":
			return "0"
		case "{token}":
			return "jeton-inconnu"
		case "{pid}":
			return "999999999"
		}
		return id
	})
}

// roleAllowed reports whether the route's rule lets the identity in. A route
// known only from the OpenAPI document is refused to anonymous callers
// unless it is public.
func roleAllowed(r *kairos.Rule, id *identity, route string) bool {
	if r == nil {
		return id.role != "" || slices.Contains(publicRoutes, route)
	}
	var a *kairos.Actor
	if id.role != "" {
		a = &kairos.Actor{Role: id.role, Habilitations: id.habs, OrgID: 1, UserID: 1}
	}
	return kairos.Authorize(a, *r) == nil
}

// owns reports whether the identity may use the object of kind (always when
// the route names no object).
func owns(kind string, id *identity, named bool) bool {
	if kind == "" || !named {
		return true
	}
	owners := objectOwners[kind]
	return slices.Contains(owners, "*") || slices.Contains(owners, id.name)
}

// call sends one request as the identity: web forms with the identity's
// CSRF token, API calls with its key and an empty JSON object.
func call(t *testing.T, base string, id *identity, method, path string, web bool) (int, string, string) {
	t.Helper()
	var body io.Reader
	ctype := ""
	if method != http.MethodGet && method != http.MethodHead {
		if web {
			body, ctype = strings.NewReader(url.Values{"csrf_token": {id.csrf}}.Encode()), "application/x-www-form-urlencoded"
		} else {
			body, ctype = strings.NewReader("{}"), "application/json"
		}
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if id.key != "" {
		req.Header.Set("Authorization", "Bearer "+id.key)
	}
	resp, err := id.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	loc := resp.Header.Get("Location")
	// A redirect carrying an error message (POST-redirect-GET of a refused
	// form) is no success: it counts as going to the login page.
	for _, c := range resp.Cookies() {
		if c.Name == "kairos_flash" {
			v, _, _ := strings.Cut(c.Value, ".")
			if m, err := base64.RawURLEncoding.DecodeString(v); err == nil && strings.HasPrefix(string(m), "error|") {
				loc = "/connexion#refus"
			}
		}
	}
	return resp.StatusCode, loc, string(b)
}

// Issue 16, finding 5: the proposal form names a job seeker only to those
// who may propose him a training (not to an OF user with only assiduite).
func TestProposalFormNamesNoStranger(t *testing.T) {
	dbURL := storetest.URL(t)
	in := MustStart(t, dbURL)
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var karim int64
	if err := db.QueryRow(context.Background(), "SELECT id FROM users WHERE email = ?", "demandeur@exemple.example").Scan(&karim); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"assiduite@formapro-occitanie.example", "rgc@competences-plus.example"} {
		b := NewBrowser(t)
		if status := b.Login(in, email, demo.Password); status != http.StatusSeeOther {
			t.Fatalf("login %s: %d", email, status)
		}
		status, page := b.Get(fmt.Sprintf("%s/parcours/proposer?demandeur=%d", in.URL, karim))
		if status >= 500 || strings.Contains(page, "Karim Haddad") {
			t.Errorf("%s sees the job seeker's name (%d)", email, status)
		}
	}
	b := NewBrowser(t)
	b.Login(in, "conseillere@francetravail.example", demo.Password)
	if _, page := b.Get(fmt.Sprintf("%s/parcours/proposer?demandeur=%d", in.URL, karim)); !strings.Contains(page, "Karim Haddad") {
		t.Error("his counsellor does not see his name")
	}
}
