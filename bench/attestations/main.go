// Command attestations measures the month-end peak of the monthly
// attendance attestations (issue 7): it generates N enrolments active in the
// previous month (default 300 000), in OFs of `per` trainees (sessions of 30)
// plus one OF of 30 trainees whose page is timed; a fifth of the trainees
// have absences, a twentieth an interruption. It then times:
//
//   - the pre-fill of every attestation of the month (attestations.Month, OF
//     by OF, as the page and the API read them);
//   - the « Attestations du mois » page of the OF of 30 trainees (HTML,
//     through the real web handler and its session): p50, p95, max;
//   - the bulk attestation through POST /api/v1/attestations, one call per
//     OF (its whole month), `clients` OFs at a time, until every attestation
//     is attested: attestations per second.
//
// Usage:
//
//	go run ./bench/attestations -db /tmp/bench-att.db
//	go run ./bench/attestations -db postgres://kairos:kairos@127.0.0.1:5432/kairos_bench
//
// The database must be empty (it is migrated here); a second run on the same
// database skips the generation, and the attestation step only attests what
// is left.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"kairos"
	"kairos/account"
	"kairos/api"
	"kairos/attestations"
	"kairos/bench/benchdb"
	"kairos/calendar"
	"kairos/config"
	"kairos/store"
	"kairos/web"
)

