package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
)

func TestBadInput(t *testing.T) {
	env := newEnv(t, Config{MaxBody: 4096}, inference.Config{}, nil)
	const js = "application/json"
	infer := "/v2/models/lin/infer"
	tests := []struct {
		name, who, method, path, contentType, body string
		wantStatus                                 int
		wantError                                  string // substring of the error message
	}{
		{"malformed json", "clinician", "POST", infer, js, `{"inputs": [`, 400, "malformed JSON"},
		{"json syntax error", "clinician", "POST", infer, js, `{"inputs": x}`, 400, "malformed JSON at byte"},
		{"trailing data", "clinician", "POST", infer, js, `{"inputs": []} {}`, 400, "more data after the first value"},
		{"empty body", "clinician", "POST", infer, js, ``, 400, "request body is empty"},
		{"wrong field type", "clinician", "POST", infer, js, `{"inputs": {}}`, 400, `field "inputs" is JSON object, want an array`},
		{"no content type", "clinician", "POST", infer, "", `{}`, 415, "Content-Type must be application/json"},
		{"text content type", "clinician", "POST", infer, "text/plain", `{}`, 415, "Content-Type must be application/json"},
		{"json with charset", "clinician", "POST", infer, "application/json; charset=utf-8", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`, 200, ""},
		{"body over limit", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[` + strings.Repeat("1,", 4000) + `1]}]}`, 413, "over the 4096-byte limit"},
		{"unknown model", "clinician", "POST", "/v2/models/nope/infer", js, `{"inputs":[]}`, 404, `model "nope"`},
		{"unknown version", "clinician", "POST", "/v2/models/lin/versions/7/infer", js, `{"inputs":[]}`, 404, ""},
		{"unknown model metadata", "clinician", "GET", "/v2/models/nope", "", "", 404, ""},
		{"no inputs", "clinician", "POST", infer, js, `{"inputs":[]}`, 400, `no inputs; the model takes "x" FP64 [-1 2]`},
		{"wrong shape", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`, 400, `input "x": shape [1 3], the model wants [-1 2]`},
		{"shape vs data", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3]}]}`, 400, `tensor "x": shape [2 2] needs 4 elements, data has 3`},
		{"wrong datatype", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT64","data":[1,2]}]}`, 400, `input "x": datatype INT64, the model wants FP64`},
		{"unknown datatype", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP8","data":[1,2]}]}`, 400, `unsupported datatype "FP8"`},
		{"unknown input", "clinician", "POST", infer, js, `{"inputs":[{"name":"z","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`, 400, `unknown input "z"`},
		{"duplicate input", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`, 400, `input "x" appears twice`},
		{"unknown output", "clinician", "POST", infer, js, `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}],"outputs":[{"name":"w"}]}`, 400, `unknown output "w"`},
		{"unknown field in v1", "scientist", "POST", "/v1/models", js, `{"name":"m","task":"t","colour":"red"}`, 400, `unknown field "colour"`},
		{"missing task", "scientist", "POST", "/v1/models", js, `{"name":"m"}`, 400, "task is required"},
		{"duplicate model", "scientist", "POST", "/v1/models", js, `{"name":"lin","task":"regression"}`, 409, ""},
		{"unknown model v1", "clinician", "GET", "/v1/models/nope", "", "", 404, ""},
		{"upload unknown format", "scientist", "POST", "/v1/models/lin/versions", js, `{"format":"onnx","card":{},"artifact":"eA=="}`, 400, `unknown format "onnx"`},
		{"upload bad artifact", "scientist", "POST", "/v1/models/lin/versions", js, `{"format":"linear/v1","card":{},"artifact":"eA=="}`, 400, "linear: artifact is not valid JSON"},
		{"upload empty artifact", "scientist", "POST", "/v1/models/lin/versions", js, `{"format":"linear/v1","card":{}}`, 400, "artifact is empty"},
		{"upload artifact not base64", "scientist", "POST", "/v1/models/lin/versions", js, `{"format":"linear/v1","card":{},"artifact":"%%%"}`, 400, "malformed JSON"},
		{"alias version zero", "scientist", "PUT", "/v1/models/lin/aliases/staging", js, `{"version":0}`, 400, "version must be >= 1"},
		{"alias unknown version", "scientist", "PUT", "/v1/models/lin/aliases/staging", js, `{"version":9}`, 404, ""},
		{"key unknown role", "admin", "POST", "/v1/keys", js, `{"role":"root"}`, 400, `unknown role "root"`},
		{"audit bad since", "auditor", "GET", "/v1/audit?since=yesterday", "", "", 400, `since "yesterday": want an RFC 3339 time`},
		{"audit bad limit", "auditor", "GET", "/v1/audit?limit=0", "", "", 400, `limit "0"`},
		{"audit unknown param", "auditor", "GET", "/v1/audit?user=x", "", "", 400, `unknown query parameter "user"`},
		{"models bad offset", "clinician", "GET", "/v1/models?offset=-1", "", "", 400, `offset "-1"`},
		{"revoke unknown key", "admin", "DELETE", "/v1/keys/key_nope", "", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.do(t, tt.who, tt.method, tt.path, tt.contentType, []byte(tt.body))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			if tt.wantStatus < 400 {
				return
			}
			if msg := errorOf(t, resp, b); !strings.Contains(msg, tt.wantError) {
				t.Errorf("error %q, want containing %q", msg, tt.wantError)
			}
		})
	}
}

func TestPanicIsRecovered(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	// The handler has begun to answer when it panics; the half answer is dropped.
	h := env.srv.wrap(route{Method: "GET", Pattern: "/boom", Roles: anyRole, Audit: true,
		Handler: func(w http.ResponseWriter, _ *http.Request) error {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"risk": `))
			panic("boom")
		}})
	mux := http.NewServeMux()
	mux.Handle("GET /boom", h)
	mux.Handle("/", env.srv.Handler())
	env.handler = mux
	env.url = startServer(t, mux)
	for range 2 { // the server keeps serving after a panic
		resp, b := env.do(t, "admin", "GET", "/boom", "", nil)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", resp.StatusCode)
		}
		if msg := errorOf(t, resp, b); msg != "internal error" {
			t.Errorf("error %q leaks detail, want %q", msg, "internal error")
		}
		if !strings.Contains(env.logs.String(), "request_id="+resp.Header.Get("X-Request-Id")) {
			t.Errorf("panic not logged with its request id")
		}
	}
	if resp, _ := env.do(t, "", "GET", "/v2/health/live", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("live after panic: %d", resp.StatusCode)
	}
	es, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{})
	if err != nil || len(es) != 2 || es[0].Status != 500 {
		t.Errorf("audit after panics: %d events, %v; want 2 with status 500", len(es), err)
	}
}

