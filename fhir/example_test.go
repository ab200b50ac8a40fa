package fhir_test

import (
	"errors"
	"fmt"

	"github.com/galenhealth/galen/fhir"
)

func ExampleDecodeBundle() {
	_, err := fhir.DecodeBundle([]byte(`{"resourceType": "Bundle", "type": "collection", "entry": [
		{"resource": {"resourceType": "Observation", "status": "final",
			"code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
			"effectiveDateTime": "2012-05-01T08:07:00",
			"valueQuantity": {"value": "73", "unit": "/min"}}},
		{"resource": {"resourceType": "Observaton"}}]}`))
	var fe *fhir.Error
	if errors.As(err, &fe) {
		for _, i := range fe.Issues {
			fmt.Println(i)
		}
	}
	// Output:
	// Bundle.entry[0].resource.effectiveDateTime: not a FHIR dateTime (e.g. 2012-05-01T08:30:00Z; a time needs a zone)
	// Bundle.entry[0].resource.valueQuantity.value: must be a JSON number, got a string
	// Bundle.entry[1].resource.resourceType: unknown resourceType "Observaton" (not an R4 resource)
}
