package api_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

func TestInferTensorDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    galen.Tensor
		wantErr string // substring; "" means success
	}{
		{"flat fp32", `{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4.5]}`,
			galen.Tensor{Name: "x", Datatype: "FP32", Shape: []int64{2, 2}, Floats: []float64{1, 2, 3, 4.5}}, ""},
		{"nested fp64", `{"name":"x","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4]]}`,
			galen.Tensor{Name: "x", Datatype: "FP64", Shape: []int64{2, 2}, Floats: []float64{1, 2, 3, 4}}, ""},
		{"int32", `{"name":"i","shape":[3],"datatype":"INT32","data":[1,-2,3]}`,
			galen.Tensor{Name: "i", Datatype: "INT32", Shape: []int64{3}, Ints: []int64{1, -2, 3}}, ""},
		{"bool", `{"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]}`,
			galen.Tensor{Name: "b", Datatype: "BOOL", Shape: []int64{2}, Ints: []int64{1, 0}}, ""},
		{"bytes", `{"name":"s","shape":[1],"datatype":"BYTES","data":["chest pain"]}`,
			galen.Tensor{Name: "s", Datatype: "BYTES", Shape: []int64{1}, Strings: []string{"chest pain"}}, ""},
		{"empty", `{"name":"x","shape":[0,3],"datatype":"FP32","data":[]}`,
			galen.Tensor{Name: "x", Datatype: "FP32", Shape: []int64{0, 3}, Floats: []float64{}}, ""},
		{"count mismatch", `{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3]}`, galen.Tensor{}, `tensor "x": shape [2 3] needs 6 elements, data has 3`},
		{"bad datatype", `{"name":"x","shape":[1],"datatype":"FP16","data":[1]}`, galen.Tensor{}, `tensor "x": unsupported datatype "FP16"`},
		{"string in fp", `{"name":"x","shape":[2],"datatype":"FP32","data":[1,"a"]}`, galen.Tensor{}, `tensor "x": element 1 is a string, want a number`},
		{"float in int", `{"name":"x","shape":[1],"datatype":"INT64","data":[1.5]}`, galen.Tensor{}, `element 0 (1.5) is not an integer`},
		{"int32 overflow", `{"name":"x","shape":[1],"datatype":"INT32","data":[3000000000]}`, galen.Tensor{}, `out of range for INT32`},
		{"uint8", `{"name":"px","shape":[1,3],"datatype":"UINT8","data":[[0,128,255]]}`,
			galen.Tensor{Name: "px", Datatype: "UINT8", Shape: []int64{1, 3}, Ints: []int64{0, 128, 255}}, ""},
		{"uint8 over 255", `{"name":"px","shape":[2],"datatype":"UINT8","data":[1,256]}`, galen.Tensor{}, `element 1 (256) is out of range for UINT8`},
		{"uint8 negative", `{"name":"px","shape":[1],"datatype":"UINT8","data":[-1]}`, galen.Tensor{}, `out of range for UINT8`},
		{"fp32 overflow", `{"name":"x","shape":[1],"datatype":"FP32","data":[1e300]}`, galen.Tensor{}, `out of range for FP32`},
		{"negative dim", `{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}`, galen.Tensor{}, `shape[0] is -1`},
		{"huge shape", `{"name":"x","shape":[1000000,1000000],"datatype":"FP32","data":[1]}`, galen.Tensor{}, `more than`},
		{"no shape", `{"name":"x","datatype":"FP32","data":[1]}`, galen.Tensor{}, `shape is missing`},
		{"no data", `{"name":"x","shape":[1],"datatype":"FP32"}`, galen.Tensor{}, `data is missing`},
		{"scalar data", `{"name":"x","shape":[1],"datatype":"FP32","data":1}`, galen.Tensor{}, `data must be a JSON array`},
		{"no name", `{"shape":[1],"datatype":"FP32","data":[1]}`, galen.Tensor{}, `without a name`},
		{"null element", `{"name":"x","shape":[1],"datatype":"BOOL","data":[null]}`, galen.Tensor{}, `element 0 is null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var it api.InferTensor
			if err := json.Unmarshal([]byte(tt.in), &it); err != nil {
				t.Fatal(err)
			}
			got, err := it.Decode()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				if galen.ErrorCode(err) != galen.EINVALID {
					t.Errorf("code = %q, want %q", galen.ErrorCode(err), galen.EINVALID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewInferTensorRoundTrip(t *testing.T) {
	tests := []galen.Tensor{
		{Name: "f", Datatype: "FP64", Shape: []int64{1, 2}, Floats: []float64{0.25, -1}},
		{Name: "i", Datatype: "INT64", Shape: []int64{2}, Ints: []int64{7, -7}},
		{Name: "b", Datatype: "BOOL", Shape: []int64{2}, Ints: []int64{1, 0}},
		{Name: "s", Datatype: "BYTES", Shape: []int64{1}, Strings: []string{"x"}},
	}
	for _, want := range tests {
		t.Run(want.Name, func(t *testing.T) {
			it, err := api.NewInferTensor(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := it.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func FuzzInferTensorDecode(f *testing.F) {
	f.Add(`{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}`)
	f.Add(`{"name":"x","shape":[1],"datatype":"BYTES","data":["a"]}`)
	f.Add(`{"name":"x","shape":[2],"datatype":"BOOL","data":[true,1]}`)
	f.Add(`{"name":"x","shape":[9223372036854775807,2],"datatype":"INT64","data":[[[[]]]]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var it api.InferTensor
		if json.Unmarshal([]byte(s), &it) != nil {
			return
		}
		got, err := it.Decode()
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("code %q for %v", galen.ErrorCode(err), err)
			}
			return
		}
		n := int64(1)
		for _, d := range got.Shape {
			n *= d
		}
		if l := int64(len(got.Floats) + len(got.Ints) + len(got.Strings)); l != n {
			t.Fatalf("decoded %d elements for shape %v", l, got.Shape)
		}
	})
}
