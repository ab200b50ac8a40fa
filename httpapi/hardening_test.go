package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
)

// This file pins issue 7 (hardening) at the HTTP layer, one test per item.

// request sends method path with body, the key of who, and headers.
func (e *testEnv) request(tb testing.TB, who, method, path string, body []byte, headers ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[who])
	}
	return send(tb, req)
}

// TestAuditedFieldsBounded pins item 2: names a caller chooses (a path
// value, a model name in a body) never reach the audit log unless they are
// valid model names, and an audit page stays small.
func TestAuditedFieldsBounded(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	long := strings.Repeat("a", 100_000)
	body, _ := json.Marshal(api.CreateModelRequest{Name: strings.Repeat("b", 5<<20), Task: "regression"})
	tests := []struct {
		name, who, method, path string
		body                    []byte
		status                  int
	}{
		{"no key, long path", "", "GET", "/v1/models/" + long, nil, http.StatusUnauthorized},
		{"auditor beyond role, long path", "auditor", "DELETE", "/v1/models/" + long, nil, http.StatusForbidden},
		{"scientist, 5 MiB name in body", "scientist", "POST", "/v1/models", body, http.StatusBadRequest},
		{"upper-case name", "scientist", "GET", "/v1/models/ICU", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.request(t, tt.who, tt.method, tt.path, tt.body, "Content-Type", "application/json")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.status)
			}
			if len(b) > 4096 {
				t.Errorf("answer of %d bytes quotes the input", len(b))
			}
		})
	}
	resp, b := env.request(t, "admin", "GET", "/v1/audit?limit=1000", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("audit: %d %s", resp.StatusCode, b)
	}
	var list api.AuditList
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	invalid := 0
	for _, e := range list.Events {
		if eb, _ := json.Marshal(e); len(eb) > galen.MaxAuditEventBytes {
			t.Errorf("event of %d bytes", len(eb))
		}
		if e.Model == galen.AuditInvalidModel {
			invalid++
		} else if e.Model != "" && e.Model != "lin" {
			t.Errorf("event model %.40q, want a valid name or %q", e.Model, galen.AuditInvalidModel)
		}
	}
	if invalid != 4 {
		t.Errorf("%d events with model %q, want 4", invalid, galen.AuditInvalidModel)
	}
	if len(b) > 16<<10 {
		t.Errorf("audit page of %d bytes for %d events", len(b), len(list.Events))
	}
}

// uploadLinear registers a model with one linear/v1 version through the API.
func uploadLinear(tb testing.TB, env *testEnv, name string, weights []float64) {
	tb.Helper()
	m := linear.Model{Input: "x", Output: "y", Features: len(weights), Weights: weights, Link: linear.LinkIdentity}
	art, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := json.Marshal(api.CreateModelRequest{Name: name, Task: "regression"})
	if resp, b := env.request(tb, "scientist", "POST", "/v1/models", body, "Content-Type", "application/json"); resp.StatusCode != http.StatusCreated {
		tb.Fatalf("create model: %d %s", resp.StatusCode, b)
	}
	body, _ = json.Marshal(api.UploadVersionRequest{Format: linear.Format, Artifact: art, Card: testCard})
	if resp, b := env.request(tb, "scientist", "POST", "/v1/models/"+name+"/versions", body, "Content-Type", "application/json"); resp.StatusCode != http.StatusCreated {
		tb.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
}

// TestNonFiniteOutputIs422 pins item 3: the reported overflow, and a NaN,
// are 422 naming the output, never 500.
func TestNonFiniteOutputIs422(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	uploadLinear(t, env, "over", []float64{0.5, 1.5})
	uploadLinear(t, env, "nan", []float64{1e308, -1e308})
	tests := []struct {
		name, model, data string
		status            int
	}{
		{"reported overflow", "over", "[1e308,1e308]", http.StatusUnprocessableEntity},
		{"nan", "nan", "[10,10]", http.StatusUnprocessableEntity},
		{"finite", "over", "[1,2]", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":` + tt.data + `}]}`
			resp, b := env.request(t, "clinician", "POST", "/v2/models/"+tt.model+"/infer", []byte(body), "Content-Type", "application/json")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.status)
			}
			if tt.status != http.StatusOK && !strings.Contains(errorOf(t, resp, b), `output "y"`) {
				t.Errorf("error %s does not name the output", b)
			}
		})
	}
	if strings.Contains(env.logs.String(), "level=ERROR") {
		t.Errorf("an ERROR was logged:\n%s", env.logs.String())
	}
}