func main() {
	dbURL := flag.String("db", "/tmp/bench-att.db", "database URL (SQLite path or postgres://…)")
	n := flag.Int("n", 300_000, "enrolments active in the month")
	per := flag.Int("per", 300, "trainees per OF")
	reqs := flag.Int("requests", 100, "page requests")
	clients := flag.Int("clients", 2, "concurrent API clients")
	flag.StringVar(&profile, "profile", "", "file for a CPU profile of the bulk attestation (go tool pprof)")
	flag.Parse()
	if err := run(*dbURL, *n, *per, *reqs, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profile receives a CPU profile of the bulk step when set.
var profile string

func run(dbURL string, n, per, reqs, clients int) error {
	ctx := kairos.WithActor(context.Background(), kairos.System)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	month := calendar.MonthOf(calendar.DateOf(time.Now())).AddMonths(-1)
	var have int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments").Scan(&have); err != nil {
		return err
	}
	if have == 0 {
		t0 := time.Now()
		if err := generate(ctx, db, n, per, month); err != nil {
			return err
		}
		fmt.Printf("generated %d enrolments in %s\n", n, time.Since(t0).Round(time.Second))
	}
	db.Exec(ctx, "ANALYZE")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &attestations.Service{DB: db, Log: log}
	var orgs []int64
	rows, err := db.Query(ctx, "SELECT id FROM organisations WHERE kind = 'of' ORDER BY id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		orgs = append(orgs, id)
	}
	rows.Close()
	fmt.Printf("engine %s, month %s: %d OFs\n", db.Engine(), month, len(orgs))

	// 1. Pre-fill of the whole month.
	t0 := time.Now()
	total := 0
	for _, o := range orgs {
		list, err := svc.Month(ctx, &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: o}, month, 0)
		if err != nil {
			return err
		}
		total += len(list)
	}
	el := time.Since(t0)
	fmt.Printf("pre-fill: %d attestations in %s (%.0f/s)\n", total, el.Round(time.Millisecond), float64(total)/el.Seconds())

	// 2. The page of the OF of 30 trainees.
	acc := &account.Service{DB: db, BaseURL: "http://bench.local", Log: log}
	a := api.New(acc, log)
	a.Attestations = svc
	srv, err := web.New(&web.Server{Cfg: config.Config{BaseURL: "http://bench.local"}, DB: db, Accounts: acc, Log: log, API: a.Handler(),
		Secret: []byte("bench-secret-bench-secret"), Attestations: svc})
	if err != nil {
		return err
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	var userID int64
	if err := db.QueryRow(ctx, "SELECT id FROM users WHERE email = 'rgc@bench-of-0.example'").Scan(&userID); err != nil {
		return err
	}
	token, err := acc.CreateSession(ctx, userID, "127.0.0.1", "bench")
	if err != nil {
		return err
	}
	var d []time.Duration
	for i := 0; i < reqs+5; i++ {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/attestations?mois="+month.String(), nil)
		req.Header.Set("Cookie", "kairos_session="+token)
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		el := time.Since(t0)
		if resp.StatusCode != 200 || strings.Count(string(b), `<tr id="attestation-`) != 30 {
			return fmt.Errorf("page: status %d, %d rows", resp.StatusCode, strings.Count(string(b), `<tr id="attestation-`))
		}
		if i >= 5 {
			d = append(d, el)
		}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	p := func(q float64) time.Duration { return d[int(q*float64(len(d)-1))].Round(10 * time.Microsecond) }
	fmt.Printf("GET /attestations (30 trainees)  p50 %8s  p95 %8s  max %8s\n", p(.5), p(.95), d[len(d)-1].Round(10*time.Microsecond))

	// 3. Bulk attestation over the API, one call per OF.
	keys := make([]string, len(orgs))
	for i, o := range orgs {
		if _, keys[i], err = acc.CreateAPIKey(ctx, kairos.System, o, fmt.Sprintf("bench %d", time.Now().UnixNano())); err != nil {
			return err
		}
	}
	var attested, failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// The rate of each fifth of the run: the table grows from one to the
	// next, so a cost that grows with it shows as a falling rate.
	fifths, cpu := make([]time.Duration, 5), make([]time.Duration, 6)
	cpu[0] = cpuTime()
	var fmu sync.Mutex
	var existing int64
	db.QueryRow(ctx, "SELECT COUNT(*) FROM attestations").Scan(&existing)
	t0 = time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(orgs) {
					return
				}
				var ids []int64
				rows, err := db.Query(ctx, "SELECT id FROM enrolments WHERE org_id = ? ORDER BY id", orgs[i])
				if err != nil {
					errc <- err
					return
				}
				for rows.Next() {
					var id int64
					rows.Scan(&id)
					ids = append(ids, id)
				}
				rows.Close()
				items := make([]map[string]any, len(ids))
				for k, id := range ids {
					items[k] = map[string]any{"enrolment_id": id}
				}
				body, _ := json.Marshal(map[string]any{"month": month.String(), "items": items})
				req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/attestations", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+keys[i])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errc <- err
					return
				}
				var out api.AttestResponse
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					errc <- fmt.Errorf("attest: status %d: %v", resp.StatusCode, err)
					return
				}
				done := attested.Add(int64(out.Attested))
				failed.Add(int64(out.Failed))
				fmu.Lock()
				for f := range fifths {
					if fifths[f] == 0 && done*5 >= int64(f+1)*int64(n) {
						fifths[f], cpu[f+1] = time.Since(t0), cpuTime()
					}
				}
				fmu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	el = time.Since(t0)
	fmt.Printf("bulk API: %d attested (%d refused, already attested) in %s: %.0f attestations/s with %d clients\n",
		attested.Load(), failed.Load(), el.Round(time.Millisecond), float64(attested.Load())/el.Seconds(), clients)
	if existing == 0 && fifths[4] != 0 {
		fmt.Printf("bulk API by fifth of the run (the table grows from 0 to %d attestations):", n)
		prev := time.Duration(0)
		for _, d := range fifths {
			fmt.Printf(" %.0f/s", float64(n)/5/(d-prev).Seconds())
			prev = d
		}
		fmt.Println()
		// CPU time of this process (server and clients) per attestation:
		// what the machine's other load changes least.
		fmt.Printf("bulk API, CPU time of the process per attestation by fifth:")
		for f := 1; f <= 5; f++ {
			fmt.Printf(" %.0f µs", float64((cpu[f]-cpu[f-1]).Microseconds())/(float64(n)/5))
		}
		fmt.Println()
	}
	return nil
}

