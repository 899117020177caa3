// Command webhooks measures the real-time exchange (issue 15) end to end:
// an OF's software writes through the API (POST /api/v1/appointments, real
// HTTP), the change is recorded with its outbox event, dispatched, signed and
// delivered by the webhook runner (the one `kairos serve` runs) to a real
// receiver on loopback, which verifies the signature. It reports:
//
//   - write → webhook received latency, p50 / p99 / max, at `rate` writes per
//     second for `seconds` seconds (each write timed from just before its
//     request to the receiver's arrival);
//   - sustained deliveries per second: `backlog` events (one object each)
//     recorded while the runner is stopped, then dispatched and delivered by
//     the runner, timed from its start to the last arrival; and the same for
//     `backlog`/10 events of a single object (delivered one after another,
//     since an object's events go in order).
//
// Usage:
//
//	go run ./bench/webhooks -db /tmp/bench-wh.db
//	go run ./bench/webhooks -db postgres://kairos:kairos@127.0.0.1:5432/kairos_bench_wh
//
// The database must be empty (it is migrated here).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"time"

	"kairos"
	"kairos/account"
	"kairos/api"
	"kairos/appointments"
	"kairos/store"
	"kairos/webhooks"
)

func main() {
	dbURL := flag.String("db", "/tmp/bench-webhooks.db", "database (SQLite path or postgres:// URL), empty")
	rate := flag.Int("rate", 50, "API writes per second")
	seconds := flag.Int("seconds", 20, "duration of the latency phase")
	backlog := flag.Int("backlog", 5000, "events of the throughput phase")
	flag.Parse()
	if err := run(*dbURL, *rate, *seconds, *backlog); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// receiver records when each event arrived, by event id and by object.
type receiver struct {
	mu      sync.Mutex
	secret  string
	arrived map[string]time.Time // appointment id → first arrival (appointment.create)
	count   int
	last    time.Time
	bad     int
	order   map[string]int64 // object → last sequence received
	unorder int
	notify  chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	if err := webhooks.Verify(rc.secret, r.Header, body, now, 5*time.Minute); err != nil {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		w.WriteHeader(401)
		return
	}
	var ev webhooks.Event
	json.Unmarshal(body, &ev)
	rc.mu.Lock()
	rc.count++
	rc.last = now
	if ev.Type == "appointment.create.v1" {
		if _, ok := rc.arrived[ev.Object.ID]; !ok {
			rc.arrived[ev.Object.ID] = now
		}
	}
	key := ev.Object.Type + ":" + ev.Object.ID
	if ev.Sequence < rc.order[key] {
		rc.unorder++
	}
	rc.order[key] = ev.Sequence
	rc.mu.Unlock()
	select {
	case rc.notify <- struct{}{}:
	default:
	}
	w.WriteHeader(204)
}

func run(dbURL string, rate, seconds, backlog int) error {
	ctx := kairos.WithActor(context.Background(), kairos.System)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acc := &account.Service{DB: db, BaseURL: "http://kairos.bench", Log: log}
	org, err := acc.CreateOrganisation(ctx, account.Organisation{Kind: kairos.OrgOF, Name: "OF du banc d'essai", Region: "76"})
	if err != nil {
		return err
	}
	admin, err := acc.CreateUser(ctx, account.NewUser{OrgID: org, Role: kairos.RoleOFAdmin, Email: "rgc@bench.example", Name: "RGC"})
	if err != nil {
		return err
	}
	_, key, err := acc.CreateAPIKey(ctx, admin.Actor(), org, "ERP du banc d'essai")
	if err != nil {
		return err
	}
	hooks := &webhooks.Service{DB: db, Log: log, AllowPrivate: true}
	a := api.New(acc, log)
	a.Appointments = &appointments.Service{DB: db, BaseURL: "http://kairos.bench", Log: log}
	a.Webhooks = hooks
	apiSrv := httptest.NewServer(a.Handler())
	defer apiSrv.Close()
	rc := &receiver{arrived: map[string]time.Time{}, order: map[string]int64{}, notify: make(chan struct{}, 1)}
	recvSrv := httptest.NewServer(rc)
	defer recvSrv.Close()
	sub, secret, err := hooks.Create(ctx, admin.Actor(), webhooks.Input{URL: recvSrv.URL + "/hook", EventTypes: []string{"*"}})
	if err != nil {
		return err
	}
	rc.secret = secret
	fmt.Printf("engine %s, %d writes/s for %d s, backlog %d\n", db.Engine(), rate, seconds, backlog)

	// Phase 1: latency at a steady write rate, the runner running.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runDone := make(chan struct{})
	go func() { hooks.Run(runCtx, 500*time.Millisecond); close(runDone) }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	type write struct {
		id    string
		start time.Time
		took  time.Duration // the API's answer alone: the baseline of the latency
	}
	var wmu sync.Mutex
	var writes []write
	var failed int
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	total := rate * seconds
	day := kairos.SystemClock().AddDate(0, 1, 0).Format("2006-01-02")
	body := []byte(`{"kind":"collectif","title":"Information collective","date":"` + day + `","start":"09:00","end":"10:00","place":"Toulouse","capacity":12}`)
	for i := 0; i < total; i++ {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			req, _ := http.NewRequest("POST", apiSrv.URL+"/api/v1/appointments", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				wmu.Lock()
				failed++
				wmu.Unlock()
				return
			}
			var out struct {
				ID int64 `json:"id"`
			}
			json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			wmu.Lock()
			defer wmu.Unlock()
			if resp.StatusCode != 201 {
				if failed == 0 {
					fmt.Fprintln(os.Stderr, "write refused:", resp.Status)
				}
				failed++
				return
			}
			writes = append(writes, write{fmt.Sprint(out.ID), start, time.Since(start)})
		}()
	}
	tick.Stop()
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rc.mu.Lock()
		n := len(rc.arrived)
		rc.mu.Unlock()
		if n >= len(writes) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var lat, base []time.Duration
	rc.mu.Lock()
	for _, w := range writes {
		base = append(base, w.took)
		if at, ok := rc.arrived[w.id]; ok {
			lat = append(lat, at.Sub(w.start))
		}
	}
	rc.mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(base, func(i, j int) bool { return base[i] < base[j] })
	if len(lat) == 0 {
		return fmt.Errorf("nothing received (%d writes, %d failed)", len(writes), failed)
	}
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("latency write → webhook received: p50 %s, p99 %s, max %s (%d writes, %d received, %d failed writes)\n",
		pct(0.50).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond), len(writes), len(lat), failed)
	bp := func(p float64) time.Duration { return base[min(len(base)-1, int(p*float64(len(base))))] }
	fmt.Printf("baseline, the API write's own answer: p50 %s, p99 %s → webhook latency / write latency: p50 ×%.1f, p99 ×%.1f\n",
		bp(0.50).Round(100*time.Microsecond), bp(0.99).Round(100*time.Microsecond), float64(pct(0.50))/float64(bp(0.50)), float64(pct(0.99))/float64(bp(0.99)))
	stop()
	<-runDone

	// Baseline of the throughput: the same signed bodies posted straight to
	// the receiver, 16 at a time, without Kairos's queue.
	baseRate, err := directPosts(recvSrv.URL+"/hook", secret, backlog)
	if err != nil {
		return err
	}
	fmt.Printf("baseline, %d signed POSTs straight to the receiver, 16 at a time: %.0f/s\n", backlog, baseRate)

	// Phase 2: throughput of a backlog, runner stopped while it is recorded.
	for _, c := range []struct {
		name    string
		n       int
		objects int
	}{{"distinct objects", backlog, backlog}, {"one object", backlog / 10, 1}} {
		if err := record(ctx, db, org, c.n, c.objects); err != nil {
			return err
		}
		rc.mu.Lock()
		before := rc.count
		rc.mu.Unlock()
		runCtx, stop := context.WithCancel(ctx)
		runDone := make(chan struct{})
		t0 := time.Now()
		go func() { hooks.Run(runCtx, 500*time.Millisecond); close(runDone) }()
		deadline := time.Now().Add(10 * time.Minute)
		var got int
		var last time.Time
		for {
			rc.mu.Lock()
			got, last = rc.count-before, rc.last
			rc.mu.Unlock()
			if got >= c.n || time.Now().After(deadline) {
				break
			}
			select {
			case <-rc.notify:
			case <-time.After(50 * time.Millisecond):
			}
		}
		stop()
		<-runDone
		d := last.Sub(t0)
		rate := float64(got) / d.Seconds()
		fmt.Printf("backlog of %d events (%s): delivered %d in %s → %.0f deliveries/s (%.0f%% of the baseline)\n", c.n, c.name, got, d.Round(time.Millisecond), rate, 100*rate/baseRate)
	}
	st, err := hooks.Get(ctx, admin.Actor(), sub.ID)
	if err != nil {
		return err
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fmt.Printf("subscription: %d delivered, %d pending, %d failed; bad signatures %d, out-of-order arrivals %d\n", st.Stats.Delivered, st.Stats.Pending, st.Stats.Failed, rc.bad, rc.unorder)
	return nil
}

