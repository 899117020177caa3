package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"kairos"
	"kairos/api"
	"kairos/appointments"
	"kairos/attestations"
	"kairos/catalogue"
	"kairos/config"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/metrics"
	"kairos/web"
)

var pathParamRE = regexp.MustCompile(`\{[a-z]+\}`)

// FuzzFormsAndJSON sends random bytes, lengths and control characters in
// every form of the portal (logged in as each role, with a valid CSRF token)
// and in every JSON body and query string of the API (with an OF's and an
// agence's keys): no answer may be a 500, on either engine (issue 16).
// CI runs it for 20 s on SQLite and on PostgreSQL (.ci/run).
func FuzzFormsAndJSON(f *testing.F) {
	acc := fixture.MustAccounts(f)
	w := fixture.MustWorld(f, acc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := config.Load(func(k string) string { return map[string]string{"KAIROS_DEMO": "1"}[k] })
	if err != nil {
		f.Fatal(err)
	}
	appts := &appointments.Service{DB: acc.DB, BaseURL: "http://kairos.test", Log: log}
	path := &enrolment.Service{DB: acc.DB, Log: log, Sessions: appointments.NoSessions{}}
	att := &attestations.Service{DB: acc.DB, Log: log}
	cat := &catalogue.Service{DB: acc.DB, Log: log}
	a := api.New(acc, log)
	a.Catalogue, a.Appointments, a.Enrolment, a.Attestations = cat, appts, path, att
	s, err := web.New(&web.Server{Cfg: cfg, DB: acc.DB, Accounts: acc, Log: log, Metrics: metrics.New(), API: a.Handler(),
		Secret: []byte("0123456789abcdef0123456789abcdef"), Catalogue: cat, Appointments: appts, Enrolment: path, Attestations: att})
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	f.Cleanup(srv.Close)

	// One browser per role, logged in, with its CSRF token.
	type browser struct {
		http *http.Client
		csrf string
	}
	var browsers []browser
	roles := append([]kairos.Role{""}, kairos.Roles...)
	for _, r := range roles {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		page := fuzzGet(f, hc, srv.URL+"/connexion")
		tok := csrfRE.FindStringSubmatch(page)[1]
		if r != "" {
			form := url.Values{"email": {w.Users[r].Email}, "password": {fixture.Password}, "csrf_token": {tok}}
			resp, err := hc.PostForm(srv.URL+"/connexion", form)
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				f.Fatalf("login %s: %v", r, err)
			}
			resp.Body.Close()
			tok = csrfRE.FindStringSubmatch(fuzzGet(f, hc, srv.URL+"/compte"))[1]
		}
		browsers = append(browsers, browser{hc, tok})
	}
	ctx := context.Background()
	_, ofKey, _ := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFAdmin].Actor(), w.OFA, "ERP")
	_, agKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Agence, "SI agence")
	_, carifKey, _ := acc.CreateAPIKey(ctx, kairos.System, w.Carif, "SI Carif")
	keys := []string{"", ofKey, agKey, carifKey}

	var forms, apis []string
	for _, p := range s.Routes() {
		if m, rest, ok := strings.Cut(p, " "); ok && m == "POST" && rest != "/deconnexion" {
			forms = append(forms, pathParamRE.ReplaceAllString(rest, "1"))
		}
	}
	for _, p := range a.Routes() {
		if m, rest, ok := strings.Cut(p, " "); ok {
			apis = append(apis, m+" "+pathParamRE.ReplaceAllString(rest, "1"))
		}
	}
	sort.Strings(forms)
	fields := []string{"email", "password", "name", "title", "comment", "motif", "q", "date", "start", "end", "place", "capacity",
		"siret", "raison_sociale", "rgc_email", "source", "retour", "week", "days_off", "action", "demandeur", "session", "habilitations", "reason"}

	for _, seed := range []struct {
		route, who, field uint8
		value             []byte
		json              bool
	}{
		{0, 0, 0, []byte("a\x00b"), false},
		{1, 1, 3, []byte("x\r\nSet-Cookie: a=b"), false},
		{2, 2, 6, bytes.Repeat([]byte("%"), 70000), false},
		{3, 3, 4, []byte("\xff\xfe\xfd"), true},
		{4, 4, 1, []byte(`{"title":"\u0000"}`), true},
		{5, 5, 8, []byte("9999-12-31"), true},
		{6, 6, 9, []byte("-1"), false},
		{7, 7, 2, bytes.Repeat([]byte("é"), 5000), true},
	} {
		f.Add(seed.route, seed.who, seed.field, seed.value, seed.json)
	}
	f.Fuzz(func(t *testing.T, route, who, field uint8, value []byte, asJSON bool) {
		name := fields[int(field)%len(fields)]
		var req *http.Request
		if !asJSON || len(apis) == 0 {
			b := browsers[int(who)%len(browsers)]
			form := url.Values{"csrf_token": {b.csrf}, name: {string(value)}, "email": {"x" + string(value) + "@exemple.fr"}}
			target := forms[int(route)%len(forms)]
			req, _ = http.NewRequest("POST", srv.URL+target+"?q="+url.QueryEscape(string(value)), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := b.http.Do(req)
			check(t, target, resp, err, value)
			return
		}
		m, target, _ := strings.Cut(apis[int(route)%len(apis)], " ")
		var body []byte
		if len(value) > 0 && value[0] == '{' {
			body = value // raw bytes as the document
		} else {
			body = []byte(`{"` + name + `":"` + string(value) + `","` + name + `_n":` + strconv.Itoa(len(value)) + `}`)
		}
		req, err := http.NewRequest(m, srv.URL+target+"?q="+url.QueryEscape(string(value))+"&limit="+strconv.Itoa(int(field)-100), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		if k := keys[int(who)%len(keys)]; k != "" {
			req.Header.Set("Authorization", "Bearer "+k)
		}
		resp, err := http.DefaultClient.Do(req)
		check(t, m+" "+target, resp, err, value)
	})
}

func check(t *testing.T, target string, resp *http.Response, err error, value []byte) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("%s with %.80q: %d\n%.500s", target, value, resp.StatusCode, b)
	}
}

func fuzzGet(tb testing.TB, c *http.Client, u string) string {
	resp, err := c.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
