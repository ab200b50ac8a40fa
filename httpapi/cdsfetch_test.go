package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
)

// fhirTestServer is a FHIR server on 127.0.0.1 that serves one stay as
// Patient/p1 and an Observation search in pages of pageSize, for requests
// with the right bearer token. Its base URLs behave differently:
// /r4 well, /slow never answers, /broken answers 500, /redirect answers
// 302, /bad sends an invalid Bundle, /escape a next link to another host,
// /rel relative next links ("Observation?..."), /dots next links that climb
// out of the base with encoded dot segments.
type fhirTestServer struct {
	*httptest.Server
	token    string
	patient  fhir.Resource
	obs      []fhir.BundleEntry
	pageSize int

	mu       sync.Mutex
	requests []*http.Request
}

func newFHIRTestServer(tb testing.TB, bundle *fhir.Bundle, token string) *fhirTestServer {
	tb.Helper()
	fs := &fhirTestServer{token: token, patient: bundle.Entry[0].Resource, obs: bundle.Entry[1:], pageSize: 100}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	tb.Cleanup(fs.Close)
	return fs
}

func (fs *fhirTestServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.requests = append(fs.requests, r)
	fs.mu.Unlock()
	base, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/fhir+json")
	if r.Header.Get("Authorization") != "Bearer "+fs.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]}`))
		return
	}
	switch base {
	case "slow":
		<-r.Context().Done()
		return
	case "broken":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "redirect":
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		return
	case "bad":
		_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation"}}]}`))
		return
	}
	switch {
	case rest == "Patient/p1":
		_ = json.NewEncoder(w).Encode(fs.patient)
	case strings.HasPrefix(rest, "Patient/"):
		w.WriteHeader(http.StatusNotFound)
	case rest == "Observation":
		q := r.URL.Query()
		if q.Get("patient") != "p1" {
			_ = json.NewEncoder(w).Encode(&fhir.Bundle{Type: "searchset"})
			return
		}
		page, _ := strconv.Atoi(q.Get("_page"))
		lo, hi := page*fs.pageSize, min((page+1)*fs.pageSize, len(fs.obs))
		total := int64(len(fs.obs))
		type link struct {
			Relation string `json:"relation"`
			URL      string `json:"url"`
		}
		var links []link
		if hi < len(fs.obs) {
			next := "http://" + r.Host + "/" + base + "/Observation?patient=p1&_page=" + strconv.Itoa(page+1)
			if base == "escape" {
				next = "http://127.0.0.2:1/Observation?patient=p1&_page=1"
			}
			if base == "rel" {
				next = "Observation?patient=p1&_page=" + strconv.Itoa(page+1)
			}
			if base == "dots" {
				next = "/dots/%2e%2e/r4/Observation?patient=p1&_page=" + strconv.Itoa(page+1)
			}
			links = append(links, link{"next", next})
		}
		b := mustJSONAny(&fhir.Bundle{Type: "searchset", Total: &total, Entry: fs.obs[lo:hi]})
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if links != nil {
			m["link"] = links
		}
		_ = json.NewEncoder(w).Encode(m)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func mustJSONAny(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// fetchRequest is a patient-view request for p1 with no prefetch, naming
// fhirServer, with fhirAuthorization when token is not empty.
func fetchRequest(tb testing.TB, fhirServer, token string) []byte {
	tb.Helper()
	req := map[string]any{
		"hook":         "patient-view",
		"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"context":      map[string]any{"userId": "Practitioner/example", "patientId": "p1"},
		"fhirServer":   fhirServer,
	}
	if token != "" {
		req["fhirAuthorization"] = map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 300,
			"scope": "patient/Patient.read patient/Observation.read", "subject": "galen"}
	}
	return mustJSON(tb, req)
}

func TestCDSFetchFromFHIRServer(t *testing.T) {
	stay := realStay(t)
	full := icustay.BundleFromStay(stay, mustTime(t, "2012-05-01T08:00:00Z"))
	const token = "fhir-access-token-5f0c2a"
	fs := newFHIRTestServer(t, full, token)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	var allow []string
	for _, b := range []string{"r4", "slow", "broken", "redirect", "bad", "escape", "rel", "dots"} {
		allow = append(allow, fs.URL+"/"+b)
	}
	allow = append(allow, closed.URL+"/r4")
	// 3 s leaves room for a loaded machine; the timeout case waits it out.
	env, _, logs := newCDSEnv(t, CDSConfig{FHIRAllow: allow, FetchTimeout: 3 * time.Second})
	const path = "/cds-services/icu-mortality-risk"

	// The same stay sent as prefetch gives the reference card.
	resp, b := env.post(t, galen.RoleClinician, path, "application/json", "", hookRequest(t,
		map[string]any{"patient": full.Entry[0].Resource, "observations": &fhir.Bundle{Type: "searchset", Entry: full.Entry[1:]}}, ""))
	if resp.StatusCode != 200 {
		t.Fatalf("prefetched: status %d: %s", resp.StatusCode, b)
	}
	var ref cdshooks.Response
	if err := json.Unmarshal(b, &ref); err != nil || len(ref.Cards) != 1 {
		t.Fatalf("prefetched: %v %s", err, b)
	}
	if len(full.Entry)-1 <= fs.pageSize {
		t.Fatalf("the stay has %d observations; the test wants more than one page of %d", len(full.Entry)-1, fs.pageSize)
	}

	tests := []struct {
		name    string
		body    []byte
		want    int
		wantMsg string
	}{
		{"fetched in pages", fetchRequest(t, fs.URL+"/r4", token), 200, ""},
		{"fetched, trailing slash on fhirServer", fetchRequest(t, fs.URL+"/r4/", token), 200, ""},
		{"fetched, relative next links", fetchRequest(t, fs.URL+"/rel", token), 200, ""},
		{"not on the allowlist", fetchRequest(t, fs.URL+"/other", token), 412, "not on this server's allowlist"},
		{"allowlisted base is not a prefix", fetchRequest(t, fs.URL+"/r4/sub", token), 412, "not on this server's allowlist"},
		{"no fhirAuthorization", fetchRequest(t, fs.URL+"/r4", ""), 412, "no fhirAuthorization"},
		{"token refused", fetchRequest(t, fs.URL+"/r4", "expired-token"), 412, "refused the fhirAuthorization token"},
		{"unreachable", fetchRequest(t, closed.URL+"/r4", token), 412, "unreachable"},
		{"timeout", fetchRequest(t, fs.URL+"/slow", token), 412, "timed out"},
		{"server error", fetchRequest(t, fs.URL+"/broken", token), 412, "HTTP 500"},
		{"redirect not followed", fetchRequest(t, fs.URL+"/redirect", token), 412, "redirect"},
		{"invalid Bundle", fetchRequest(t, fs.URL+"/bad", token), 412, "not valid FHIR"},
		{"next link leaves the server", fetchRequest(t, fs.URL+"/escape", token), 412, "leaves the fhirServer base"},
		{"next link climbs out of the base with encoded dots", fetchRequest(t, fs.URL+"/dots", token), 412, "leaves the fhirServer base"},
		{"patient id that is not a FHIR id", []byte(strings.Replace(string(fetchRequest(t, fs.URL+"/r4", token)), `"patientId":"p1"`, `"patientId":"../x"`, 1)), 412, "not a FHIR id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.post(t, galen.RoleClinician, path, "application/json", "", tt.body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
			if tt.want != 200 {
				var e api.Error
				if err := json.Unmarshal(b, &e); err != nil || !strings.Contains(e.Error, tt.wantMsg) || len(e.Problems) == 0 {
					t.Fatalf("error lacks %q or problems: %s", tt.wantMsg, b)
				}
				if strings.Contains(string(b), token) || strings.Contains(string(b), "p1") {
					t.Errorf("the answer quotes the token or the patient id: %s", b)
				}
				return
			}
			var got cdshooks.Response
			if err := json.Unmarshal(b, &got); err != nil || len(got.Cards) != 1 {
				t.Fatalf("%v %s", err, b)
			}
			if got.Cards[0].Summary != ref.Cards[0].Summary || got.Cards[0].Indicator != ref.Cards[0].Indicator {
				t.Errorf("fetched card %q (%s), prefetched card %q (%s)", got.Cards[0].Summary, got.Cards[0].Indicator, ref.Cards[0].Summary, ref.Cards[0].Indicator)
			}
		})
	}

	t.Run("what the FHIR server was asked", func(t *testing.T) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		var patient, pages, relPages int
		for _, r := range fs.requests {
			if r.URL.Path == "/rel/Observation" {
				relPages++
			}
			if strings.Contains(r.URL.EscapedPath(), "%2e") {
				t.Errorf("an escaping next link was followed: %s", r.URL.EscapedPath())
			}
			if !strings.HasPrefix(r.URL.Path, "/r4/") || r.Header.Get("Authorization") != "Bearer "+token {
				continue
			}
			switch {
			case r.URL.Path == "/r4/Patient/p1":
				patient++
			case r.URL.Path == "/r4/Observation":
				pages++
				q := r.URL.Query()
				if q.Get("_page") == "" && (q.Get("patient") != "p1" || !strings.Contains(q.Get("code"), "http://loinc.org|8867-4") || q.Get("_count") != "1000") {
					t.Errorf("observation search %s", r.URL.RawQuery)
				}
			}
		}
		wantPages := (len(full.Entry) - 2 + fs.pageSize) / fs.pageSize
		if patient != 2 || pages != 2*wantPages || relPages != wantPages {
			t.Errorf("%d Patient reads, %d Observation pages and %d through relative links; want 2, %d and %d", patient, pages, relPages, 2*wantPages, wantPages)
		}
	})
	t.Run("logs hold no token or patient id", func(t *testing.T) {
		l := logs.String()
		if !strings.Contains(l, "cds fhir fetch failed") {
			t.Errorf("fetch failures are not logged: %s", l)
		}
		for _, s := range []string{token, "expired-token", "Patient/p1", "patient=p1"} {
			if strings.Contains(l, s) {
				t.Errorf("logs hold %q", s)
			}
		}
	})
}

func TestCDSFetchLimit(t *testing.T) {
	stay := realStay(t)
	full := icustay.BundleFromStay(stay, mustTime(t, "2012-05-01T08:00:00Z"))
	fs := newFHIRTestServer(t, full, "tok")
	env, _, _ := newCDSEnv(t, CDSConfig{FHIRAllow: []string{fs.URL + "/r4"}, FetchLimit: 4096})
	resp, b := env.post(t, galen.RoleClinician, "/cds-services/icu-mortality-risk", "application/json", "", fetchRequest(t, fs.URL+"/r4", "tok"))
	if resp.StatusCode != 412 || !strings.Contains(string(b), "4096-byte fetch limit") {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
}
