package fhir_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/galenhealth/galen/fhir"
)

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeBundle(t *testing.T) {
	b, err := fhir.DecodeBundle(readFile(t, "testdata/icu-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Type != "collection" || len(b.Entry) != 6 {
		t.Fatalf("type %q, %d entries", b.Type, len(b.Entry))
	}
	p, ok := b.Entry[0].Resource.(*fhir.Patient)
	if !ok || p.Gender != "female" || p.BirthDate != "1958-03-14" {
		t.Errorf("entry 0 = %#v", b.Entry[0].Resource)
	}
	hr := b.Entry[1].Resource.(*fhir.Observation)
	if hr.Code.Code(fhir.SystemLOINC) != "8867-4" || *hr.ValueQuantity.Value != 73 || hr.Effective() != "2012-05-01T08:07:00Z" {
		t.Errorf("heart rate = %#v", hr)
	}
	bp := b.Entry[2].Resource.(*fhir.Observation)
	if len(bp.Component) != 2 || *bp.Component[1].ValueQuantity.Value != 65 {
		t.Errorf("blood pressure components = %#v", bp.Component)
	}
	enc, ok := b.Entry[5].Resource.(*fhir.Unsupported)
	if !ok || enc.ResourceType() != "Encounter" {
		t.Errorf("entry 5 = %#v, want *Unsupported Encounter", b.Entry[5].Resource)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"bundle", "testdata/icu-bundle.json"},
		{"risk assessment", "testdata/riskassessment.json"},
		{"operation outcome", "testdata/operationoutcome.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r1, err := fhir.Decode(readFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(r1)
			if err != nil {
				t.Fatal(err)
			}
			r2, err := fhir.Decode(b)
			if err != nil {
				t.Fatalf("re-decoding %s: %v", b, err)
			}
			b2, _ := json.Marshal(r2)
			if string(b) != string(b2) {
				t.Errorf("round trip changed the document:\n%s\n%s", b, b2)
			}
			if r1.ResourceType() != r2.ResourceType() || !reflect.DeepEqual(reflect.TypeOf(r1), reflect.TypeOf(r2)) {
				t.Errorf("types %T and %T", r1, r2)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	obs := func(body string) string {
		return `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation",` + body + `}}]}`
	}
	const okObs = `"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"2012-05-01T08:07:00Z"`
	const r = "Bundle.entry[0].resource."
	tests := []struct {
		name      string
		in        string
		wantPaths []string // every issue's path, in order
		wantMsg   string   // a substring of the first message
	}{
		{"malformed", `{"resourceType": "Bundle",`, []string{""}, "malformed JSON"},
		{"syntax error position", "{\n \"a\": tru }", []string{""}, "line 2"},
		{"empty", "  ", []string{""}, "empty"},
		{"array root", `[]`, []string{""}, "JSON object"},
		{"trailing data", `{"resourceType":"Bundle","type":"collection"} {}`, []string{""}, "after the document"},
		{"no resourceType", `{"type":"collection"}`, []string{"resourceType"}, "resourceType"},
		{"not a bundle", `{"resourceType":"Patient"}`, []string{"resourceType"}, `got "Patient"`},
		{"bundle without type", `{"resourceType":"Bundle"}`, []string{"Bundle.type"}, "missing required"},
		{"bad bundle type", `{"resourceType":"Bundle","type":"bag"}`, []string{"Bundle.type"}, "not one of"},
		{"unknown resource type in entry", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Obsrvation"}}]}`,
			[]string{"Bundle.entry[0].resource.resourceType"}, "unknown resourceType"},
		{"entry not an object", `{"resourceType":"Bundle","type":"collection","entry":[1]}`, []string{"Bundle.entry[0]"}, "object"},
		{"empty entry array", `{"resourceType":"Bundle","type":"collection","entry":[]}`, []string{"Bundle.entry"}, "empty array"},
		{"every problem of an observation", obs(`"foo":1,"valueQuantity":{"value":"72"}`),
			[]string{r + "foo", r + "status", r + "code", r + "valueQuantity.value"}, `unknown element "foo"`},
		{"string value", obs(okObs + `,"valueQuantity":{"value":"7.2","unit":"mmol/L"}`), []string{r + "valueQuantity.value"}, "JSON number"},
		{"two values", obs(okObs + `,"valueQuantity":{"value":1},"valueString":"x"`), []string{r + "valueString"}, "only one of value[x]"},
		{"time without zone", obs(`"status":"final","code":{"text":"x"},"effectiveDateTime":"2012-05-01T08:07:00"`),
			[]string{r + "effectiveDateTime"}, "zone"},
		{"null", obs(okObs + `,"valueQuantity":null`), []string{r + "valueQuantity"}, "null"},
		{"modifier extension", obs(okObs + `,"modifierExtension":[{"url":"x"}]`), []string{r + "modifierExtension"}, "not supported"},
		{"bad status", obs(`"status":"done","code":{"text":"x"}`), []string{r + "status"}, "not one of"},
		{"component without code", obs(okObs + `,"component":[{"valueQuantity":{"value":1}}]`), []string{r + "component[0].code"}, "missing"},
		{"bad comparator", obs(okObs + `,"valueQuantity":{"value":1,"comparator":"~"}`), []string{r + "valueQuantity.comparator"}, "not one of"},
		{"blank string", obs(okObs + `,"valueQuantity":{"value":1,"unit":" "}`), []string{r + "valueQuantity.unit"}, "empty"},
		{"bad gender and date", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":"f","birthDate":"14/03/1958"}}]}`,
			[]string{"Bundle.entry[0].resource.gender", "Bundle.entry[0].resource.birthDate"}, "not one of"},
		{"huge number", obs(okObs + `,"valueQuantity":{"value":1e999}`), []string{r + "valueQuantity.value"}, "out of range"},
		{"primitive extension allowed, unknown underscore not", obs(okObs + `,"_status":{"id":"x"},"_bogus":{}`), []string{r + "_bogus"}, "unknown element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fhir.DecodeBundle([]byte(tt.in))
			var fe *fhir.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *fhir.Error", err)
			}
			var paths []string
			for _, i := range fe.Issues {
				paths = append(paths, i.Path)
				if i.Severity != fhir.SeverityError || i.Code == "" || i.Message == "" {
					t.Errorf("incomplete issue %+v", i)
				}
				// Dates and numbers may be a patient's; issues never repeat them.
				for _, v := range []string{"1958", "1e999", "08:07"} {
					if strings.Contains(i.Message, v) {
						t.Errorf("issue %q repeats the input value %s", i.Message, v)
					}
				}
			}
			if !reflect.DeepEqual(paths, tt.wantPaths) {
				t.Errorf("paths = %q, want %q\n%v", paths, tt.wantPaths, err)
			}
			if !strings.Contains(fe.Issues[0].Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", fe.Issues[0].Message, tt.wantMsg)
			}
			oo := fe.OperationOutcome()
			if len(oo.Issue) != len(fe.Issues) {
				t.Errorf("OperationOutcome has %d issues, want %d", len(oo.Issue), len(fe.Issues))
			}
			if b, err := json.Marshal(oo); err != nil {
				t.Error(err)
			} else if _, err := fhir.Decode(b); err != nil {
				t.Errorf("our OperationOutcome does not decode: %v\n%s", err, b)
			}
		})
	}
}

func TestDecodeAnyResource(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"patient", `{"resourceType":"Patient","gender":"male"}`, "Patient", false},
		{"unmodelled R4 type", `{"resourceType":"Condition","id":"c1"}`, "Condition", false},
		{"not R4", `{"resourceType":"Widget"}`, "", true},
		{"risk assessment without subject", `{"resourceType":"RiskAssessment","status":"final"}`, "", true},
		{"probability out of range", `{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/1"},"prediction":[{"probabilityDecimal":101}]}`, "", true},
		{"empty outcome", `{"resourceType":"OperationOutcome"}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := fhir.Decode([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && r.ResourceType() != tt.want {
				t.Errorf("type %q, want %q", r.ResourceType(), tt.want)
			}
		})
	}
}

func TestNewOperationOutcome(t *testing.T) {
	oo := fhir.NewOperationOutcome(nil)
	if len(oo.Issue) != 1 || oo.Issue[0].Severity != fhir.SeverityInformation {
		t.Errorf("empty outcome = %+v", oo)
	}
	oo = fhir.NewOperationOutcome([]fhir.Issue{{Severity: fhir.SeverityWarning, Code: fhir.CodeNotSupported, Path: "Bundle.entry[1]", Message: "ignored"}})
	b, _ := json.Marshal(oo)
	want := `{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"not-supported","diagnostics":"ignored","expression":["Bundle.entry[1]"]}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