// TestLoaderLimitOnUpload pins item 1 at the API: the reported artifact
// (outcome's is in outcome's tests; here linear/v1 with 100000000
// features) is refused with 400 naming the field, and nothing is stored.
func TestLoaderLimitOnUpload(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	art := []byte(`{"input":"x","output":"y","features":100000000,"weights":[],"bias":0,"link":"identity"}`)
	body, _ := json.Marshal(api.UploadVersionRequest{Format: linear.Format, Artifact: art, Card: testCard})
	resp, b := env.request(t, "scientist", "POST", "/v1/models/lin/versions", body, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorOf(t, resp, b), "features is 100000000") {
		t.Fatalf("upload: %d %s, want 400 naming features", resp.StatusCode, b)
	}
	if vs, err := env.store.FindModelVersions(context.Background(), "lin"); err != nil || len(vs) != 1 {
		t.Errorf("versions after the refusal: %d, %v; want 1", len(vs), err)
	}
}

// TestAliasNeverUnloadable pins item 1: an alias cannot be pointed at a
// version the server cannot load (one stored before the Loader checked
// limits, here stored directly): 409 naming the field, and the alias stays.
func TestAliasNeverUnloadable(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	ctx := context.Background()
	art := []byte(`{"input":"x","output":"y","features":100000000,"weights":[],"bias":0,"link":"identity"}`)
	if err := env.store.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "lin", Format: linear.Format, Card: testCard}, art); err != nil {
		t.Fatal(err)
	}
	resp, b := env.request(t, "scientist", "PUT", "/v1/models/lin/aliases/production", []byte(`{"version":2}`), "Content-Type", "application/json")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(errorOf(t, resp, b), "features is 100000000") {
		t.Fatalf("alias to the unloadable version: %d %s, want 409 naming the field", resp.StatusCode, b)
	}
	if resp, b := env.request(t, "scientist", "PUT", "/v1/models/lin/aliases/production", []byte(`{"version":1}`), "Content-Type", "application/json"); resp.StatusCode != http.StatusOK {
		t.Fatalf("alias to the good version: %d %s", resp.StatusCode, b)
	}
	// The alias, refused the move, still serves version 1.
	resp, b = env.request(t, "clinician", "POST", "/v2/models/lin/infer",
		[]byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`), "Content-Type", "application/json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"model_version":"1"`) {
		t.Fatalf("infer: %d %s, want version 1", resp.StatusCode, b)
	}
}

// rawPost sends a POST with headers and only part of the body its
// Content-Length declares, half-closes, and returns the status line.
func rawPost(tb testing.TB, base, path, key string, declared int, sent string) string {
	tb.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		path, u.Host, key, declared, sent)
	c.(*net.TCPConn).CloseWrite()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		tb.Fatalf("%s: no answer: %v", path, err)
	}
	return strings.TrimSpace(line)
}

// TestShortBodyIs400 pins item 4: on every POST route, a body shorter
// than its Content-Length is 400, logs no error and audits no 500.
func TestShortBodyIs400(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	for _, rt := range env.srv.routes {
		if rt.Method != "POST" {
			continue
		}
		path := strings.NewReplacer("{name}", "lin", "{version}", "1", "{alias}", "production").Replace(rt.Pattern)
		t.Run(rt.Pattern, func(t *testing.T) {
			if got := rawPost(t, env.url, path, env.keys["admin"], 100, `{"inputs":`); got != "HTTP/1.1 400 Bad Request" {
				t.Errorf("status line %q, want 400", got)
			}
		})
	}
	if strings.Contains(env.logs.String(), "level=ERROR") {
		t.Errorf("an ERROR was logged:\n%s", env.logs.String())
	}
	es, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Status >= 500 {
			t.Errorf("audit event %+v", e)
		}
	}
}

