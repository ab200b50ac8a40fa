package nn_test

import (
	"fmt"

	"github.com/galenhealth/galen/nn"
)

// A training loop: fit y = 2x + 1 with one Linear layer and SGD.
func Example() {
	model := nn.NewLinear(1, 1, true, nn.NewRand(1))
	params := model.Parameters()
	opt := nn.NewSGD(params, nn.SGDConfig{LR: 0.1, Momentum: 0.9})
	x := nn.FromSlice([]float32{-1, 0, 1, 2}, 4, 1)
	y := nn.FromSlice([]float32{-1, 1, 3, 5}, 4, 1)
	tp := nn.NewTape()
	for range 200 {
		tp.Reset()
		loss := tp.MSE(model.Forward(tp, x), y)
		tp.Backward(loss)
		opt.Step()
		opt.ZeroGrad()
	}
	for _, p := range params {
		fmt.Printf("%s %.3f\n", p.Name, p.Tensor.Data[0])
	}
	// Output:
	// weight 2.000
	// bias 1.000
}

// Inference from many goroutines: each takes a pooled tape, which records
// nothing and keeps its scratch memory for the next caller.
func ExampleAcquireTape() {
	model := nn.NewLinear(3, 2, true, nn.NewRand(1))
	tp := nn.AcquireTape()
	defer tp.Release()
	out := model.Forward(tp, nn.FromSlice([]float32{1, 2, 3}, 1, 3))
	fmt.Println(out.Shape, out.RequiresGrad())
	// Output: [1 2] false
}
