// Command dashboard measures the training path at national scale (issue 6):
// it generates N enrolments (default 1 000 000) spread over many OFs, with
// one OF of 2 000 trainees, and their movements, then times the OF's
// dashboard page (HTML, through the real web handler and its session) and
// the API list (/api/v1/enrolments and /api/v1/dashboard) of that OF: p50,
// p95, max. Usage:
//
//	go run ./bench/dashboard -db /tmp/bench-path.db
//	go run ./bench/dashboard -db postgres://kairos:kairos@127.0.0.1:5432/kairos_bench
//
// The database must be empty (it is migrated here); a second run on the same
// database skips the generation.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"kairos"
	"kairos/account"
	"kairos/api"
	"kairos/bench/benchdb"
	"kairos/calendar"
	"kairos/config"
	"kairos/enrolment"
	"kairos/store"
	"kairos/web"
)

func main() {
	dbURL := flag.String("db", "/tmp/bench-path.db", "database URL (SQLite path or postgres://…)")
	n := flag.Int("n", 1_000_000, "enrolments to generate")
	big := flag.Int("trainees", 2000, "trainees of the measured OF")
	ofs := flag.Int("ofs", 800, "other OFs")
	reqs := flag.Int("requests", 200, "requests per measure")
	flag.DurationVar(&loopFor, "loop", loopFor, "duration of each closed-loop throughput measure")
	flag.StringVar(&profileDir, "profile", "", "directory for a CPU profile of each closed loop (go tool pprof)")
	flag.Parse()
	if err := run(*dbURL, *n, *big, *ofs, *reqs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dbURL string, n, big, ofs, reqs int) error {
	ctx := kairos.WithActor(context.Background(), kairos.System)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	var have int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments").Scan(&have); err != nil {
		return err
	}
	if have == 0 {
		t0 := time.Now()
		if err := generate(ctx, db, n, big, ofs); err != nil {
			return err
		}
		fmt.Printf("generated %d enrolments in %s\n", n, time.Since(t0).Round(time.Second))
	}
	if db.Engine() == store.Postgres {
		db.Exec(ctx, "ANALYZE")
	} else {
		db.Exec(ctx, "ANALYZE")
	}
	var orgID, userID int64
	if err := db.QueryRow(ctx, "SELECT id FROM organisations WHERE name = 'Bench OF 0'").Scan(&orgID); err != nil {
		return err
	}
	if err := db.QueryRow(ctx, "SELECT id FROM users WHERE email = 'rgc@bench-of-0.example'").Scan(&userID); err != nil {
		return err
	}
	var mine, total int
	db.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments WHERE org_id = ?", orgID).Scan(&mine)
	db.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments").Scan(&total)
	fmt.Printf("engine %s: %d enrolments, %d of them for the measured OF\n", db.Engine(), total, mine)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acc := &account.Service{DB: db, BaseURL: "http://bench.local", Log: log}
	path := &enrolment.Service{DB: db, Log: log}
	a := api.New(acc, log)
	a.Enrolment = path
	a.RateLimit = 1 << 30 // the loops measure the request path, not the per-key limit (6 000 a minute)
	srv, err := web.New(&web.Server{Cfg: config.Config{BaseURL: "http://bench.local"}, DB: db, Accounts: acc, Log: log, API: a.Handler(),
		Secret: []byte("bench-secret-bench-secret"), Enrolment: path})
	if err != nil {
		return err
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	token, err := acc.CreateSession(ctx, userID, "127.0.0.1", "bench")
	if err != nil {
		return err
	}
	_, key, err := acc.CreateAPIKey(ctx, kairos.System, orgID, fmt.Sprintf("bench %d", time.Now().UnixNano()))
	if err != nil {
		return err
	}
	var sid int64
	db.QueryRow(ctx, "SELECT session_id FROM enrolments WHERE org_id = ? AND state = 'inscrite' LIMIT 1", orgID).Scan(&sid)
	measure := func(label, path string, hdr map[string]string, want string) error {
		var d []time.Duration
		for i := 0; i < reqs+5; i++ {
			req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			t0 := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			el := time.Since(t0)
			if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
				return fmt.Errorf("%s: status %d, %d bytes", label, resp.StatusCode, len(b))
			}
			if i >= 5 { // warm-up
				d = append(d, el)
			}
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		p := func(q float64) time.Duration { return d[int(q*float64(len(d)-1))].Round(10 * time.Microsecond) }
		fmt.Printf("%-44s p50 %8s  p95 %8s  max %8s\n", label, p(.5), p(.95), d[len(d)-1].Round(10*time.Microsecond))
		return nil
	}
	cookie := map[string]string{"Cookie": "kairos_session=" + token}
	bearer := map[string]string{"Authorization": "Bearer " + key}
	for _, m := range []struct {
		label, path string
		hdr         map[string]string
		want        string
	}{
		{"GET /tableau-de-bord (page)", "/tableau-de-bord", cookie, "Tableau de bord"},
		{"GET /tableau-de-bord?session= (page)", fmt.Sprintf("/tableau-de-bord?session=%d", sid), cookie, "Déclarer les entrées"},
		{"GET /api/v1/enrolments?limit=100", "/api/v1/enrolments?limit=100", bearer, `"items"`},
		{"GET /api/v1/enrolments?state=entree&limit=100", "/api/v1/enrolments?state=entree&limit=100", bearer, `"items"`},
		{"GET /api/v1/dashboard", "/api/v1/dashboard", bearer, `"due_list"`},
	} {
		if err := measure(m.label, m.path, m.hdr, m.want); err != nil {
			return err
		}
	}

	// Throughput in a closed loop (no think time), each against a bare
	// net/http handler measured just before, in this invocation.
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer bare.Close()
	for _, m := range []struct {
		label, path string
		hdr         map[string]string
		clients     int
	}{
		{"GET /api/v1/me", "/api/v1/me", bearer, 32},
		{"GET /tableau-de-bord (page)", "/tableau-de-bord", cookie, 32},
		{"GET /tableau-de-bord (page), 100 clients", "/tableau-de-bord", cookie, 100},
	} {
		b := closedLoop(bare.URL+"/", nil, m.clients, loopFor)
		stop := startProfile(m.label, m.clients)
		x := closedLoop(hs.URL+m.path, m.hdr, m.clients, loopFor)
		stop()
		fmt.Printf("%-44s %d clients: %.0f req/s (bare net/http %.0f req/s, ratio %.3f), p95 %s, p99 %s, errors %d of %d\n", m.label, m.clients,
			x.rate, b.rate, x.rate/b.rate, x.p95, x.p99, x.errors, x.n)
	}
	return nil
}

// profileDir receives a CPU profile of each closed loop when set.
var profileDir string

func startProfile(label string, clients int) func() {
	if profileDir == "" {
		return func() {}
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(label))
	f, err := os.Create(filepath.Join(profileDir, fmt.Sprintf("%s-%d.pprof", strings.Trim(name, "-"), clients)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// loopFor is how long each closed loop runs.
var loopFor = 5 * time.Second

type loopResult struct {
	rate     float64
	p95, p99 time.Duration
	n        int
	errors   int
}

// closedLoop runs clients goroutines that each send the next request as
// soon as the previous answer is read, for d.
func closedLoop(url string, hdr map[string]string, clients int, d time.Duration) loopResult {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				s := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				mine = append(mine, time.Since(s))
				if err != nil {
					bad++
				}
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))].Round(100 * time.Microsecond) }
	return loopResult{rate: float64(len(lat)) / el.Seconds(), p95: p(.95), p99: p(.99), n: len(lat), errors: errs}
}

