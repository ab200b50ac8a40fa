package nn

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/galenhealth/galen"
)

func TestGradShape(t *testing.T) {
	rng := NewRand(3)
	p := func(shape ...int) *Tensor { return randParam(rng, 1, shape...) }
	x, y := p(2, 3, 4), p(2, 2, 4)
	runGradCases(t, []gradCase{
		{name: "Reshape", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Mul(tp.Reshape(x, 6, -1), tp.Reshape(x, 6, 4)) }},
		{name: "Transpose", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Transpose(x) }},
		{name: "Permute", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Permute(x, 2, 0, 1) }},
		{name: "Narrow/view", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Narrow(x, 0, 1, 1) }},
		{name: "Narrow/mid", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Narrow(x, 1, 1, 2) }},
		{name: "Narrow/last", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Narrow(x, -1, 0, 3) }},
		{name: "Concat/1", inputs: []*Tensor{x, y}, f: func(tp *Tape) *Tensor { return tp.Concat(1, x, y, x) }},
		{name: "Concat/0", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Concat(0, x, x) }},
	})
}

func TestPermuteValues(t *testing.T) {
	x := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 2, 3)
	var tp *Tape
	got := tp.Transpose(x)
	if want := []float32{0, 3, 1, 4, 2, 5}; !slices.Equal(got.Data, want) || !slices.Equal(got.Shape, []int{3, 2}) {
		t.Fatalf("Transpose = %v %v, want %v [3 2]", got.Data, got.Shape, want)
	}
	c := tp.Concat(-1, x, x)
	if want := []float32{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}; !slices.Equal(c.Data, want) {
		t.Fatalf("Concat = %v, want %v", c.Data, want)
	}
}

func TestCatchShapeError(t *testing.T) {
	tests := []struct {
		name string
		f    func(tp *Tape)
	}{
		{"matmul", func(tp *Tape) { tp.MatMul(New(2, 3), New(2, 3)) }},
		{"broadcast", func(tp *Tape) { tp.Add(New(2, 3), New(4)) }},
		{"reshape", func(tp *Tape) { tp.Reshape(New(2, 3), 4, -1) }},
		{"narrow", func(tp *Tape) { tp.Narrow(New(2, 3), 1, 2, 2) }},
		{"axis", func(tp *Tape) { tp.SumAxis(New(2, 3), 2) }},
		{"fromslice", func(*Tape) { FromSlice(make([]float32, 5), 2, 3) }},
		{"embedding id", func(tp *Tape) { tp.Embedding(New(4, 2), []int{1, 4}) }},
		{"embedding negative id", func(tp *Tape) { tp.Embedding(New(4, 2), []int{-1}) }},
		{"target", func(tp *Tape) { tp.CrossEntropy(New(2, 3), []int{0, 3}, nil) }},
		{"key padding", func(tp *Tape) { NewMultiheadAttention(4, 2, 0, NewRand(1)).Forward(tp, New(2, 3, 4), make([]bool, 5)) }},
		{"attention width", func(tp *Tape) { NewMultiheadAttention(4, 2, 0, NewRand(1)).Forward(tp, New(2, 3, 5), nil) }},
		{"heads", func(*Tape) { NewMultiheadAttention(5, 2, 0, NewRand(1)) }},
		{"lstm length", func(tp *Tape) { NewLSTM(3, 2, 1, NewRand(1)).Forward(tp, New(2, 4, 3), []int{4, 5}) }},
		{"gru features", func(tp *Tape) { NewGRU(3, 2, 1, NewRand(1)).Forward(tp, New(2, 4, 2), nil) }},
		{"activation", func(*Tape) {
			NewTransformerEncoderLayer(TransformerConfig{DModel: 4, Heads: 2, FFN: 4, Activation: "swish"}, NewRand(1))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Catch(func() { tt.f(NewTape()) })
			var se *galen.Error
			if !errors.As(err, &se) || galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("Catch = %v, want an EINVALID galen error", err)
			}
		})
	}
	if err := Catch(func() { NewTape().Add(New(2), New(2)) }); err != nil {
		t.Fatalf("Catch on good shapes = %v", err)
	}
}

func TestInferenceTapeRecordsNothing(t *testing.T) {
	w := NewParam(3, 2)
	x := FromSlice([]float32{1, 2, 3}, 1, 3)
	for _, tp := range []*Tape{nil, NewInferenceTape(), AcquireTape()} {
		out := tp.MatMul(x, w)
		if out.RequiresGrad() || (tp != nil && len(tp.nodes) != 0) {
			t.Fatalf("inference tape recorded an op")
		}
		tp.Release()
	}
	tp := NewTape()
	out := tp.Sum(tp.MatMul(x, w))
	tp.Backward(out)
	if want := []float32{1, 1, 2, 2, 3, 3}; !slices.Equal(w.Grad, want) {
		t.Fatalf("grad = %v, want %v", w.Grad, want)
	}
}

func TestTapeReuseIsExact(t *testing.T) {
	rng := NewRand(4)
	w := randParam(rng, 1, 5, 4)
	x := randParam(rng, 1, 3, 5)
	tp := NewTape()
	var first []float32
	for i := range 3 {
		tp.Reset()
		w.ZeroGrad()
		tp.Backward(tp.Sum(tp.Tanh(tp.MatMul(x, w))))
		if i == 0 {
			first = slices.Clone(w.Grad)
		} else if !slices.Equal(first, w.Grad) {
			t.Fatalf("step %d gradient differs after Reset", i)
		}
	}
}

// TestIntermediateGradReadable checks what explanations rely on: after
// Backward an intermediate tensor's Grad holds d(loss)/d(tensor).
func TestIntermediateGradReadable(t *testing.T) {
	rng := NewRand(14)
	table := randParam(rng, 1, 5, 3)
	lin := NewLinear(3, 2, true, rng)
	tp := NewTape()
	emb := tp.Embedding(table, []int{4, 1})
	tp.Backward(tp.Sum(lin.Forward(tp, emb)))
	for r := range 2 {
		for j := range 3 {
			want := lin.Weight.Data[j] + lin.Weight.Data[3+j]
			if got := emb.Grad[r*3+j]; math.Abs(float64(got-want)) > 1e-6 {
				t.Fatalf("embedding grad [%d,%d] = %v, want %v", r, j, got, want)
			}
		}
	}
}

func TestDetachStopsGradient(t *testing.T) {
	w := NewParam(2)
	copy(w.Data, []float32{1, 2})
	tp := NewTape()
	loss := tp.Sum(tp.Mul(w, w.Detach())) // d/dw = w (the detached factor is a constant)
	tp.Backward(loss)
	if want := []float32{1, 2}; !slices.Equal(w.Grad, want) {
		t.Fatalf("grad %v, want %v", w.Grad, want)
	}
}
