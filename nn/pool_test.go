package nn

import (
	"math"
	"testing"
)

// spread returns a [shape] parameter whose values are a shuffled ramp with
// steps of 0.1, so no two values in a pooling window are within the
// finite-difference step of each other.
func spread(seed uint64, shape ...int) *Tensor {
	t := New(shape...)
	rng := NewRand(seed)
	for i, p := range rng.Perm(len(t.Data)) {
		t.Data[i] = 0.1*float32(p) - 0.05*float32(len(t.Data))
	}
	t.SetRequiresGrad(true)
	return t
}

func TestMaxPool2d(t *testing.T) {
	x := FromSlice([]float32{
		1, 5, 2, 0,
		3, 4, 8, 7,
		-1, -2, 6, 6,
		-3, -4, 6, 9,
	}, 1, 1, 4, 4)
	y := NewTape().MaxPool2d(x, 2, 2)
	want := []float32{5, 8, -1, 9}
	for i, w := range want {
		if y.Data[i] != w {
			t.Errorf("y[%d] = %v, want %v", i, y.Data[i], w)
		}
	}
	// ... except where the window holds a NaN, which wins.
	x.Data[4*3+1] = float32(math.NaN())
	y = NewTape().MaxPool2d(x, 2, 2)
	if !math.IsNaN(float64(y.Data[2])) {
		t.Errorf("NaN window gave %v", y.Data[2])
	}
	tests := []struct {
		name           string
		shape          []int
		kernel, stride int
	}{
		{"2x2", []int{2, 3, 6, 4}, 2, 2},
		{"3x3 stride 2 odd", []int{1, 2, 7, 5}, 3, 2},
		{"overlap", []int{2, 1, 5, 5}, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := spread(1, tt.shape...)
			checkGrad(t, func(tp *Tape) *Tensor { return tp.MaxPool2d(x, tt.kernel, tt.stride) }, x)
		})
	}
}

func TestAvgPool2d(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
	y := NewTape().AvgPool2d(x, 2, 1, 0)
	for i, w := range []float32{3, 4, 6, 7} {
		if y.Data[i] != w {
			t.Errorf("y[%d] = %v, want %v", i, y.Data[i], w)
		}
	}
	// Padding counts as zeros in the mean (count_include_pad).
	y = NewTape().AvgPool2d(x, 2, 2, 1)
	for i, w := range []float32{0.25, 5.0 / 4, 11.0 / 4, 28.0 / 4} {
		if math.Abs(float64(y.Data[i]-w)) > 1e-6 {
			t.Errorf("padded y[%d] = %v, want %v", i, y.Data[i], w)
		}
	}
	tests := []struct {
		name                string
		shape               []int
		kernel, stride, pad int
	}{
		{"2x2", []int{2, 3, 6, 4}, 2, 2, 0},
		{"3x3 pad 1", []int{1, 2, 5, 6}, 3, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := randParam(NewRand(2), 1, tt.shape...)
			checkGrad(t, func(tp *Tape) *Tensor { return tp.AvgPool2d(x, tt.kernel, tt.stride, tt.pad) }, x)
		})
	}
}
