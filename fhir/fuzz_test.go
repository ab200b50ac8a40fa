package fhir_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/galenhealth/galen/fhir"
)

// FuzzDecodeBundle checks that no input panics, that every failure is a
// *fhir.Error with at least one issue, and that a decoded bundle encodes
// and decodes again.
func FuzzDecodeBundle(f *testing.F) {
	for _, name := range []string{"testdata/icu-bundle.json", "testdata/riskassessment.json", "testdata/operationoutcome.json"} {
		f.Add(readFile(f, name))
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"resourceType":"Bundle"}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}}]}`,
		`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Patient","birthDate":"2000-02"}}]}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := fhir.DecodeBundle(data)
		if err != nil {
			var fe *fhir.Error
			if !errors.As(err, &fe) || len(fe.Issues) == 0 {
				t.Fatalf("error %v is not a *fhir.Error with issues", err)
			}
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if _, err := fhir.DecodeBundle(out); err != nil {
			t.Fatalf("a decoded bundle does not decode again: %v\n%s", err, out)
		}
	})
}
