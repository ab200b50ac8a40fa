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
	"github.com/galenhealth/galen/internal/testenv"
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
			testenv.Missing(tb, "shared/data/fhir-examples not found next to the repository")
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
	// All of them date-only: one time point, so the risk is uncertain.
	if !strings.Contains(c.Summary, "uncertain") || !strings.Contains(c.Detail, "no value has a time of day") {
		t.Errorf("date-only labs not marked uncertain: %+v", c)
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
		if s.ID == cdshooks.ICUMortalityID {
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

// TestProblemSeverityRealData (issue 17, item 7): plain-JSON problems
// carry a severity as OperationOutcome issues do, and the error headline
// names the error, not a warning listed before it.
func TestProblemSeverityRealData(t *testing.T) {
	env := newOutcomeEnv(t)
	tests := []struct {
		name      string
		body      json.RawMessage
		query     string
		headline  string // the error the headline must name
		warnings  int    // at least this many warnings
		notInHead string // a warning's text the headline must not quote
	}{
		// A BMI (39156-5) is not read: a warning, then the error.
		{"HL7 BMI example", json.RawMessage(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":` +
			string(fhirExample(t, "hl7-r4/observation-example-bmi.json")) + `}]}`), "", "no usable time-series Observation", 1, "39156-5"},
		// Synthea's whole record with an admission five years early: pain
		// scores (72514-3) and BMIs are warnings, the window is the error.
		{"Synthea record, admission years early", fhirExample(t, "synthea-r4/Abdul_Koepp_e925b0f3-8006-43f6-aa31-94bd215e55e7.json"),
			"?admission=2006-01-01T00:00:00Z", "no value falls in the model's window", 10, "72514-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.post(t, galen.RoleClinician, "/v1/outcome/predict"+tt.query, "application/fhir+json", "application/json", tt.body)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var e struct {
				Error    string
				Problems []map[string]string
			}
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Error, tt.headline) || strings.Contains(e.Error, tt.notInHead) {
				t.Errorf("headline %q, want the error %q", e.Error, tt.headline)
			}
			errs, warns := 0, 0
			for _, p := range e.Problems {
				switch p["severity"] {
				case "error":
					errs++
					if !strings.Contains(p["message"], tt.headline) {
						t.Errorf("error %q is not the one in the headline", p["message"])
					}
				case "warning":
					warns++
				default:
					t.Errorf("problem %v without a severity", p)
				}
			}
			if errs != 1 || warns < tt.warnings {
				t.Errorf("%d errors, %d warnings; want 1 and at least %d", errs, warns, tt.warnings)
			}
			if !strings.HasPrefix(e.Error, "1 error in the request (and ") {
				t.Errorf("headline %q does not count the error apart from the warnings", e.Error)
			}
		})
	}
}

// TestChildRealDataHTTP (issue 17, item 8): US Core's Amy Shaw at 12 (vital
// signs of 1999-07-02) gets no risk: 400 on the predict route and an info
// card on the CDS service, both saying "outside the intended population".
func TestChildRealDataHTTP(t *testing.T) {
	env := newOutcomeEnv(t)
	vitals := []string{"us-core/heart-rate.json", "us-core/respiratory-rate.json", "us-core/temperature.json", "us-core/blood-pressure.json", "us-core/weight.json"}
	var es []string
	for _, r := range append([]string{"us-core/patient-example.json"}, vitals...) {
		es = append(es, `{"resource":`+string(fhirExample(t, r))+`}`)
	}
	bundle := []byte(`{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(es, ",") + `]}`)
	resp, b := env.post(t, galen.RoleClinician, "/v1/outcome/predict", "application/fhir+json", "application/json", bundle)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "outside the model's intended population") || strings.Contains(string(b), "impossible") {
		t.Errorf("predict: %d %s", resp.StatusCode, b)
	}
	resp, b = env.post(t, galen.RoleClinician, "/cds-services/icu-mortality-risk", "application/json", "",
		hookFor(t, map[string]any{"patient": fhirExample(t, "us-core/patient-example.json"), "observations": searchset(t, vitals...)}))
	var r cdshooks.Response
	if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil || len(r.Cards) != 1 || r.Validate() != nil {
		t.Fatalf("cds: %d %s", resp.StatusCode, b)
	}
	if c := r.Cards[0]; c.Indicator != cdshooks.IndicatorInfo || !strings.Contains(c.Summary, "not estimated") || !strings.Contains(c.Detail, "outside the model's intended population") {
		t.Errorf("card %+v", c)
	}
}
