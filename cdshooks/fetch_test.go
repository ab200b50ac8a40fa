package cdshooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// newBudgetServer is a FHIR server that answers /r4/Patient/p1 with a
// short Patient of declared length, and /r4/Observation with a searchset
// of 200 Observations sent in chunks (no declared length).
func newBudgetServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		switch r.URL.Path {
		case "/r4/Patient/p1":
			_, _ = w.Write([]byte(`{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01"}`))
		case "/r4/Observation":
			_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[`))
			for i := range 200 {
				if i > 0 {
					_, _ = w.Write([]byte(","))
				}
				_, _ = w.Write([]byte(`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"HR"},"valueQuantity":{"value":80}}}`))
				http.NewResponseController(w).Flush()
			}
			_, _ = w.Write([]byte(`]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	tb.Cleanup(fs.Close)
	return fs
}

// TestFetchBudget checks that an answer over the fetch budget is reported
// with the budget that was actually left: the whole limit on a first read,
// the bytes earlier reads left of it otherwise, both for an answer that
// declares its length (a Patient) and for a long one (an Observation page).
func TestFetchBudget(t *testing.T) {
	fs := newBudgetServer(t)
	req := &Request{FHIRAuthorization: &FHIRAuthorization{AccessToken: "tok"}}
	tests := []struct {
		name        string
		target      string
		limit, left int64
		wantMsg     string // "": read within the budget
	}{
		{"within the limit", "/r4/Patient/p1", 1 << 20, 1 << 20, ""},
		{"first read over the limit", "/r4/Patient/p1", 16, 16, "over the 16-byte fetch limit; send the prefetch instead"},
		{"first long read over the limit", "/r4/Observation?patient=p1", 64, 64, "over the 64-byte fetch limit; send the prefetch instead"},
		{"later read over what is left", "/r4/Patient/p1", 1 << 20, 16, "over the 16 bytes left of this hook call's 1048576-byte fetch limit (earlier reads took 1048560)"},
		{"later long read over what is left", "/r4/Observation?patient=p1", 1 << 20, 64, "over the 64 bytes left of this hook call's 1048576-byte fetch limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFetcher([]string{fs.URL + "/r4"}, 5*time.Second, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			budget := &fetchBudget{left: tt.left}
			b, err := f.get(context.Background(), req, fs.URL+tt.target, "X", budget)
			if tt.wantMsg == "" {
				if err != nil || budget.left != tt.left-int64(len(b)) {
					t.Fatalf("err %v, %d bytes read, budget %d left of %d", err, len(b), budget.left, tt.left)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err %v, want %q", err, tt.wantMsg)
			}
			if budget.left != tt.left {
				t.Errorf("budget went from %d to %d on a refused answer", tt.left, budget.left)
			}
		})
	}
}

