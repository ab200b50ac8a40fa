package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/galenhealth/galen/nn/blas"
)

// LSTM is PyTorch's nn.LSTM with batch_first=True, unidirectional, with
// stacked layers (one per WeightIH entry) and Dropout, when training, on the
// outputs of every layer but the last (PyTorch's dropout argument). Layer k has
// "weight_ih_l<k>" [4H, in], "weight_hh_l<k>" [4H, H], "bias_ih_l<k>" and
// "bias_hh_l<k>" [4H], gates in PyTorch's order i, f, g, o.
type LSTM struct {
	Hidden                             int
	WeightIH, WeightHH, BiasIH, BiasHH []*Tensor // one per layer
	Dropout                            float32
}

// NewLSTM returns an LSTM from in features to hidden units with layers
// layers, initialised like PyTorch: all uniform in ±1/√hidden.
func NewLSTM(in, hidden, layers int, rng *rand.Rand) *LSTM {
	l := &LSTM{Hidden: hidden}
	l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH = newRecurrentWeights(4, in, hidden, layers, rng)
	return l
}

func newRecurrentWeights(gates, in, hidden, layers int, rng *rand.Rand) (wih, whh, bih, bhh []*Tensor) {
	bound := float32(1 / math.Sqrt(float64(hidden)))
	for k := range layers {
		if k > 0 {
			in = hidden
		}
		ts := []*Tensor{NewParam(gates*hidden, in), NewParam(gates*hidden, hidden), NewParam(gates * hidden), NewParam(gates * hidden)}
		for _, t := range ts {
			FillUniform(t, rng, -bound, bound)
		}
		wih, whh, bih, bhh = append(wih, ts[0]), append(whh, ts[1]), append(bih, ts[2]), append(bhh, ts[3])
	}
	return wih, whh, bih, bhh
}

func recurrentParams(wih, whh, bih, bhh []*Tensor) []NamedParam {
	var ps []NamedParam
	for k := range wih {
		ps = append(ps,
			NamedParam{fmt.Sprintf("weight_ih_l%d", k), wih[k]},
			NamedParam{fmt.Sprintf("weight_hh_l%d", k), whh[k]},
			NamedParam{fmt.Sprintf("bias_ih_l%d", k), bih[k]},
			NamedParam{fmt.Sprintf("bias_hh_l%d", k), bhh[k]})
	}
	return ps
}

// Parameters returns the PyTorch-named parameters of every layer.
func (l *LSTM) Parameters() []NamedParam {
	return recurrentParams(l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH)
}

// Forward runs x [B, T, F] from zero state. lengths (nil: all T) gives each
// sequence's valid steps; the state stops changing after them, outputs
// there are zero (as with a packed sequence), and last [B, H] is the top
// layer's hidden state at each sequence's last valid step (zero for length
// 0). out is the top layer's output [B, T, H].
func (l *LSTM) Forward(tp *Tape, x *Tensor, lengths []int) (out, last *Tensor) {
	checkSequence("LSTM", x, l.WeightIH[0], lengths)
	for k := range l.WeightIH {
		if k > 0 {
			x = tp.Dropout(out, l.Dropout)
		}
		gx := tp.Linear(x, l.WeightIH[k], l.BiasIH[k])
		out, last = tp.lstmSequence(gx, l.WeightHH[k], l.BiasHH[k], lengths)
	}
	return out, last
}

// LengthsFromMask returns the valid length of each of b sequences from a
// padding mask of b·t entries (true = padding), as the lengths argument of
// LSTM.Forward and GRU.Forward wants: the length is one past the last step
// that is not padding.
func LengthsFromMask(pad []bool, b, t int) []int {
	if len(pad) != b*t {
		shapeErr("LengthsFromMask", "mask of %d for %d sequences of %d steps", len(pad), b, t)
	}
	lengths := make([]int, b)
	for i := range b {
		for s := t - 1; s >= 0; s-- {
			if !pad[i*t+s] {
				lengths[i] = s + 1
				break
			}
		}
	}
	return lengths
}

func checkSequence(op string, x, wih *Tensor, lengths []int) {
	if len(x.Shape) != 3 || x.Shape[2] != wih.Shape[1] {
		shapeErr(op, "input %v, want [batch, time, %d]", x.Shape, wih.Shape[1])
	}
	if lengths == nil {
		return
	}
	if len(lengths) != x.Shape[0] {
		shapeErr(op, "%d lengths for batch of %d", len(lengths), x.Shape[0])
	}
	for i, n := range lengths {
		if n < 0 || n > x.Shape[1] {
			shapeErr(op, "length %d of sequence %d outside [0, %d]", n, i, x.Shape[1])
		}
	}
}

// seqLen returns the valid length of sequence b.
func seqLen(lengths []int, b, t int) int {
	if lengths == nil {
		return t
	}
	return lengths[b]
}

