package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/api"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/invoices"
	"kairos/lheo/lheotest"
	"kairos/quotes"
	"kairos/siret"
	"kairos/webhooks"
)

// listWalk is one list endpoint walked page by page.
type listWalk struct {
	path   string // with its query, without limit and after
	key    string // the API key that reads it
	array  string // the JSON array of the items ("items" by default)
	id     func(map[string]any) string
	before func(a, b map[string]any) bool // a comes strictly before b in the documented order
	seed   func(t *testing.T, n int)      // creates n more rows the key sees
	// stable: rows inserted between pages neither repeat nor skip the rows
	// already there. false only where documented (see why).
	stable bool
	why    string
}

func num(m map[string]any, k string) float64 { v, _ := m[k].(float64); return v }
func str(m map[string]any, k string) string  { v, _ := m[k].(string); return v }
func idOf(k string) func(map[string]any) string {
	return func(m map[string]any) string { return strconv.FormatFloat(num(m, k), 'f', 0, 64) }
}

// lexBefore compares items by fields (numbers or strings); desc[i] reverses field i.
func lexBefore(fields []string, desc ...bool) func(a, b map[string]any) bool {
	return func(a, b map[string]any) bool {
		for i, f := range fields {
			d := i < len(desc) && desc[i]
			var c int
			switch va := a[f].(type) {
			case float64:
				vb, _ := b[f].(float64)
				c = map[bool]int{true: -1, false: 1}[va < vb]
				if va == vb {
					c = 0
				}
			case string:
				c = strings.Compare(va, str(b, f))
			case nil:
				if b[f] != nil {
					c = -1
				}
			default:
				c = 0
			}
			if d {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	}
}

// TestEveryListIsCursorPaginated walks every list endpoint of the API with
// pages of 2, creating rows between the pages: every row that was there at
// the start is read exactly once, none twice, in the documented order, and
// the last page has no next. Every list of openapi.json must be walked here.
func TestEveryListIsCursorPaginated(t *testing.T) {
	acc := fixture.MustAccounts(t)
	now := time.Date(2026, 4, 15, 8, 0, 0, 0, time.UTC)
	clock := &fixture.Clock{T: now}
	acc.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	ctx := fixture.Ctx()
	db := w.DB()
	cons, admin := w.Users[kairos.RoleConseiller].Actor(), w.Users[kairos.RoleOFAdmin].Actor()
	sessions := appointments.StaticSessions{}
	for i := int64(1); i <= 200; i++ {
		sessions[i] = appointments.SessionRef{ID: i, Intitule: fmt.Sprintf("Session %03d", i), OrgID: w.OFA,
			Debut: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Fin: time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)}
	}
	rdv := &appointments.Service{DB: db, Clock: clock.Now, BaseURL: "http://kairos.test"}
	path := &enrolment.Service{DB: db, Clock: clock.Now, Sessions: sessions}
	wh := &webhooks.Service{DB: db, Clock: clock.Now, AllowPrivate: true}
	today := calendar.DateOf(now)
	qs := &quotes.Service{DB: db, Clock: clock.Now, Trade: canTrade{}, Path: path,
		Catalog: quotes.StaticCatalog{7: {ID: 7, OrgID: w.OFA, Title: "Cariste", Debut: today.AddDays(10), Fin: today.AddDays(40), HoursCentre: 560, HourlyCost: 1500, Visible: true}}}
	a := api.New(acc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Clock = clock.Now
	a.Appointments, a.Enrolment, a.Webhooks, a.Quotes = rdv, path, wh, qs
	a.Attestations = &attestations.Service{DB: db, Clock: clock.Now}
	a.Assessments = &assessments.Service{DB: db, Clock: clock.Now}
	a.Issuer = &invoices.Issuer{DB: db, Invoices: a.Invoices, Clock: clock.Now}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	_, ofKey, _ := acc.CreateAPIKey(ctx, admin, w.OFA, "ERP A")
	_, agKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "SI agence")
	_, drKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.DR, "SI DR")
	_, carifKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Carif, "SI Carif")
	var region string
	if err := db.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", w.DR).Scan(&region); err != nil {
		t.Fatal(err)
	}

	// Names spread so that new rows land before and after the cursor.
	seq := 0
	name := func(prefix string) string {
		seq++
		return fmt.Sprintf("%s %02d-%d", prefix, (seq*37)%100, seq)
	}
	newDemandeur := func(t *testing.T) int64 {
		t.Helper()
		n := name("Stagiaire")
		u, err := acc.CreateUser(ctx, account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%d@walk.example", seq), Name: n})
		if err != nil {
			t.Fatal(err)
		}
		if err := rdv.SetDemandeur(ctx, u.ID, fmt.Sprintf("W%06d", seq), w.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	nextSession := int64(0)
	// enter proposes, confirms and declares the entry of a new job seeker on
	// a new session of the OF; exit also declares his exit.
	enter := func(t *testing.T, exit bool) {
		t.Helper()
		nextSession++
		x, err := path.Propose(ctx, cons, enrolment.Proposal{DemandeurID: newDemandeur(t), SessionID: nextSession})
		if err == nil {
			_, err = path.Do(ctx, admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
		}
		if err == nil {
			_, err = path.Do(ctx, admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
		}
		if err == nil && exit {
			_, err = path.Do(ctx, admin, x.ID, enrolment.Action{Action: enrolment.ActSortir, Date: calendar.NewDate(2026, 3, 3+(seq*7)%30), Reason: "fin_normale"})
		}
		must(t, err)
	}
	dispatch := func(t *testing.T) {
		t.Helper()
		for {
			n, err := wh.Dispatch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
	newAppointment := func(t *testing.T) {
		t.Helper()
		seq++
		day := 1 + (seq*13)%28
		if _, err := rdv.Create(ctx, admin, appointments.Input{Kind: "collectif", Title: name("ICO"), Date: fmt.Sprintf("2026-06-%02d", day),
			Start: "09:00", End: "10:00", Place: "Toulouse", Capacity: 5}); err != nil {
			t.Fatal(err)
		}
	}
	ofs := 0
	sub, _, err := wh.Create(ctx, admin, webhooks.Input{URL: "http://127.0.0.1:9/hook", EventTypes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}

	walks := []listWalk{
		{path: "/api/v1/users", key: ofKey, id: idOf("id"), before: lexBefore([]string{"name", "id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					if _, err := acc.Invite(ctx, admin, fmt.Sprintf("u%d@walk.example", seq+1), name("Utilisateur"), nil); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{path: "/api/v1/adhesions", key: drKey, id: idOf("id"), before: lexBefore([]string{"submitted_at", "id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					seq++
					s := ""
					for d := 0; d < 10 && s == ""; d++ {
						if c := fmt.Sprintf("732829320%04d%d", seq%10000, d); siret.CheckSIRET(c) == "" {
							s = c
						}
					}
					clock.T = clock.T.Add(time.Second)
					_, _, err := a.Adhesions.Submit(ctx, adhesion.Application{RaisonSociale: name("Organisme"), SIRET: s, NDA: "76310123456", Address: "1 rue Haute",
						PostalCode: "31000", City: "Toulouse", Region: region, RGCName: "Rémi Faure", RGCEmail: fmt.Sprintf("rgc%d@walk.example", seq),
						QualiopiNumber: "Q-1", QualiopiCertifier: "AFNOR", QualiopiFrom: "2025-01-01", QualiopiUntil: "2099-01-01", AcceptConditions: true})
					must(t, err)
				}
			}},
		{path: "/api/v1/appointments?from=2026-05-01", key: ofKey, id: idOf("id"), before: lexBefore([]string{"starts_at", "id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					newAppointment(t)
				}
			}},
		{path: "/api/v1/webhooks", key: ofKey, id: idOf("id"), before: lexBefore([]string{"id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					if _, _, err := wh.Create(ctx, admin, webhooks.Input{URL: "https://erp.example.fr/h", EventTypes: []string{"appointment.create.v1"}}); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries", sub.ID), key: ofKey, id: idOf("id"), before: lexBefore([]string{"id"}, true), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					newAppointment(t)
				}
				dispatch(t)
			}},
		{path: "/api/v1/events", key: ofKey, array: "events", id: func(m map[string]any) string { return str(m, "id") }, before: lexBefore([]string{"sequence"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					newAppointment(t)
				}
				dispatch(t)
			}},
		{path: "/api/v1/event-types", key: ofKey, id: func(m map[string]any) string { return str(m, "name") },
			why: "le catalogue des types est fixe (il change avec une version de Kairos)"},
		{path: "/api/v1/enrolments", key: ofKey, id: idOf("id"), before: lexBefore([]string{"id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					enter(t, false)
				}
			}},
		{path: "/api/v1/portfolio", key: agKey, id: idOf("demandeur_id"), before: lexBefore([]string{"name", "demandeur_id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					newDemandeur(t)
				}
			}},
		{path: "/api/v1/attestations?month=2026-03", key: ofKey, id: idOf("enrolment_id"), before: lexBefore([]string{"session_id", "enrolment_id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					enter(t, false)
				}
			}},
		{path: "/api/v1/assessments?state=tous", key: ofKey, id: idOf("enrolment_id"), before: lexBefore([]string{"exit_on", "enrolment_id"}, true, true), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					enter(t, true)
				}
			}},
		{path: "/api/v1/invoices/to-prepare", key: ofKey, id: idOf("enrolment_id"), before: lexBefore([]string{"exit_on", "enrolment_id"}, true, true), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					enter(t, true)
				}
			}},
		{path: "/api/v1/quotes", key: ofKey, id: idOf("id"), before: lexBefore([]string{"id"}, true), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					de := newDemandeur(t)
					var ft, nom string
					db.QueryRow(ctx, "SELECT d.ft_id, u.name FROM demandeurs d JOIN users u ON u.id = d.user_id WHERE d.user_id = ?", de).Scan(&ft, &nom)
					if _, err := qs.Create(ctx, admin, quotes.NewQuote{SessionID: 7, FTID: ft, Nom: nom}); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{path: "/api/v1/catalogue/imports", key: carifKey, id: idOf("id"), before: lexBefore([]string{"id"}, true), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					if _, err := db.Insert(ctx, `INSERT INTO catalogue_imports (source, file_name, status, org_id, started_at) VALUES (?, ?, ?, ?, ?)`,
						"carif", name("import")+".xml", "termine", w.Carif, clock.Now()); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{path: "/api/v1/punctuality", key: drKey, id: idOf("org_id"), before: lexBefore([]string{"org_name", "org_id"}), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					ofs++
					org, err := acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgOF, Name: name("OF"), Region: region, Code: fmt.Sprintf("OFW%d", ofs)})
					if err != nil {
						t.Fatal(err)
					}
					nextSession++
					sessions[nextSession] = appointments.SessionRef{ID: nextSession, Intitule: "Session", OrgID: org,
						Debut: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Fin: time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)}
					of := &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: org, UserID: admin.UserID, Name: "Responsable"}
					x, err := path.Propose(ctx, cons, enrolment.Proposal{DemandeurID: newDemandeur(t), SessionID: nextSession})
					if err == nil {
						_, err = path.Do(ctx, of, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
					}
					if err == nil {
						_, err = path.Do(ctx, of, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			}},
	}
	// The catalogue: a generated LHÉO import; the OF's offer is the
	// sessions of its SIRET (a session « appears » in it when its SIRET becomes the OF's).
	if _, err := a.Catalogue.Import(ctx, bytes.NewReader(lheotest.MustGenerate(t, 60, 5)), catalogue.ImportOptions{Source: "synthese"}); err != nil {
		t.Fatal(err)
	}
	const ofSIRET = "73282932000074"
	if _, err := db.Exec(ctx, "UPDATE organisations SET siret = ? WHERE id = ?", ofSIRET, w.OFA); err != nil {
		t.Fatal(err)
	}
	walks = append(walks,
		listWalk{path: "/api/v1/catalogue/offre", key: ofKey, array: "sessions", id: idOf("id"), stable: true,
			before: func(a, b map[string]any) bool {
				wa, wb := a["withdrawn_at"] != nil, b["withdrawn_at"] != nil
				if wa != wb {
					return !wa
				}
				if da, db := fmt.Sprint(a["debut"]), fmt.Sprint(b["debut"]); da != db {
					return da > db
				}
				return num(a, "id") < num(b, "id")
			},
			seed: func(t *testing.T, n int) {
				if _, err := db.Exec(ctx, "UPDATE catalogue_sessions SET siret = ? WHERE id IN (SELECT id FROM catalogue_sessions WHERE siret <> ? ORDER BY id DESC LIMIT ?)", ofSIRET, ofSIRET, n); err != nil {
					t.Fatal(err)
				}
			}},
		listWalk{path: "/api/v1/catalogue/sessions?tri=debut", key: ofKey, id: idOf("id"), before: lexBefore([]string{"debut", "id"}),
			why: "une recherche est refaite à chaque page : son curseur est un rang (documenté) ; le catalogue complet et stable est l'export LHÉO"},
		listWalk{path: "/api/v1/invoices", key: ofKey, id: idOf("id"), before: lexBefore([]string{"id"}, true), stable: true,
			seed: func(t *testing.T, n int) {
				for range n {
					enter(t, true)
					var eid int64
					must(t, db.QueryRow(ctx, "SELECT MAX(id) FROM enrolments WHERE org_id = ?", w.OFA).Scan(&eid))
					seq++
					// Rows as the issuing writes them (the issuing itself is tested in invoices).
					if _, err := db.Exec(ctx, `INSERT INTO invoices (org_id, enrolment_id, number, type_code, state, quote_number, issue_date, total_cents, model, xml, pdf, actor_label, created_at)
						VALUES (?, ?, ?, '380', 'emise', 'AIF-2026-0000001-00', ?, 1000, '{}', ?, ?, 'test', ?)`, w.OFA, eid, fmt.Sprintf("F-2026-%05d", seq), int64(today), []byte("<x/>"), []byte("%PDF"), clock.Now()); err != nil {
						t.Fatal(err)
					}
				}
			}},
	)
	// The questions to the Chorus Pro assistance about one invoice (issue 17).
	enter(t, true)
	var qeid int64
	must(t, db.QueryRow(ctx, "SELECT MAX(id) FROM enrolments WHERE org_id = ?", w.OFA).Scan(&qeid))
	qInvoice, err := db.Insert(ctx, `INSERT INTO invoices (org_id, enrolment_id, number, type_code, state, quote_number, issue_date, total_cents, model, xml, pdf, actor_label, created_at)
		VALUES (?, ?, 'F-2026-Q0001', '380', 'emise', 'AIF-2026-0000001-00', ?, 1000, '{}', ?, ?, 'test', ?)`, w.OFA, qeid, int64(today), []byte("<x/>"), []byte("%PDF"), clock.Now())
	must(t, err)
	walks = append(walks, listWalk{path: fmt.Sprintf("/api/v1/invoices/%d/chorus/questions", qInvoice), key: ofKey, id: idOf("id"), before: lexBefore([]string{"id"}, true), stable: true,
		seed: func(t *testing.T, n int) {
			for range n {
				seq++
				// Rows as Ask writes them (Ask itself is tested in invoices).
				if _, err := db.Exec(ctx, `INSERT INTO chorus_questions (invoice_id, org_id, token, category_id, category_code, category_label, subject, message, author_label, phase,
					next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, 11, 'SUIVI_FACTURE', 'Suivi', ?, 'm', 'test', 'a_envoyer', ?, ?, ?)`,
					qInvoice, w.OFA, fmt.Sprintf("t%d", seq), name("Question"), clock.Now(), clock.Now(), clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}})
	walked := map[string]bool{}
	for _, lw := range walks {
		u, _ := url.Parse(lw.path)
		walked[u.Path] = true
		walked[strings.Replace(u.Path, fmt.Sprintf("/%d/", sub.ID), "/{id}/", 1)] = true
		walked[strings.Replace(u.Path, fmt.Sprintf("/%d/", qInvoice), "/{id}/", 1)] = true
		t.Run(strings.TrimPrefix(u.Path, "/api/v1/"), func(t *testing.T) {
			walk(t, srv.URL, lw)
		})
	}
	// Every documented list is walked above.
	notWalked := map[string]string{}
	for _, p := range documentedLists(t) {
		if !walked[p] && notWalked[p] == "" {
			t.Errorf("list %s is documented but not walked by this test", p)
		}
	}
}

// walk reads lw page by page (2 items a page), creating 2 rows between pages.
func walk(t *testing.T, base string, lw listWalk) {
	t.Helper()
	if lw.array == "" {
		lw.array = "items"
	}
	if !lw.stable && len(lw.why) < 20 {
		t.Fatalf("%s: walked without rows inserted between pages, but no reason given", lw.path)
	}
	if lw.seed != nil && lw.stable {
		lw.seed(t, 5)
	}
	sep := "?"
	if strings.Contains(lw.path, "?") {
		sep = "&"
	}
	get := func(after string) ([]map[string]any, string) {
		t.Helper()
		p := lw.path + sep + "limit=2"
		if after != "" {
			p += "&after=" + url.QueryEscape(after)
		}
		status, body, raw := apiCall(t, base, lw.key, "GET", p, nil)
		if status != 200 {
			t.Fatalf("GET %s: %d %s", p, status, raw)
		}
		var items []map[string]any
		b, _ := json.Marshal(body[lw.array])
		json.Unmarshal(b, &items)
		if len(items) > 2 {
			t.Fatalf("GET %s: %d items for limit=2", p, len(items))
		}
		next, _ := body["next"].(string)
		return items, next
	}
	// What is there before the walk: read it whole, in one page when the
	// list allows 200.
	first := map[string]bool{}
	status, body, raw := apiCall(t, base, lw.key, "GET", lw.path+sep+"limit=200", nil)
	if status != 200 {
		t.Fatalf("whole list: %d %s", status, raw)
	}
	if body["next"] != nil {
		t.Fatalf("more than 200 rows to start with: %s", lw.path)
	}
	all, _ := body[lw.array].([]any)
	for _, it := range all {
		first[lw.id(it.(map[string]any))] = true
	}
	if len(first) < 5 {
		t.Fatalf("%s: %d rows to start with, want ≥ 5", lw.path, len(first))
	}
	seen := map[string]int{}
	var order []map[string]any
	after, pages := "", 0
	for {
		items, next := get(after)
		pages++
		for _, it := range items {
			seen[lw.id(it)]++
			order = append(order, it)
		}
		if next == "" {
			break
		}
		if len(items) == 0 {
			t.Fatalf("page %d: empty page with a next cursor", pages)
		}
		if pages > 100 {
			t.Fatal("more than 100 pages")
		}
		if lw.stable && lw.seed != nil && pages <= 2 {
			lw.seed(t, 2) // between the first pages (rows added at the end would make the walk endless)
		}
		after = next
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s: %s read %d times", lw.path, id, n)
		}
	}
	for id := range first {
		if seen[id] == 0 {
			t.Errorf("%s: %s, there from the start, was skipped", lw.path, id)
		}
	}
	if lw.before != nil {
		for i := 1; i < len(order); i++ {
			if !lw.before(order[i-1], order[i]) {
				t.Errorf("%s: %s then %s: out of order", lw.path, lw.id(order[i-1]), lw.id(order[i]))
			}
		}
	}
	if pages < 3 {
		t.Errorf("%s: %d pages only", lw.path, pages)
	}
	// A cursor of another shape, or not a cursor, names the field.
	for _, bad := range []string{"abc", "k1.WyJ4Il0"} {
		status, _, raw := apiCall(t, base, lw.key, "GET", lw.path+sep+"after="+bad, nil)
		if lw.path == "/api/v1/events" {
			continue // the feed's cursor is its sequence number
		}
		if status != 422 || !strings.Contains(raw, `"after"`) {
			t.Errorf("%s after=%s: %d %s", lw.path, bad, status, raw)
		}
	}
	t.Logf("%s: %d pages, %d rows read, %d there at the start", lw.path, pages, len(seen), len(first))
}

// documentedLists returns the list endpoints of openapi.json: the GET
// operations with an "after" parameter; and checks that every GET whose
// answer holds an array of objects at its top level has one (aggregates
// excepted).
func documentedLists(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Ref        string                     `json:"$ref"`
		AllOf      []json.RawMessage          `json:"allOf"`
		Properties map[string]json.RawMessage `json:"properties"`
		Type       any                        `json:"type"`
		Items      json.RawMessage            `json:"items"`
	}
	var resolve func(raw json.RawMessage) schema
	resolve = func(raw json.RawMessage) schema {
		var s schema
		json.Unmarshal(raw, &s)
		if s.Ref != "" {
			return resolve(doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")])
		}
		for _, part := range s.AllOf {
			p := resolve(part)
			if s.Properties == nil {
				s.Properties = map[string]json.RawMessage{}
			}
			for k, v := range p.Properties {
				s.Properties[k] = v
			}
		}
		return s
	}
	// Aggregates: one answer that counts and shows bounded lists.
	aggregates := map[string]string{
		"/api/v1/dashboard":                           "tableau de bord : compteurs et listes bornées (la liste complète est /api/v1/enrolments)",
		"/api/v1/ft/attestations":                     "compteurs par agence d'un mois",
		"/api/v1/ft/assessments":                      "compteurs par organisme et état « prêt à facturer » des stagiaires",
		"/api/v1/attestations/sessions/{id}/schedule": "un objet",
	}
	var out []string
	for p, ops := range doc.Paths {
		op, ok := ops["get"]
		if !ok {
			continue
		}
		hasAfter, hasLimit := false, false
		for _, x := range op.Parameters {
			hasAfter = hasAfter || x.Name == "after"
			hasLimit = hasLimit || x.Name == "limit"
		}
		s := resolve(op.Responses["200"].Content["application/json"].Schema)
		list := false
		for _, raw := range s.Properties {
			ps := resolve(raw)
			if ps.Type == "array" {
				if it := resolve(ps.Items); it.Type == "object" || len(it.Properties) > 0 || it.Ref != "" || string(ps.Items) != "" && !strings.Contains(string(ps.Items), `"string"`) {
					list = true
				}
			}
		}
		detail := strings.Contains(p, "{") // an object's page, or one of its lists (those take after)
		switch {
		case hasAfter:
			if !hasLimit {
				t.Errorf("%s has after but no limit", p)
			}
			if _, ok := s.Properties["next"]; !ok {
				t.Errorf("%s: its answer documents no next", p)
			}
			out = append(out, p)
		case list && !detail && aggregates[p] == "":
			t.Errorf("%s answers a list but takes no after (cursor pagination)", p)
		}
	}
	sort.Strings(out)
	if len(out) < 18 {
		t.Errorf("only %d lists documented: %v", len(out), out)
	}
	return slices.Compact(out)
}

// must fails t with the error and its fields.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v %v", err, kairos.FieldErrors(err))
	}
}
