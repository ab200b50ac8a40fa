package safetensors_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/galenhealth/galen/nn/safetensors"
)

func Example() {
	var buf bytes.Buffer
	err := safetensors.Save(&buf, map[string]safetensors.Tensor{
		"out.weight": {Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		"out.bias":   {Shape: []int{2}, Data: []float32{0.5, -0.5}},
	}, map[string]string{"epoch": "3"})
	if err != nil {
		panic(err)
	}
	f, err := safetensors.Load(buf.Bytes())
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Names(), f.Metadata["epoch"])

	// Copy into a model's parameters; every mismatch is reported at once.
	weight, bias := make([]float32, 6), make([]float32, 3)
	err = f.Assign(map[string]safetensors.Target{
		"out.weight": {Shape: []int{2, 3}, Data: weight},
		"out.bias":   {Shape: []int{3}, Data: bias},
		"emb.weight": {Shape: []int{10, 2}, Data: make([]float32, 20)},
	})
	var m *safetensors.MismatchError
	if errors.As(err, &m) {
		fmt.Println("missing:", m.Missing)
		fmt.Println("wrong shape:", m.Shape)
	}
	// Output:
	// [out.bias out.weight] 3
	// missing: [emb.weight]
	// wrong shape: [out.bias: file [2], model [3]]
}
