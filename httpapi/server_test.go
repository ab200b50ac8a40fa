package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/sqlite"
)

// testEnv is a Server on a real SQLite store in a temp dir, with one key per
// role, one revoked key, and a trained linear model "lin" seeded.
type testEnv struct {
	srv     *Server
	store   galen.Store
	models  *inference.Manager
	url     string
	keys    map[string]string // "admin", "clinician", "scientist", "auditor", "revoked" -> secret
	keyIDs  map[string]string
	logs    *lockedWriter
	handler http.Handler
}

var testCard = galen.ModelCard{Task: "regression", TrainingData: "synthetic points", DataLicense: "CC0-1.0",
	IntendedUse: "tests only", Limitations: "not a clinical model"}

// trainedLinear fits y = 2*x0 - x1 + 1 by least squares on a small grid.
func trainedLinear(tb testing.TB) []byte {
	tb.Helper()
	var x [][]float64
	var y []float64
	for i := range 25 {
		a, b := float64(i%5), float64(i/5)
		x = append(x, []float64{a, b})
		y = append(y, 2*a-b+1)
	}
	m, err := linear.FitLeastSquares(x, y)
	if err != nil {
		tb.Fatal(err)
	}
	art, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return art
}

func newEnv(tb testing.TB, cfg Config, icfg inference.Config, extra map[string]galen.Loader) *testEnv {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "galen.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	loaders := map[string]galen.Loader{linear.Format: linear.Load}
	for k, v := range extra {
		loaders[k] = v
	}
	mgr := inference.NewManager(db, loaders, icfg)
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: "lin", Task: "regression", Format: linear.Format, Card: testCard, Artifact: trainedLinear(tb)}}); err != nil {
		tb.Fatal(err)
	}
	logs := &lockedWriter{}
	srv, err := New(cfg, db, mgr, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	env := &testEnv{srv: srv, store: db, models: mgr, keys: map[string]string{}, keyIDs: map[string]string{}, logs: logs, handler: srv.Handler()}
	for _, who := range []string{"admin", "clinician", "scientist", "auditor", "revoked"} {
		role := galen.Role(who)
		if who == "revoked" {
			role = galen.RoleAdmin
		}
		k, secret, err := galen.GenerateKey(role, who)
		if err != nil {
			tb.Fatal(err)
		}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			tb.Fatal(err)
		}
		env.keys[who], env.keyIDs[who] = secret, k.ID
	}
	if err := db.RevokeAPIKey(ctx, env.keyIDs["revoked"]); err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(ts.Close)
	env.url = ts.URL
	return env
}

// do sends one request to the env's server and returns the response with its body read.
func (e *testEnv) do(tb testing.TB, who, method, path, contentType string, body []byte) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[who])
	}
	return send(tb, req)
}

// send does req with the default client and returns the response with its
// whole body.
func send(tb testing.TB, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, b
}

// errorOf returns the "error" field of a JSON error body, failing if there is none.
func errorOf(tb testing.TB, resp *http.Response, body []byte) string {
	tb.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("error Content-Type %q, want application/json (body %q)", ct, body)
	}
	var e struct{ Error string }
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		tb.Fatalf("error body %q is not {\"error\": ...}", body)
	}
	return e.Error
}

func TestErrorStatusRoundTrip(t *testing.T) {
	for _, code := range []string{galen.EINVALID, galen.EUNAUTHORIZED, galen.EFORBIDDEN, galen.ENOTFOUND, galen.ECONFLICT,
		galen.EPRECONDITION, galen.ETOOLARGE, galen.EUNSUPPORTED, galen.ENOTACCEPTABLE, galen.EUNPROCESSABLE, galen.EBUSY, galen.EUNAVAILABLE, galen.EINTERNAL} {
		t.Run(code, func(t *testing.T) {
			st := api.StatusForCode(code)
			if st < 400 {
				t.Fatalf("status %d for %q", st, code)
			}
			if got := api.CodeForStatus(st); got != code {
				t.Errorf("api.CodeForStatus(%d) = %q, want %q", st, got, code)
			}
		})
	}
}

// lockedWriter is a log sink that concurrent handlers may share.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
