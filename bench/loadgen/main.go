// Command loadgen sends HTTP requests to a server on this machine from N
// concurrent clients, for a fixed number of requests or a fixed duration,
// and prints latency percentiles and throughput. It only talks to loopback
// addresses, so it cannot be pointed at someone else's server.
//
//	loadgen -url http://127.0.0.1:8080/v1/outcome/predict -c 16 -n 5000 \
//	    -body stay.json -H 'Authorization: Bearer ...'
//
// With -physionet FILE it builds the body from a PhysioNet 2012 record file
// instead: plain JSON observations (-form plain), a FHIR R4 Bundle coded in
// LOINC (-form fhir) or Open Inference Protocol v2 tensors for
// /v2/models/icu-mortality/infer (-form oip), with the matching Content-Type.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits keep a run bounded.
const (
	maxClients  = 256
	maxRequests = 10_000_000
	maxDuration = 10 * time.Minute
)

type config struct {
	URL        string
	Method     string
	Body       []byte
	Headers    http.Header
	Clients    int
	Requests   int           // total; 0 means run for Duration
	Duration   time.Duration // used when Requests is 0
	Warmup     int           // requests per client before measuring
	Timeout    time.Duration // per request
	ExpectCode int
}

type report struct {
	Requests   int            `json:"requests"`
	Errors     int            `json:"errors"` // transport errors and unexpected statuses
	Statuses   map[string]int `json:"statuses"`
	Seconds    float64        `json:"seconds"`
	RPS        float64        `json:"requests_per_second"`
	P50MS      float64        `json:"p50_ms"`
	P90MS      float64        `json:"p90_ms"`
	P99MS      float64        `json:"p99_ms"`
	MaxMS      float64        `json:"max_ms"`
	MeanMS     float64        `json:"mean_ms"`
	Clients    int            `json:"clients"`
	FirstError string         `json:"first_error,omitempty"`
	// ClientCPUMS is this load generator's own CPU time (user + system)
	// per request, warm-up included: on a machine it shares with the
	// server, that much of the cores is not the server's.
	ClientCPUMS float64 `json:"client_cpu_ms_per_request"`
}

type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }

func (f *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q: want 'Name: value'", s)
	}
	f.h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	return nil
}

func main() {
	cfg := config{Headers: http.Header{}}
	hf := &headerFlag{cfg.Headers}
	var bodyFile, contentType, physioNet, form string
	var asJSON bool
	flag.StringVar(&cfg.URL, "url", "", "target URL (loopback only), e.g. http://127.0.0.1:8080/v1/outcome/predict")
	flag.StringVar(&cfg.Method, "method", "", "HTTP method (default POST with -body, else GET)")
	flag.StringVar(&bodyFile, "body", "", "file whose contents are sent as the request body")
	flag.StringVar(&contentType, "content-type", "application/json", "Content-Type of the body")
	flag.Var(hf, "H", "extra header 'Name: value' (repeatable)")
	flag.IntVar(&cfg.Clients, "c", 16, "concurrent clients")
	flag.IntVar(&cfg.Requests, "n", 0, "total requests (0: run for -d)")
	flag.DurationVar(&cfg.Duration, "d", 10*time.Second, "duration when -n is 0")
	flag.IntVar(&cfg.Warmup, "warmup", 5, "unmeasured requests per client first")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.IntVar(&cfg.ExpectCode, "expect", http.StatusOK, "expected HTTP status; others count as errors")
	flag.BoolVar(&asJSON, "json", false, "print the report as JSON")
	flag.StringVar(&physioNet, "physionet", "", "build the body from this PhysioNet 2012 record file")
	flag.StringVar(&form, "form", "plain", "with -physionet: plain (JSON observations), fhir (a FHIR R4 Bundle) or oip (OIP v2 tensors)")
	flag.Parse()

	if physioNet != "" {
		b, ct, err := physioNetBody(physioNet, form)
		if err != nil {
			fatal(err)
		}
		cfg.Body = b
		cfg.Headers.Set("Content-Type", ct)
	} else if bodyFile != "" {
		b, err := os.ReadFile(bodyFile)
		if err != nil {
			fatal(err)
		}
		cfg.Body = b
		cfg.Headers.Set("Content-Type", contentType)
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
		if cfg.Body != nil {
			cfg.Method = http.MethodPost
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	before := cpuTime()
	rep, err := run(ctx, cfg)
	if err != nil {
		fatal(err)
	}
	if n := rep.Requests + cfg.Warmup*cfg.Clients; n > 0 {
		rep.ClientCPUMS = float64((cpuTime() - before).Microseconds()) / 1000 / float64(n)
	}
	if asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(rep)
	} else {
		printReport(os.Stdout, cfg, rep)
	}
	if rep.Errors > 0 {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(2)
}

func printReport(w io.Writer, cfg config, r report) {
	fmt.Fprintf(w, "%s %s: %d clients, %d requests in %.2fs\n", cfg.Method, cfg.URL, r.Clients, r.Requests, r.Seconds)
	fmt.Fprintf(w, "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f\n", r.P50MS, r.P90MS, r.P99MS, r.MaxMS, r.MeanMS)
	fmt.Fprintf(w, "throughput: %.0f requests/s\n", r.RPS)
	fmt.Fprintf(w, "load generator CPU: %.2f ms per request\n", r.ClientCPUMS)
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "status %s: %d\n", k, r.Statuses[k])
	}
	if r.Errors > 0 {
		fmt.Fprintf(w, "errors: %d (first: %s)\n", r.Errors, r.FirstError)
	}
}

