package nn

import (
	"math"
	"slices"
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

// attentionSoftmax returns softmax(scale·scores) over the last axis of
// scores [B·H, S, S] for h heads, with keys marked in keyPad [B·S]
// excluded: the unfused reference for the softmax inside selfAttention.
func (tp *Tape) attentionSoftmax(scores *Tensor, scale float32, keyPad []bool, h int) *Tensor {
	s := scores.Shape[2]
	rows := scores.Shape[0] * scores.Shape[1]
	out := tp.newTensor(scores.Shape, false, scores)
	parallelFor(rows, 20*s, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			y := out.Data[r*s : (r+1)*s]
			copy(y, scores.Data[r*s:(r+1)*s])
			var pad []bool
			if keyPad != nil {
				bi := r / (h * scores.Shape[1])
				pad = keyPad[bi*s : (bi+1)*s]
			}
			maskedSoftmaxRow(y, scale, pad)
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(scores)
			parallelFor(rows, 6*s, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					y, g, d := out.Data[r*s:(r+1)*s], out.Grad[r*s:(r+1)*s], gx[r*s:(r+1)*s]
					var dot float32
					for j, v := range g {
						dot += v * y[j]
					}
					for j, v := range g {
						d[j] += scale * y[j] * (v - dot)
					}
				}
			})
		})
	}
	return out
}

// composedAttention is multi-head attention built from general ops
// (permute, batched matmul, masked softmax): a reference for the fused
// selfAttention op.
func composedAttention(tp *Tape, m *MultiheadAttention, x *Tensor, keyPad []bool) *Tensor {
	b, s, d := x.Shape[0], x.Shape[1], x.Shape[2]
	h := m.Heads
	dh := d / h
	qkv := tp.Linear(x, m.InProjWeight, m.InProjBias)
	heads := tp.Permute(tp.Reshape(qkv, b, s, 3, h, dh), 2, 0, 3, 1, 4)
	part := func(i int) *Tensor { return tp.Reshape(tp.Narrow(heads, 0, i, 1), b*h, s, dh) }
	scores := tp.BatchMatMul(part(0), part(1), false, true)
	attn := tp.attentionSoftmax(scores, 1/float32(math.Sqrt(float64(dh))), keyPad, h)
	ctx := tp.BatchMatMul(attn, part(2), false, false)
	ctx = tp.Reshape(tp.Permute(tp.Reshape(ctx, b, h, s, dh), 0, 2, 1, 3), b, s, d)
	return m.OutProj.Forward(tp, ctx)
}

func TestFusedAttentionMatchesComposed(t *testing.T) {
	rng := NewRand(13)
	m := NewMultiheadAttention(12, 3, 0, rng)
	FillNormal(m.InProjBias, rng, 0, 0.2)
	x := randParam(rng, 1, 2, 5, 12)
	pad := []bool{false, false, false, false, false, false, false, true, true, true}
	params := withInput(m.Parameters(), x)
	run := func(f func(tp *Tape) *Tensor) ([]float32, [][]float32) {
		for _, p := range params {
			p.ZeroGrad()
		}
		tp := NewTape()
		out := f(tp)
		r := make([]float32, len(out.Data))
		for i := range r {
			r[i] = float32(i%7) - 3
		}
		tp.BackwardFrom(out, r)
		var grads [][]float32
		for _, p := range params {
			grads = append(grads, slices.Clone(p.Grad))
		}
		return slices.Clone(out.Data), grads
	}
	fo, fg := run(func(tp *Tape) *Tensor { return m.Forward(tp, x, pad) })
	co, cg := run(func(tp *Tape) *Tensor { return composedAttention(tp, m, x, pad) })
	close := func(a, b []float32) bool {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(b[i]))) {
				return false
			}
		}
		return true
	}
	if !close(fo, co) {
		t.Fatalf("outputs differ:\nfused    %v\ncomposed %v", fo[:8], co[:8])
	}
	for k := range fg {
		if !close(fg[k], cg[k]) {
			t.Fatalf("gradient %d differs", k)
		}
	}
}
