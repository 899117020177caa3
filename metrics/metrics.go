// Package metrics keeps the process's counters and writes them in the
// Prometheus text exposition format (served at /metrics).
package metrics

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Registry holds counters and gauges.
type Registry struct {
	mu       sync.Mutex
	counters map[string]float64 // full series name with labels → value
	help     map[string]string
	gauges   map[string]func() float64
	start    time.Time
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{counters: map[string]float64{}, help: map[string]string{}, gauges: map[string]func() float64{}, start: time.Now()}
}

// Add adds v to the counter name with labels (alternating key, value).
func (r *Registry) Add(name, help string, v float64, labels ...string) {
	key := series(name, labels)
	r.mu.Lock()
	r.counters[key] += v
	r.help[name] = help
	r.mu.Unlock()
}

// Gauge registers a function read at each scrape.
func (r *Registry) Gauge(name, help string, f func() float64) {
	r.mu.Lock()
	r.gauges[name] = f
	r.help[name] = help
	r.mu.Unlock()
}

// ObserveRequest records one HTTP request.
func (r *Registry) ObserveRequest(method, route string, status int, d time.Duration) {
	code := fmt.Sprintf("%dxx", status/100)
	r.Add("kairos_http_requests_total", "HTTP requests served.", 1, "method", method, "route", route, "code", code)
	r.Add("kairos_http_request_duration_seconds_sum", "Total time spent serving HTTP requests.", d.Seconds(), "route", route)
}

// Write writes every series in the Prometheus text format.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	keys := make([]string, 0, len(r.counters))
	for k := range r.counters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	typed := map[string]bool{}
	for _, k := range keys {
		name, _, _ := strings.Cut(k, "{")
		if !typed[name] {
			typed[name] = true
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, r.help[name], name)
		}
		fmt.Fprintf(w, "%s %g\n", k, r.counters[k])
	}
	gnames := make([]string, 0, len(r.gauges))
	for k := range r.gauges {
		gnames = append(gnames, k)
	}
	sort.Strings(gnames)
	gauges := make([]func() float64, len(gnames))
	ghelp := make([]string, len(gnames))
	for i, n := range gnames {
		gauges[i], ghelp[i] = r.gauges[n], r.help[n]
	}
	r.mu.Unlock()
	for i, n := range gnames {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", n, ghelp[i], n, n, gauges[i]())
	}
	fmt.Fprintf(w, "# HELP kairos_goroutines Goroutines of the process.\n# TYPE kairos_goroutines gauge\nkairos_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# HELP kairos_uptime_seconds Time since the process started.\n# TYPE kairos_uptime_seconds gauge\nkairos_uptime_seconds %g\n", time.Since(r.start).Seconds())
}

func series(name string, labels []string) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
	}
	b.WriteByte('}')
	return b.String()
}
