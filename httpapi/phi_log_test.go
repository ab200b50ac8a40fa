package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/outcome"
	"github.com/galenhealth/galen/sqlite"
)

// The identifiers the log test seeds into every request. Each is long and
// specific enough that it cannot appear in a log line, an audit event or a
// metric by chance (request ids and hashes are hex; latencies have three
// decimals).
var phiValues = []string{
	"Zebulon", "Quarshie-Abernathy", "MRN-44321987", "617-555-0143", "zeb.quarshie@example.com", "123-45-6789",
	"1932-03-14", "42 Wisteria Lane", "Kalamazoo", "HP-77120394", "seen by Dr. Oyelaran",
}

const phiNote = "Patient Zebulon Quarshie-Abernathy (MRN-44321987, SSN 123-45-6789), born 1932-03-14, " +
	"lives at 42 Wisteria Lane, Kalamazoo; phone 617-555-0143, zeb.quarshie@example.com; member HP-77120394; seen by Dr. Oyelaran."

// phiBodies are request bodies carrying PHI in every shape a route may
// receive: plain JSON of several kinds, a FHIR Bundle, a DocumentReference,
// a CDS Hooks call, malformed JSON and a wrong type.
func phiBodies() []struct{ name, contentType, body string } {
	patient := `{"resourceType":"Patient","id":"MRN-44321987","identifier":[{"system":"urn:mrn","value":"MRN-44321987"}],` +
		`"name":[{"family":"Quarshie-Abernathy","given":["Zebulon"]}],"birthDate":"1932-03-14",` +
		`"telecom":[{"system":"phone","value":"617-555-0143"},{"system":"email","value":"zeb.quarshie@example.com"}],` +
		`"address":[{"line":["42 Wisteria Lane"],"city":"Kalamazoo"}]}`
	obs := `{"resourceType":"Observation","id":"HP-77120394","status":"final","code":{"text":"seen by Dr. Oyelaran"},` +
		`"subject":{"reference":"Patient/MRN-44321987"},"effectiveDateTime":"1932-03-14T10:00:00Z","valueQuantity":{"value":1}}`
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + patient + `},{"resource":` + obs + `}]}`
	note, _ := json.Marshal(phiNote)
	docRef := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/MRN-44321987"},` +
		`"content":[{"attachment":{"contentType":"text/plain","data":"` + base64.StdEncoding.EncodeToString([]byte(phiNote)) + `"}}]}`
	return []struct{ name, contentType, body string }{
		{"text", "application/json", `{"text":` + string(note) + `,"patient":"MRN-44321987","mode":"surrogate"}`},
		{"fields", "application/json", `{"name":"Zebulon Quarshie-Abernathy","patient":"MRN-44321987","description":` + string(note) +
			`,"observations":[{"time":"00:00","parameter":"Zebulon","value":1},{"time":"1932-03-14","parameter":"HR","value":"617-555-0143"}],` +
			`"inputs":[{"name":"Quarshie-Abernathy","shape":[1],"datatype":"BYTES","data":[` + string(note) + `]}]}`},
		{"fhir bundle", "application/fhir+json", bundle},
		{"document reference", "application/fhir+json", docRef},
		{"cds hook", "application/json", `{"hook":"patient-view","hookInstance":"MRN-44321987","context":{"patientId":"MRN-44321987","userId":"Practitioner/Oyelaran"},"prefetch":{"patient":` + patient + `,"bundle":` + bundle + `}}`},
		{"malformed", "application/json", `{"text":` + string(note) + `,"patient":"MRN-44321987"`},
		{"wrong type", "application/json", `{"text":["Zebulon Quarshie-Abernathy"],"observations":"MRN-44321987 617-555-0143"}`},
	}
}

// phiPath fills a route pattern's wildcards; every value but a model's name
// and version carries PHI.
func phiPath(pattern string) string {
	r := strings.NewReplacer("{name}", DefaultOutcomeModel, "{version}", "1", "{alias}", "Zebulon", "{id}", "MRN-44321987")
	p := r.Replace(pattern)
	if i := strings.Index(p, "{"); i >= 0 {
		p = p[:i] + url.PathEscape("Quarshie-Abernathy") + p[strings.Index(p, "}")+1:]
	}
	return p
}

