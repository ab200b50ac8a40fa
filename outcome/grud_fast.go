package outcome

import "math"

// fastGRUD is a GRU-D member's weights in float64 for the tape-free
// inference path used by Predict and Risk. It computes the same function as
// GRUD.forward (checked by TestFastMatchesTape) and, for occlusion, reuses
// the base run: leaving variable v out changes the input projection only by
// v's two columns and the hidden decay only by v's column, so each variant
// costs the recurrent part alone.
type fastGRUD struct {
	F, H, S int
	wx, bx  []float64 // [F] input decay
	wgh     []float64 // [H][F] hidden decay
	bgh     []float64 // [H]
	win     []float64 // [3H][2F] input projection
	bin     []float64 // [3H]
	u       []float64 // [3H][H] recurrent weights
	wout    []float64 // [H+S]
	bout    float64
}

func f64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

func newFastGRUD(g *GRUD) *fastGRUD {
	F := g.F
	return &fastGRUD{F: F, H: g.H, S: g.S,
		wx: f64(g.DecayX.Data[:F]), bx: f64(g.DecayX.Data[F:]),
		wgh: f64(g.DecayH.Weight.Data), bgh: f64(g.DecayH.Bias.Data),
		win: f64(g.Input.Weight.Data), bin: f64(g.Input.Bias.Data),
		u:    f64(g.Hidden.Data),
		wout: f64(g.Out.Weight.Data), bout: float64(g.Out.Bias.Data[0]),
	}
}

func sigm(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// step advances h in place given the input projection gi [3H] and the
// hidden-decay pre-activation pre [H]; tmp is scratch of 3H.
func (f *fastGRUD) step(h, gi, pre, tmp []float64) {
	H := f.H
	for j := range H {
		if pre[j] > 0 {
			h[j] *= math.Exp(-pre[j]) // h̃ = γh ⊙ h
		}
	}
	for j := range 2 * H {
		row := f.u[j*H : (j+1)*H]
		s := gi[j]
		for k, w := range row {
			s += w * h[k]
		}
		tmp[j] = sigm(s) // z then r
	}
	rh := tmp[2*H:]
	for k := range H {
		rh[k] = tmp[H+k] * h[k]
	}
	for j := range H {
		row := f.u[(2*H+j)*H : (2*H+j+1)*H]
		s := gi[2*H+j]
		for k, w := range row {
			s += w * rh[k]
		}
		n := math.Tanh(s)
		h[j] += tmp[j] * (n - h[j])
	}
}

// output returns the logit of a final hidden state and static features.
func (f *fastGRUD) output(h, static []float64) float64 {
	z := f.bout
	for j, v := range h {
		z += f.wout[j] * v
	}
	for j, v := range static {
		z += f.wout[f.H+j] * v
	}
	return z
}

// run returns the final hidden state of s and, for each variable in occl,
// the final hidden state with that variable left out.
func (f *fastGRUD) run(s *Series, occl []int) (hBase []float64, hOccl [][]float64) {
	F, H, T := f.F, f.H, s.T
	hBase = make([]float64, H)
	hOccl = make([][]float64, len(occl))
	for i := range hOccl {
		hOccl[i] = make([]float64, H)
	}
	xh := make([]float64, 2*F)
	gi := make([]float64, 3*H)
	pre := make([]float64, H)
	gv := make([]float64, 3*H)
	pv := make([]float64, H)
	tmp := make([]float64, 3*H)
	dOcc := 0.0 // δ of a variable never observed
	stepLen := 0.0
	if T > 1 {
		stepLen = s.Delta[F] // δ at t=1 is one step whatever the mask
	}
	for t := range T {
		row := t * F
		for v := range F {
			xh[v] = s.Values[row+v]
			if l := (1 - s.Mask[row+v]) * s.Last[row+v]; l != 0 {
				xh[v] += math.Exp(-math.Max(0, f.wx[v]*s.Delta[row+v]+f.bx[v])) * l
			}
			xh[F+v] = s.Mask[row+v]
		}
		for j := range 3 * H {
			w := f.win[j*2*F : (j+1)*2*F]
			acc := f.bin[j]
			for k, x := range xh {
				acc += w[k] * x
			}
			gi[j] = acc
		}
		for j := range H {
			w := f.wgh[j*F : (j+1)*F]
			acc := f.bgh[j]
			for k := range F {
				acc += w[k] * s.Delta[row+k]
			}
			pre[j] = acc
		}
		if t > 0 {
			dOcc += stepLen
		}
		for i, v := range occl {
			copy(gv, gi)
			if xv, mv := xh[v], xh[F+v]; xv != 0 || mv != 0 {
				for j := range 3 * H {
					gv[j] -= f.win[j*2*F+v]*xv + f.win[j*2*F+F+v]*mv
				}
			}
			copy(pv, pre)
			if dd := dOcc - s.Delta[row+v]; dd != 0 {
				for j := range H {
					pv[j] += f.wgh[j*F+v] * dd
				}
			}
			f.step(hOccl[i], gv, pv, tmp)
		}
		f.step(hBase, gi, pre, tmp)
	}
	return hBase, hOccl
}
