// Command invoices measures the month-end invoicing (issue 14): N trainees
// (default 10 000) who left at the end of the previous month, in OFs of
// `per` trainees, each with a validated AIF quote, three months attested and
// his assessment transmitted, are set up by bulk inserts (benchdb); then
// `clients` OFs at a time (default 8: a month-end has many OFs at work at
// once) each open « Factures à préparer » (invoices.Issuer.ToPrepare),
// then, trainee after trainee, the prepared invoice (Prepare) and issue it
// (Issue: number of the OF's gapless series, checks, XML, PDF), until every
// invoice is issued. It prints invoices per second and the ratio to a
// baseline run in the same invocation, with the same concurrency on the same
// database: a bare transaction per invoice that takes the number (the same
// upsert) and inserts a row of the same size — the floor of a gapless
// series. It then checks every OF's series: no gap, no duplicate.
//
// Usage:
//
//	go run ./bench/invoices -db /tmp/bench-inv.db
//	go run ./bench/invoices -db 'postgres://kairos:kairos@127.0.0.1:5432/kairos_ci?search_path=bench_inv'
//
// The database must be empty (it is migrated here). Target: 10 000 invoices
// prepared and issued in < 60 s.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/bench/benchdb"
	"kairos/calendar"
	"kairos/einvoice"
	"kairos/invoices"
	"kairos/quotes"
	"kairos/store"
	"kairos/worker"
)