// directPosts posts n signed events to url, 16 at a time, and returns the rate.
func directPosts(url, secret string, n int) (float64, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	t0 := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ev := webhooks.Event{ID: fmt.Sprintf("evt_base_%d", i), Sequence: int64(i), Type: "appointment.update.v1", Timestamp: time.Now().UTC(),
					Object: webhooks.ObjectRef{Type: "baseline", ID: fmt.Sprint(i)}, Data: json.RawMessage(`{"title":"Information collective","capacity":12}`)}
				body, _ := json.Marshal(ev)
				ts := time.Now().Unix()
				sig, _ := webhooks.Sign(secret, ev.ID, ts, body)
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("webhook-id", ev.ID)
				req.Header.Set("webhook-timestamp", fmt.Sprint(ts))
				req.Header.Set("webhook-signature", sig)
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return float64(n) / time.Since(t0).Seconds(), firstErr
}

// record writes n outbox events over `objects` appointments, 500 per transaction.
func record(ctx context.Context, db *store.DB, org int64, n, objects int) error {
	for start := 0; start < n; start += 500 {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := start; i < min(start+500, n); i++ {
				obj := 1_000_000 + i%objects
				if err := tx.Record(ctx, store.Change{Action: "appointment.update", OrgID: org, ObjectType: "appointment", ObjectID: obj,
					After: map[string]any{"id": obj, "title": "Information collective", "capacity": 12, "revision": i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
