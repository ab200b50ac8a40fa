package httpapi

// Tests of the ICU routes built from real FHIR documents
// (../shared/data/fhir-examples), one per HTTP-level item of issue 17.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
)

// fhirExample reads one document of ../shared/data/fhir-examples, found by
// walking up from the package directory.
func fhirExample(tb testing.TB, rel string) json.RawMessage {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "data", "fhir-examples")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			b, err := os.ReadFile(filepath.Join(p, rel))
			if err != nil {
				tb.Fatal(err)
			}
			return b
		}
		if filepath.Dir(d) == d {
			tb.Skip("shared/data/fhir-examples not found next to the repository")
		}
	}
}

// searchset wraps real documents in a searchset Bundle, as an EHR answers
// a prefetch query.
func searchset(tb testing.TB, rels ...string) json.RawMessage {
	tb.Helper()
	var es []string
	for _, r := range rels {
		es = append(es, `{"resource":`+string(fhirExample(tb, r))+`,"search":{"mode":"match"}}`)
	}
	b := `{"resourceType":"Bundle","type":"searchset","total":` + jsonInt(len(rels))
	if len(es) > 0 {
		b += `,"entry":[` + strings.Join(es, ",") + `]`
	}
	return json.RawMessage(b + `}`)
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// hookFor builds a patient-view call about US Core's Patient/example.
func hookFor(tb testing.TB, prefetch map[string]any) []byte {
	tb.Helper()
	req := map[string]any{"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"context": map[string]any{"userId": "Practitioner/example", "patientId": "example"}, "prefetch": prefetch}
	b, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestCDSNullPrefetchRealData (issue 17, item 3): a null observations
// prefetch is "no data" and gets the same info card as an empty searchset;
// only an absent key (with nowhere to fetch it from) is a 412. The Patient
// is US Core's patient-example.
func TestCDSNullPrefetchRealData(t *testing.T) {
	env := newOutcomeEnv(t)
	patient := fhirExample(t, "us-core/patient-example.json")
	const path = "/cds-services/icu-mortality-risk"
	card := func(prefetch map[string]any) (int, cdshooks.Card, string) {
		resp, b := env.post(t, galen.RoleClinician, path, "application/json", "", hookFor(t, prefetch))
		var r cdshooks.Response
		if resp.StatusCode != 200 {
			return resp.StatusCode, cdshooks.Card{}, string(b)
		}
		if err := json.Unmarshal(b, &r); err != nil || len(r.Cards) != 1 || r.Validate() != nil {
			t.Fatalf("answer %s", b)
		}
		return 200, r.Cards[0], string(b)
	}
	tests := []struct {
		name     string
		prefetch map[string]any
		status   int
		same     map[string]any // the empty-searchset request it must answer alike
	}{
		{"observations null", map[string]any{"patient": patient, "observations": nil}, 200, map[string]any{"patient": patient, "observations": searchset(t)}},
		{"both null", map[string]any{"patient": nil, "observations": nil}, 200, map[string]any{"patient": nil, "observations": searchset(t)}},
		{"observations absent", map[string]any{"patient": patient}, 412, nil},
		{"no prefetch at all", map[string]any{}, 412, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var empty cdshooks.Card
			if tt.same != nil {
				st, c, b := card(tt.same)
				if st != 200 || c.Indicator != cdshooks.IndicatorInfo || !strings.Contains(c.Summary, "not estimated") {
					t.Fatalf("empty searchset: %d %s", st, b)
				}
				empty = c
			}
			st, c, b := card(tt.prefetch)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %s", st, tt.status, b)
			}
			if st != 200 {
				if !strings.Contains(b, `"prefetch`) {
					t.Errorf("412 body does not name the prefetch: %s", b)
				}
				return
			}
			if c.Summary != empty.Summary || c.Indicator != empty.Indicator || c.Detail != empty.Detail || c.Source != empty.Source {
				t.Errorf("card %+v\nwant the empty searchset's %+v", c, empty)
			}
		})
	}
	// A null Patient with real observations still gets a risk: US Core's
	// metabolic panel and CBC of 2005-07-05 (date-only, the admission day).
	st, c, b := card(map[string]any{"patient": nil, "observations": searchset(t, "us-core/observation-serum-bun.json", "us-core/observation-serum-co2.json",
		"us-core/observation-serum-creatinine.json", "us-core/observation-serum-glucose.json", "us-core/observation-serum-potassium.json",
		"us-core/observation-serum-sodium.json", "us-core/observation-cbc-hematocrit.json", "us-core/observation-cbc-leukocytes.json")})
	if st != 200 || !strings.HasPrefix(c.Summary, "ICU mortality risk ") || strings.Contains(c.Summary, "not estimated") {
		t.Errorf("labs with a null patient: %d %s", st, b)
	}
}