func main() {
	dbURL := flag.String("db", "/tmp/bench-inv.db", "database URL (SQLite path or postgres://…)")
	n := flag.Int("n", 10_000, "trainees to invoice")
	per := flag.Int("per", 100, "trainees per OF")
	clients := flag.Int("clients", 8, "OFs invoicing at the same time")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the month-end run to this file")
	pdfs := flag.Bool("pdfs", true, "then build every PDF by the worker and time it")
	flag.Parse()
	cpuProfile, buildPDFs = *profile, *pdfs
	if err := run(*dbURL, *n, *per, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dbURL string, n, per, clients int) error {
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
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments").Scan(&have); err != nil || have > 0 {
		if err == nil {
			err = fmt.Errorf("the database is not empty (%d enrolments)", have)
		}
		return err
	}
	now := time.Now().UTC()
	t0 := time.Now()
	ofs, err := generate(ctx, db, n, per, now)
	if err != nil {
		return err
	}
	fmt.Printf("engine %s: generated %d billable trainees in %d OFs in %s; %d concurrent OFs, %d cores\n",
		db.Engine(), n, len(ofs), time.Since(t0).Round(time.Millisecond), clients, nproc())
	db.Exec(ctx, "ANALYZE")

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acc := &account.Service{DB: db, Log: log}
	iss := &invoices.Issuer{DB: db, Invoices: &invoices.Service{DB: db, Adhesions: adhesion.New(acc)}, CodeService: "FT-AIF"}

	// A sample invoice: its XML and model size the baseline's rows.
	one := ofs[0]
	d, err := iss.Prepare(ctx, one.actor, one.enrolments[0])
	if err != nil {
		return err
	}
	if !d.Ready {
		return fmt.Errorf("the generated trainee is not billable: %v %v", d.Missing, d.Violations)
	}
	d.Invoice.Number = "FA-2099-00001"
	sampleXML := einvoice.XML(d.Invoice)
	sampleModel := strings.Repeat("m", 2*len(sampleXML))

	// Baseline: number + one row per invoice, same concurrency, other
	// OF ids (a second set of series) so that both runs start from 1.
	base, err := parallel(ofs, clients, func(o *of) error {
		for range o.enrolments {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				num, err := invoices.AllocateNumber(ctx, tx, o.id, invoices.SeriesCreditNote, 2099)
				if err != nil {
					return err
				}
				_, err = tx.Exec(ctx, `INSERT INTO invoices (org_id, enrolment_id, number, type_code, state, quote_number, issue_date, total_cents, model, xml, pdf, actor_label, created_at)
					VALUES (?, ?, ?, '381', 'annulee', '', 0, 0, ?, ?, ?, 'bench', ?)`, o.id, o.enrolments[0], num, sampleModel, sampleXML, []byte{}, now)
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if _, err := db.Exec(ctx, "DELETE FROM invoices"); err != nil {
		return err
	}
	if _, err := db.Exec(ctx, "DELETE FROM invoice_sequences"); err != nil {
		return err
	}

	// Kairos: « à préparer », then each prepared invoice opened and issued.
	cpu0 := cpuTime()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var issued atomic.Int64
	el, err := parallel(ofs, clients, func(o *of) error {
		drafts, err := iss.ToPrepare(ctx, o.actor)
		if err != nil {
			return err
		}
		for _, dr := range drafts {
			if !dr.Ready {
				return fmt.Errorf("enrolment %d not ready: %v %v", dr.EnrolmentID, dr.Missing, dr.Violations)
			}
			if _, err := iss.Prepare(ctx, o.actor, dr.EnrolmentID); err != nil {
				return err
			}
			if _, err := iss.Issue(ctx, o.actor, dr.EnrolmentID); err != nil {
				return err
			}
			issued.Add(1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	pprof.StopCPUProfile()
	cpu := cpuTime() - cpu0
	// The PDFs, enqueued by the issues, built by the worker (one per core).
	var pdfs time.Duration
	if buildPDFs {
		// Issuing also enqueues each invoice's Chorus Pro deposit (issue
		// 17), which this benchmark does not measure: only PDFs are drained.
		if _, err := db.Exec(ctx, "DELETE FROM jobs WHERE kind <> ?", invoices.PDFJob); err != nil {
			return err
		}
		if pdfs, err = drain(ctx, db, iss, nproc()); err != nil {
			return err
		}
	}
	// Every OF's series: 1..count, no gap, no duplicate.
	rows, err := db.Query(ctx, "SELECT org_id, COUNT(*), COUNT(DISTINCT number), MAX(number), SUM(CASE WHEN length(pdf) > 0 THEN 1 ELSE 0 END) FROM invoices GROUP BY org_id")
	if err != nil {
		return err
	}
	total, withPDF := 0, 0
	for rows.Next() {
		var org int64
		var c, distinct, pdfs int
		var last string
		if err := rows.Scan(&org, &c, &distinct, &last, &pdfs); err != nil {
			rows.Close()
			return err
		}
		k, _ := strconv.Atoi(last[strings.LastIndexByte(last, '-')+1:])
		if c != distinct || k != c {
			rows.Close()
			return fmt.Errorf("OF %d: %d invoices, %d distinct numbers, last %s: the series has a gap or a duplicate", org, c, distinct, last)
		}
		total += c
		withPDF += pdfs
	}
	rows.Close()
	if total != n || int(issued.Load()) != n {
		return fmt.Errorf("%d invoices issued, %d stored, want %d", issued.Load(), total, n)
	}
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("%-62s %9s %12s\n", "", "elapsed", "invoices/s")
	fmt.Printf("%-62s %9s %12.0f\n", "baseline: number + row per transaction (floor of a series)", base.Round(time.Millisecond), rate(base))
	fmt.Printf("%-62s %9s %12.0f\n", "à préparer + prepare + issue (number, checks, XML)", el.Round(time.Millisecond), rate(el))
	if buildPDFs {
		fmt.Printf("%-62s %9s %12.0f\n", fmt.Sprintf("then the Factur-X PDFs, by the worker (%d at a time)", nproc()), pdfs.Round(time.Millisecond), rate(pdfs))
	}
	verdict := "met"
	if el >= time.Minute {
		verdict = "MISSED"
	}
	fmt.Printf("CPU time of this process while issuing: %s (%.2f ms per invoice; the machine's load average decides the elapsed time)\n",
		cpu.Round(time.Millisecond), float64(cpu.Microseconds())/1000/float64(n))
	withAll := ""
	if buildPDFs {
		withAll = fmt.Sprintf(" (with every PDF: %s)", (el + pdfs).Round(time.Millisecond))
	}
	fmt.Printf("ratio to the baseline: %.1f; %d invoices (%d PDFs), every series continuous; target %d prepared and issued in < 60 s: %s%s\n",
		el.Seconds()/base.Seconds(), total, withPDF, n, verdict, withAll)
	return nil
}

var (
	cpuProfile string
	buildPDFs  bool
)

// drain runs the PDF jobs with k workers until none is left.
func drain(ctx context.Context, db *store.DB, iss *invoices.Issuer, k int) (time.Duration, error) {
	t0 := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, k)
	for i := 0; i < max(k, 1); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker.Worker{DB: db, ID: fmt.Sprintf("bench-%d", i), Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), Handlers: map[string]worker.Handler{invoices.PDFJob: iss.HandlePDF}}
			for {
				ran, err := w.RunOne(ctx)
				if err != nil {
					errc <- err
					return
				}
				if !ran {
					return
				}
				if w.Failed.Load() > 0 {
					errc <- fmt.Errorf("a PDF job failed")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return time.Since(t0), <-errc
}

type of struct {
	id         int64
	actor      *kairos.Actor
	enrolments []int64
}

// parallel runs f on every OF, `clients` OFs at a time, and returns the
// elapsed time.
func parallel(ofs []*of, clients int, f func(*of) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ofs) {
					return
				}
				if err := f(ofs[i]); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return time.Since(t0), <-errc
}

// luhnSIREN completes 8 digits into a SIREN that passes the Luhn key.
func luhnSIREN(n int) string {
	s := fmt.Sprintf("%08d", n)
	for k := 0; k < 10; k++ {
		c := s + strconv.Itoa(k)
		sum := 0
		for i := len(c) - 1; i >= 0; i-- {
			d := int(c[i] - '0')
			if (len(c)-1-i)%2 == 1 {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		if sum%10 == 0 {
			return c
		}
	}
	panic("unreachable")
}

// siretOf completes a SIREN with a NIC into a SIRET that passes the Luhn key.
func siretOf(siren string) string {
	for nic := 10; ; nic++ {
		c := siren + fmt.Sprintf("%05d", nic)
		sum := 0
		for i := len(c) - 1; i >= 0; i-- {
			d := int(c[i] - '0')
			if (len(c)-1-i)%2 == 1 {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		if sum%10 == 0 {
			return c
		}
	}
}

// generate writes the OFs (organisation, validated adhesion, Qualiopi
// certificate, billing details, account manager) and, for each trainee, his
// job seeker's account, the enrolment (entered on the first day of the third
// month before, left on the last day of the previous month), the validated
// quote, three transmitted attestations and the transmitted assessment.
func generate(ctx context.Context, db *store.DB, n, per int, now time.Time) ([]*of, error) {
	today := calendar.DateOf(now)
	entry := calendar.MonthOf(today).AddMonths(-3).First()
	exit := calendar.MonthOf(today).AddMonths(-1).Last()
	agence, err := db.Insert(ctx, "INSERT INTO organisations (kind, name, region, created_at) VALUES ('ft_agence', 'Bench agence', '76', ?)", now)
	if err != nil {
		return nil, err
	}
	k := (n + per - 1) / per
	var ofs []*of
	for i := 0; i < k; i++ {
		siren := luhnSIREN(10_000_000 + i)
		siret := siretOf(siren)
		id, err := db.Insert(ctx, "INSERT INTO organisations (kind, name, siret, region, created_at) VALUES ('of', ?, ?, '76', ?)", fmt.Sprintf("Bench OF %d", i), siret, now)
		if err != nil {
			return nil, err
		}
		email := fmt.Sprintf("rgc@bench-of-%d.example", i)
		uid, err := db.Insert(ctx, "INSERT INTO users (org_id, role, email, name, status, created_at, updated_at) VALUES (?, 'of_admin', ?, 'RGC bench', 'active', ?, ?)", id, email, now, now)
		if err != nil {
			return nil, err
		}
		adh, err := db.Insert(ctx, `INSERT INTO adhesions (state, raison_sociale, siret, siren, nda, address, postal_code, city, region, rgc_name, rgc_email, token_hash, conditions_at,
			org_id, convention_number, valid_from, valid_until, submitted_at, updated_at) VALUES ('validee', ?, ?, ?, '76310123456', '1 place du Capitole', '31000', 'Toulouse', '76',
			'RGC bench', ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("Bench OF %d SAS", i), siret, siren, email, fmt.Sprintf("bench-%d", i), now, id, fmt.Sprintf("CONV-BENCH-%d", i),
			now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0), now, now)
		if err != nil {
			return nil, err
		}
		if _, err := db.Exec(ctx, `INSERT INTO qualiopi_certificates (adhesion_id, number, certifier, valid_from, valid_until, created_at, created_by) VALUES (?, ?, 'AFNOR', ?, ?, ?, 'bench')`,
			adh, "Q-"+siren, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0), now); err != nil {
			return nil, err
		}
		if _, err := db.Exec(ctx, "INSERT INTO billing_details (org_id, iban, bic, account_name, vat_id, updated_at, updated_by) VALUES (?, 'FR7630006000011234567890189', 'AGRIFRPP', ?, ?, ?, 'bench')",
			id, fmt.Sprintf("Bench OF %d", i), einvoice.FrenchVATID(siren), now); err != nil {
			return nil, err
		}
		ofs = append(ofs, &of{id: id, actor: &kairos.Actor{UserID: uid, OrgID: id, OrgName: fmt.Sprintf("Bench OF %d", i), Role: kairos.RoleOFAdmin, Name: "RGC bench", Email: email}})
	}
	ofOf := func(i int) *of { return ofs[i/per] }
	batch := func(table, cols string, w int, rows int, row func(i int) []any) error {
		return benchdb.Insert(ctx, db, table, cols, w, rows, row)
	}
	if err := batch("users", "role, email, name, status, created_at, updated_at", 6, n, func(i int) []any {
		return []any{"demandeur", fmt.Sprintf("de%07d@bench.example", i), fmt.Sprintf("Demandeur %07d", i), "active", now, now}
	}); err != nil {
		return nil, err
	}
	var firstDE int64
	if err := db.QueryRow(ctx, "SELECT MIN(id) FROM users WHERE role = 'demandeur'").Scan(&firstDE); err != nil {
		return nil, err
	}
	if err := batch("demandeurs", "user_id, ft_id, agence_id, created_at", 4, n, func(i int) []any {
		return []any{firstDE + int64(i), fmt.Sprintf("B%07d", i), agence, now}
	}); err != nil {
		return nil, err
	}
	if err := batch("enrolments", "org_id, session_id, session_title, session_debut, session_fin, demandeur_id, agence_id, state, planned_entry, entry_on, exit_on, proposed_role, version, created_at, updated_at",
		15, n, func(i int) []any {
			sess := int64(i / 30)
			return []any{ofOf(i).id, sess, fmt.Sprintf("Session %d", sess), int64(entry), int64(exit), firstDE + int64(i), agence, "sortie", int64(entry), int64(entry), int64(exit), "conseiller", 2, now, now}
		}); err != nil {
		return nil, err
	}
	var firstE int64
	if err := db.QueryRow(ctx, "SELECT MIN(id) FROM enrolments").Scan(&firstE); err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		o := ofOf(i)
		o.enrolments = append(o.enrolments, firstE+int64(i))
	}
	// The quote: 420 h at 12,50 €, 800 € of CPF: AIF 4 450 €, above what
	// some trainees attended (no cap) and below others (capped).
	if err := batch("quotes", `number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place, session_debut, session_fin,
		certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents, comment, reason, review, enrolment_id, version, created_at, updated_at`,
		29, n, func(i int) []any {
			return []any{quotes.Number(entry.Year(), int64(i+1)), ofOf(i).id, "76", int64(i / 30), "bench", "F", "A", "S", fmt.Sprintf("Session %d", i/30), "Toulouse", int64(entry), int64(exit),
				1, firstDE + int64(i), agence, "valide", 420 * 4, 0, 1250, 525000, 80000, 445000, "", "", 0, firstE + int64(i), 4, now, now}
		}); err != nil {
		return nil, err
	}
	if err := batch("attestations", `enrolment_id, org_id, agence_id, session_id, month, version, kind, state, current, planned, attended, justified, unjustified, due_on, late,
		attested_label, attested_at, transmitted_at`, 18, 3*n, func(j int) []any {
		i, k := j/3, j%3
		m := calendar.MonthOf(entry).AddMonths(k)
		attended := int64((140 + (i+k)%20) * 60)
		return []any{firstE + int64(i), ofOf(i).id, agence, int64(i / 30), int64(m), 1, "initiale", "transmise", 1, 160 * 60, attended, 0, 160*60 - attended,
			int64(m.AddMonths(1).First().AddDays(4)), 0, "bench", now, now}
	}); err != nil {
		return nil, err
	}
	return ofs, batch("assessments", "enrolment_id, org_id, agence_id, demandeur_id, state, version, result, skills, transmitted_at, created_at, updated_at", 11, n, func(i int) []any {
		return []any{firstE + int64(i), ofOf(i).id, agence, firstDE + int64(i), "transmis", 1, "obtenue", "Compétences du référentiel acquises.", now, now, now}
	})
}

// cpuTime is the user + system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func nproc() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}