// leaker is a model whose panic message quotes its input, as a careless
// model might.
type leaker struct{}

func (leaker) Inputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{-1}}}
}
func (leaker) Outputs() []galen.TensorSpec { return nil }
func (leaker) Infer(_ context.Context, in []galen.Tensor) ([]galen.Tensor, error) {
	panic(fmt.Sprintf("cannot score patient %s: x=%v", panicMarker, in[0].Floats))
}

// panicMarker stands for patient data in a panic message.
const panicMarker = "PATIENT-DOE-4711"

// TestPanicLogsNoValue checks that a panic in a handler or in a model is
// logged with its route, the panic value's type and the stack, but not the
// value, which may quote patient data; the caller gets a plain 500.
func TestPanicLogsNoValue(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, map[string]galen.Loader{
		"leak/v1": func(context.Context, *galen.ModelVersion, []byte) (galen.Predictor, error) { return leaker{}, nil }})
	if err := env.models.Seed(context.Background(), []inference.Builtin{{Name: "leaky", Task: "test", Format: "leak/v1", Card: testCard, Artifact: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		panic     any    // what the handler at path panics with; nil: the leaky model panics
		path      string // also the route pattern, for handlers
		wantError string // answered to the caller
		wantLog   string // the log line's message
		wantType  string // the panic value's type, in the log
	}{
		{"handler string", "bad observation for " + panicMarker, "/panic/string", "internal error", "handler panic", "panic_type=string"},
		{"handler error", fmt.Errorf("parse %q: bad", panicMarker), "/panic/error", "internal error", "handler panic", "panic_type=*errors.errorString"},
		{"handler struct", struct{ Patient string }{panicMarker}, "/panic/struct", "internal error", "handler panic", `panic_type="struct { Patient string }"`},
		{"model", nil, "/v2/models/leaky/infer", `model "leaky" version 1 failed`, "request failed", "panic of type string"},
	}
	mux := http.NewServeMux()
	mux.Handle("/", env.srv.Handler())
	for _, tt := range tests {
		if p := tt.panic; p != nil {
			mux.Handle("POST "+tt.path, env.srv.wrap(route{Method: "POST", Pattern: tt.path, Roles: anyRole, Audit: true,
				Handler: func(http.ResponseWriter, *http.Request) error { panic(p) }}))
		}
	}
	env.url = startServer(t, mux)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(env.logs.String())
			resp, b := env.do(t, "admin", "POST", tt.path, "application/json", []byte(`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[37.25]}]}`))
			if resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500: %s", resp.StatusCode, b)
			}
			if msg := errorOf(t, resp, b); msg != tt.wantError {
				t.Errorf("error %q, want %q", msg, tt.wantError)
			}
			logs := env.logs.String()[before:]
			route := "POST " + tt.path
			if tt.panic == nil {
				route = "POST /v2/models/{name}/infer"
			}
			for _, want := range []string{`msg="` + tt.wantLog + `"`, "request_id=" + resp.Header.Get("X-Request-Id"), `route="` + route + `"`, tt.wantType, "goroutine "} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, panicMarker) || strings.Contains(logs, "37.25") {
				t.Errorf("log quotes the panic value:\n%s", logs)
			}
		})
	}
}

