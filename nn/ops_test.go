package nn

import (
	"math"
	"testing"
)

type gradCase struct {
	name   string
	inputs []*Tensor
	f      func(tp *Tape) *Tensor
	opts   gradOpts
}

func runGradCases(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGradOpts(t, c.opts, c.f, c.inputs...)
		})
	}
}

func TestGradCore(t *testing.T) {
	rng := NewRand(2)
	p := func(shape ...int) *Tensor { return randParam(rng, 1, shape...) }
	a23, b34 := p(2, 3), p(3, 4)
	x3, w3, bias3 := p(2, 3, 5), p(4, 5), p(4)
	ba, bb := p(2, 3, 4), p(2, 4, 5)
	bat, bbt := p(2, 4, 3), p(2, 5, 4)
	u, v := p(2, 3, 4), p(2, 3, 4)
	row, col, sc := p(4), p(3, 1), p()
	pos := p(3, 4)
	for i := range pos.Data {
		pos.Data[i] = 0.5 + pos.Data[i]*pos.Data[i]
	}
	rl := awayFrom(p(3, 5), 0.05, 0)
	mx := p(3, 4, 5)
	runGradCases(t, []gradCase{
		{name: "MatMul", inputs: []*Tensor{a23, b34}, f: func(tp *Tape) *Tensor { return tp.MatMul(a23, b34) }},
		{name: "MatMul/3d", inputs: []*Tensor{x3, b34}, f: func(tp *Tape) *Tensor { return tp.MatMul(tp.Reshape(x3, 2, 5, 3), b34) }},
		{name: "Linear", inputs: []*Tensor{x3, w3, bias3}, f: func(tp *Tape) *Tensor { return tp.Linear(x3, w3, bias3) }},
		{name: "Linear/nobias", inputs: []*Tensor{x3, w3}, f: func(tp *Tape) *Tensor { return tp.Linear(x3, w3, nil) }},
		{name: "BatchMatMul/nn", inputs: []*Tensor{ba, bb}, f: func(tp *Tape) *Tensor { return tp.BatchMatMul(ba, bb, false, false) }},
		{name: "BatchMatMul/tn", inputs: []*Tensor{bat, bb}, f: func(tp *Tape) *Tensor { return tp.BatchMatMul(bat, bb, true, false) }},
		{name: "BatchMatMul/nt", inputs: []*Tensor{ba, bbt}, f: func(tp *Tape) *Tensor { return tp.BatchMatMul(ba, bbt, false, true) }},
		{name: "BatchMatMul/tt", inputs: []*Tensor{bat, bbt}, f: func(tp *Tape) *Tensor { return tp.BatchMatMul(bat, bbt, true, true) }},
		{name: "Add/same", inputs: []*Tensor{u, v}, f: func(tp *Tape) *Tensor { return tp.Add(u, v) }},
		{name: "Add/row", inputs: []*Tensor{u, row}, f: func(tp *Tape) *Tensor { return tp.Add(u, row) }},
		{name: "Add/col", inputs: []*Tensor{col, u}, f: func(tp *Tape) *Tensor { return tp.Add(col, u) }},
		{name: "Add/scalar", inputs: []*Tensor{u, sc}, f: func(tp *Tape) *Tensor { return tp.Add(u, sc) }},
		{name: "Add/outer", inputs: []*Tensor{col, row}, f: func(tp *Tape) *Tensor { return tp.Add(col, row) }},
		{name: "Sub/col", inputs: []*Tensor{u, col}, f: func(tp *Tape) *Tensor { return tp.Sub(u, col) }},
		{name: "Mul/row", inputs: []*Tensor{u, row}, f: func(tp *Tape) *Tensor { return tp.Mul(u, row) }},
		{name: "Mul/same", inputs: []*Tensor{u, v}, f: func(tp *Tape) *Tensor { return tp.Mul(u, v) }},
		{name: "Div/pos", inputs: []*Tensor{u, pos}, f: func(tp *Tape) *Tensor { return tp.Div(u, pos) }},
		{name: "Scale", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Scale(u, -1.5) }},
		{name: "AddScalar", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.AddScalar(u, 2) }},
		{name: "Exp", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Exp(u) }},
		{name: "Log", inputs: []*Tensor{pos}, f: func(tp *Tape) *Tensor { return tp.Log(pos) }},
		{name: "Tanh", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Tanh(u) }},
		{name: "Sigmoid", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Sigmoid(u) }},
		{name: "ReLU", inputs: []*Tensor{rl}, f: func(tp *Tape) *Tensor { return tp.ReLU(rl) }},
		{name: "Square", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Square(u) }},
		{name: "Sqrt", inputs: []*Tensor{pos}, f: func(tp *Tape) *Tensor { return tp.Sqrt(pos) }},
		{name: "GELU", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.GELU(u) }},
		{name: "Sum", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Sum(u) }},
		{name: "Mean", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Mean(u) }},
		{name: "SumAxis/0", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.SumAxis(u, 0) }},
		{name: "SumAxis/1", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.SumAxis(u, 1) }},
		{name: "MeanAxis/-1", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.MeanAxis(u, -1) }},
		{name: "MaskedMean", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.MaskedMean(u, []bool{false, true, false, true, true, true}) }},
		{name: "MaskedMean/nil", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.MaskedMean(u, nil) }},
		{name: "Max", inputs: []*Tensor{mx}, f: func(tp *Tape) *Tensor { return tp.Max(mx) }},
		{name: "MaxAxis/1", inputs: []*Tensor{mx}, f: func(tp *Tape) *Tensor { return tp.MaxAxis(mx, 1) }},
		{name: "MaxAxis/-1", inputs: []*Tensor{mx}, f: func(tp *Tape) *Tensor { return tp.MaxAxis(mx, -1) }},
	})
}

