package nn

import "testing"

// twice returns f(tanh(f(x))): one layer applied two times in one graph, so
// that each of its parameters gets two gradient contributions in one
// backward pass. The tanh between keeps the first application's effect from
// cancelling (a second normalisation would undo the first one's affine).
func twice(f func(tp *Tape, x *Tensor) *Tensor, x *Tensor) func(tp *Tape) *Tensor {
	return func(tp *Tape) *Tensor { return f(tp, tp.Tanh(f(tp, x))) }
}

// TestGradWeightReuse checks, for every layer with parameters, the gradient
// of a graph that uses the layer's weights twice against finite
// differences. A backward pass that writes a weight gradient instead of
// adding to it (beta 0 instead of 1 in the weight-gradient GEMM, = instead
// of +=) keeps only the last use's contribution and fails here; the
// single-use checks in TestGradLayers cannot see it, since the gradient
// starts at zero there.
func TestGradWeightReuse(t *testing.T) {
	rng := NewRand(21)
	x := randParam(rng, 1, 2, 3, 4)      // [B, S, D] for the sequence layers
	img := randParam(rng, 1, 2, 2, 4, 4) // [N, C, H, W] for the image layers

	lin := NewLinear(4, 4, true, rng)
	linNoBias := NewLinear(4, 4, false, rng)
	emb := NewEmbedding(5, 4, rng)
	ln := NewLayerNorm(4)
	FillNormal(ln.Weight, rng, 1, 0.3)
	FillNormal(ln.Bias, rng, 0, 0.3)
	mha := NewMultiheadAttention(4, 2, 0, rng)
	FillNormal(mha.InProjBias, rng, 0, 0.1)
	enc := NewTransformerEncoderLayer(TransformerConfig{DModel: 4, Heads: 2, FFN: 8, Activation: "gelu"}, rng)
	lstm := NewLSTM(4, 4, 1, rng)
	gru := NewGRU(4, 4, 1, rng)
	conv := NewConv2d(2, 2, 3, 1, 1, true, rng)
	bn := NewBatchNorm2d(2)
	FillNormal(bn.Weight, rng, 1, 0.3)
	FillNormal(bn.Bias, rng, 0, 0.3)
	FillNormal(bn.RunningMean, rng, 0, 0.2)
	a := randParam(rng, 1, 3, 3)
	ba := randParam(rng, 1, 2, 3, 3)

	seq := func(m rnn) func(tp *Tape, x *Tensor) *Tensor {
		return func(tp *Tape, x *Tensor) *Tensor { out, _ := m.Forward(tp, x, []int{3, 2}); return out }
	}
	ids1, ids2 := []int{0, 3, 1, 3, 4, 2}, []int{3, 0, 0, 2, 1, 3}
	runGradCases(t, []gradCase{
		{name: "Linear", inputs: withInput(lin.Parameters(), x), f: twice(lin.Forward, x)},
		{name: "Linear/no-bias", inputs: withInput(linNoBias.Parameters(), x), f: twice(linNoBias.Forward, x)},
		{name: "Embedding", inputs: withInput(emb.Parameters()), f: func(tp *Tape) *Tensor {
			return tp.Add(emb.Forward(tp, ids1, 2, 3), tp.Tanh(emb.Forward(tp, ids2, 2, 3)))
		}},
		{name: "LayerNorm", inputs: withInput(ln.Parameters(), x), f: twice(ln.Forward, x)},
		{name: "MultiheadAttention", inputs: withInput(mha.Parameters(), x), f: twice(func(tp *Tape, x *Tensor) *Tensor { return mha.Forward(tp, x, nil) }, x)},
		{name: "TransformerEncoderLayer", inputs: withInput(enc.Parameters(), x), f: twice(func(tp *Tape, x *Tensor) *Tensor { return enc.Forward(tp, x, nil) }, x)},
		{name: "LSTM", inputs: withInput(lstm.Parameters(), x), f: twice(seq(lstm), x)},
		{name: "GRU", inputs: withInput(gru.Parameters(), x), f: twice(seq(gru), x)},
		{name: "Conv2d", inputs: withInput(conv.Parameters(), img), f: twice(conv.Forward, img)},
		{name: "BatchNorm2d/train", inputs: withInput(bn.Parameters(), img), opts: gradOpts{Train: true, Eps: 1e-3}, f: twice(bn.Forward, img)},
		{name: "BatchNorm2d/eval", inputs: withInput(bn.Parameters(), img), opts: gradOpts{Eps: 1e-3}, f: twice(bn.Forward, img)},
		{name: "MatMul/same-operand", inputs: []*Tensor{a}, f: func(tp *Tape) *Tensor { return tp.MatMul(a, tp.Tanh(a)) }},
		{name: "BatchMatMul/same-operand", inputs: []*Tensor{ba}, f: func(tp *Tape) *Tensor { return tp.BatchMatMul(ba, tp.Tanh(ba), false, true) }},
	})
}