// lstmSequence runs the recurrence over precomputed input gates gx
// [B, T, 4H] (x·W_ihᵀ + b_ih) and returns all outputs and the last state.
// Forward and backward through time are fused into one op.
func (tp *Tape) lstmSequence(gx, whh, bhh *Tensor, lengths []int) (*Tensor, *Tensor) {
	bs, ts, h4 := gx.Shape[0], gx.Shape[1], gx.Shape[2]
	hs := h4 / 4
	out := tp.newTensor([]int{bs, ts, hs}, true, gx, whh, bhh)
	last := tp.newTensor([]int{bs, hs}, false, gx, whh, bhh)
	// Time-major state: h[t], c[t] are the states before step t (h[0] = 0).
	hbuf := tp.scratch((ts+1)*bs*hs, true)
	cbuf := tp.scratch((ts+1)*bs*hs, true)
	acts := tp.scratch(ts*bs*h4, false) // activated gates i, f, g, o per step
	tcs := tp.scratch(ts*bs*hs, false)  // tanh of the new cell state per step
	for t := range ts {
		g := acts[t*bs*h4 : (t+1)*bs*h4]
		for b := range bs {
			row := g[b*h4 : (b+1)*h4]
			src := gx.Data[(b*ts+t)*h4 : (b*ts+t+1)*h4]
			for j := range row {
				row[j] = src[j] + bhh.Data[j]
			}
		}
		hp, cp := hbuf[t*bs*hs:(t+1)*bs*hs], cbuf[t*bs*hs:(t+1)*bs*hs]
		hn, cn := hbuf[(t+1)*bs*hs:(t+2)*bs*hs], cbuf[(t+1)*bs*hs:(t+2)*bs*hs]
		blas.Sgemm(false, true, bs, h4, hs, 1, hp, hs, whh.Data, hs, 1, g, h4)
		tc := tcs[t*bs*hs : (t+1)*bs*hs]
		parallelFor(bs, 120*hs, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				if t >= seqLen(lengths, b, ts) {
					copy(hn[b*hs:(b+1)*hs], hp[b*hs:(b+1)*hs])
					copy(cn[b*hs:(b+1)*hs], cp[b*hs:(b+1)*hs])
					continue
				}
				row := g[b*h4 : (b+1)*h4]
				o := out.Data[(b*ts+t)*hs : (b*ts+t+1)*hs]
				sigmoidSlice(row[:2*hs], row[:2*hs]) // i, f
				tanhSlice(row[2*hs:3*hs], row[2*hs:3*hs])
				sigmoidSlice(row[3*hs:], row[3*hs:]) // o
				c, cpb, th := cn[b*hs:(b+1)*hs], cp[b*hs:(b+1)*hs], tc[b*hs:(b+1)*hs]
				for j := range hs {
					c[j] = row[hs+j]*cpb[j] + row[j]*row[2*hs+j]
				}
				tanhSlice(th, c)
				hb := hn[b*hs : (b+1)*hs]
				for j, v := range th {
					hv := row[3*hs+j] * v
					hb[j] = hv
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
		dG := tp.scratch(ts*bs*h4, true)
		dh := tp.scratch(bs*hs, true)
		dc := tp.scratch(bs*hs, true)
		dhPrev := tp.scratch(bs*hs, false)
		if last.Grad != nil {
			copy(dh, last.Grad)
		}
		for t := ts - 1; t >= 0; t-- {
			g := acts[t*bs*h4 : (t+1)*bs*h4]
			d := dG[t*bs*h4 : (t+1)*bs*h4]
			cp, tcr := cbuf[t*bs*hs:(t+1)*bs*hs], tcs[t*bs*hs:(t+1)*bs*hs]
			parallelFor(bs, 20*hs, func(lo, hi int) {
				for b := lo; b < hi; b++ {
					if t >= seqLen(lengths, b, ts) {
						continue // state passes through unchanged; dG stays 0
					}
					if out.Grad != nil {
						og := out.Grad[(b*ts+t)*hs : (b*ts+t+1)*hs]
						for j, v := range og {
							dh[b*hs+j] += v
						}
					}
					row, drow := g[b*h4:(b+1)*h4], d[b*h4:(b+1)*h4]
					for j := range hs {
						i, f, gg, o := row[j], row[hs+j], row[2*hs+j], row[3*hs+j]
						tc := tcr[b*hs+j]
						dhv := dh[b*hs+j]
						dcv := dc[b*hs+j] + dhv*o*(1-tc*tc)
						drow[j] = dcv * gg * i * (1 - i)
						drow[hs+j] = dcv * cp[b*hs+j] * f * (1 - f)
						drow[2*hs+j] = dcv * i * (1 - gg*gg)
						drow[3*hs+j] = dhv * tc * o * (1 - o)
						dc[b*hs+j] = dcv * f
					}
				}
			})
			// dh_prev = dG·W_hh, plus the pass-through of finished sequences.
			blas.Sgemm(false, false, bs, hs, h4, 1, d, h4, whh.Data, hs, 0, dhPrev, hs)
			for b := range bs {
				if t < seqLen(lengths, b, ts) {
					copy(dh[b*hs:(b+1)*hs], dhPrev[b*hs:(b+1)*hs])
				}
			}
		}
		finishRecurrentGrads(tp, gx, whh, bhh, dG, hbuf, nil, bs, ts, hs, h4)
	})
	return out, last
}

// finishRecurrentGrads adds the gradients that sum over time: the input
// gates gx (dGx [T, B, G], or dG when nil), W_hh (Σ_t dG_tᵀ h_t, one
// product over all steps) and b_hh.
func finishRecurrentGrads(tp *Tape, gx, whh, bhh *Tensor, dG, hbuf, dGx []float32, bs, ts, hs, hg int) {
	if dGx == nil {
		dGx = dG
	}
	if gx.requiresGrad {
		ggx := tp.grad(gx)
		for t := range ts {
			for b := range bs {
				src := dGx[(t*bs+b)*hg : (t*bs+b+1)*hg]
				dst := ggx[(b*ts+t)*hg : (b*ts+t+1)*hg]
				for j, v := range src {
					dst[j] += v
				}
			}
		}
	}
	if whh.requiresGrad {
		blas.Sgemm(true, false, hg, hs, ts*bs, 1, dG, hg, hbuf[:ts*bs*hs], hs, 1, tp.grad(whh), hs)
	}
	if bhh.requiresGrad {
		sumRows(tp.grad(bhh), dG, ts*bs, hg)
	}
}
