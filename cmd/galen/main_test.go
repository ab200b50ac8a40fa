package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/internal/testenv"
	"github.com/galenhealth/galen/linear"
)

// syncBuffer is an output that a running server and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// galen runs one command line with env as the environment.
func galenCmd(tb testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb syncBuffer
	cli := &CLI{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), cli, args)
	return code, out.String(), errb.String()
}

func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	code, secret, stderr := galenCmd(t, nil, "keys", "create", "--data-dir", dir, "--role", "clinician", "--name", "ehr")
	if code != 0 || !strings.HasPrefix(secret, "glk_") {
		t.Fatalf("keys create: %d %q %q", code, secret, stderr)
	}
	id := strings.Fields(strings.TrimPrefix(stderr, "created key "))[0]

	// GALEN_DATA_DIR works like --data-dir.
	env := map[string]string{"GALEN_DATA_DIR": dir}
	code, list, _ := galenCmd(t, env, "keys", "list")
	if code != 0 || !strings.Contains(list, id) || !strings.Contains(list, "clinician") || strings.Contains(list, secret) {
		t.Fatalf("keys list: %d\n%s", code, list)
	}
	if code, _, stderr := galenCmd(t, env, "keys", "revoke", id); code != 0 {
		t.Fatalf("keys revoke: %d %s", code, stderr)
	}
	if _, list, _ = galenCmd(t, env, "keys", "list"); strings.Contains(list, "  -\n") {
		t.Errorf("revoked key still listed as not revoked:\n%s", list)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"bad role", []string{"keys", "create", "--role", "root"}, 2, `--role "root"`},
		{"revoke unknown", []string{"keys", "revoke", "key_nope"}, 1, "not"},
		{"revoke no id", []string{"keys", "revoke"}, 2, "wrong number of arguments"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"keys", "list", "--colour"}, 2, "flag provided but not defined"},
		{"bad store", []string{"keys", "list", "--store", "mysql://x"}, 1, "want empty"},
		{"models without key", []string{"models", "list"}, 2, "an API key is needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := galenCmd(t, env, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d containing %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
	if code, out, _ := galenCmd(t, nil, "help"); code != 0 || !strings.Contains(out, "keys create") || !strings.Contains(out, "serve") {
		t.Errorf("help: %d %s", code, out)
	}
}

// startServe runs `galen serve` until the test ends and returns its URL.
func startServe(tb testing.TB, env map[string]string, args ...string) (url string, stderr *syncBuffer) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	addr := make(chan string, 1)
	cli := &CLI{Stdout: &syncBuffer{}, Stderr: stderr, Getenv: func(k string) string { return env[k] },
		listening: func(a string) { addr <- a }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, cli, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	tb.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			tb.Errorf("serve exited %d: %s", code, stderr)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a, stderr
	case code := <-done:
		tb.Fatalf("serve exited %d before listening: %s", code, stderr)
	case <-time.After(30 * time.Second):
		tb.Fatalf("serve did not listen: %s", stderr)
	}
	return "", nil
}

func TestServeAndModelsCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const adminKey = "test-admin-key-0123456789"
	env := map[string]string{"GALEN_ADMIN_KEY": adminKey, "GALEN_DATA_DIR": dir}
	url, logs := startServe(t, env)
	if !strings.Contains(logs.String(), "galen serving") || strings.Contains(logs.String(), adminKey) {
		t.Errorf("start-up log must show the configuration and never the admin key:\n%s", logs)
	}

	// Train a model here and upload it through the CLI.
	var x [][]float64
	var y []float64
	for i := range 30 {
		a, b := float64(i%6), float64(i/6)
		x, y = append(x, []float64{a, b}), append(y, 0.5*a+b-2)
	}
	m, err := linear.FitLeastSquares(x, y)
	if err != nil {
		t.Fatal(err)
	}
	art, _ := m.Marshal()
	artFile, cardFile := filepath.Join(dir, "model.json"), filepath.Join(dir, "card.json")
	card, _ := json.Marshal(galen.ModelCard{Task: "regression", TrainingData: "grid", DataLicense: "CC0-1.0", IntendedUse: "tests", Limitations: "toy"})
	if err := os.WriteFile(artFile, art, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cardFile, card, 0o600); err != nil {
		t.Fatal(err)
	}
	cenv := map[string]string{"GALEN_SERVER": url, "GALEN_KEY": adminKey}
	for i := range 2 {
		code, out, stderr := galenCmd(t, cenv, "models", "upload", "--format", linear.Format, "--artifact", artFile, "--card", cardFile, "--task", "regression", "toy")
		if code != 0 || !strings.HasPrefix(out, "toy version "+string(rune('1'+i))) {
			t.Fatalf("upload %d: %d %q %q", i+1, code, out, stderr)
		}
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"models", "list"}, "toy"},
		{[]string{"models", "alias", "toy", "production", "1"}, "toy production -> version 1"},
		{[]string{"models", "alias", "toy", "production", "2"}, "toy production -> version 2"},
		{[]string{"models", "alias", "--rollback", "toy", "production"}, "toy production -> version 1"},
		{[]string{"models", "show", "toy"}, `"data_license": "CC0-1.0"`},
	}
	for _, s := range steps {
		code, out, stderr := galenCmd(t, cenv, s.args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Fatalf("%v: exit %d, out %q, stderr %q; want %q", s.args, code, out, stderr, s.want)
		}
	}
	if code, _, stderr := galenCmd(t, cenv, "models", "show", "nope"); code != 1 || !strings.Contains(stderr, "nope") {
		t.Errorf("show unknown: %d %q", code, stderr)
	}

	// The served model answers with the trained model's prediction.
	cl, _ := api.NewClient(url, adminKey)
	in, _ := api.NewInferTensor(galen.Tensor{Name: "x", Datatype: "FP64", Shape: []int64{1, 2}, Floats: []float64{4, 1}})
	resp, err := cl.Infer(ctx, "toy", "", &api.InferenceRequest{Inputs: []api.InferTensor{in}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := resp.Outputs[0].Decode()
	if want := m.Predict([]float64{4, 1}); resp.ModelVersion != "1" || out.Floats[0] != want {
		t.Errorf("infer: version %s, %v; want version 1, %g", resp.ModelVersion, out.Floats, want)
	}
}

func TestServeGeneratesAdminKeyOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"GALEN_DATA_DIR": dir}
	url, logs := startServe(t, env)
	if !strings.Contains(logs.String(), "shown only this once") {
		t.Fatalf("no generated admin key on first start:\n%s", logs)
	}
	var key string
	for _, f := range strings.Fields(logs.String()) {
		if strings.HasPrefix(f, "glk_") {
			key = f
		}
	}
	cl, _ := api.NewClient(url, key)
	if _, err := cl.ListModels(context.Background()); err != nil {
		t.Fatalf("generated key does not work: %v", err)
	}
	anon, _ := api.NewClient(url, "")
	if _, err := anon.ListModels(context.Background()); galen.ErrorCode(err) != galen.EUNAUTHORIZED {
		t.Errorf("anonymous list: %v, want EUNAUTHORIZED", err)
	}
}

func TestServeConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"bad env size", map[string]string{"GALEN_MAX_BODY": "lots"}, nil, "GALEN_MAX_BODY"},
		{"bad env duration", map[string]string{"GALEN_INFER_TIMEOUT": "soon"}, nil, "GALEN_INFER_TIMEOUT"},
		{"env count with a size suffix", map[string]string{"GALEN_QUEUE_DEPTH": "1KiB"}, nil, `GALEN_QUEUE_DEPTH: "1KiB" is not an integer`},
		{"bad flag duration", nil, []string{"--infer-timeout", "soon"}, `"soon" is not a duration`},
		{"bad flag size", nil, []string{"--max-body", "-1"}, "max-body"},
		{"bad log level", nil, []string{"--log-level", "loud"}, `log level "loud"`},
		{"extra argument", nil, []string{"now"}, "wrong number of arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)
			code, _, stderr := galenCmd(t, tt.env, args...)
			if code != 2 || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 2 containing %q", code, stderr, tt.wantErr)
			}
		})
	}
	// A short GALEN_ADMIN_KEY is refused, not silently accepted.
	code, _, stderr := galenCmd(t, map[string]string{"GALEN_ADMIN_KEY": "short"}, "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "at least 16 characters") {
		t.Errorf("short admin key: exit %d, %q", code, stderr)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"32MiB", 32 << 20, true}, {"4KiB", 4096, true}, {"1GiB", 1 << 30, true},
		{"", 0, false}, {"-1", 0, false}, {"1.5MiB", 0, false}, {"9999999GiB", 0, false}, {"MiB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

// TestKeysOnPostgres runs the keys commands against PostgreSQL when
// GALEN_TEST_POSTGRES names one, through --store.
func TestKeysOnPostgres(t *testing.T) {
	pg := os.Getenv("GALEN_TEST_POSTGRES")
	if pg == "" {
		testenv.Missing(t, "GALEN_TEST_POSTGRES is not set")
	}
	code, secret, stderr := galenCmd(t, nil, "keys", "create", "--store", pg, "--role", "auditor", "--name", "cli-test")
	if code != 0 || !strings.HasPrefix(secret, "glk_") {
		t.Fatalf("keys create: %d %q", code, stderr)
	}
	id := strings.Fields(strings.TrimPrefix(stderr, "created key "))[0]
	if code, list, _ := galenCmd(t, map[string]string{"GALEN_STORE": pg}, "keys", "list"); code != 0 || !strings.Contains(list, id) {
		t.Fatalf("keys list on postgres: %d\n%s", code, list)
	}
	if code, _, stderr := galenCmd(t, nil, "keys", "revoke", "--store", pg, id); code != 0 {
		t.Fatalf("keys revoke: %s", stderr)
	}
}

// TestServeOnPostgres serves from PostgreSQL when GALEN_TEST_POSTGRES names
// one: readiness, a key made with the CLI, and an audited request.
func TestServeOnPostgres(t *testing.T) {
	pg := os.Getenv("GALEN_TEST_POSTGRES")
	if pg == "" {
		testenv.Missing(t, "GALEN_TEST_POSTGRES is not set")
	}
	code, secret, stderr := galenCmd(t, nil, "keys", "create", "--store", pg, "--role", "admin", "--name", "serve-test")
	if code != 0 {
		t.Fatalf("keys create: %s", stderr)
	}
	secret = strings.TrimSpace(secret)
	url, _ := startServe(t, map[string]string{"GALEN_STORE": pg})
	cl, _ := api.NewClient(url, secret)
	ctx := context.Background()
	if err := cl.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ListModels(ctx); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Minute)
	al, err := cl.Audit(ctx, api.AuditQuery{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range al.Events {
		found = found || (e.Route == "/v1/models" && e.Status == 200)
	}
	if !found {
		t.Errorf("no audit event for GET /v1/models among %d", len(al.Events))
	}
	id := strings.Fields(strings.TrimPrefix(stderr, "created key "))[0]
	// The last active admin key cannot be revoked (issue 7; storetest's
	// LastAdminKey): make sure another one exists first.
	if code, _, stderr := galenCmd(t, nil, "keys", "create", "--store", pg, "--role", "admin", "--name", "spare"); code != 0 {
		t.Fatalf("keys create: %s", stderr)
	}
	if code, _, stderr := galenCmd(t, nil, "keys", "revoke", "--store", pg, id); code != 0 {
		t.Fatalf("keys revoke: %s", stderr)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"32MiB", "1048576", "0", "-1", "1GiB", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && (n < 0 || n > 1<<40) {
			t.Fatalf("parseSize(%q) = %d, outside [0, 1 TiB]", s, n)
		}
	})
}
