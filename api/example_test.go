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
