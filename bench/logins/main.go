// Command logins checks that a burst of anonymous logins cannot exhaust the
// server's memory (issue 16): it builds and starts `kairos serve` on a fresh
// SQLite database (or on -db), measures its resident memory at rest (the
// baseline of this run), then sends -n concurrent POST /connexion with
// unknown e-mails (each with its own CSRF cookie and token, as browsers
// would) and reads the server's peak resident memory (VmHWM) afterwards.
// It fails when the peak exceeds -max-rss MB or when any answer is a 5xx
// other than 503 (the bounded password-hashing pool answers 503 with
// Retry-After when it is full).
//
//	go run ./bench/logins              # 500 logins, limit 400 MB
//	go run ./bench/logins -n 1000 -db postgres://kairos:kairos@127.0.0.1:5432/kairos_ci
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 500, "concurrent anonymous logins")
	maxRSS := flag.Int("max-rss", 400, "peak resident memory allowed, in MB")
	db := flag.String("db", "", "database URL (default: a fresh SQLite file)")
	flag.Parse()
	if err := run(*n, *maxRSS, *db); err != nil {
		fmt.Fprintln(os.Stderr, "logins:", err)
		os.Exit(1)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func run(n, maxRSS int, dbURL string) error {
	dir, err := os.MkdirTemp("", "kairos-logins")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "kairos")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/kairos").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	if dbURL == "" {
		dbURL = filepath.Join(dir, "kairos.db")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "KAIROS_DATABASE_URL=" + dbURL,
		"KAIROS_ADDR=" + addr, "KAIROS_BASE_URL=" + base, "KAIROS_LOG_LEVEL=error", "KAIROS_WORKER=false",
		// Each client comes from its own address (X-Forwarded-For), as on the
		// Internet: the per-address throttle does not stop the burst, the
		// hashing pool must.
		"KAIROS_TRUST_PROXY=1"}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 300 {
			return fmt.Errorf("server not healthy")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Each client fetches the login page first (its CSRF cookie and token).
	type client struct {
		http *http.Client
		tok  string
	}
	clients := make([]client, n)
	for i := range clients {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		resp, err := c.Get(base + "/connexion")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfRE.FindSubmatch(b)
		if m == nil {
			return fmt.Errorf("no CSRF token on the login page")
		}
		clients[i] = client{c, string(m[1])}
	}
	rest, err := rss(cmd.Process.Pid, "VmRSS")
	if err != nil {
		return err
	}

	var mu sync.Mutex
	codes := map[int]int{}
	retryAfter := 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			form := url.Values{"email": {fmt.Sprintf("inconnu%d@exemple.example", i)}, "password": {"mauvais mot de passe " + strconv.Itoa(i)}, "csrf_token": {c.tok}}
			req, _ := http.NewRequest("POST", base+"/connexion", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			resp, err := c.http.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[-1]++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode]++
			if resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "" {
				retryAfter++
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	peak, err := rss(cmd.Process.Pid, "VmHWM")
	if err != nil {
		return err
	}

	var keys []int
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	bad := 0
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d × %d", codes[k], k))
		if k < 0 || (k >= 500 && k != 503) {
			bad += codes[k]
		}
	}
	fmt.Printf("%d concurrent anonymous logins in %s: %s (%d × 503 with Retry-After)\n", n, elapsed.Round(time.Millisecond), strings.Join(parts, ", "), retryAfter)
	fmt.Printf("server resident memory: %d MB at rest, %d MB at peak (%.1f × the rest; limit %d MB)\n", rest>>10, peak>>10, float64(peak)/float64(rest), maxRSS)
	switch {
	case bad > 0:
		return fmt.Errorf("%d answers were errors other than 503", bad)
	case int(peak>>10) >= maxRSS:
		return fmt.Errorf("peak resident memory %d MB ≥ %d MB", peak>>10, maxRSS)
	case codes[503] != retryAfter:
		return fmt.Errorf("%d answers 503 without Retry-After", codes[503]-retryAfter)
	}
	fmt.Println("ok")
	return nil
}

// rss reads a memory figure (VmRSS, VmHWM) of process pid, in kB.
func rss(pid int, field string) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("%s not found", field)
}