// blocker is a model that answers only when released or cancelled; it
// stands in for a slow model so that a full queue can be observed.
type blocker struct{ release chan struct{} }

func (b *blocker) Inputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{-1}}}
}
func (b *blocker) Outputs() []galen.TensorSpec { return nil }
func (b *blocker) Infer(ctx context.Context, _ []galen.Tensor) ([]galen.Tensor, error) {
	select {
	case <-b.release:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestBusyIs429(t *testing.T) {
	b := &blocker{release: make(chan struct{})}
	env := newEnv(t, Config{}, inference.Config{Concurrency: 1, QueueDepth: 1}, map[string]galen.Loader{
		"block/v1": func(context.Context, *galen.ModelVersion, []byte) (galen.Predictor, error) { return b, nil }})
	if err := env.models.Seed(context.Background(), []inference.Builtin{{Name: "slow", Task: "test", Format: "block/v1", Card: testCard, Artifact: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if resp, b := env.do(t, "clinician", "POST", "/v2/models/slow/infer", "application/json", body); resp.StatusCode != 200 {
				t.Errorf("queued request: %d %s", resp.StatusCode, b)
			}
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for env.models.QueueStats()["slow"] != (inference.QueueStat{Running: 1, Waiting: 1}) {
		if time.Now().After(deadline) {
			t.Fatalf("queue never filled: %+v", env.models.QueueStats())
		}
		time.Sleep(time.Millisecond)
	}
	resp, msg := env.do(t, "clinician", "POST", "/v2/models/slow/infer", "application/json", body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("full queue: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	errorOf(t, resp, msg)
	close(b.release)
	wg.Wait()
}

func FuzzInferBody(f *testing.F) {
	env := newEnv(f, Config{MaxBody: 1 << 16}, inference.Config{}, nil)
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4]]}],"outputs":[{"name":"y"}]}`))
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[-1],"datatype":"BOOL","data":[true]}]}`))
	f.Add([]byte(`{"inputs":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, b := env.do(t, "clinician", "POST", "/v2/models/lin/infer", "application/json", body)
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, b)
		}
		if resp.StatusCode != 200 {
			errorOf(t, resp, b)
		}
	})
}

func TestUnmatchedRoutes(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantError          string
		wantAllow          string
	}{
		{"unknown path", "GET", "/v3/nothing", 404, "no route for GET /v3/nothing", ""},
		{"trailing slash", "GET", "/v1/models/lin/versions/1/extra", 404, "no route", ""},
		{"wrong method", "DELETE", "/v2", 405, "method DELETE is not allowed on /v2", "GET, HEAD"},
		{"wrong method infer", "GET", "/v2/models/lin/infer", 405, "allowed: POST", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.do(t, "admin", tt.method, tt.path, "", nil)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			if msg := errorOf(t, resp, b); !strings.Contains(msg, tt.wantError) {
				t.Errorf("error %q, want containing %q", msg, tt.wantError)
			}
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	tests := []struct {
		name, header string
		wantStatus   int
	}{
		{"bearer", "Bearer " + env.keys["admin"], 200},
		{"lower-case scheme", "bearer " + env.keys["admin"], 200},
		{"extra spaces", "Bearer   " + env.keys["admin"] + " ", 200},
		{"basic", "Basic " + env.keys["admin"], 401},
		{"no secret", "Bearer ", 401},
		{"unknown key", "Bearer glk_0000000000000000000000000000", 401},
		{"revoked key", "Bearer " + env.keys["revoked"], 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", env.url+"/v1/models", nil)
			req.Header.Set("Authorization", tt.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// failingAudit is a store whose audit log cannot be written: the failure
// cannot be provoked in a real SQLite store without breaking it for every
// other call too.
type failingAudit struct{ galen.Store }

func (failingAudit) CreateAuditEvent(context.Context, *galen.AuditEvent) error {
	return errors.New("disk full")
}

func TestAuditFailureWithholdsAnswer(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	srv, err := New(Config{}, failingAudit{env.store}, env.models, slog.New(slog.NewTextHandler(env.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	env.url = startServer(t, srv.Handler())
	body := []byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`)
	resp, b := env.do(t, "clinician", "POST", "/v2/models/lin/infer", "application/json", body)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 when the audit log fails: %s", resp.StatusCode, b)
	}
	if msg := errorOf(t, resp, b); strings.Contains(msg, "disk full") || strings.Contains(string(b), "outputs") {
		t.Errorf("answer or internal error leaked: %s", b)
	}
	// Unaudited routes still answer.
	if resp, _ := env.do(t, "", "GET", "/v2/health/ready", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("ready: %d", resp.StatusCode)
	}
}
