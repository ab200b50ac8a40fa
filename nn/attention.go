package nn

import (
	"math"
	"math/rand/v2"
)

// MultiheadAttention is PyTorch's nn.MultiheadAttention used as self-attention
// with batch_first=True: a packed input projection InProjWeight [3D, D] (rows
// for q, then k, then v) with InProjBias [3D], and OutProj. Parameter names:
// "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias".
type MultiheadAttention struct {
	InProjWeight, InProjBias *Tensor
	OutProj                  *Linear
	Heads                    int
	Dropout                  float32 // on the attention weights, when training
}

// NewMultiheadAttention returns self-attention over d features with heads
// heads (d must be divisible by heads), initialised like PyTorch: Xavier
// uniform in_proj_weight, zero biases.
func NewMultiheadAttention(d, heads int, dropout float32, rng *rand.Rand) *MultiheadAttention {
	if heads <= 0 || d%heads != 0 {
		shapeErr("NewMultiheadAttention", "%d features do not split into %d heads", d, heads)
	}
	m := &MultiheadAttention{
		InProjWeight: NewParam(3*d, d),
		InProjBias:   NewParam(3 * d),
		OutProj:      NewLinear(d, d, true, rng),
		Heads:        heads,
		Dropout:      dropout,
	}
	bound := float32(math.Sqrt(6 / float64(4*d)))
	FillUniform(m.InProjWeight, rng, -bound, bound)
	clear(m.OutProj.Bias.Data)
	return m
}

// Parameters returns the PyTorch-named parameters.
func (m *MultiheadAttention) Parameters() []NamedParam {
	return append([]NamedParam{{"in_proj_weight", m.InProjWeight}, {"in_proj_bias", m.InProjBias}},
		Prefix("out_proj", m.OutProj.Parameters())...)
}

// Forward attends over x [B, S, D] and returns [B, S, D]. keyPad, when not
// nil, has B·S entries and marks padding positions (true = ignore as a key),
// as PyTorch's key_padding_mask. A query whose keys are all padding gets
// zero attention output (PyTorch gives NaN).
func (m *MultiheadAttention) Forward(tp *Tape, x *Tensor, keyPad []bool) *Tensor {
	if len(x.Shape) != 3 || x.Shape[2] != m.InProjWeight.Shape[1] {
		shapeErr("MultiheadAttention", "input %v, want [batch, seq, %d]", x.Shape, m.InProjWeight.Shape[1])
	}
	b, s, d := x.Shape[0], x.Shape[1], x.Shape[2]
	h := m.Heads
	dh := d / h
	if keyPad != nil && len(keyPad) != b*s {
		shapeErr("MultiheadAttention", "key padding mask of %d for input %v", len(keyPad), x.Shape)
	}
	qkv := tp.Linear(x, m.InProjWeight, m.InProjBias)                   // [B,S,3D]
	heads := tp.Permute(tp.Reshape(qkv, b, s, 3, h, dh), 2, 0, 3, 1, 4) // [3,B,H,S,dh]
	part := func(i int) *Tensor { return tp.Reshape(tp.Narrow(heads, 0, i, 1), b*h, s, dh) }
	q, k, v := part(0), part(1), part(2)
	scores := tp.BatchMatMul(q, k, false, true) // [B·H,S,S]
	attn := tp.attentionSoftmax(scores, float32(1/math.Sqrt(float64(dh))), keyPad, b, h)
	attn = tp.Dropout(attn, m.Dropout)
	ctx := tp.BatchMatMul(attn, v, false, false) // [B·H,S,dh]
	ctx = tp.Reshape(tp.Permute(tp.Reshape(ctx, b, h, s, dh), 0, 2, 1, 3), b, s, d)
	return m.OutProj.Forward(tp, ctx)
}

// attentionSoftmax returns softmax(scale·scores) over the last axis of
// scores [B·H, S, S], with keys marked in keyPad [B·S] excluded.
func (tp *Tape) attentionSoftmax(scores *Tensor, scale float32, keyPad []bool, b, h int) *Tensor {
	s := scores.Shape[2]
	rows := scores.Shape[0] * scores.Shape[1]
	out := tp.newTensor(scores.Shape, false, scores)
	parallelFor(rows, 20*s, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, y := scores.Data[r*s:(r+1)*s], out.Data[r*s:(r+1)*s]
			var pad []bool
			if keyPad != nil {
				bi := r / (h * scores.Shape[1])
				pad = keyPad[bi*s : (bi+1)*s]
			}
			m := float32(math.Inf(-1))
			for j, v := range x {
				if pad == nil || !pad[j] {
					m = max(m, v)
				}
			}
			if math.IsInf(float64(m), -1) { // every key is padding
				clear(y)
				continue
			}
			var sum float32
			for j, v := range x {
				if pad != nil && pad[j] {
					y[j] = 0
					continue
				}
				e := exp32(scale * (v - m))
				y[j] = e
				sum += e
			}
			inv := 1 / sum
			for j := range y {
				y[j] *= inv
			}
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
