package nn

import (
	"math"
	"math/rand/v2"

	"github.com/galenhealth/galen/nn/blas"
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
	b, s := x.Shape[0], x.Shape[1]
	if keyPad != nil && len(keyPad) != b*s {
		shapeErr("MultiheadAttention", "key padding mask of %d for input %v", len(keyPad), x.Shape)
	}
	qkv := tp.Linear(x, m.InProjWeight, m.InProjBias)        // [B,S,3D]
	ctx := tp.selfAttention(qkv, m.Heads, keyPad, m.Dropout) // [B,S,D]
	return m.OutProj.Forward(tp, ctx)
}

// selfAttention computes, for every batch b and head h, softmax(q kᵀ/√dh)
// (keys in keyPad excluded, dropout p on the weights when training) times v,
// reading q, k and v in place from the packed projection qkv [B, S, 3D] and
// writing the heads side by side into ctx [B, S, D]. It is one op: the
// matrix products run per (batch, head) on strided views, with no copies.
func (tp *Tape) selfAttention(qkv *Tensor, heads int, keyPad []bool, p float32) *Tensor {
	b, s, d3 := qkv.Shape[0], qkv.Shape[1], qkv.Shape[2]
	d := d3 / 3
	dh := d / heads
	scale := float32(1 / math.Sqrt(float64(dh)))
	ctx := tp.newTensor([]int{b, s, d}, false, qkv)
	bh, ss := b*heads, s*s
	probs := tp.scratch(bh*ss, false) // softmax weights
	used := probs                     // the weights applied to v (after dropout)
	drop := tp.Training() && p > 0
	var mask dropMask
	if drop {
		used = tp.scratch(bh*ss, false)
		mask = newDropMask(tp, p)
	}
	parallelFor(bh, 4*ss*dh, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			bi, hd := i/heads, i%heads // batch and head
			q := qkv.Data[bi*s*d3+hd*dh:]
			P := probs[i*ss : (i+1)*ss]
			blas.Sgemm(false, true, s, s, dh, 1, q, d3, q[d:], d3, 0, P, s)
			var pad []bool
			if keyPad != nil {
				pad = keyPad[bi*s : (bi+1)*s]
			}
			for r := range s {
				maskedSoftmaxRow(P[r*s:(r+1)*s], scale, pad)
			}
			U := P
			if drop {
				U = used[i*ss : (i+1)*ss]
				mask.apply(uint64(i), U, P, false)
			}
			blas.Sgemm(false, false, s, dh, s, 1, U, s, q[2*d:], d3, 0, ctx.Data[bi*s*d+hd*dh:], d)
		}
	})
	if !ctx.requiresGrad {
		return ctx
	}
	tp.recordOp(ctx, func() {
		g := tp.grad(qkv)
		dP := tp.scratch(bh*ss, false)
		parallelFor(bh, 8*ss*dh, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				bi, hd := i/heads, i%heads
				off := bi*s*d3 + hd*dh
				q, gq := qkv.Data[off:], g[off:]
				dc := ctx.Grad[bi*s*d+hd*dh:]
				P, U, D := probs[i*ss:(i+1)*ss], used[i*ss:(i+1)*ss], dP[i*ss:(i+1)*ss]
				blas.Sgemm(false, true, s, s, dh, 1, dc, d, q[2*d:], d3, 0, D, s)  // dU = dctx vᵀ
				blas.Sgemm(true, false, s, dh, s, 1, U, s, dc, d, 1, gq[2*d:], d3) // dv += Uᵀ dctx
				if drop {
					mask.apply(uint64(i), D, D, false)
				}
				for r := range s {
					y, dr := P[r*s:(r+1)*s], D[r*s:(r+1)*s]
					dot := dot32(dr, y)
					for j, v := range dr {
						dr[j] = scale * y[j] * (v - dot)
					}
				}
				blas.Sgemm(false, false, s, dh, s, 1, D, s, q[d:], d3, 1, gq, d3) // dq += dS k
				blas.Sgemm(true, false, s, dh, s, 1, D, s, q, d3, 1, gq[d:], d3)  // dk += dSᵀ q
			}
		})
	})
	return ctx
}

// maskedSoftmaxRow replaces the scores in x by softmax(scale·x), giving
// zero weight to keys marked in pad (nil: none); a row with every key
// masked becomes zeros.
func maskedSoftmaxRow(x []float32, scale float32, pad []bool) {
	m := float32(math.Inf(-1))
	for j, v := range x {
		if v > m && (pad == nil || !pad[j]) {
			m = v
		}
	}
	if math.IsInf(float64(m), -1) {
		clear(x)
		return
	}
	expShifted(x, scale, m)
	if pad != nil {
		for j := range x {
			if pad[j] {
				x[j] = 0
			}
		}
	}
	sum := sum32(x)
	inv := 1 / sum
	for j := range x {
		x[j] *= inv
	}
}