// checkConfig validates cfg and that the URL's host is a loopback address.
func checkConfig(cfg config) error {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want an http(s) URL", cfg.URL)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("-url host %q is not a loopback address; loadgen only targets this machine", u.Hostname())
	}
	switch {
	case cfg.Clients < 1 || cfg.Clients > maxClients:
		return fmt.Errorf("-c %d: want 1 to %d clients", cfg.Clients, maxClients)
	case cfg.Requests < 0 || cfg.Requests > maxRequests:
		return fmt.Errorf("-n %d: want 0 to %d requests", cfg.Requests, maxRequests)
	case cfg.Requests == 0 && (cfg.Duration <= 0 || cfg.Duration > maxDuration):
		return fmt.Errorf("-d %s: want a duration up to %s", cfg.Duration, maxDuration)
	case cfg.Warmup < 0 || cfg.Warmup > 1000:
		return fmt.Errorf("-warmup %d: want 0 to 1000", cfg.Warmup)
	case cfg.Timeout <= 0:
		return fmt.Errorf("-timeout must be positive")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run sends the requests and measures them.
func run(ctx context.Context, cfg config) (report, error) {
	if err := checkConfig(cfg); err != nil {
		return report{}, err
	}
	tr := &http.Transport{
		MaxIdleConns:        cfg.Clients,
		MaxIdleConnsPerHost: cfg.Clients,
		IdleConnTimeout:     30 * time.Second,
		// Dial only loopback, whatever a name resolves to.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", addr[len(host)+1:])
			} else if !isLoopback(host) {
				return nil, fmt.Errorf("refusing non-loopback address %s", host)
			}
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	type result struct {
		lat      []time.Duration
		statuses map[string]int
		errors   int
		firstErr string
	}
	do := func(res *result) time.Duration {
		req, err := http.NewRequestWithContext(ctx, cfg.Method, cfg.URL, bytes.NewReader(cfg.Body))
		if err != nil {
			res.errors++
			return 0
		}
		req.Header = cfg.Headers.Clone()
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				res.errors++
				if res.firstErr == "" {
					res.firstErr = err.Error()
				}
			}
			return -1
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat := time.Since(start)
		res.statuses[fmt.Sprint(resp.StatusCode)]++
		if resp.StatusCode != cfg.ExpectCode {
			res.errors++
			if res.firstErr == "" {
				res.firstErr = fmt.Sprintf("status %d", resp.StatusCode)
			}
		}
		return lat
	}

	// Warm up connections and caches without measuring.
	var wg sync.WaitGroup
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &result{statuses: map[string]int{}}
			for range cfg.Warmup {
				if do(r) < 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return report{}, err
	}

	var remaining atomic.Int64
	remaining.Store(int64(cfg.Requests))
	runCtx := ctx
	if cfg.Requests == 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	results := make([]*result, cfg.Clients)
	start := time.Now()
	for i := range cfg.Clients {
		results[i] = &result{statuses: map[string]int{}}
		wg.Add(1)
		go func(res *result) {
			defer wg.Done()
			for runCtx.Err() == nil {
				if cfg.Requests > 0 && remaining.Add(-1) < 0 {
					return
				}
				if lat := do(res); lat > 0 {
					res.lat = append(res.lat, lat)
				}
			}
		}(results[i])
	}
	wg.Wait()
	elapsed := time.Since(start)

	rep := report{Statuses: map[string]int{}, Clients: cfg.Clients, Seconds: elapsed.Seconds()}
	var all []time.Duration
	for _, r := range results {
		all = append(all, r.lat...)
		rep.Errors += r.errors
		for k, v := range r.statuses {
			rep.Statuses[k] += v
		}
		if rep.FirstError == "" {
			rep.FirstError = r.firstErr
		}
	}
	rep.Requests = len(all)
	if len(all) == 0 {
		return rep, errors.New("no request completed")
	}
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep.P50MS = ms(percentile(all, 50))
	rep.P90MS = ms(percentile(all, 90))
	rep.P99MS = ms(percentile(all, 99))
	rep.MaxMS = ms(all[len(all)-1])
	rep.MeanMS = ms(sum / time.Duration(len(all)))
	rep.RPS = float64(len(all)) / elapsed.Seconds()
	return rep, nil
}

// percentile returns the nearest-rank percentile p of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// cpuTime returns the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
