// Command bench measures the LHÉO import of the catalogue at national scale:
// it generates a synthetic LHÉO 2.3 file (lheotest.Generate), times
// `xmllint --noout --stream` on it as the parse-speed reference, imports it
// into a fresh SQLite database, imports it a second time (nothing changed),
// and measures search latencies. Run it with bench/run.sh.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"kairos"
	"kairos/catalogue"
	"kairos/lheo/lheotest"
	"kairos/store"
)

func main() {
	sessions := flag.Int("sessions", 300000, "sessions in the generated file")
	dir := flag.String("dir", os.TempDir(), "directory for the file and the database")
	searches := flag.Int("searches", 200, "search requests for the latency figures")
	flag.StringVar(&profileDir, "profile", "", "directory where CPU profiles of each phase are written (import1, import2, search .pprof)")
	flag.Parse()
	if err := run(*sessions, *dir, *searches); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(sessions int, dir string, searches int) error {
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
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	mb := float64(st.Size()) / 1e6
	fmt.Printf("file: %d sessions, %.1f MB, GOMAXPROCS=%d\n", sessions, mb, runtime.GOMAXPROCS(0))

	var ref time.Duration
	if _, err := exec.LookPath("xmllint"); err == nil {
		t0 := time.Now()
		if out, err := exec.Command("xmllint", "--noout", "--stream", file).CombinedOutput(); err != nil {
			return fmt.Errorf("xmllint: %v %s", err, out)
		}
		ref = time.Since(t0)
		fmt.Printf("xmllint --noout --stream: %s (%.1f MB/s)\n", ref.Round(time.Millisecond), mb/ref.Seconds())
	} else {
		fmt.Println("xmllint absent: no reference time")
	}

	dbPath := filepath.Join(dir, fmt.Sprintf("bench-%d.db", time.Now().UnixNano()))
	if os.Getenv("BENCH_KEEP_DB") == "" {
		defer os.Remove(dbPath)
		defer os.Remove(dbPath + "-wal")
		defer os.Remove(dbPath + "-shm")
	} else {
		fmt.Println("database kept:", dbPath)
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	svc := &catalogue.Service{DB: db, Log: slog.Default()}

	imp := func(label, prof string) (time.Duration, error) {
		defer profile(prof)()
		f, err := os.Open(file)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		t0 := time.Now()
		i, err := svc.Import(ctx, bufio.NewReaderSize(f, 1<<20), catalogue.ImportOptions{Source: "bench", FileName: filepath.Base(file), Size: st.Size()})
		d := time.Since(t0)
		if err != nil {
			return d, err
		}
		if i.Status != catalogue.StatusDone {
			return d, fmt.Errorf("import %s: %s", i.Status, i.ErrorMessage)
		}
		c := i.Counts.Sessions
		fmt.Printf("%s: %s — %.0f sessions/s, %.1f MB/s, ratio to xmllint %.1f× — sessions created %d, updated %d, unchanged %d, withdrawn %d, rejected formations %d — peak RSS so far %d MB\n",
			label, d.Round(time.Millisecond), float64(sessions)/d.Seconds(), mb/d.Seconds(), d.Seconds()/max(ref.Seconds(), 1e-9),
			c.Created, c.Updated, c.Unchanged, c.Withdrawn, i.Counts.Rejected, peakRSS()/1024)
		return d, nil
	}
	first, err := imp("first import", "import1")
	if err != nil {
		return err
	}
	second, err := imp("second import (unchanged)", "import2")
	if err != nil {
		return err
	}
	fmt.Printf("second/first: %.2f\n", second.Seconds()/first.Seconds())

	queries := []catalogue.Filter{
		{Q: "soudage"}, {Q: "comptabilité gestion"}, {Q: "developpeur web", Departement: "31"},
		{Q: "aide soignant", Sort: catalogue.SortStart}, {Q: "anglais"}, {Q: "cariste", Region: "84"},
		{Departement: "69"}, {Etat: "1", Certifiante: "1"}, {Q: "electricien", Modalite: "2"},
		{Q: "module theorique"}, {Q: "secretaire medical", Offset: 40},
	}
	stop := profile("search")
	defer stop()
	rnd := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	for i := 0; i < searches; i++ {
		f := queries[rnd.IntN(len(queries))]
		t0 := time.Now()
		if _, err := svc.Search(ctx, f); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	if os.Getenv("BENCH_PER_QUERY") != "" {
		for _, f := range queries {
			t0 := time.Now()
			r, err := svc.Search(ctx, f)
			if err != nil {
				return err
			}
			fmt.Printf("  %-70s %4d%s %s\n", fmt.Sprintf("%+v", f), r.Total, map[bool]string{true: "+", false: " "}[r.More], time.Since(t0).Round(time.Microsecond))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("search (%d requests): p50 %s, p95 %s, max %s\n", len(lat), pct(.5).Round(time.Microsecond), pct(.95).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	fmt.Printf("peak RSS: %d MB\n", peakRSS()/1024)
	return nil
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