var states = []string{"proposee", "inscrite", "entree", "entree", "entree", "interrompue", "sortie", "sortie", "sortie", "sortie", "refusee", "annulee"}

// generate writes the organisations, job seekers, enrolments and movements
// with multi-row INSERTs. OF 0 gets `big` trainees; the rest is spread over
// `ofs` OFs. Each job seeker has 4 enrolments over the years, on sessions
// that do not overlap.
func generate(ctx context.Context, db *store.DB, n, big, ofs int) error {
	now := time.Now().UTC()
	today := calendar.DateOf(now)
	r := rand.New(rand.NewPCG(6, 2026))
	org := func(kind, name string) (int64, error) {
		return db.Insert(ctx, "INSERT INTO organisations (kind, name, region, created_at) VALUES (?, ?, '76', ?)", kind, name, now)
	}
	agence, err := org("ft_agence", "Bench agence")
	if err != nil {
		return err
	}
	var orgIDs []int64
	for i := 0; i <= ofs; i++ {
		id, err := org("of", fmt.Sprintf("Bench OF %d", i))
		if err != nil {
			return err
		}
		orgIDs = append(orgIDs, id)
	}
	if _, err := db.Exec(ctx, `INSERT INTO users (org_id, role, email, name, status, created_at, updated_at) VALUES (?, 'of_admin', 'rgc@bench-of-0.example', 'RGC bench', 'active', ?, ?)`, orgIDs[0], now, now); err != nil {
		return err
	}
	des := n / 4
	var firstDE int64
	batch := func(table, cols string, per int, rows int, row func(i int) []any) error {
		return benchdb.Insert(ctx, db, table, cols, per, rows, row)
	}
	if err := batch("users", "role, email, name, status, created_at, updated_at", 6, des, func(i int) []any {
		return []any{"demandeur", fmt.Sprintf("de%07d@bench.example", i), fmt.Sprintf("Demandeur %07d", i), "active", now, now}
	}); err != nil {
		return err
	}
	if err := db.QueryRow(ctx, "SELECT MIN(id) FROM users WHERE role = 'demandeur'").Scan(&firstDE); err != nil {
		return err
	}
	if err := batch("demandeurs", "user_id, ft_id, agence_id, created_at", 4, des, func(i int) []any {
		return []any{firstDE + int64(i), fmt.Sprintf("B%07d", i), agence, now}
	}); err != nil {
		return err
	}
	// Enrolment i: job seeker i/4, period i%4 (the last one is current).
	type enr struct {
		org              int64
		state            string
		debut, fin, plan calendar.Date
		entry            calendar.Date
	}
	mk := func(i int) enr {
		period := i % 4
		var o int64
		if i/4 < big {
			o = orgIDs[0]
		} else {
			o = orgIDs[1+r.IntN(ofs)]
		}
		st := states[r.IntN(len(states))]
		debut := today.AddDays(-(3-period)*200 - r.IntN(60))
		if period < 3 && st != "refusee" && st != "annulee" {
			st = "sortie"
		}
		e := enr{org: o, state: st, debut: debut, fin: debut.AddDays(150), plan: debut}
		if st == "inscrite" || st == "proposee" {
			e.debut = today.AddDays(r.IntN(20) - 10)
			e.fin, e.plan = e.debut.AddDays(150), e.debut
		}
		if st == "entree" || st == "interrompue" || st == "sortie" {
			e.entry = e.debut
		}
		return e
	}
	rows := make([]enr, n)
	for i := range rows {
		rows[i] = mk(i)
	}
	if err := batch("enrolments", "org_id, session_id, session_title, session_debut, session_fin, demandeur_id, agence_id, state, planned_entry, entry_on, exit_on, exit_reason, proposed_role, version, created_at, updated_at",
		16, n, func(i int) []any {
			e := rows[i]
			exit, reason := int64(0), ""
			if e.state == "sortie" {
				exit, reason = int64(e.fin), "fin_normale"
			}
			sess := e.org*1000 + int64(i%4)*100 + int64(i%7)
			return []any{e.org, sess, fmt.Sprintf("Session %d", sess), int64(e.debut), int64(e.fin), firstDE + int64(i/4), agence, e.state, int64(e.plan), int64(e.entry), exit, reason, "conseiller", 1, now, now}
		}); err != nil {
		return err
	}
	var firstE int64
	if err := db.QueryRow(ctx, "SELECT MIN(id) FROM enrolments").Scan(&firstE); err != nil {
		return err
	}
	// One entry movement per entered enrolment (5 % declared late).
	var entered []int
	for i, e := range rows {
		if !e.entry.IsZero() {
			entered = append(entered, i)
		}
	}
	return batch("enrolment_movements", "enrolment_id, org_id, action, from_state, to_state, occurred_on, declared_at, late, actor_label", 9, len(entered), func(k int) []any {
		i := entered[k]
		late := 0
		if i%20 == 0 {
			late = 1
		}
		return []any{firstE + int64(i), rows[i].org, "entrer", "inscrite", "entree", int64(rows[i].entry), now, late, "bench"}
	})
}