// generate writes OF 0 (30 trainees, one session, an of_admin user) and OFs
// of `per` trainees in sessions of 30, every trainee entered before or during
// month m; a fifth have an absence, a twentieth an interruption.
func generate(ctx context.Context, db *store.DB, n, per int, m calendar.Month) error {
	now := time.Now().UTC()
	r := rand.New(rand.NewPCG(7, 2026))
	agence, err := db.Insert(ctx, "INSERT INTO organisations (kind, name, region, created_at) VALUES ('ft_agence', 'Bench agence', '76', ?)", now)
	if err != nil {
		return err
	}
	ofOf := make([]int64, n) // OF of enrolment i
	var cur int64
	left := 0
	for i := 0; i < n; i++ {
		if left == 0 {
			k := len(ofOf[:i])
			name := fmt.Sprintf("Bench OF %d", k)
			if i == 0 {
				name = "Bench OF 0"
				left = 30
			} else {
				left = per
			}
			if cur, err = db.Insert(ctx, "INSERT INTO organisations (kind, name, region, created_at) VALUES ('of', ?, '76', ?)", name, now); err != nil {
				return err
			}
		}
		ofOf[i] = cur
		left--
	}
	if _, err := db.Exec(ctx, `INSERT INTO users (org_id, role, email, name, status, created_at, updated_at) VALUES (?, 'of_admin', 'rgc@bench-of-0.example', 'RGC bench', 'active', ?, ?)`, ofOf[0], now, now); err != nil {
		return err
	}
	batch := func(table, cols string, per int, rows int, row func(i int) []any) error {
		return benchdb.Insert(ctx, db, table, cols, per, rows, row)
	}
	if err := batch("users", "role, email, name, status, created_at, updated_at", 6, n, func(i int) []any {
		return []any{"demandeur", fmt.Sprintf("de%07d@bench.example", i), fmt.Sprintf("Demandeur %07d", i), "active", now, now}
	}); err != nil {
		return err
	}
	var firstDE int64
	if err := db.QueryRow(ctx, "SELECT MIN(id) FROM users WHERE role = 'demandeur'").Scan(&firstDE); err != nil {
		return err
	}
	if err := batch("demandeurs", "user_id, ft_id, agence_id, created_at", 4, n, func(i int) []any {
		return []any{firstDE + int64(i), fmt.Sprintf("B%07d", i), agence, now}
	}); err != nil {
		return err
	}
	first := m.First()
	entry := make([]calendar.Date, n)
	for i := range entry {
		if i%10 == 0 {
			entry[i] = first.AddDays(r.IntN(20)) // entered during the month
		} else {
			entry[i] = first.AddDays(-r.IntN(120))
		}
	}
	if err := batch("enrolments", "org_id, session_id, session_title, session_debut, session_fin, demandeur_id, agence_id, state, planned_entry, entry_on, proposed_role, version, created_at, updated_at",
		14, n, func(i int) []any {
			sess := int64(i / 30)
			return []any{ofOf[i], sess, fmt.Sprintf("Session %d", sess), int64(first.AddDays(-120)), int64(first.AddDays(300)), firstDE + int64(i), agence, "entree", int64(entry[i]), int64(entry[i]), "conseiller", 1, now, now}
		}); err != nil {
		return err
	}
	var firstE int64
	if err := db.QueryRow(ctx, "SELECT MIN(id) FROM enrolments").Scan(&firstE); err != nil {
		return err
	}
	if err := batch("enrolment_movements", "enrolment_id, org_id, action, from_state, to_state, occurred_on, declared_at, late, actor_label", 9, n, func(i int) []any {
		return []any{firstE + int64(i), ofOf[i], "entrer", "inscrite", "entree", int64(entry[i]), now, 0, "bench"}
	}); err != nil {
		return err
	}
	// Interruptions (resumed a week later) for one in twenty.
	var inter []int
	for i := 0; i < n; i += 20 {
		inter = append(inter, i)
	}
	if err := batch("enrolment_movements", "enrolment_id, org_id, action, from_state, to_state, occurred_on, declared_at, late, actor_label", 9, 2*len(inter), func(k int) []any {
		i := inter[k/2]
		on := max(entry[i], first).AddDays(3)
		action, from, to := "interrompre", "entree", "interrompue"
		if k%2 == 1 {
			action, from, to, on = "reprendre", "interrompue", "entree", on.AddDays(7)
		}
		return []any{firstE + int64(i), ofOf[i], action, from, to, int64(on), now, 0, "bench"}
	}); err != nil {
		return err
	}
	// Absences for one in five: 3,5 h justified or a day unjustified.
	var abs []int
	for i := 0; i < n; i += 5 {
		abs = append(abs, i)
	}
	return batch("enrolment_absences", "enrolment_id, org_id, from_on, to_on, minutes, justified, declared_at, actor_label", 8, len(abs), func(k int) []any {
		i := abs[k]
		on := max(entry[i], first).AddDays(1 + k%15)
		if k%2 == 0 {
			return []any{firstE + int64(i), ofOf[i], int64(on), int64(on), 210, 1, now, "bench"}
		}
		return []any{firstE + int64(i), ofOf[i], int64(on), int64(on), 420, 0, now, "bench"}
	})
}
