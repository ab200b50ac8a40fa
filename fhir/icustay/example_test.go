package icustay_test

import (
	"fmt"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
)

func ExampleFromBundle() {
	b, err := fhir.DecodeBundle([]byte(`{"resourceType": "Bundle", "type": "collection", "entry": [
		{"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1958-03-14"}},
		{"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
			"code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
			"effectiveDateTime": "2012-05-01T08:37:00Z",
			"valueQuantity": {"value": 100.4, "system": "http://unitsofmeasure.org", "code": "[degF]"}}},
		{"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
			"code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
			"effectiveDateTime": "2012-05-01T08:40:00Z",
			"valueQuantity": {"value": 97, "unit": "%"}}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := icustay.FromBundle(b, icustay.Options{PatientID: "p1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range res.Stay.Observations {
		fmt.Printf("%d min %s %.1f\n", o.Minutes, o.Parameter, o.Value)
	}
	fmt.Println("age", res.Stay.Descriptors["Age"], "gender", res.Stay.Descriptors["Gender"])
	fmt.Println(res.Issues[0])
	// Output:
	// 0 min Temp 38.0
	// age 54 gender 0
	// Bundle.entry[2].resource.code: LOINC 59408-5: SpO2 by pulse oximetry is not arterial SaO2 (2708-6); observation ignored
}
