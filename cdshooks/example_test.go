package cdshooks_test

import (
	"fmt"

	"github.com/galenhealth/galen/cdshooks"
)

func ExampleDecodeRequest() {
	_, err := cdshooks.DecodeRequest([]byte(`{"hook": "patient-view", "hookInstance": "d1577c69",
		"context": {"userId": "Practitioner/1"}, "fhirServer": "fhir.example.org"}`))
	for _, p := range err.(*cdshooks.Error).Problems {
		fmt.Println(p)
	}
	// Output:
	// fhirServer: must be an absolute http(s) URL
	// context.patientId: missing; the patient-view hook requires it
}