// TestNoPatientDataInLogs drives every route of the route table with
// PHI-seeded inputs at every log level, through the answers, the errors
// (bad input, unknown records, a closed store) and a handler panic, then
// searches every log line, every audit event and every metric for the
// seeded values: there must be none. A new route joins by being in the
// route table.
func TestNoPatientDataInLogs(t *testing.T) {
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	routesCovered := 0
	for _, level := range levels {
		t.Run(level.String(), func(t *testing.T) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "galen.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			mgr := inference.NewManager(db, map[string]galen.Loader{outcome.Format: outcome.Loader}, inference.Config{})
			if err := mgr.Seed(ctx, []inference.Builtin{{Name: DefaultOutcomeModel, Task: "outcome", Format: outcome.Format,
				Card: outcome.BuiltinCard(), Artifact: outcome.BuiltinArtifact()}}); err != nil {
				t.Fatal(err)
			}
			logs := &lockedWriter{}
			jsonLogs := &lockedWriter{}
			logger := slog.New(teeHandler{slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level, AddSource: true}),
				slog.NewJSONHandler(jsonLogs, &slog.HandlerOptions{Level: level})})
			srv, err := New(Config{}, db, mgr, logger)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.ConfigureCDS(CDSConfig{}); err != nil {
				t.Fatal(err)
			}
			k, secret, err := galen.GenerateKey(galen.RoleAdmin, "phi-log-test")
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(srv.Handler())
			defer hs.Close()

			// a route that panics with the note in its panic value joins
			// through the same middleware as the table's routes
			panicRoute := route{Method: "POST", Pattern: "/v1/test/panic", Roles: predictRoles, Audit: true,
				Handler: func(w http.ResponseWriter, r *http.Request) error {
					b, _ := requestBody(r)
					panic(fmt.Errorf("cannot read note %s", b))
				}}
			ps := httptest.NewServer(srv.wrap(panicRoute))
			defer ps.Close()

			do := func(base, method, path, ct, body, key string) int {
				req, err := http.NewRequest(method, base+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Accept", "application/json")
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			drive := func(pass string) map[int]int {
				statuses := map[int]int{}
				for _, rt := range srv.routes {
					q := url.Values{}
					for _, name := range rt.Query {
						q.Set(name, "MRN-44321987 Zebulon")
					}
					path := phiPath(rt.Pattern)
					for _, b := range phiBodies() {
						statuses[do(hs.URL, rt.Method, path+"?"+q.Encode(), b.contentType, b.body, secret)]++
						statuses[do(hs.URL, rt.Method, path, b.contentType, b.body, secret)]++
					}
					statuses[do(hs.URL, rt.Method, path, "application/json", phiNote, "")]++ // unauthenticated
				}
				statuses[do(ps.URL, "POST", "/v1/test/panic", "application/json", phiNote, secret)]++
				return statuses
			}
			got := drive("open")
			routesCovered = len(srv.routes)
			if got[http.StatusOK] == 0 || got[http.StatusBadRequest] == 0 || got[http.StatusInternalServerError] == 0 {
				t.Errorf("the pass did not reach answers, bad requests and the panic: statuses %v", got)
			}
			// scrape the metrics before the store goes
			req, _ := http.NewRequest("GET", hs.URL+"/metrics", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, metricsBody := send(t, req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("metrics: %d", resp.StatusCode)
			}
			events, _, err := db.FindAuditEvents(ctx, galen.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) == 0 {
				t.Fatal("no audit events were written")
			}
			audit, _ := json.Marshal(events)
			// errors from below: the store closes, and every route is driven
			// again (503 for audited routes, 500 where a handler needs it)
			db.Close()
			closed := drive("closed store")
			if closed[http.StatusServiceUnavailable]+closed[http.StatusInternalServerError] == 0 {
				t.Errorf("a closed store gave no server errors: %v", closed)
			}
			for name, text := range map[string]string{"log": logs.String(), "json log": jsonLogs.String(), "audit": string(audit), "metrics": string(metricsBody)} {
				if name == "log" && text == "" {
					t.Errorf("no log lines at level %s: the test cannot tell", level)
				}
				low := strings.ToLower(text)
				for _, v := range phiValues {
					if i := strings.Index(low, strings.ToLower(v)); i >= 0 {
						t.Errorf("%s at level %s holds %q: ...%s...", name, level, v, text[max(0, i-120):min(len(text), i+len(v)+40)])
					}
				}
			}
		})
	}
	t.Logf("coverage: %d routes x %d log levels x %d inputs (plus unauthenticated, panic and closed-store passes)", routesCovered, len(levels), 2*len(phiBodies()))
}

// teeHandler sends each record to two handlers.
type teeHandler struct{ a, b slog.Handler }

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.a.Enabled(ctx, l) || h.b.Enabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.a.Enabled(ctx, r.Level) {
		_ = h.a.Handle(ctx, r.Clone())
	}
	if h.b.Enabled(ctx, r.Level) {
		_ = h.b.Handle(ctx, r.Clone())
	}
	return nil
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{h.a.WithAttrs(as), h.b.WithAttrs(as)}
}

func (h teeHandler) WithGroup(n string) slog.Handler {
	return teeHandler{h.a.WithGroup(n), h.b.WithGroup(n)}
}