func TestGradNNOps(t *testing.T) {
	rng := NewRand(5)
	p := func(shape ...int) *Tensor { return randParam(rng, 1, shape...) }
	x := p(2, 3, 6)
	g, b := p(6), p(6)
	table := p(7, 4)
	ids := []int{3, 0, 3, 6, 1, 3}
	mask := FromSlice([]float32{0, 1, 0, 0, 0, 1}, 1, 1, 6)
	scores := p(4, 3, 3) // [B·H, S, S] with B = H = 2
	keyPad := []bool{false, false, true, false, false, false}
	runGradCases(t, []gradCase{
		{name: "Softmax", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Softmax(x) }},
		{name: "LogSoftmax", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.LogSoftmax(x) }},
		{name: "LayerNorm", inputs: []*Tensor{x, g, b}, f: func(tp *Tape) *Tensor { return tp.LayerNorm(x, g, b, 1e-5) }},
		{name: "LayerNorm/plain", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.LayerNorm(x, nil, nil, 1e-5) }},
		{name: "Embedding", inputs: []*Tensor{table}, f: func(tp *Tape) *Tensor { return tp.Embedding(table, ids, 2, 3) }},
		{name: "MaskedFill", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.MaskedFill(x, mask, -1e9) }},
		{name: "MaskedSoftmax", inputs: []*Tensor{x}, f: func(tp *Tape) *Tensor { return tp.Softmax(tp.MaskedFill(x, mask, float32(math.Inf(-1)))) }},
		{name: "Dropout", inputs: []*Tensor{x}, opts: gradOpts{Train: true}, f: func(tp *Tape) *Tensor { return tp.Dropout(x, 0.3) }},
		{name: "Dropout/layer", inputs: []*Tensor{x}, opts: gradOpts{Train: true}, f: func(tp *Tape) *Tensor { return Dropout{P: 0.5}.Forward(tp, x) }},
		{name: "attentionSoftmax", inputs: []*Tensor{scores}, f: func(tp *Tape) *Tensor { return tp.attentionSoftmax(scores, 0.7, keyPad, 2) }},
	})
}

func TestDropoutStatistics(t *testing.T) {
	x := New(100000)
	for i := range x.Data {
		x.Data[i] = 1
	}
	tp := NewTape()
	tp.Seed(3)
	y := tp.Dropout(x, 0.25)
	zeros, sum := 0, 0.0
	for _, v := range y.Data {
		if v == 0 {
			zeros++
		}
		sum += float64(v)
	}
	if f := float64(zeros) / 1e5; math.Abs(f-0.25) > 0.01 {
		t.Fatalf("dropped fraction %.4f, want 0.25", f)
	}
	if m := sum / 1e5; math.Abs(m-1) > 0.02 {
		t.Fatalf("mean %.4f, want 1", m)
	}
	tp.SetTraining(false)
	if tp.Dropout(x, 0.25) != x {
		t.Fatal("dropout in eval mode changed its input")
	}
}
