package nn

import (
	"testing"
)

// withInput returns the tensors of params followed by extra.
func withInput(params []NamedParam, extra ...*Tensor) []*Tensor {
	return append(Tensors(params), extra...)
}

func TestGradLayers(t *testing.T) {
	rng := NewRand(8)
	x := randParam(rng, 1, 2, 4, 8)
	ids := []int{1, 4, 2, 2, 0, 3}
	lin := NewLinear(8, 5, true, rng)
	emb := NewEmbedding(6, 3, rng)
	ln := NewLayerNorm(8)
	FillNormal(ln.Weight, rng, 1, 0.3)
	FillNormal(ln.Bias, rng, 0, 0.3)
	mha := NewMultiheadAttention(8, 2, 0, rng)
	FillNormal(mha.InProjBias, rng, 0, 0.1)
	pad := []bool{false, false, false, false, false, false, true, true}
	mhaDrop := NewMultiheadAttention(8, 2, 0.2, rng)
	cfg := TransformerConfig{DModel: 8, Heads: 2, FFN: 16, Dropout: 0.1}
	enc := NewTransformerEncoderLayer(cfg, rng)
	cfg.Activation, cfg.NormFirst = "gelu", true
	encPre := NewTransformerEncoderLayer(cfg, rng)
	stack := NewTransformerEncoder(TransformerConfig{DModel: 8, Heads: 4, FFN: 8}, 2, rng)
	stack.Norm = NewLayerNorm(8)
	relu := gradOpts{Eps: 1e-3} // a smaller step keeps relu inputs on one side of 0
	runGradCases(t, []gradCase{
		{name: "Linear", inputs: withInput(lin.Parameters(), x), f: func(tp *Tape) *Tensor { return lin.Forward(tp, x) }},
		{name: "Embedding", inputs: withInput(emb.Parameters()), f: func(tp *Tape) *Tensor { return emb.Forward(tp, ids, 2, 3) }},
		{name: "LayerNorm", inputs: withInput(ln.Parameters(), x), f: func(tp *Tape) *Tensor { return ln.Forward(tp, x) }},
		{name: "MultiheadAttention", inputs: withInput(mha.Parameters(), x), f: func(tp *Tape) *Tensor { return mha.Forward(tp, x, nil) }},
		{name: "MultiheadAttention/pad", inputs: withInput(mha.Parameters(), x), f: func(tp *Tape) *Tensor { return mha.Forward(tp, x, pad) }},
		{name: "MultiheadAttention/dropout", inputs: withInput(mhaDrop.Parameters(), x), opts: gradOpts{Train: true}, f: func(tp *Tape) *Tensor { return mhaDrop.Forward(tp, x, pad) }},
		{name: "TransformerEncoderLayer", inputs: withInput(enc.Parameters(), x), opts: relu, f: func(tp *Tape) *Tensor { return enc.Forward(tp, x, pad) }},
		{name: "TransformerEncoderLayer/dropout", inputs: withInput(enc.Parameters(), x), opts: gradOpts{Train: true, Eps: relu.Eps}, f: func(tp *Tape) *Tensor { return enc.Forward(tp, x, pad) }},
		{name: "TransformerEncoderLayer/prenorm-gelu", inputs: withInput(encPre.Parameters(), x), f: func(tp *Tape) *Tensor { return encPre.Forward(tp, x, pad) }},
		{name: "TransformerEncoder", inputs: withInput(stack.Parameters(), x), opts: relu, f: func(tp *Tape) *Tensor { return stack.Forward(tp, x, nil) }},
	})
}

func TestParameterNames(t *testing.T) {
	rng := NewRand(9)
	enc := NewTransformerEncoder(TransformerConfig{DModel: 8, Heads: 2, FFN: 16}, 2, rng)
	names := map[string][]int{}
	for _, p := range Prefix("enc", enc.Parameters()) {
		names[p.Name] = p.Tensor.Shape
	}
	want := map[string][]int{
		"enc.layers.0.self_attn.in_proj_weight":  {24, 8},
		"enc.layers.0.self_attn.in_proj_bias":    {24},
		"enc.layers.0.self_attn.out_proj.weight": {8, 8},
		"enc.layers.0.self_attn.out_proj.bias":   {8},
		"enc.layers.1.linear1.weight":            {16, 8},
		"enc.layers.1.linear2.bias":              {8},
		"enc.layers.1.norm2.weight":              {8},
	}
	if len(names) != 24 {
		t.Errorf("%d parameters, want 24", len(names))
	}
	for n, shape := range want {
		got, ok := names[n]
		if !ok {
			t.Errorf("missing %q", n)
			continue
		}
		if len(got) != len(shape) || got[0] != shape[0] {
			t.Errorf("%q shape %v, want %v", n, got, shape)
		}
	}
}
