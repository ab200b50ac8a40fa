package nn

import (
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
		{name: "GELU", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.GELU(u) }},
		{name: "Sum", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Sum(u) }},
		{name: "Mean", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.Mean(u) }},
		{name: "SumAxis/0", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.SumAxis(u, 0) }},
		{name: "SumAxis/1", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.SumAxis(u, 1) }},
		{name: "MeanAxis/-1", inputs: []*Tensor{u}, f: func(tp *Tape) *Tensor { return tp.MeanAxis(u, -1) }},
		{name: "Max", inputs: []*Tensor{mx}, f: func(tp *Tape) *Tensor { return tp.Max(mx) }},
		{name: "MaxAxis/1", inputs: []*Tensor{mx}, f: func(tp *Tape) *Tensor { return tp.MaxAxis(mx, 1) }},
		{name: "MaxAxis/-1", inputs: []*Tensor{mx}, f: func(tp *Tape) *Tensor { return tp.MaxAxis(mx, -1) }},
	})
}