// TestFHIRFetcherNoProxy checks that the FHIR client never uses a proxy,
// not even one named in the environment: the fhirAuthorization token goes
// only to the allowed server.
func TestFHIRFetcherNoProxy(t *testing.T) {
	f, err := NewFetcher([]string{"https://ehr.example.org/fhir"}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := f.client.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil {
		t.Fatalf("transport %T with a proxy function; want none", f.client.Transport)
	}
}

func TestNextLink(t *testing.T) {
	const (
		base = "https://ehr.example.org/fhir"
		page = "https://ehr.example.org/fhir/Observation?patient=p1"
	)
	tests := []struct {
		name string
		link string
		want string // "" with ok: no next link; with !ok: refused
		ok   bool
	}{
		{"absolute", "https://ehr.example.org/fhir/Observation?patient=p1&_page=2", "https://ehr.example.org/fhir/Observation?patient=p1&_page=2", true},
		{"host case and default port", "https://EHR.example.org:443/fhir/Observation?_page=2", "https://EHR.example.org:443/fhir/Observation?_page=2", true},
		{"relative to the page", "Observation?_page=2", "https://ehr.example.org/fhir/Observation?_page=2", true},
		{"query only", "?_page=2", "https://ehr.example.org/fhir/Observation?_page=2", true},
		{"absolute path", "/fhir/Observation?_page=2", "https://ehr.example.org/fhir/Observation?_page=2", true},
		{"the base itself", "https://ehr.example.org/fhir?_getpages=abc&_page=2", "https://ehr.example.org/fhir?_getpages=abc&_page=2", true},
		{"the base with a slash", "/fhir/?_getpages=abc", "https://ehr.example.org/fhir/?_getpages=abc", true},
		{"an encoded letter", "/fhir/%4Fbservation?_page=2", "https://ehr.example.org/fhir/%4Fbservation?_page=2", true},
		{"dot segments that stay inside", "../fhir/Observation?_page=2", "https://ehr.example.org/fhir/Observation?_page=2", true},
		{"fragment dropped", "Observation?_page=2#top", "https://ehr.example.org/fhir/Observation?_page=2", true},
		{"no next link", "", "", true},

		{"encoded dot-dot", "/fhir/%2e%2e/admin/x", "", false},
		{"encoded dot-dot, upper case", "/fhir/%2E%2E/admin/x", "", false},
		{"half-encoded dot-dot", "/fhir/.%2e/admin", "", false},
		{"encoded single dot", "/fhir/%2e/Observation", "", false},
		{"encoded slash", "/fhir/..%2fadmin", "", false},
		{"encoded slash in a name", "/fhir/Observation%2F..%2F..%2Fadmin", "", false},
		{"encoded backslash", "/fhir/..%5cadmin", "", false},
		{"backslash", `/fhir/..\admin`, "", false},
		{"double-encoded dots", "/fhir/%252e%252e/admin", "", false},
		{"dot segments that climb out", "/fhir/../admin/x", "", false},
		{"relative climb", "../admin/x", "", false},
		{"prefix without a segment boundary", "/fhirx/Observation", "", false},
		{"another path", "/admin", "", false},
		{"another host", "https://other.example.org/fhir/Observation", "", false},
		{"protocol-relative", "//evil.example.org/fhir/Observation", "", false},
		{"http downgrade", "http://ehr.example.org/fhir/Observation", "", false},
		{"another port", "https://ehr.example.org:8443/fhir/Observation", "", false},
		{"user info", "https://u:p@ehr.example.org/fhir/Observation", "", false},
		{"opaque", "https:ehr.example.org/fhir/Observation", "", false},
		{"does not parse", "%zz", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"resourceType":"Bundle","type":"searchset"}`
			if tt.link != "" {
				raw = string(mustJSON(t, map[string]any{"resourceType": "Bundle", "type": "searchset",
					"link": []map[string]string{{"relation": "self", "url": page}, {"relation": "next", "url": tt.link}}}))
			}
			got, err := nextLink([]byte(raw), page, base)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("nextLink(%q) = %q, %v; want %q, ok %v", tt.link, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeBase(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "https://ehr.example.org/fhir", "https://ehr.example.org/fhir"},
		{"case and slash", "HTTPS://EHR.example.org/fhir/", "https://ehr.example.org/fhir"},
		{"default port", "https://ehr.example.org:443/fhir", "https://ehr.example.org/fhir"},
		{"other port", "http://127.0.0.1:8080/r4", "http://127.0.0.1:8080/r4"},
		{"query", "https://ehr.example.org/fhir?x=1", ""},
		{"user info", "https://u:p@ehr.example.org/fhir", ""},
		{"relative", "/fhir", ""},
		{"other scheme", "file:///etc/passwd", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeBase(tt.in); got != tt.want {
				t.Errorf("normalizeBase(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzNextLink checks that any next link is followed only when it stays
// under the base: same host, a path at or below the base's, and no dot
// segment however often it is unescaped. Never a panic.
func FuzzNextLink(f *testing.F) {
	const (
		base = "https://ehr.example.org/fhir"
		page = "https://ehr.example.org/fhir/Observation?patient=p1"
	)
	for _, s := range []string{"Observation?_page=2", "?_page=2", "/fhir/%2e%2e/admin", "/fhir/..%2fadmin", "../admin",
		"https://ehr.example.org/fhir/Observation", "//evil.example.org/fhir", "/fhir/%252e%252e/x", "%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		raw := mustJSON(t, map[string]any{"resourceType": "Bundle", "link": []map[string]string{{"relation": "next", "url": link}}})
		got, err := nextLink(raw, page, base)
		if err != nil || got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("nextLink(%q) = %q, which does not parse: %v", link, got, err)
		}
		if normalizeBase(u.Scheme+"://"+u.Host) != "https://ehr.example.org" || u.User != nil {
			t.Fatalf("nextLink(%q) = %q leaves the host", link, got)
		}
		p := u.EscapedPath()
		for range 3 {
			if q, err := url.PathUnescape(p); err == nil {
				p = q
			}
		}
		p = strings.ReplaceAll(p, `\`, "/")
		if p != "/fhir" && !strings.HasPrefix(p, "/fhir/") {
			t.Fatalf("nextLink(%q) = %q, path %q leaves the base", link, got, p)
		}
		for seg := range strings.SplitSeq(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("nextLink(%q) = %q holds a dot segment", link, got)
			}
		}
	})
}
