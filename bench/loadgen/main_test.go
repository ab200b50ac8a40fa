package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckConfig(t *testing.T) {
	ok := config{URL: "http://127.0.0.1:8080/x", Clients: 16, Requests: 10, Timeout: time.Second}
	tests := []struct {
		name    string
		mod     func(*config)
		wantErr string
	}{
		{"ok", func(*config) {}, ""},
		{"localhost", func(c *config) { c.URL = "http://localhost:1/" }, ""},
		{"ipv6 loopback", func(c *config) { c.URL = "http://[::1]:1/" }, ""},
		{"remote name", func(c *config) { c.URL = "http://example.com/" }, "not a loopback"},
		{"private address", func(c *config) { c.URL = "http://10.0.0.1/" }, "not a loopback"},
		{"not http", func(c *config) { c.URL = "ftp://127.0.0.1/" }, "want an http"},
		{"too many clients", func(c *config) { c.Clients = 10000 }, "clients"},
		{"no clients", func(c *config) { c.Clients = 0 }, "clients"},
		{"unbounded", func(c *config) { c.Requests = 0; c.Duration = time.Hour }, "duration"},
		{"too many requests", func(c *config) { c.Requests = maxRequests + 1 }, "requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := checkConfig(c)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRun(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"x":1}` || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(2 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	tests := []struct {
		name       string
		url        string
		n          int
		wantErrors bool
	}{
		{"fixed count", srv.URL + "/?slow=1", 200, false},
		{"fast", srv.URL + "/", 50, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			h := http.Header{"Authorization": {"Bearer k"}}
			cfg := config{URL: tt.url, Method: "POST", Body: []byte(`{"x":1}`), Headers: h, Clients: 4, Requests: tt.n, Warmup: 2, Timeout: 5 * time.Second, ExpectCode: 200}
			rep, err := run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests != tt.n || rep.Statuses["200"] != tt.n || rep.Errors != 0 {
				t.Errorf("report %+v, want %d OK requests", rep, tt.n)
			}
			if got := hits.Load(); got != int64(tt.n+4*2) {
				t.Errorf("server saw %d requests, want %d", got, tt.n+8)
			}
			if !(rep.P50MS <= rep.P90MS && rep.P90MS <= rep.P99MS && rep.P99MS <= rep.MaxMS) || rep.RPS <= 0 {
				t.Errorf("inconsistent report %+v", rep)
			}
		})
	}
	t.Run("errors counted", func(t *testing.T) {
		cfg := config{URL: srv.URL, Method: "POST", Body: []byte(`{}`), Headers: http.Header{}, Clients: 2, Requests: 10, Timeout: time.Second, ExpectCode: 200}
		rep, err := run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Errors != 10 || rep.Statuses["400"] != 10 || rep.FirstError != "status 400" {
			t.Errorf("report %+v", rep)
		}
	})
	t.Run("duration", func(t *testing.T) {
		cfg := config{URL: srv.URL, Method: "POST", Body: []byte(`{"x":1}`), Headers: http.Header{"Authorization": {"Bearer k"}}, Clients: 2, Duration: 200 * time.Millisecond, Timeout: time.Second, ExpectCode: 200}
		rep, err := run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Seconds < 0.2 || rep.Seconds > 2 || rep.Requests == 0 {
			t.Errorf("report %+v", rep)
		}
	})
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		name string
		p    float64
		want time.Duration
	}{
		{"p50", 50, 50 * time.Millisecond},
		{"p99", 99, 99 * time.Millisecond},
		{"p100", 100, 100 * time.Millisecond},
		{"p0", 0, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(d, tt.p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPhysioNetBody(t *testing.T) {
	dir := t.TempDir()
	rec := dir + "/1.txt"
	const record = "Time,Parameter,Value\n00:00,RecordID,1\n00:00,Age,54\n00:00,Gender,0\n00:00,Height,-1\n00:00,ICUType,4\n00:00,Weight,-1\n00:07,HR,73\n01:37,Temp,35.1\n"
	if err := os.WriteFile(rec, []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, form, wantCT string
		want               []string
		wantErr            bool
	}{
		{"plain", "plain", "application/json", []string{`{"time":"00:07","parameter":"HR","value":73}`, `"Age":54`}, false},
		{"fhir", "fhir", "application/fhir+json", []string{`"resourceType":"Bundle"`, `"8867-4"`, `"2012-05-01T09:37:00Z"`}, false},
		{"oip tensors", "oip", "application/json", []string{`"name":"values","shape":[1,48,37]`, `"name":"descriptors","shape":[1,5],"datatype":"FP32","data":[54,0,-1,4,-1]`}, false},
		{"unknown form", "csv", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ct, err := physioNetBody(rec, tt.form)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if ct != tt.wantCT {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantCT)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("body lacks %s: %s", w, b)
				}
			}
		})
	}
}
