// Package probe sends every route of a real Galen server every class of
// malformed input an attacker or a careless client would send (issue 7),
// and checks that no answer is a 5xx and that the server's memory stays
// bounded. Run it with
//
//	go test -v ./bench/probe
//
// It logs one line per input class with the statuses seen and the peak
// heap.
package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/httpapi"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/kg"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/outcome"
	"github.com/galenhealth/galen/sqlite"
)

// maxHeap is the heap the whole probe may reach: well above the server's
// working set (the built-in model and a few bodies of --max-body), far
// below what the unbounded paths of issue 7 took (hundreds of MB).
const maxHeap = 256 << 20

// maxBody is the server's body limit in the probe.
const maxBody = 4 << 20

// class is one kind of malformed input.
type class struct {
	name    string
	body    []byte
	headers map[string]string
	path    func(p string) string // rewrites the path, e.g. a long {name}
	raw     string                // if set, sent as raw bytes after the headers, with this Content-Length (see declared)
	declare int
}

func classes() []class {
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepObj := strings.Repeat(`{"a":`, 50_000) + "1" + strings.Repeat("}", 50_000)
	long := strings.Repeat("n", 60_000)
	manyKeys := `{` + strings.Repeat(`"k":1,`, 20_000) + `"k":1}`
	return []class{
		{name: "empty body", body: nil},
		{name: "not json", body: []byte("hello")},
		{name: "truncated json", body: []byte(`{"inputs":[{"name":"x","shape":[1,`)},
		{name: "array for object", body: []byte(`[1,2,3]`)},
		{name: "wrong types", body: []byte(`{"inputs":"x","name":7,"role":[],"observations":{},"resourceType":5}`)},
		{name: "duplicate keys", body: []byte(`{"name":"a","name":"b","inputs":[],"inputs":[]}`)},
		{name: "many duplicate keys", body: []byte(manyKeys)},
		{name: "huge numbers", body: []byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1e400,-1e400]}],"version":1e400}`)},
		{name: "overflowing values", body: []byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1e308,1e308]}]}`)},
		{name: "deep arrays", body: []byte(deep)},
		{name: "deep objects", body: []byte(deepObj)},
		{name: "invalid utf-8", body: []byte("{\"name\":\"\xff\xfe\",\"task\":\"\xc3\"}")},
		{name: "nul bytes", body: []byte("{\"name\":\"a\x00b\",\"observations\":[{\"parameter\":\"HR\x00\"}]}")},
		{name: "charset utf-16", body: []byte(`{}`), headers: map[string]string{"Content-Type": "application/json; charset=utf-16"}},
		{name: "xml content type", body: []byte(`<a/>`), headers: map[string]string{"Content-Type": "application/xml"}},
		{name: "accept xml", body: []byte(`{}`), headers: map[string]string{"Accept": "application/xml"}},
		{name: "fhir bundle garbage", body: []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","valueQuantity":{"value":"x"}}}]}`),
			headers: map[string]string{"Content-Type": "application/fhir+json"}},
		{name: "body over max-body", body: bytes.Repeat([]byte(" "), maxBody+1)},
		{name: "long name in path", path: func(p string) string { return strings.ReplaceAll(p, "/lin", "/"+long) }},
		{name: "odd name in path", path: func(p string) string { return strings.ReplaceAll(p, "/lin", "/%2e%2e%2f%00ICU") }},
		{name: "unknown query", path: func(p string) string { return p + "?x=" + long }},
		{name: "body shorter than content-length", raw: `{"inputs":`, declare: 100},
		{name: "declared 40 MB, none sent", raw: "", declare: 40 << 20},
	}
}

