package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/outcome"
)

func TestCDSDiscovery(t *testing.T) {
	env := newOutcomeEnv(t)
	for _, role := range galen.Roles {
		t.Run(string(role), func(t *testing.T) {
			req, _ := http.NewRequest("GET", env.url+"/cds-services", nil)
			req.Header.Set("Authorization", "Bearer "+env.keys[role])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var d cdshooks.Discovery
			if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			var svc *cdshooks.Service
			for i := range d.Services {
				if d.Services[i].ID == cdshooks.ICUMortalityID {
					svc = &d.Services[i]
				}
			}
			if svc == nil || svc.Hook != cdshooks.HookPatientView || svc.Description == "" {
				t.Fatalf("services %+v", d.Services)
			}
			obs := svc.Prefetch["observations"]
			if svc.Prefetch["patient"] != "Patient/{{context.patientId}}" || !strings.HasPrefix(obs, "Observation?patient={{context.patientId}}&code=") {
				t.Errorf("prefetch %v", svc.Prefetch)
			}
			for _, code := range []string{"8867-4", "9269-2", "2524-7", "76214-6"} {
				if !strings.Contains(obs, "http://loinc.org|"+code) {
					t.Errorf("prefetch lacks LOINC %s", code)
				}
			}
		})
	}
}

// hookRequest builds a patient-view request with the given prefetch.
func hookRequest(tb testing.TB, prefetch map[string]any, fhirServer string) []byte {
	tb.Helper()
	req := map[string]any{
		"hook":         "patient-view",
		"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"context":      map[string]any{"userId": "Practitioner/example", "patientId": "p1"},
	}
	if prefetch != nil {
		req["prefetch"] = prefetch
	}
	if fhirServer != "" {
		req["fhirServer"] = fhirServer
	}
	b, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestCDSICUMortality(t *testing.T) {
	env := newOutcomeEnv(t)
	full := icustay.BundleFromStay(sampleStay(), mustTime(t, "2012-05-01T08:00:00Z"))
	patient := full.Entry[0].Resource
	obs := &fhir.Bundle{Type: "searchset", Entry: full.Entry[1:]}
	sparse := icustay.BundleFromStay(&outcome.Stay{}, mustTime(t, "2012-05-01T08:00:00Z"))
	unknownOnly := json.RawMessage(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"effectiveDateTime":"2012-05-01T08:00:00Z","valueQuantity":{"value":1,"unit":"mg"}}}]}`)
	const path = "/cds-services/icu-mortality-risk"
	tests := []struct {
		name       string
		role       galen.Role
		ct         string
		body       []byte
		wantStatus int
		wantCard   string // a substring of the card summary
		wantInBody []string
	}{
		{"prefetched stay", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"patient": patient, "observations": obs}, ""), 200, "ICU mortality risk", []string{"| GCS |", "Galen ICU mortality model v1"}},
		{"observations only", galen.RoleScientist, "application/json", hookRequest(t, map[string]any{"observations": obs}, ""), 200, "ICU mortality risk", nil},
		{"no usable observations", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"patient": patient, "observations": unknownOnly}, ""), 200, "not estimated", []string{"LOINC 1234-5"}},
		{"only a patient in the search bundle", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"observations": sparse}, ""), 200, "not estimated", nil},
		{"no prefetch, no FHIR server", galen.RoleClinician, "application/json", hookRequest(t, nil, ""), 412, "", []string{"no fhirServer"}},
		{"null prefetch is no data", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"patient": patient, "observations": nil}, ""), 200, "not estimated", nil},
		{"no prefetch, FHIR server", galen.RoleClinician, "application/json", hookRequest(t, nil, "https://fhir.example.org/r4"), 412, "", []string{"does not fetch"}},
		{"invalid prefetched FHIR", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"observations": map[string]any{"resourceType": "Bundle"}}, ""), 400, "",
			[]string{"prefetch.observations.Bundle.type"}},
		{"patient prefetch of the wrong type", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"patient": obs, "observations": obs}, ""), 400, "",
			[]string{"prefetch.patient.resourceType"}},
		{"observations about another patient", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"observations": json.RawMessage(strings.ReplaceAll(string(mustJSON(t, obs)), "Patient/p1", "Patient/p2"))}, ""), 400, "",
			[]string{"another patient"}},
		{"prefetched Patient is not the context patient", galen.RoleClinician, "application/json", hookRequest(t, map[string]any{"patient": &fhir.Patient{ID: "p9"}, "observations": obs}, ""), 400, "",
			[]string{"not the patient of the request"}},
		{"malformed request", galen.RoleClinician, "application/json", []byte(`{"hook":`), 400, "", []string{"malformed JSON"}},
		{"request problems", galen.RoleClinician, "application/json", []byte(`{"hook":"patient-view","context":{"userId":"u"}}`), 400, "", []string{"hookInstance", "context.patientId"}},
		{"wrong hook", galen.RoleClinician, "application/json", []byte(`{"hook":"order-sign","hookInstance":"x","context":{"userId":"u","patientId":"p","draftOrders":{}}}`), 400, "", []string{"answers patient-view"}},
		{"wrong content type", galen.RoleClinician, "text/plain", hookRequest(t, nil, ""), 415, "", nil},
		{"auditor may not call", galen.RoleAuditor, "application/json", hookRequest(t, nil, ""), 403, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.post(t, tt.role, path, tt.ct, "", tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			for _, s := range tt.wantInBody {
				if !strings.Contains(string(b), s) {
					t.Errorf("body lacks %q: %s", s, b)
				}
			}
			if resp.StatusCode != 200 {
				var e struct{ Error string }
				if json.Unmarshal(b, &e) != nil || e.Error == "" {
					t.Errorf("error body %s is not {\"error\": ...}", b)
				}
				return
			}
			var r cdshooks.Response
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if err := r.Validate(); err != nil || len(r.Cards) != 1 {
				t.Fatalf("%d cards, %v", len(r.Cards), err)
			}
			c := r.Cards[0]
			if !strings.Contains(c.Summary, tt.wantCard) || utf8.RuneCountInString(c.Summary) >= cdshooks.MaxSummary || c.UUID == "" || !strings.HasPrefix(c.Source.Label, "Galen ICU mortality model") {
				t.Errorf("card %+v", c)
			}
		})
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestCDSFeedback(t *testing.T) {
	env := newOutcomeEnv(t)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"accepted", `{"feedback":[{"card":"c1","outcome":"accepted","outcomeTimestamp":"2026-11-28T10:00:00Z"}]}`, 200},
		{"overridden", `{"feedback":[{"card":"c1","outcome":"overridden","overrideReason":{"userComment":"known"},"outcomeTimestamp":"2026-11-28T10:00:00Z"}]}`, 200},
		{"bad", `{"feedback":[{"outcome":"maybe"}]}`, 400},
		{"malformed", `{`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.post(t, galen.RoleClinician, "/cds-services/icu-mortality-risk/feedback", "application/json", "", []byte(tt.body))
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
		})
	}
}
