package nn

import (
	"math/rand/v2"

	"github.com/galenhealth/galen/nn/blas"
)

// GRU is PyTorch's nn.GRU with batch_first=True, unidirectional, with
// stacked layers and Dropout between them as for LSTM. Parameter names and layout are as for LSTM with
// 3H rows in PyTorch's gate order r, z, n:
//
//	r = σ(W_ir x + b_ir + W_hr h + b_hr)
//	z = σ(W_iz x + b_iz + W_hz h + b_hz)
//	n = tanh(W_in x + b_in + r·(W_hn h + b_hn))
//	h' = (1 − z)·n + z·h
type GRU struct {
	Hidden                             int
	WeightIH, WeightHH, BiasIH, BiasHH []*Tensor // one per layer
	Dropout                            float32
}

// NewGRU returns a GRU initialised like PyTorch: uniform in ±1/√hidden.
func NewGRU(in, hidden, layers int, rng *rand.Rand) *GRU {
	g := &GRU{Hidden: hidden}
	g.WeightIH, g.WeightHH, g.BiasIH, g.BiasHH = newRecurrentWeights(3, in, hidden, layers, rng)
	return g
}

// Parameters returns the PyTorch-named parameters of every layer.
func (g *GRU) Parameters() []NamedParam {
	return recurrentParams(g.WeightIH, g.WeightHH, g.BiasIH, g.BiasHH)
}

// Forward is as LSTM.Forward.
func (g *GRU) Forward(tp *Tape, x *Tensor, lengths []int) (out, last *Tensor) {
	checkSequence("GRU", x, g.WeightIH[0], lengths)
	for k := range g.WeightIH {
		if k > 0 {
			x = tp.Dropout(out, g.Dropout)
		}
		gx := tp.Linear(x, g.WeightIH[k], g.BiasIH[k])
		out, last = tp.gruSequence(gx, g.WeightHH[k], g.BiasHH[k], lengths)
	}
	return out, last
}

func (tp *Tape) gruSequence(gx, whh, bhh *Tensor, lengths []int) (*Tensor, *Tensor) {
	bs, ts, h3 := gx.Shape[0], gx.Shape[1], gx.Shape[2]
	hs := h3 / 3
	out := tp.newTensor([]int{bs, ts, hs}, true, gx, whh, bhh)
	last := tp.newTensor([]int{bs, hs}, false, gx, whh, bhh)
	hbuf := tp.scratch((ts+1)*bs*hs, true)
	acts := tp.scratch(ts*bs*h3, false) // r, z, n per step
	ghn := tp.scratch(ts*bs*hs, false)  // W_hn h + b_hn per step
	gh := tp.scratch(bs*h3, false)
	for t := range ts {
		hp, hn := hbuf[t*bs*hs:(t+1)*bs*hs], hbuf[(t+1)*bs*hs:(t+2)*bs*hs]
		for b := range bs {
			copy(gh[b*h3:(b+1)*h3], bhh.Data)
		}
		blas.Sgemm(false, true, bs, h3, hs, 1, hp, hs, whh.Data, hs, 1, gh, h3)
		a := acts[t*bs*h3 : (t+1)*bs*h3]
		parallelFor(bs, 80*hs, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				if t >= seqLen(lengths, b, ts) {
					copy(hn[b*hs:(b+1)*hs], hp[b*hs:(b+1)*hs])
					continue
				}
				x := gx.Data[(b*ts+t)*h3 : (b*ts+t+1)*h3]
				row, hrow := a[b*h3:(b+1)*h3], gh[b*h3:(b+1)*h3]
				o := out.Data[(b*ts+t)*hs : (b*ts+t+1)*hs]
				for j := range 2 * hs {
					row[j] = x[j] + hrow[j]
				}
				sigmoidSlice(row[:2*hs], row[:2*hs]) // r, z
				for j := range hs {
					row[2*hs+j] = x[2*hs+j] + row[j]*hrow[2*hs+j]
				}
				copy(ghn[(t*bs+b)*hs:(t*bs+b+1)*hs], hrow[2*hs:])
				tanhSlice(row[2*hs:], row[2*hs:]) // n
				for j := range hs {
					z, n := row[hs+j], row[2*hs+j]
					hv := (1-z)*n + z*hp[b*hs+j]
					hn[b*hs+j] = hv
					o[j] = hv
				}
			}
		})
	}
	copy(last.Data, hbuf[ts*bs*hs:])
	if !out.requiresGrad {
		return out, last
	}
	tp.recordOp2(out, last, func() {
		dGh := tp.scratch(ts*bs*h3, true) // gradient of W_hh h + b_hh
		dGx := tp.scratch(ts*bs*h3, true) // gradient of gx
		dh := tp.scratch(bs*hs, true)
		dhPrev := tp.scratch(bs*hs, false)
		if last.Grad != nil {
			copy(dh, last.Grad)
		}
		for t := ts - 1; t >= 0; t-- {
			a := acts[t*bs*h3 : (t+1)*bs*h3]
			hp := hbuf[t*bs*hs : (t+1)*bs*hs]
			d, dx := dGh[t*bs*h3:(t+1)*bs*h3], dGx[t*bs*h3:(t+1)*bs*h3]
			for b := range bs {
				if t >= seqLen(lengths, b, ts) {
					continue
				}
				if out.Grad != nil {
					og := out.Grad[(b*ts+t)*hs : (b*ts+t+1)*hs]
					for j, v := range og {
						dh[b*hs+j] += v
					}
				}
				row := a[b*h3 : (b+1)*h3]
				drow, dxrow := d[b*h3:(b+1)*h3], dx[b*h3:(b+1)*h3]
				for j := range hs {
					r, z, n := row[j], row[hs+j], row[2*hs+j]
					dhv := dh[b*hs+j]
					dan := dhv * (1 - z) * (1 - n*n)
					dr := dan * ghn[(t*bs+b)*hs+j]
					dar := dr * r * (1 - r)
					daz := dhv * (hp[b*hs+j] - n) * z * (1 - z)
					dxrow[j], dxrow[hs+j], dxrow[2*hs+j] = dar, daz, dan
					drow[j], drow[hs+j], drow[2*hs+j] = dar, daz, dan*r
					dh[b*hs+j] = dhv * z // direct path; the W_hh path is added below
				}
			}
			blas.Sgemm(false, false, bs, hs, h3, 1, d, h3, whh.Data, hs, 0, dhPrev, hs)
			for b := range bs {
				if t < seqLen(lengths, b, ts) {
					for j := range hs {
						dh[b*hs+j] += dhPrev[b*hs+j]
					}
				}
			}
		}
		finishRecurrentGrads(tp, gx, whh, bhh, dGh, hbuf, dGx, bs, ts, hs, h3)
	})
	return out, last
}
