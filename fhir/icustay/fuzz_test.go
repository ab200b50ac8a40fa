package icustay_test

import (
	"errors"
	"os"
	"testing"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
)

// FuzzFromBundle checks that any decodable Bundle converts without a panic,
// and that failures are *fhir.Error with issues.
func FuzzFromBundle(f *testing.F) {
	if b, err := os.ReadFile("../testdata/icu-bundle.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(bundleOf(obs("8867-4", "2012-05-01T08:00:00Z", hr), obs("8310-5", "2012-05-01T09:00:00Z", `,"valueQuantity":{"value":99,"unit":"°F"}`))))
	f.Add([]byte(bundleOf(`{"resourceType":"Patient","birthDate":"1950"}`, obs("29463-7", "2012-05-01T08:00:00Z", `,"valueQuantity":{"value":170,"code":"[lb_av]"}`))))
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := fhir.DecodeBundle(data)
		if err != nil {
			return
		}
		res, err := icustay.FromBundle(b, icustay.Options{})
		if err != nil {
			var fe *fhir.Error
			if !errors.As(err, &fe) || len(fe.Issues) == 0 {
				t.Fatalf("error %v is not a *fhir.Error with issues", err)
			}
			return
		}
		if len(res.Stay.Observations) == 0 {
			t.Fatal("success without observations")
		}
		for _, o := range res.Stay.Observations {
			if o.Minutes < 0 {
				t.Fatalf("negative minutes %d", o.Minutes)
			}
		}
	})
}
