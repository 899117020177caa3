// Command bench measures the LHÉO import of the catalogue at national scale:
// it generates a synthetic LHÉO 2.3 file (lheotest.Generate), times
// `xmllint --noout --stream` on it as the parse-speed reference, imports it
// into a fresh SQLite database, imports it a second time (nothing changed),
// and measures search latencies. Run it with bench/run.sh. Environment:
// BENCH_KEEP_DB=1 keeps the databases, BENCH_PER_QUERY=1 prints each search
// query's latencies, BENCH_PG_ONLY=1 (with -pg) leaves SQLite out.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"kairos"
	"kairos/catalogue"
	"kairos/lheo/lheotest"
	"kairos/store"
)

func main() {
	sessions := flag.Int("sessions", 300000, "sessions in the generated file")
	dir := flag.String("dir", os.TempDir(), "directory for the file and the database")
	searches := flag.Int("searches", 10, "runs of each search query for the latency figures")
	pg := flag.String("pg", "", "PostgreSQL URL: also measure on that server (in a fresh schema, dropped afterwards)")
	flag.StringVar(&profileDir, "profile", "", "directory where CPU profiles of each phase are written (import1, import2, search .pprof)")
	searchOnly := flag.String("search-only", "", "only run the searches against existing databases (comma-separated SQLite paths and PostgreSQL URLs with their search_path, as printed by a BENCH_KEEP_DB=1 run)")
	flag.Parse()
	if *searchOnly != "" {
		if err := searchOnlyRun(strings.Split(*searchOnly, ","), *searches); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*sessions, *dir, *searches, *pg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// figure is one line of the summary: a measure and its ratio to its
// baseline, both measured in this invocation.
type figure struct {
	engine, name string
	value        string
	ratio        float64 // 0: none
	goal         string
}

var figures []figure

func addFigure(engine, name, value string, ratio float64, goal string) {
	figures = append(figures, figure{engine, name, value, ratio, goal})
}

func run(sessions int, dir string, searches int, pgURL string) error {
	ctx := kairos.WithActor(context.Background(), kairos.System)
	file := filepath.Join(dir, fmt.Sprintf("lheo-%d.xml", sessions))
	if _, err := os.Stat(file); err != nil {
		t0 := time.Now()
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := lheotest.Generate(w, sessions, 2026); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		f.Close()
		fmt.Printf("generated %s in %s\n", file, time.Since(t0).Round(time.Millisecond))
	}
	changed := filepath.Join(dir, fmt.Sprintf("lheo-%d-10pc.xml", sessions))
	if _, err := os.Stat(changed); err != nil {
		if err := changeTenth(file, changed); err != nil {
			return err
		}
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	mb := float64(st.Size()) / 1e6
	fmt.Printf("file: %d sessions, %.1f MB, GOMAXPROCS=%d, load average %s\n", sessions, mb, runtime.GOMAXPROCS(0), loadAvg())

	// The reference is the fastest of three runs (the machine's load moves
	// single runs by a third): the ratios are not flattered by a slow one.
	var ref time.Duration
	for i := range 3 {
		d, err := xmllint(file)
		if err != nil {
			return err
		}
		fmt.Printf("xmllint --noout --stream, run %d: %s\n", i+1, d.Round(time.Millisecond))
		if ref == 0 || d < ref {
			ref = d
		}
	}
	fmt.Printf("xmllint --noout --stream: %s (%.1f MB/s), the fastest of 3\n", ref.Round(time.Millisecond), mb/ref.Seconds())
	bare, err := tokenLoop(file)
	if err != nil {
		return err
	}
	fmt.Printf("bare encoding/xml Token() loop: %s\n", bare.Round(time.Millisecond))
	// The peak RSS reported is that of the imports, not of generating the
	// file or of the baselines (Linux: "5" resets VmHWM).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)

	dbPath := filepath.Join(dir, fmt.Sprintf("bench-%d.db", time.Now().UnixNano()))
	if os.Getenv("BENCH_KEEP_DB") == "" {
		defer os.Remove(dbPath)
		defer os.Remove(dbPath + "-wal")
		defer os.Remove(dbPath + "-shm")
	} else {
		fmt.Println("database kept:", dbPath)
	}
	engines := []string{dbPath}
	if os.Getenv("BENCH_PG_ONLY") != "" && pgURL != "" {
		engines = nil // BENCH_PG_ONLY=1: PostgreSQL alone
	}
	if pgURL != "" {
		url, drop, err := pgSchema(ctx, pgURL)
		if err != nil {
			return err
		}
		if os.Getenv("BENCH_KEEP_DB") == "" {
			defer drop()
		} else {
			fmt.Println("PostgreSQL schema kept:", url)
		}
		engines = append(engines, url)
	}
	for _, url := range engines {
		if err := runEngine(ctx, url, file, changed, sessions, mb, ref, bare, searches); err != nil {
			return err
		}
	}
	fmt.Printf("\nsummary (load average %s at the end)\n", loadAvg())
	fmt.Printf("| engine | measure | value | ratio to baseline | goal |\n|---|---|---|---|---|\n")
	for _, f := range figures {
		r := ""
		if f.ratio != 0 {
			r = fmt.Sprintf("%.2f×", f.ratio)
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", f.engine, f.name, f.value, r, f.goal)
	}
	return nil
}

func runEngine(ctx context.Context, url, file, changed string, sessions int, mb float64, ref, bare time.Duration, searches int) error {
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	engine := string(db.Engine())
	fmt.Printf("\n== %s\n", engine)
	svc := &catalogue.Service{DB: db, Log: slog.Default()}

	imp := func(label, prof, path string, writers bool) (time.Duration, error) {
		if prof != "" {
			defer profile(engine + "-" + prof)()
		}
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		st, _ := f.Stat()
		var w *writersLoad
		if writers {
			w = startWriters(ctx, db)
		}
		t0, cpu0 := time.Now(), cpuTime()
		i, err := svc.Import(ctx, bufio.NewReaderSize(f, 1<<20), catalogue.ImportOptions{Source: "bench", FileName: filepath.Base(path), Size: st.Size()})
		d, cpu := time.Since(t0), cpuTime()-cpu0
		if w != nil {
			w.stop(engine)
		}
		if err != nil {
			return d, err
		}
		if i.Status != catalogue.StatusDone {
			return d, fmt.Errorf("import %s: %s", i.Status, i.ErrorMessage)
		}
		c := i.Counts.Sessions
		fmt.Printf("%s: %s (CPU of this process %s) — %.0f sessions/s, %.1f MB/s, ratio to xmllint %.2f×, to the bare Token() loop %.2f× — sessions created %d, updated %d, unchanged %d, withdrawn %d; formations updated %d — peak RSS so far %d MB\n",
			label, d.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(sessions)/d.Seconds(), mb/d.Seconds(), d.Seconds()/ref.Seconds(), d.Seconds()/bare.Seconds(),
			c.Created, c.Updated, c.Unchanged, c.Withdrawn, i.Counts.Formations.Updated, peakRSS()/1024)
		return d, nil
	}
	first, err := imp("first import", "import1", file, true)
	if err != nil {
		return err
	}
	addFigure(engine, "first import vs xmllint --noout --stream", first.Round(time.Millisecond).String(), first.Seconds()/ref.Seconds(), "≤ 3×")
	addFigure(engine, "first import vs bare encoding/xml Token() loop", "", first.Seconds()/bare.Seconds(), "—")
	addFigure(engine, "peak RSS of the process so far", fmt.Sprintf("%d MB", peakRSS()/1024), 0, "< 300 MB")
	// The re-imports: three rounds each, every import right after an
	// xmllint run of its own (the ratio of the round). Importing the
	// original file after the changed one changes the same 10 % back.
	rounds := func(label, prof, goal string, paths ...string) error {
		var ds []time.Duration
		var ratios []float64
		for r, path := range paths {
			x, err := xmllint(file)
			if err != nil {
				return err
			}
			if r > 0 {
				prof = ""
			}
			d, err := imp(fmt.Sprintf("%s, round %d (xmllint just before: %s)", label, r+1, x.Round(time.Millisecond)), prof, path, false)
			if err != nil {
				return err
			}
			ds, ratios = append(ds, d), append(ratios, d.Seconds()/x.Seconds())
		}
		sort.Float64s(ratios)
		var times []string
		for _, d := range ds {
			times = append(times, d.Round(time.Millisecond).String())
		}
		addFigure(engine, label+" vs xmllint, 3 rounds: min / median ratio", fmt.Sprintf("%s; %.2f× / %.2f×", strings.Join(times, ", "), ratios[0], ratios[len(ratios)/2]),
			ratios[len(ratios)/2], goal)
		return nil
	}
	if err := rounds("re-import, unchanged", "import2", "—", file, file, file); err != nil {
		return err
	}
	if err := rounds("re-import, 10 % of formations changed", "import3", "≤ 1×", changed, file, changed); err != nil {
		return err
	}
	return runSearches(ctx, svc, engine, searches)
}

// searchOnlyRun runs the searches alone against databases kept by an
// earlier run (BENCH_KEEP_DB=1), each given by its path or URL.
func searchOnlyRun(urls []string, searches int) error {
	ctx := kairos.WithActor(context.Background(), kairos.System)
	fmt.Printf("searches only, GOMAXPROCS=%d, load average %s\n", runtime.GOMAXPROCS(0), loadAvg())
	for _, url := range urls {
		db, err := store.Open(ctx, url)
		if err != nil {
			return err
		}
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return err
		}
		engine := string(db.Engine())
		fmt.Printf("\n== %s\n", engine)
		err = runSearches(ctx, &catalogue.Service{DB: db, Log: slog.Default()}, engine, searches)
		db.Close()
		if err != nil {
			return err
		}
	}
	fmt.Printf("\nsummary (load average %s at the end)\n", loadAvg())
	fmt.Printf("| engine | measure | value | ratio to baseline | goal |\n|---|---|---|---|---|\n")
	for _, f := range figures {
		fmt.Printf("| %s | %s | %s | | %s |\n", f.engine, f.name, f.value, f.goal)
	}
	return nil
}

// runSearches measures the latencies of the bench's search queries.
func runSearches(ctx context.Context, svc *catalogue.Service, engine string, searches int) error {
	queries := []catalogue.Filter{
		{Q: "soudage"}, {Q: "comptabilité gestion"}, {Q: "developpeur web", Departement: "31"},
		{Q: "aide soignant", Sort: catalogue.SortStart}, {Q: "anglais"}, {Q: "cariste", Region: "84"},
		{Departement: "69"}, {Etat: "1", Certifiante: "1"}, {Q: "electricien", Modalite: "2"},
		{Q: "module theorique"}, {Q: "secretaire medical", Offset: 40}, {Q: "agent de sûreté"},
		{Q: "titre professionnel", Region: "84"}, {Q: "titre professionnel"}, {Q: "attestation de fin de formation"},
		{Q: "caces"}, {Q: "maçon du bâti ancien"}, {Q: "les règles de sécurité"}, {Q: "maîtriser les gestes professionnels", Departement: "13"}, {Q: "électricien d'équipement", Region: "76"},
	}
	stop := profile(engine + "-search")
	defer stop()
	var all []time.Duration
	worst, worstQ := time.Duration(0), ""
	for _, f := range queries {
		var lat []time.Duration
		var total int
		for i := 0; i < searches; i++ {
			t0 := time.Now()
			r, err := svc.Search(ctx, f)
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(t0))
			total = r.Total
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p95 := lat[int(.95*float64(len(lat)-1))]
		if p95 > worst {
			worst, worstQ = p95, label(f)
		}
		if os.Getenv("BENCH_PER_QUERY") != "" {
			fmt.Printf("  %-60s %4d  p50 %9s p95 %9s\n", label(f), total, lat[len(lat)/2].Round(time.Microsecond), p95.Round(time.Microsecond))
		}
		all = append(all, lat...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	fmt.Printf("search (%d queries × %d): p50 %s, p95 %s, max %s; worst query p95 %s (%s)\n", len(queries), searches,
		pct(.5).Round(time.Microsecond), pct(.95).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond), worst.Round(time.Microsecond), worstQ)
	addFigure(engine, fmt.Sprintf("search, %d queries, p95 of all", len(queries)), pct(.95).Round(time.Microsecond).String(), 0, "< 50 ms")
	addFigure(engine, "search, p95 of the slowest query", worst.Round(time.Microsecond).String()+" "+worstQ, 0, "< 50 ms every query")
	return nil
}

// label describes a query by its fields that are set.
func label(f catalogue.Filter) string {
	var b []string
	for _, kv := range [][2]string{{"q", f.Q}, {"region", f.Region}, {"departement", f.Departement}, {"etat", f.Etat}, {"certifiante", f.Certifiante},
		{"modalite", f.Modalite}, {"tri", f.Sort}} {
		if kv[1] != "" {
			b = append(b, kv[0]+"="+kv[1])
		}
	}
	if f.Offset != 0 {
		b = append(b, fmt.Sprintf("offset=%d", f.Offset))
	}
	return "{" + strings.Join(b, " ") + "}"
}

// writersLoad writes as logins do (a row in login_attempts, one statement
// committed alone) every 20 ms while an import runs.
type writersLoad struct {
	cancel context.CancelFunc
	done   chan struct{}
	lat    []time.Duration
	errs   int
	first  error
}

func startWriters(ctx context.Context, db *store.DB) *writersLoad {
	ctx, cancel := context.WithCancel(ctx)
	w := &writersLoad{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			t0 := time.Now()
			_, err := db.Exec(context.WithoutCancel(ctx), "INSERT INTO login_attempts (email, ip, at, success) VALUES (?, ?, ?, ?)", "bench@example.fr", "192.0.2.1", t0.UTC(), true)
			w.lat = append(w.lat, time.Since(t0))
			if err != nil {
				w.errs++
				if w.first == nil {
					w.first = err
				}
			}
		}
	}()
	return w
}

func (w *writersLoad) stop(engine string) {
	w.cancel()
	<-w.done
	if len(w.lat) == 0 {
		return
	}
	sort.Slice(w.lat, func(i, j int) bool { return w.lat[i] < w.lat[j] })
	p99 := w.lat[int(.99*float64(len(w.lat)-1))]
	fmt.Printf("other writes during the first import: %d, errors %d (%v), p50 %s, p99 %s, max %s\n", len(w.lat), w.errs, w.first,
		w.lat[len(w.lat)/2].Round(time.Microsecond), p99.Round(time.Microsecond), w.lat[len(w.lat)-1].Round(time.Microsecond))
	addFigure(engine, "other writes during the first import (every 20 ms)", fmt.Sprintf("%d, %d errors, p99 %s, max %s", len(w.lat), w.errs,
		p99.Round(time.Millisecond), w.lat[len(w.lat)-1].Round(time.Millisecond)), 0, "0 errors, p99 < 1 s")
}

func xmllint(file string) (time.Duration, error) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return 0, fmt.Errorf("xmllint is needed as the reference")
	}
	t0 := time.Now()
	cmd := exec.Command("xmllint", "--noout", "--stream", file)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("xmllint: %v %s", err, out)
	}
	d := time.Since(t0)
	fmt.Printf("xmllint CPU: %s\n", (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Round(time.Millisecond))
	return d, nil
}

// tokenLoop times a bare encoding/xml Token() loop over the file.
func tokenLoop(file string) (time.Duration, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	t0, cpu0 := time.Now(), cpuTime()
	d := xml.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	for {
		_, err := d.Token()
		if err == io.EOF {
			fmt.Printf("bare Token() loop CPU: %s\n", (cpuTime() - cpu0).Round(time.Millisecond))
			return time.Since(t0), nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// changeTenth writes a copy of file where one formation in ten has another
// title.
func changeTenth(file, out string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	tag := []byte("<intitule-formation>")
	var o bytes.Buffer
	o.Grow(len(b) + len(b)/100)
	for n := 0; ; n++ {
		i := bytes.Index(b, tag)
		if i < 0 {
			o.Write(b)
			break
		}
		o.Write(b[:i+len(tag)])
		if n%10 == 0 {
			o.WriteString("Révisé ")
		}
		b = b[i+len(tag):]
	}
	return os.WriteFile(out, o.Bytes(), 0o644)
}

// pgSchema creates a fresh schema on the PostgreSQL server of url.
func pgSchema(ctx context.Context, url string) (string, func(), error) {
	admin, err := store.Open(ctx, url)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema, func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

var profileDir string

// profile starts a CPU profile of one phase when -profile is set; the
// returned function stops it.
func profile(name string) func() {
	if profileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(profileDir, name+".pprof"))
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

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the peak resident set size of the process in kB (Linux).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d", &kb)
			return kb
		}
	}
	return 0
}