// TestBodiesInFlight pins item 6: a declared body over --max-body is 413
// before it is read, and bodies beyond the server-wide in-flight bound are
// 503 with Retry-After, until the bytes are released.
func TestBodiesInFlight(t *testing.T) {
	env := newEnv(t, Config{MaxBody: 1 << 20, MaxBodyInFlight: 2 << 20}, inference.Config{}, nil)
	u, _ := url.Parse(env.url)
	// Two slow uploads of 1 MiB hold the whole bound.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v2/models/lin/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{",
			env.keys["clinician"], 1<<20)
		held = append(held, c)
	}
	body := []byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`)
	// Until both uploads are admitted: a loaded machine (CI under -race)
	// may take seconds to run their handlers.
	deadline := time.Now().Add(60 * time.Second)
	for env.srv.bodies.used.Load() < 2<<20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if used := env.srv.bodies.used.Load(); used != 2<<20 {
		t.Fatalf("the two slow uploads hold %d bytes of the bound, want %d", used, 2<<20)
	}
	resp, b := env.request(t, "clinician", "POST", "/v2/models/lin/infer", body, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("with the bound held: %d %s (Retry-After %q), want 503 with Retry-After", resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	for _, c := range held {
		c.Close()
	}
	for time.Now().Before(deadline) {
		resp, b = env.request(t, "clinician", "POST", "/v2/models/lin/infer", body, "Content-Type", "application/json")
		if resp.StatusCode == http.StatusOK {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the uploads ended: %d %s, want 200", resp.StatusCode, b)
	}

	t.Run("declared over max-body", func(t *testing.T) {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Headers only: the answer must come without the 40 MB.
		fmt.Fprintf(c, "POST /v2/models/lin/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			env.keys["clinician"], 40<<20)
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 413") {
			t.Fatalf("status line %q, %v; want 413 before the body", line, err)
		}
	})
}

// TestDuplicateKeysRejected pins item 8: every decoder refuses a body
// with a key twice in one object.
func TestDuplicateKeysRejected(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	tests := []struct {
		name, path, body string
	}{
		{"oip infer", "/v2/models/lin/infer", `{"inputs":[{"name":"x","name":"y","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`},
		{"oip top level", "/v2/models/lin/infer", `{"inputs":[],"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`},
		{"create key", "/v1/keys", `{"role":"auditor","role":"admin"}`},
		{"create model", "/v1/models", `{"name":"a","name":"b","task":"x"}`},
		{"escaped duplicate", "/v1/models", `{"name":"a","n\u0061me":"b","task":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.request(t, "admin", "POST", tt.path, []byte(tt.body), "Content-Type", "application/json")
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorOf(t, resp, b), "appears twice") {
				t.Fatalf("status %d %s, want 400 naming the duplicate key", resp.StatusCode, b)
			}
		})
	}
	t.Run("outcome plain and fhir", func(t *testing.T) {
		oenv := newOutcomeEnv(t)
		for _, tt := range []struct{ ct, body string }{
			{"application/json", `{"observations":[{"time":"00:07","parameter":"HR","parameter":"GCS","value":73}]}`},
			{"application/fhir+json", `{"resourceType":"Bundle","type":"collection","type":"batch","entry":[]}`},
		} {
			resp, b := oenv.post(t, galen.RoleClinician, "/v1/outcome/predict", tt.ct, "", []byte(tt.body))
			if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("appears twice")) {
				t.Errorf("%s: status %d %s, want 400 naming the duplicate key", tt.ct, resp.StatusCode, b)
			}
		}
	})
}

// TestCharsetAndAccept pins item 8: a charset other than UTF-8 is 415, an
// Accept that cannot be met is 406, and what can be met is answered.
func TestCharsetAndAccept(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	infer := []byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`)
	tests := []struct {
		name, method, path string
		body               []byte
		headers            []string
		status             int
	}{
		{"utf-16", "POST", "/v2/models/lin/infer", infer, []string{"Content-Type", "application/json; charset=utf-16"}, http.StatusUnsupportedMediaType},
		{"latin-1", "POST", "/v1/keys", []byte(`{"role":"auditor"}`), []string{"Content-Type", "application/json; charset=ISO-8859-1"}, http.StatusUnsupportedMediaType},
		{"UTF-8 named", "POST", "/v2/models/lin/infer", infer, []string{"Content-Type", "application/json; charset=UTF-8"}, http.StatusOK},
		{"xml", "GET", "/v1/models", nil, []string{"Accept", "application/xml"}, http.StatusNotAcceptable},
		{"json refused by q=0", "GET", "/v1/models", nil, []string{"Accept", "application/json;q=0, text/html"}, http.StatusNotAcceptable},
		{"json", "GET", "/v1/models", nil, []string{"Accept", "application/json"}, http.StatusOK},
		{"any", "GET", "/v1/models", nil, []string{"Accept", "*/*"}, http.StatusOK},
		{"application/*", "GET", "/v1/models", nil, []string{"Accept", "application/*;q=0.5, text/html"}, http.StatusOK},
		{"browser", "GET", "/v1/models", nil, []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, http.StatusOK},
		{"metrics as text", "GET", "/metrics", nil, []string{"Accept", "text/plain"}, http.StatusOK},
		{"metrics as xml", "GET", "/metrics", nil, []string{"Accept", "application/xml"}, http.StatusNotAcceptable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.request(t, "admin", tt.method, tt.path, tt.body, tt.headers...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, tt.status)
			}
		})
	}
}

