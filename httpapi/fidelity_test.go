package httpapi

// Tests of the ICU routes built from real FHIR documents
// (../shared/data/fhir-examples), one per HTTP-level item of issue 17.

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
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

// TestPrefetchTemplateRealData (issue 17, item 4): the observations prefetch
// template asks for exactly the codes the LOINC map reads, and an EHR that
// follows it for a Synthea patient sends everything the model would use
// from the patient's whole record.
func TestPrefetchTemplateRealData(t *testing.T) {
	env := newOutcomeEnv(t)
	req, _ := http.NewRequest("GET", env.url+"/cds-services", nil)
	req.Header.Set("Authorization", "Bearer "+env.keys[galen.RoleClinician])
	resp, b := send(t, req)
	var d cdshooks.Discovery
	if err := json.Unmarshal(b, &d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("discovery: %d %s", resp.StatusCode, b)
	}
	var tmpl string
	for _, s := range d.Services {
		if s.ID == icuMortalityID {
			tmpl = s.Prefetch["observations"]
		}
	}
	q, err := url.ParseQuery(tmpl[strings.IndexByte(tmpl, '?')+1:])
	if err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, c := range strings.Split(q.Get("code"), ",") {
		asked[c] = true
	}
	want := map[string]bool{}
	for _, c := range icustay.PrefetchCodes() {
		want[c] = true
	}
	if !maps.Equal(asked, want) {
		t.Errorf("template codes %v\nwant the map's %v", slices.Sorted(maps.Keys(asked)), slices.Sorted(maps.Keys(want)))
	}
	for _, rel := range []string{"synthea-r4/Adolph_Smith_0c6b1f3d-edb2-422b-a0af-a262fb90ed07.json", "synthea-r4/Abdul_Koepp_e925b0f3-8006-43f6-aa31-94bd215e55e7.json"} {
		t.Run(rel[11:25], func(t *testing.T) {
			var full map[string]any
			if err := json.Unmarshal(fhirExample(t, rel), &full); err != nil {
				t.Fatal(err)
			}
			// What the EHR returns for the template: the Patient, and the
			// Observations whose code is asked for.
			var kept []any
			for _, e := range full["entry"].([]any) {
				r := e.(map[string]any)["resource"].(map[string]any)
				if r["resourceType"] == "Patient" {
					kept = append(kept, e)
					continue
				}
				if r["resourceType"] != "Observation" {
					continue
				}
				for _, c := range r["code"].(map[string]any)["coding"].([]any) {
					cm := c.(map[string]any)
					if asked[cm["system"].(string)+"|"+cm["code"].(string)] {
						kept = append(kept, e)
						break
					}
				}
			}
			filtered := map[string]any{"resourceType": "Bundle", "type": "collection", "entry": kept}
			convert := func(v any, adm time.Time) *icustay.Result {
				raw, _ := json.Marshal(v)
				bb, err := fhir.DecodeBundle(raw)
				if err != nil {
					t.Fatal(err)
				}
				res, err := icustay.FromBundle(bb, icustay.Options{Admission: adm})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			all := convert(full, time.Time{})
			got := convert(filtered, all.Admission)
			if !reflect.DeepEqual(got.Stay, all.Stay) {
				t.Errorf("following the template: %d observations, descriptors %v; the whole record: %d, %v",
					len(got.Stay.Observations), got.Stay.Descriptors, len(all.Stay.Observations), all.Stay.Descriptors)
			}
			t.Logf("%d observations through the template", len(got.Stay.Observations))
		})
	}
}
