package nn

import (
	"math"
	"testing"
)

func TestBatchNorm2dGrad(t *testing.T) {
	tests := []struct {
		name  string
		train bool
		affne bool
	}{
		{"train", true, true},
		{"train no affine", true, false},
		{"eval", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := NewRand(6)
			x := randParam(rng, 1, 3, 2, 3, 2)
			inputs := []*Tensor{x}
			var w, b *Tensor
			if tt.affne {
				w, b = randParam(rng, 1, 2), randParam(rng, 1, 2)
				inputs = append(inputs, w, b)
			}
			rm, rv := FromSlice([]float32{0.1, -0.2}, 2), FromSlice([]float32{0.5, 2}, 2)
			checkGradOpts(t, gradOpts{Train: tt.train, Eps: 1e-3}, func(tp *Tape) *Tensor {
				return tp.BatchNorm2d(x, w, b, rm, rv, 0.1, 1e-5)
			}, inputs...)
		})
	}
}

func TestBatchNorm2dStats(t *testing.T) {
	// Channel 0 holds 1..4, channel 1 holds 10, 10, 20, 20 (batch 2, 1x2 images).
	x := FromSlice([]float32{1, 2, 10, 10, 3, 4, 20, 20}, 2, 2, 1, 2)
	bn := NewBatchNorm2d(2)
	tp := NewTape()
	y := bn.Forward(tp, x)
	// Batch mean 2.5, biased var 1.25, unbiased 5/3 for channel 0.
	want0 := (1 - 2.5) / math.Sqrt(1.25+1e-5)
	if math.Abs(float64(y.Data[0])-want0) > 1e-5 {
		t.Errorf("y[0] = %v, want %v", y.Data[0], want0)
	}
	for i, w := range []float64{0.25, 1.5} {
		if math.Abs(float64(bn.RunningMean.Data[i])-w) > 1e-6 {
			t.Errorf("running_mean[%d] = %v, want %v", i, bn.RunningMean.Data[i], w)
		}
	}
	for i, w := range []float64{0.9 + 0.1*5.0/3, 0.9 + 0.1*100.0/3} {
		if math.Abs(float64(bn.RunningVar.Data[i])-w) > 1e-5 {
			t.Errorf("running_var[%d] = %v, want %v", i, bn.RunningVar.Data[i], w)
		}
	}
	if bn.NumBatchesTracked.Data[0] != 1 {
		t.Errorf("num_batches_tracked = %v", bn.NumBatchesTracked.Data[0])
	}
	// Evaluation uses the running statistics and leaves them alone.
	y = bn.Forward(NewInferenceTape(), x)
	want := (1 - 0.25) / math.Sqrt(0.9+0.1*5.0/3+1e-5)
	if math.Abs(float64(y.Data[0])-want) > 1e-5 || bn.NumBatchesTracked.Data[0] != 1 {
		t.Errorf("eval y[0] = %v, want %v", y.Data[0], want)
	}
	names := []string{}
	for _, p := range append(bn.Parameters(), bn.Buffers()...) {
		names = append(names, p.Name)
	}
	if len(names) != 5 || names[0] != "weight" || names[4] != "num_batches_tracked" {
		t.Errorf("names %v", names)
	}
}
