package icustay_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/internal/testenv"
	"github.com/galenhealth/galen/outcome"
)

func decode(tb testing.TB, s string) *fhir.Bundle {
	tb.Helper()
	b, err := fhir.DecodeBundle([]byte(s))
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return b
}

func quantity(v float64, code string) *fhir.Quantity {
	return &fhir.Quantity{Value: &v, System: fhir.SystemUCUM, Code: code}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name     string
		variable string
		value    float64
		q        *fhir.Quantity
		want     float64
		ok       bool
	}{
		{"same unit", "HR", 80, quantity(80, "/min"), 80, true},
		{"bpm text", "HR", 80, &fhir.Quantity{Unit: "bpm"}, 80, true},
		{"fahrenheit", "Temp", 98.6, quantity(98.6, "[degF]"), 37, true},
		{"degree sign text", "Temp", 95.9, &fhir.Quantity{Unit: "°F"}, 35.5, true},
		{"celsius", "Temp", 37.2, quantity(37.2, "Cel"), 37.2, true},
		{"kPa", "PaO2", 10, quantity(10, "kPa"), 75.00617, true},
		{"pounds", "Weight", 176, quantity(176, "[lb_av]"), 79.832257, true},
		{"inches", "Height", 70, quantity(70, "[in_i]"), 177.8, true},
		{"glucose mmol/L", "Glucose", 5.5, quantity(5.5, "mmol/L"), 99.088, true},
		{"creatinine umol/L", "Creatinine", 88.42, quantity(88.42, "umol/L"), 1, true},
		{"urea mmol/L", "BUN", 5, quantity(5, "mmol/L"), 14.007, true},
		{"magnesium mmol/L", "Mg", 0.85, quantity(0.85, "mmol/L"), 2.065925, true},
		{"FiO2 percent", "FiO2", 40, quantity(40, "%"), 0.4, true},
		{"FiO2 fraction", "FiO2", 0.4, quantity(0.4, "1"), 0.4, true},
		{"HCT fraction", "HCT", 0.3, quantity(0.3, "L/L"), 30, true},
		{"HCT fraction text", "HCT", 0.3, &fhir.Quantity{Unit: "L/L"}, 30, true},
		{"troponin ng/L", "TroponinT", 14, quantity(14, "ng/L"), 0.014, true},
		{"sodium mEq/L", "Na", 140, &fhir.Quantity{Unit: "mEq/L"}, 140, true},
		{"urine litres", "Urine", 0.5, quantity(0.5, "L"), 500, true},
		{"GCS integer", "GCS", 14, nil, 14, true},
		{"glucose in g/L", "Glucose", 1, quantity(1, "g/L"), 0, false},
		{"HR without unit", "HR", 80, &fhir.Quantity{}, 0, false},
		{"code wins over text", "Temp", 37, &fhir.Quantity{System: fhir.SystemUCUM, Code: "Cel", Unit: "°F"}, 37, true},
		{"non-UCUM system uses text", "Temp", 98.6, &fhir.Quantity{System: "urn:local", Code: "F", Unit: "[degF]"}, 37, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := icustay.ByVariable(tt.variable)
			if !ok {
				t.Fatalf("no code for %s", tt.variable)
			}
			got, ok := c.Convert(tt.value, tt.q)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && math.Abs(got-tt.want) > 1e-3 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCodesCoverModelVariables(t *testing.T) {
	for _, v := range append(outcome.Variables(), outcome.DescriptorNames()...) {
		if v == "Gender" {
			continue // from Patient.gender
		}
		c, ok := icustay.ByVariable(v)
		if !ok {
			t.Errorf("model variable %s has no mapping", v)
			continue
		}
		if c.LOINC != "" {
			if back, _ := icustay.ByLOINC(c.LOINC); back.Variable != v {
				t.Errorf("LOINC %s maps back to %q, not %s", c.LOINC, back.Variable, v)
			}
		}
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, c := range icustay.Codes {
		for _, code := range append([]string{c.LOINC}, c.Aliases...) {
			if code == "" {
				continue
			}
			if prev, dup := seen[code]; dup {
				t.Errorf("LOINC %s maps to both %s and %s", code, prev, c.Variable)
			}
			seen[code] = c.Variable
			if !strings.Contains(string(doc), code) {
				t.Errorf("LOINC %s (%s) is missing from the table in doc.go", code, c.Variable)
			}
		}
	}
}

func TestFromBundle(t *testing.T) {
	raw, err := os.ReadFile("../testdata/icu-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := icustay.FromBundle(decode(t, string(raw)), icustay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome.Observation{
		{Minutes: 0, Parameter: "HR", Value: 73},
		{Minutes: 0, Parameter: "NISysABP", Value: 147},
		{Minutes: 0, Parameter: "NIDiasABP", Value: 65},
		{Minutes: 30, Parameter: "Temp", Value: 35.5},
		{Minutes: 63, Parameter: "Lactate", Value: 2.4},
	}
	got := res.Stay.Observations
	for i := range got {
		got[i].Value = math.Round(got[i].Value*1e6) / 1e6
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("observations = %v, want %v", got, want)
	}
	if d := res.Stay.Descriptors; !reflect.DeepEqual(d, map[string]float64{"Gender": 0, "Age": 54}) {
		t.Errorf("descriptors = %v", d)
	}
	if res.Patient == nil || res.Patient.Reference != "Patient/p1" || len(res.Basis) != 4 {
		t.Errorf("patient %v, basis %v", res.Patient, res.Basis)
	}
	msgs := issueText(res.Issues)
	for _, w := range []string{"1 Encounter resource(s) ignored", "Height, ICUType, Weight missing"} {
		if !strings.Contains(msgs, w) {
			t.Errorf("warnings %q lack %q", msgs, w)
		}
	}
}

func issueText(is []fhir.Issue) string {
	var s []string
	for _, i := range is {
		s = append(s, i.String())
	}
	return strings.Join(s, "\n")
}

func bundleOf(entries ...string) string {
	var es []string
	for _, e := range entries {
		es = append(es, `{"resource":`+e+`}`)
	}
	return `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(es, ",") + `]}`
}

func obs(code, time, value string) string {
	return `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"` + code + `"}]},"effectiveDateTime":"` + time + `"` + value + `}`
}

const hr = `,"valueQuantity":{"value":80,"unit":"/min"}`

func obsAbout(subject, time string) string {
	return `{"resourceType":"Observation","status":"final","subject":{"reference":"` + subject + `"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"` + time + `"` + hr + `}`
}

func TestFromBundleProblems(t *testing.T) {
	const t0, t1 = "2012-05-01T08:00:00Z", "2012-05-01T09:30:00+01:00"
	adm := time.Date(2012, 5, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		bundle    string
		opt       icustay.Options
		wantErr   bool
		wantPath  string // path of an issue that must be there
		wantMsg   string
		wantCount int // usable observations
	}{
		{"empty bundle", `{"resourceType":"Bundle","type":"collection"}`, icustay.Options{}, true, "Bundle.entry", "empty", 0},
		{"only a patient", bundleOf(`{"resourceType":"Patient","gender":"male"}`), icustay.Options{}, true, "Bundle.entry", "no usable", 0},
		{"unknown LOINC", bundleOf(obs("8867-4", t0, hr), obs("1234-5", t0, hr)), icustay.Options{}, false, "Bundle.entry[1].resource.code", "LOINC 1234-5 is not used", 1},
		{"SpO2 hint", bundleOf(obs("8867-4", t0, hr), obs("59408-5", t0, `,"valueQuantity":{"value":97,"unit":"%"}`)), icustay.Options{}, false, "Bundle.entry[1].resource.code", "not arterial SaO2", 1},
		{"unconvertible unit", bundleOf(obs("8867-4", t0, hr), obs("2345-7", t0, `,"valueQuantity":{"value":1,"system":"http://unitsofmeasure.org","code":"g/L"}`)), icustay.Options{}, false,
			"Bundle.entry[1].resource.valueQuantity.code", `unit "g/L" cannot be converted`, 1},
		{"no unit", bundleOf(obs("8867-4", t0, `,"valueQuantity":{"value":80}`), obs("8867-4", t0, hr)), icustay.Options{}, false, "Bundle.entry[0].resource.valueQuantity", "no unit", 1},
		{"date-only on the admission day", bundleOf(obs("8867-4", "2012-05-01", hr), obs("8867-4", t0, hr)), icustay.Options{}, false,
			"Bundle.entry[0].resource.effectiveDateTime", "the admission day: placed at admission", 2},
		{"date-only on another day", bundleOf(obs("8867-4", "2012-05-02", hr), obs("8867-4", t0, hr)), icustay.Options{}, false,
			"Bundle.entry[0].resource.effectiveDateTime", "not the admission day: its place in the 48 h window is unknown", 1},
		{"only date-only values", bundleOf(obs("8867-4", "2012-05-02", hr), obs("9279-1", "2012-05-03", hr)), icustay.Options{}, false,
			"Bundle.entry", "the earliest date is taken as the admission day", 1},
		{"no time", bundleOf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}`+hr+`}`, obs("8867-4", t0, hr)), icustay.Options{}, false,
			"Bundle.entry[0].resource.effectiveDateTime", "no effective time", 1},
		{"issued only", bundleOf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"issued":"2012-05-01T09:00:00Z"`+hr+`}`, obs("8867-4", t0, hr)), icustay.Options{}, false,
			"Bundle.entry[0].resource.issued", "the issued time is used", 2},
		{"before admission", bundleOf(obs("8867-4", "2012-05-01T07:00:00Z", hr), obs("8867-4", t1, hr)), icustay.Options{Admission: adm}, false, "Bundle.entry", "1 before admission, 0 after", 1},
		{"after the window", bundleOf(obs("8867-4", t0, hr), obs("8867-4", "2012-05-03T08:01:00Z", hr)), icustay.Options{}, false, "Bundle.entry", "0 before admission, 1 after", 1},
		{"descriptor after the window", bundleOf(obs("8867-4", t0, hr), obs("8302-2", "2013-05-03T08:00:00Z", `,"valueQuantity":{"value":170,"unit":"cm"}`)), icustay.Options{}, false,
			"Bundle.entry", "among them Height, which count only inside the window", 1},
		{"nothing in the window", bundleOf(obs("8867-4", t0, hr), obs("8302-2", t0, `,"valueQuantity":{"value":170,"unit":"cm"}`)), icustay.Options{Admission: adm.AddDate(-3, 0, 0)}, true,
			"Bundle.entry", "no value falls in the model's window, admission to 48 h after it: 0 usable value(s) before admission and 2 after the window (from 1096 days to 1096 days after admission)", 0},
		{"impossible value", bundleOf(obs("8867-4", t0, hr), obs("8867-4", t0, `,"valueQuantity":{"value":0,"unit":"/min"}`)), icustay.Options{}, false,
			"Bundle.entry[1].resource", "HR value is physiologically impossible", 1},
		{"cancelled", bundleOf(obs("8867-4", t0, hr), strings.Replace(obs("8867-4", t0, hr), "final", "cancelled", 1)), icustay.Options{}, false, "Bundle.entry[1].resource.status", "cancelled", 1},
		{"text value", bundleOf(obs("8867-4", t0, hr), obs("8867-4", t0, `,"valueString":"fast"`)), icustay.Options{}, false, "Bundle.entry[1].resource", "not a number", 1},
		{"two patients", bundleOf(`{"resourceType":"Patient","id":"a"}`, `{"resourceType":"Patient","id":"b"}`, obs("8867-4", t0, hr)), icustay.Options{}, true, "Bundle.entry[1].resource", "more than one Patient", 0},
		{"censored value", bundleOf(obs("6598-7", t0, `,"valueQuantity":{"value":0.01,"comparator":"<","unit":"ng/mL"}`)), icustay.Options{}, false, "Bundle.entry[0].resource.valueQuantity.comparator", "used as", 1},
		{"two subjects", bundleOf(obsAbout("Patient/a", t0), obsAbout("Patient/b", t0)), icustay.Options{}, true, "Bundle.entry", "2 different subjects", 0},
		{"observation about another patient", bundleOf(`{"resourceType":"Patient","id":"a"}`, obsAbout("Patient/a", t0), obsAbout("Patient/b", t0)), icustay.Options{}, true,
			"Bundle.entry[2].resource.subject", "another patient", 0},
		{"not the patient of the request", bundleOf(`{"resourceType":"Patient","id":"a"}`, obsAbout("Patient/a", t0)), icustay.Options{PatientID: "b"}, true,
			"Bundle.entry[0].resource.id", "not the patient of the request", 0},
		{"subject not the patient of the request", bundleOf(obsAbout("Patient/a", t0)), icustay.Options{PatientID: "b"}, true,
			"Bundle.entry[0].resource.subject", "another patient", 0},
		{"absolute and versioned references to the same patient", bundleOf(`{"resourceType":"Patient","id":"a"}`, obsAbout("https://fhir.example.org/r4/Patient/a", t0),
			obsAbout("Patient/a/_history/3", t1), obsAbout("Patient/a", t1)), icustay.Options{PatientID: "a"}, false, "Bundle", "descriptor(s)", 3},
		{"component unit", bundleOf(obs("8867-4", t0, hr), obs("85354-9", t0, `,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"unit":"g"}}]`)),
			icustay.Options{}, false, "Bundle.entry[1].resource.component[1].valueQuantity.code", `unit "g" cannot be converted`, 2},
		{"period end", bundleOf(obs("8867-4", t0, hr), strings.Replace(obs("8867-4", t0, hr), `"effectiveDateTime":"`+t0+`"`, `"effectivePeriod":{"end":"2012-04-30"}`, 1)),
			icustay.Options{}, false, "Bundle.entry[1].resource.effectivePeriod.end", "not the admission day", 1},
		{"year only", bundleOf(obs("8867-4", t0, hr), obs("8867-4", "2012", hr)), icustay.Options{}, false, "Bundle.entry[1].resource.effectiveDateTime", "has no day", 1},
		{"unknown gender", bundleOf(`{"resourceType":"Patient","gender":"other"}`, obs("8867-4", t0, hr)), icustay.Options{}, false, "Bundle.entry[0].resource.gender", "no PhysioNet", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := icustay.FromBundle(decode(t, tt.bundle), tt.opt)
			var issues []fhir.Issue
			if tt.wantErr {
				var fe *fhir.Error
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want *fhir.Error", err)
				}
				issues = fe.Issues
			} else {
				if err != nil {
					t.Fatal(err)
				}
				issues = res.Issues
				if n := len(res.Stay.Observations); n != tt.wantCount {
					t.Errorf("%d observations, want %d", n, tt.wantCount)
				}
			}
			found := false
			for _, i := range issues {
				if i.Path == tt.wantPath && strings.Contains(i.Message, tt.wantMsg) {
					found = true
				}
				// Issues name elements, never the patient's values or dates.
				for _, v := range []string{"2012-05-01", "0.01", `"other"`} {
					if strings.Contains(i.Message, v) {
						t.Errorf("issue %q repeats the patient's value %s", i.Message, v)
					}
				}
			}
			if !found {
				t.Errorf("no issue at %s containing %q in\n%s", tt.wantPath, tt.wantMsg, issueText(issues))
			}
		})
	}
}

func TestFromBundleTimezonesAndAdmission(t *testing.T) {
	b := decode(t, bundleOf(
		obs("8867-4", "2012-05-01T10:00:00+02:00", hr), // 08:00Z
		obs("9279-1", "2012-05-01T08:45:30Z", `,"valueQuantity":{"value":18,"unit":"/min"}`),
		// Urine over a period with only an end counts at its end.
		`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"9187-6"}]},"effectivePeriod":{"end":"2012-05-01T09:00:00Z"},"valueQuantity":{"value":0.25,"unit":"L"}}`,
	))
	res, err := icustay.FromBundle(b, icustay.Options{Admission: time.Date(2012, 5, 1, 7, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome.Observation{{Minutes: 60, Parameter: "HR", Value: 80}, {Minutes: 105, Parameter: "RespRate", Value: 18}, {Minutes: 120, Parameter: "Urine", Value: 250}}
	if !reflect.DeepEqual(res.Stay.Observations, want) {
		t.Errorf("got %v, want %v", res.Stay.Observations, want)
	}
}

// dataDir finds ../shared/data by walking up from the package directory.
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			testenv.Missing(tb, "shared/data not found next to the repository; skipping the PhysioNet round trip")
		}
		dir = parent
	}
}

// readStays reads the first n records of PhysioNet set A.
func readStays(tb testing.TB, n int) []*outcome.Stay {
	tb.Helper()
	f, err := os.Open(filepath.Join(dataDir(tb), "physionet2012-set-a", "set-a.tar.gz"))
	if err != nil {
		testenv.Missing(tb, "PhysioNet set A not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []*outcome.Stay
	for len(out) < n {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, ".txt") {
			continue
		}
		s, _, err := outcome.ParseRecord(h.Name, tr)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func sortObs(os []outcome.Observation) {
	slices.SortStableFunc(os, func(a, b outcome.Observation) int {
		if a.Minutes != b.Minutes {
			return a.Minutes - b.Minutes
		}
		if c := strings.Compare(a.Parameter, b.Parameter); c != 0 {
			return c
		}
		switch {
		case a.Value < b.Value:
			return -1
		case a.Value > b.Value:
			return 1
		}
		return 0
	})
}

// TestPhysioNetRoundTrip writes real stays as FHIR Bundles, encodes them as
// JSON, decodes and converts them back, and checks that nothing changed.
func TestPhysioNetRoundTrip(t *testing.T) {
	adm := time.Date(2012, 5, 1, 6, 30, 0, 0, time.UTC)
	for _, s := range readStays(t, 25) {
		js, err := json.Marshal(icustay.BundleFromStay(s, adm))
		if err != nil {
			t.Fatal(err)
		}
		b, err := fhir.DecodeBundle(js)
		if err != nil {
			t.Fatalf("record %s: our own bundle does not decode: %v", s.RecordID, err)
		}
		res, err := icustay.FromBundle(b, icustay.Options{Admission: adm})
		if err != nil {
			t.Fatalf("record %s: %v", s.RecordID, err)
		}
		for _, i := range res.Issues {
			if !strings.Contains(i.Message, "missing") && !strings.Contains(i.Message, "physiologically impossible") {
				t.Errorf("record %s: unexpected issue %s", s.RecordID, i)
			}
		}
		// Impossible values (ABP 0, Height 431.8 in set A) are left out
		// by the converter, as the model would drop them.
		var want []outcome.Observation
		for _, o := range s.Observations {
			if outcome.Plausible(o.Parameter, o.Value) {
				want = append(want, o)
			}
		}
		got := res.Stay.Observations
		wantDesc := map[string]float64{}
		for k, v := range s.Descriptors {
			if k == "Gender" || outcome.Plausible(k, v) {
				wantDesc[k] = v
			}
		}
		if _, ok := wantDesc["Weight"]; !ok {
			delete(res.Stay.Descriptors, "Weight") // the first weight fills in
		}
		sortObs(want)
		sortObs(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %s: %d observations back, want %d", s.RecordID, len(got), len(want))
		}
		if !reflect.DeepEqual(res.Stay.Descriptors, wantDesc) {
			t.Errorf("record %s: descriptors %v, want %v", s.RecordID, res.Stay.Descriptors, wantDesc)
		}
	}
}

// BenchmarkDecodeAndConvert measures the FHIR path of one real stay:
// strict decoding of the Bundle JSON and conversion to a stay.
func BenchmarkDecodeAndConvert(b *testing.B) {
	stays := readStays(b, 1)
	js, err := json.Marshal(icustay.BundleFromStay(stays[0], time.Date(2012, 5, 1, 8, 0, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(js)))
	for b.Loop() {
		bundle, err := fhir.DecodeBundle(js)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := icustay.FromBundle(bundle, icustay.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPrefetchCodes (issue 17, item 4): the prefetch codes are exactly the
// codes the map reads, the panels and the PhysioNet codes, so a template
// built from them cannot leave one out.
func TestPrefetchCodes(t *testing.T) {
	got := map[string]bool{}
	for _, c := range icustay.PrefetchCodes() {
		if got[c] {
			t.Errorf("%s twice", c)
		}
		got[c] = true
	}
	want := map[string]bool{}
	for _, c := range icustay.Codes {
		if c.LOINC == "" {
			want[icustay.PhysioNetSystem+"|"+c.Variable] = true
		}
		for _, code := range append([]string{c.LOINC}, c.Aliases...) {
			if code != "" {
				want[fhir.SystemLOINC+"|"+code] = true
			}
		}
	}
	// Hand-picked codes that real EHR data uses and the issue names.
	for _, code := range []string{"2339-0", "6299-2", "2947-0", "6298-4", "20570-8", "8331-1", "55284-4", "85354-9", "38483-4", "2028-9", "15074-8"} {
		want[fhir.SystemLOINC+"|"+code] = true
	}
	if !reflect.DeepEqual(got, want) {
		for c := range want {
			if !got[c] {
				t.Errorf("prefetch codes lack %s", c)
			}
		}
		for c := range got {
			if !want[c] {
				t.Errorf("prefetch codes have %s, which the map does not read", c)
			}
		}
	}
}
