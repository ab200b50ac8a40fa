package nn

import (
	"math"
	"testing"
)

func TestGradLoss(t *testing.T) {
	rng := NewRand(6)
	logits := randParam(rng, 2, 5, 4)
	targets := []int{0, 3, 3, -100, 1}
	cw := []float32{0.5, 2, 1, 3}
	bl := randParam(rng, 2, 3, 4)
	by := New(3, 4)
	for i := range by.Data {
		by.Data[i] = float32(rng.IntN(2))
	}
	pw := []float32{1, 3, 0.5, 2}
	pred, tgt := randParam(rng, 1, 3, 4), randParam(rng, 1, 3, 4)
	runGradCases(t, []gradCase{
		{name: "CrossEntropy", inputs: []*Tensor{logits}, f: func(tp *Tape) *Tensor { return tp.CrossEntropy(logits, targets, nil) }},
		{name: "CrossEntropy/weights", inputs: []*Tensor{logits}, f: func(tp *Tape) *Tensor { return tp.CrossEntropy(logits, targets, cw) }},
		{name: "BCEWithLogits", inputs: []*Tensor{bl}, f: func(tp *Tape) *Tensor { return tp.BCEWithLogits(bl, by, nil) }},
		{name: "BCEWithLogits/posWeight", inputs: []*Tensor{bl}, f: func(tp *Tape) *Tensor { return tp.BCEWithLogits(bl, by, pw) }},
		{name: "MSE", inputs: []*Tensor{pred, tgt}, f: func(tp *Tape) *Tensor { return tp.MSE(pred, tgt) }},
	})
}

// TestLossValues checks losses against values worked out by hand.
func TestLossValues(t *testing.T) {
	var tp *Tape
	lse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	tests := []struct {
		name string
		got  float32
		want float64
	}{
		{"ce", tp.CrossEntropy(FromSlice([]float32{1, 2, 3, 1, 2, 3}, 2, 3), []int{2, 0}, nil).Item(), ((lse - 3) + (lse - 1)) / 2},
		{"ce/weighted", tp.CrossEntropy(FromSlice([]float32{1, 2, 3, 1, 2, 3}, 2, 3), []int{2, 0}, []float32{3, 1, 1}).Item(), (1*(lse-3) + 3*(lse-1)) / 4},
		{"bce", tp.BCEWithLogits(FromSlice([]float32{0, 2}, 2), FromSlice([]float32{1, 0}, 2), nil).Item(), (math.Log(2) + math.Log(1+math.Exp(2))) / 2},
		{"bce/pos", tp.BCEWithLogits(FromSlice([]float32{0, 2}, 2), FromSlice([]float32{1, 1}, 2), []float32{3}).Item(), (3*math.Log(2) + 3*math.Log(1+math.Exp(-2))) / 2},
		{"mse", tp.MSE(FromSlice([]float32{1, 2}, 2), FromSlice([]float32{0, 4}, 2)).Item(), 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(float64(tt.got)-tt.want) > 1e-5*math.Abs(tt.want) {
				t.Fatalf("got %.7g, want %.7g", tt.got, tt.want)
			}
		})
	}
}
