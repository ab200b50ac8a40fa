package cdshooks_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/galenhealth/galen/cdshooks"
)

// FuzzDecodeRequest checks that no input panics, that failures are
// *cdshooks.Error with problems, and that a decoded request re-encodes and
// decodes again.
func FuzzDecodeRequest(f *testing.F) {
	b, err := os.ReadFile("testdata/patient-view.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"hook":"patient-view","hookInstance":"x","context":{"userId":"u","patientId":"p"},"prefetch":{"patient":null}}`,
		`{"hook":"order-sign","hookInstance":"x","context":{"userId":"u","patientId":"p","draftOrders":{}},"fhirServer":"http://a"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := cdshooks.DecodeRequest(data)
		if err != nil {
			var e *cdshooks.Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error %v is not a *cdshooks.Error with problems", err)
			}
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cdshooks.DecodeRequest(b); err != nil {
			t.Fatalf("a decoded request does not decode again: %v\n%s", err, b)
		}
	})
}
