package icustay_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
)

var update = flag.Bool("update", false, "rewrite testdata/frombundle.golden.json, or with -run TestLOINCTable the LOINC table of docs/outcome.md")

// TestFromBundleGolden converts bundles with many kinds of problems and
// compares every result and issue with testdata/frombundle.golden.json.
func TestFromBundleGolden(t *testing.T) {
	const t0, t1 = "2012-05-01T08:00:00Z", "2012-05-01T09:30:00+01:00"
	raw, err := os.ReadFile("../testdata/icu-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	bp := `,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"}},` +
		`{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"unit":"g"}},` +
		`{"code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"valueInteger":3},{"code":{"text":"x"}}]`
	cases := []struct {
		name   string
		bundle string
		opt    icustay.Options
	}{
		{"icu bundle", string(raw), icustay.Options{}},
		{"many warnings", bundleOf(
			`{"resourceType":"Patient","id":"p1","gender":"other","birthDate":"2099"}`,
			obsAbout("Patient/p1", t0),
			obs("8867-4", t1, `,"valueQuantity":{"value":80}`),
			obs("1234-5", t0, hr),
			obs("59408-5", t0, `,"valueQuantity":{"value":97,"unit":"%"}`),
			obs("8867-4", "2012-05-01", hr),
			strings.Replace(obs("8867-4", t0, hr), "final", "cancelled", 1),
			strings.Replace(obs("8867-4", t0, hr), "final", "registered", 1),
			obs("8867-4", t0, `,"valueString":"fast"`),
			obs("8867-4", t0, `,"valueInteger":80`),
			obs("6598-7", t0, `,"valueQuantity":{"value":0.01,"comparator":"<","unit":"ng/mL"}`),
			obs("2339-0", t0, `,"valueQuantity":{"value":1,"unit":"g/L"}`),
			obs("85354-9", t1, bp),
			obs("85354-9", t1, `,"component":[{"code":{"text":"x"}}]`),
			obs("8867-4", "2011-05-01T08:00:00Z", hr),
			obs("8867-4", t0, `,"dataAbsentReason":{"text":"x"}`),
			obs("8867-4", t0, ``),
			obs("8867-4", t0, `,"valueQuantity":{"unit":"/min"}`),
			`{"resourceType":"Condition","id":"c"}`, `{"resourceType":"Condition"}`, `{"resourceType":"Encounter"}`,
			strings.Replace(obs("8867-4", t0, hr), `"effectiveDateTime":"`+t0+`"`, `"effectivePeriod":{"end":"2012-05-01"}`, 1),
			strings.Replace(obs("8867-4", t0, hr), `"effectiveDateTime":"`+t0+`"`, `"effectiveInstant":"2012-05-01T10:00:00Z"`, 1),
			strings.Replace(obs("8867-4", t0, hr), `"code":"8867-4"`, `"code":"8867-4"},{"system":"https://physionet.org/content/challenge-2012/1.0.0/","code":"Foo"`, 1),
		), icustay.Options{Admission: mustTime(t, t0)}},
		{"other subject", bundleOf(`{"resourceType":"Patient","id":"a"}`, obsAbout("Patient/a", t0), obsAbout("Patient/b", t0)), icustay.Options{}},
		{"two subjects", bundleOf(obsAbout("Patient/a", t0), obsAbout("Patient/b", t0)), icustay.Options{}},
		{"two patients", bundleOf(`{"resourceType":"Patient","id":"a"}`, `{"resourceType":"Patient","id":"b"}`, obs("8867-4", t0, hr)), icustay.Options{}},
		{"wrong patient", bundleOf(`{"resourceType":"Patient","id":"a"}`, obs("8867-4", t0, hr)), icustay.Options{PatientID: "b"}},
		{"nothing usable", bundleOf(obs("1234-5", t0, hr)), icustay.Options{}},
	}
	var got bytes.Buffer
	for _, c := range cases {
		b, err := fhir.DecodeBundle([]byte(c.bundle))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		res, err := icustay.FromBundle(b, c.opt)
		out := map[string]any{"name": c.name, "result": res}
		var fe *fhir.Error
		if errors.As(err, &fe) {
			out["error"] = fe.Issues
		} else if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		line, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(line)
		got.WriteByte('\n')
	}
	const golden = "testdata/frombundle.golden.json"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	if len(gl) != len(wl) {
		t.Fatalf("%d results, golden has %d", len(gl), len(wl))
	}
	for i := range gl {
		if gl[i] != wl[i] {
			t.Errorf("result %d differs\n got %s\nwant %s", i, gl[i], wl[i])
		}
	}
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return at
}