// server starts a Galen server with the built-in outcome model and a
// linear model "lin" on a SQLite store, and returns its URL and an admin key.
func server(tb testing.TB) (string, string, *bytes.Buffer) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "galen.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	mgr := inference.NewManager(db, map[string]galen.Loader{linear.Format: linear.Load, outcome.Format: outcome.Loader}, inference.Config{})
	lin := []byte(`{"input":"x","output":"y","features":2,"weights":[0.5,1.5],"bias":0,"link":"identity"}`)
	card := galen.ModelCard{Task: "regression", TrainingData: "none", DataLicense: "CC0-1.0"}
	if err := mgr.Seed(ctx, []inference.Builtin{
		{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: lin},
		{Name: "icu-mortality", Task: "outcome", Format: outcome.Format, Card: outcome.BuiltinCard(), Artifact: outcome.BuiltinArtifact()},
	}); err != nil {
		tb.Fatal(err)
	}
	// The knowledge-graph routes probe a small imported graph: an empty one
	// answers 503 on purpose (no "no interactions" from a graph that has none).
	if _, err := kg.ImportDir(ctx, db, filepath.Join("..", "..", "kg", "testdata", "data"), kg.ImportOptions{}); err != nil {
		tb.Fatal(err)
	}
	var logs bytes.Buffer
	srv, err := httpapi.New(httpapi.Config{MaxBody: maxBody, MaxBodyInFlight: 4 * maxBody}, db, mgr, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	k, secret, err := galen.GenerateKey(galen.RoleAdmin, "probe")
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.CreateAPIKey(ctx, k); err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(ts.Close)
	return ts.URL, secret, &logs
}

// routes reads the method and path of every route from /openapi.json,
// with path values filled in.
func routes(tb testing.TB, base, key string) [][2]string {
	tb.Helper()
	req, _ := http.NewRequest("GET", base+"/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		tb.Fatal(err)
	}
	fill := strings.NewReplacer("{name}", "lin", "{version}", "1", "{alias}", "production", "{id}", "key_000000000000")
	var out [][2]string
	for p, ops := range doc.Paths {
		for m := range ops {
			path := fill.Replace(p)
			if m == "delete" {
				// Deleting "lin" would leave the other probes nothing to find.
				path = strings.ReplaceAll(path, "/lin", "/no-such-model")
			}
			out = append(out, [2]string{strings.ToUpper(m), path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][1]+out[i][0] < out[j][1]+out[j][0] })
	return out
}

// send sends one probe and returns its status.
func send(tb testing.TB, base, key, method, path string, c class) int {
	tb.Helper()
	if c.path != nil {
		path = c.path(path)
	}
	if c.declare > 0 {
		u, _ := url.Parse(base)
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: probe\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			method, path, key, c.declare, c.raw)
		if c.raw != "" {
			conn.(*net.TCPConn).CloseWrite()
		}
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufioReader(conn), nil)
		if err != nil {
			tb.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(c.body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestProbe sends every route every class: no answer may be a 5xx (a 503
// only for the in-flight bound, which the probe never reaches), no ERROR
// may be logged, and the heap stays under maxHeap.
func TestProbe(t *testing.T) {
	base, key, logs := server(t)
	rs := routes(t, base, key)
	if len(rs) < 25 {
		t.Fatalf("only %d routes found", len(rs))
	}
	var peak uint64
	var ms runtime.MemStats
	for _, c := range classes() {
		seen := map[int]int{}
		for _, r := range rs {
			st := send(t, base, key, r[0], r[1], c)
			seen[st]++
			if st >= 500 {
				t.Errorf("%s: %s %.80s: %d", c.name, r[0], r[1], st)
			}
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		var sts []int
		for st := range seen {
			sts = append(sts, st)
		}
		slices.Sort(sts)
		var parts []string
		for _, st := range sts {
			parts = append(parts, fmt.Sprintf("%d x%d", st, seen[st]))
		}
		t.Logf("%-34s %s; heap in use %d MiB", c.name, strings.Join(parts, ", "), ms.HeapInuse>>20)
	}
	t.Logf("%d routes x %d classes; peak heap in use %d MiB", len(rs), len(classes()), peak>>20)
	if peak > maxHeap {
		t.Errorf("peak heap %d MiB, over %d MiB", peak>>20, maxHeap>>20)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the server logged errors:\n%.4000s", logs.String())
	}
}