// TestNoStoreOnRiskAnswers pins item 8: answers that carry patient risk
// (and every answer behind a key) say Cache-Control: no-store.
func TestNoStoreOnRiskAnswers(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	resp, b := env.request(t, "clinician", "POST", "/v2/models/lin/infer",
		[]byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`), "Content-Type", "application/json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("infer: %d, Cache-Control %q; want 200 and no-store (%s)", resp.StatusCode, resp.Header.Get("Cache-Control"), b)
	}
	oenv := newOutcomeEnv(t)
	resp, b = oenv.post(t, galen.RoleClinician, "/v1/outcome/predict", "application/json", "",
		[]byte(`{"observations":[{"time":"00:07","parameter":"HR","value":73}],"descriptors":{"Age":54}}`))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("outcome: %d, Cache-Control %q; want 200 and no-store (%s)", resp.StatusCode, resp.Header.Get("Cache-Control"), b)
	}
}

// TestLastAdminKeyCannotRevokeItself pins item 7 at the API: 409, and 204
// once another admin key exists.
func TestLastAdminKeyCannotRevokeItself(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	resp, b := env.request(t, "admin", "DELETE", "/v1/keys/"+env.keyIDs["admin"], nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("revoking the last admin key: %d %s, want 409", resp.StatusCode, b)
	}
	resp, b = env.request(t, "admin", "POST", "/v1/keys", []byte(`{"role":"admin","name":"second"}`), "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	if resp, b = env.request(t, "admin", "DELETE", "/v1/keys/"+env.keyIDs["admin"], nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoking with a second admin key: %d %s, want 204", resp.StatusCode, b)
	}
}

// TestKeyListAndChosenKeys pins item 8: the key list shows ids, never a
// secret's characters, and a chosen admin key is stored under argon2id
// (not its SHA-256) and still authenticates.
func TestKeyListAndChosenKeys(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	const chosen = "my-own-admin-key-2026"
	k, err := galen.ImportKey(chosen, galen.RoleAdmin, "chosen")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.store.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if k.Hash == galen.HashKey(chosen) || !strings.HasPrefix(k.KDF, "argon2id$") {
		t.Errorf("chosen key stored under hash %s, KDF %q; want argon2id", k.Hash, k.KDF)
	}
	env.keys["chosen"] = chosen
	env.keys["near miss"] = chosen + "x"
	resp, b := env.request(t, "chosen", "GET", "/v1/keys", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list with the chosen key: %d %s", resp.StatusCode, b)
	}
	for who, secret := range env.keys {
		// The old listing showed secret[:8]; no 6 characters of a secret
		// past the fixed "glk_" may show.
		for i := len(galen.KeyPrefix); i+6 <= len(secret) && who != "near miss"; i++ {
			if bytes.Contains(b, []byte(secret[i:i+6])) {
				t.Fatalf("the key list shows characters of %s's secret: %s", who, b)
			}
		}
		if who == "chosen" && bytes.Contains(b, []byte(secret[:6])) {
			t.Fatalf("the key list shows the chosen secret's first characters: %s", b)
		}
	}
	var list api.KeyList
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	for _, k := range list.Keys {
		if k.ID == "" || (k.Prefix != galen.KeyPrefix && k.Prefix != galen.ChosenKeyPrefix) {
			t.Errorf("listed key %+v: want an id and prefix %q or %q", k, galen.KeyPrefix, galen.ChosenKeyPrefix)
		}
	}
	if resp, _ := env.request(t, "near miss", "GET", "/v1/keys", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong chosen key: %d, want 401", resp.StatusCode)
	}
	// Cached and uncached (after the TTL) lookups agree.
	for range 2 {
		if resp, _ := env.request(t, "chosen", "GET", "/v1/models", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("chosen key again: %d", resp.StatusCode)
		}
	}
}
