package api_test

import (
	"encoding/json"
	"fmt"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

func ExampleNewInferTensor() {
	in, _ := api.NewInferTensor(galen.Tensor{Name: "x", Datatype: galen.DatatypeFP32, Shape: []int64{1, 2}, Floats: []float64{0.5, 2}})
	b, _ := json.Marshal(api.InferenceRequest{Inputs: []api.InferTensor{in}})
	fmt.Println(string(b))
	// Output: {"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[0.5,2]}]}
}

func ExampleInferTensor_Decode() {
	var t api.InferTensor
	_ = json.Unmarshal([]byte(`{"name":"x","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4]]}`), &t)
	got, err := t.Decode()
	fmt.Println(got.Floats, err)
	t.Shape = []int64{3, 2}
	_, err = t.Decode()
	fmt.Println(err)
	// Output:
	// [1 2 3 4] <nil>
	// galen invalid: tensor "x": shape [3 2] needs 6 elements, data has 4
}

func ExampleOutcomeRequest() {
	hr, gcs := 88.0, 11.0
	req := api.OutcomeRequest{
		Observations: []api.OutcomeObservation{
			{Time: json.RawMessage(`"01:30"`), Parameter: "HR", Value: &hr}, // "HH:MM" since ICU admission
			{Time: json.RawMessage("95"), Parameter: "GCS", Value: &gcs},    // or minutes
		},
		Descriptors: map[string]float64{"Age": 71, "Gender": 1},
	}
	b, _ := json.Marshal(req)
	fmt.Println(string(b))
	// Output: {"observations":[{"time":"01:30","parameter":"HR","value":88},{"time":95,"parameter":"GCS","value":11}],"descriptors":{"Age":71,"Gender":1}}
}
