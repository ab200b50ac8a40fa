package outcome

import "math"

// fastGRUD is a GRU-D member's weights in float64 for the tape-free
// inference path used by Predict and Risk. It computes the same function as
// GRUD.forward (checked by TestFastMatchesTape). For explanations it also
// runs backpropagation through time by hand (checked against finite
// differences by TestFastGradients), so that the effect of leaving out each
// variable can be estimated from one forward and one backward pass.
type fastGRUD struct {
	F, H, S int
	wx, bx  []float64 // [F] input decay
	wgh     []float64 // [H][F] hidden decay
	bgh     []float64 // [H]
	win     []float64 // [3H][2F] input projection
	winT    []float64 // [2F][3H], its transpose, for sparse inputs
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
	f := &fastGRUD{F: F, H: g.H, S: g.S,
		wx: f64(g.DecayX.Data[:F]), bx: f64(g.DecayX.Data[F:]),
		wgh: f64(g.DecayH.Weight.Data), bgh: f64(g.DecayH.Bias.Data),
		win: f64(g.Input.Weight.Data), bin: f64(g.Input.Bias.Data),
		u:    f64(g.Hidden.Data),
		wout: f64(g.Out.Weight.Data), bout: float64(g.Out.Bias.Data[0]),
	}
	H3, F2 := 3*g.H, 2*F
	f.winT = make([]float64, F2*H3)
	for j := range H3 {
		for k := range F2 {
			f.winT[k*H3+j] = f.win[j*F2+k]
		}
	}
	return f
}

func sigm(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// inputs returns, per step, the network input [x̂; m] (2F) and δ (F) of s:
// x̂ = x where observed, else the last value decayed toward the mean (0).
func (f *fastGRUD) inputs(s *Series) (xh, d [][]float64) {
	F, T := f.F, s.T
	xh, d = make([][]float64, T), make([][]float64, T)
	for t := range T {
		row := t * F
		x := make([]float64, 2*F)
		for v := range F {
			x[v] = s.Values[row+v]
			if l := (1 - s.Mask[row+v]) * s.Last[row+v]; l != 0 {
				x[v] += math.Exp(-math.Max(0, f.wx[v]*s.Delta[row+v]+f.bx[v])) * l
			}
			x[F+v] = s.Mask[row+v]
		}
		xh[t], d[t] = x, s.Delta[row:row+F]
	}
	return xh, d
}

// trace keeps, per step, what backward needs.
type trace struct {
	pre, gh, hprev, hh, z, r, n [][]float64
}

// forward runs the recurrence on inputs and returns the final hidden state;
// with keep it also returns the trace for backward.
func (f *fastGRUD) forward(xh, d [][]float64, keep bool) ([]float64, *trace) {
	F, H, T := f.F, f.H, len(xh)
	var h []float64
	var tr *trace
	if keep {
		tr = &trace{}
	}
	gi := make([]float64, 3*H)
	// One allocation: 7 vectors of H per step when keeping the trace, else
	// the same 7 reused.
	steps := 1
	if keep {
		steps = T
	}
	arena := make([]float64, 7*H*steps+H)
	vec := func(t, i int) []float64 {
		if !keep {
			t = 0
		}
		o := (t*7 + i) * H
		return arena[o : o+H : o+H]
	}
	h = arena[7*H*steps:]
	for t := range T {
		// Most inputs are 0 (unobserved, never seen): add only the
		// columns of the others.
		copy(gi, f.bin)
		for k, x := range xh[t] {
			if x == 0 {
				continue
			}
			col := f.winT[k*3*H : (k+1)*3*H]
			for j, w := range col {
				gi[j] += w * x
			}
		}
		pre, gh, hh := vec(t, 0), vec(t, 1), vec(t, 2)
		for j := range H {
			w := f.wgh[j*F : (j+1)*F]
			acc := f.bgh[j]
			for k, x := range d[t] {
				acc += w[k] * x
			}
			pre[j] = acc
			gh[j] = 1
			if acc > 0 {
				gh[j] = math.Exp(-acc)
			}
			hh[j] = gh[j] * h[j]
		}
		z, r, n := vec(t, 3), vec(t, 4), vec(t, 5)
		for j := range 2 * H {
			row := f.u[j*H : (j+1)*H]
			s := gi[j]
			for k, w := range row {
				s += w * hh[k]
			}
			if j < H {
				z[j] = sigm(s)
			} else {
				r[j-H] = sigm(s)
			}
		}
		next := vec(t, 6)
		for j := range H {
			row := f.u[(2*H+j)*H : (2*H+j+1)*H]
			s := gi[2*H+j]
			for k, w := range row {
				s += w * r[k] * hh[k]
			}
			n[j] = math.Tanh(s)
			next[j] = hh[j] + z[j]*(n[j]-hh[j])
		}
		if keep {
			tr.pre = append(tr.pre, pre)
			tr.gh = append(tr.gh, gh)
			tr.hprev = append(tr.hprev, h)
			tr.hh = append(tr.hh, hh)
			tr.z = append(tr.z, z)
			tr.r = append(tr.r, r)
			tr.n = append(tr.n, n)
		}
		h = next
	}
	return h, tr
}

// backward returns the gradients of wout[:H]·h_T with respect to the inputs
// of every step: gxh (T × 2F) and gd (T × F, through the hidden decay only;
// the input decay is inside x̂). Only the entries of the variables in vars
// (x̂, mask and δ) are computed; the others stay 0.
func (f *fastGRUD) backward(xh [][]float64, tr *trace, vars []int) (gxh, gd [][]float64) {
	F, H, T := f.F, f.H, len(xh)
	gxh, gd = make([][]float64, T), make([][]float64, T)
	dh := append([]float64(nil), f.wout[:H]...)
	dgi := make([]float64, 3*H)
	dhh := make([]float64, H)
	drh := make([]float64, H)
	for t := T - 1; t >= 0; t-- {
		z, r, n, hh := tr.z[t], tr.r[t], tr.n[t], tr.hh[t]
		for j := range H {
			dz := dh[j] * (n[j] - hh[j])
			dn := dh[j] * z[j]
			dhh[j] = dh[j] * (1 - z[j])
			dgi[j] = dz * z[j] * (1 - z[j])
			dgi[2*H+j] = dn * (1 - n[j]*n[j])
		}
		clear(drh)
		for j := range H {
			row := f.u[(2*H+j)*H : (2*H+j+1)*H]
			g := dgi[2*H+j]
			for k, w := range row {
				drh[k] += w * g
			}
		}
		for k := range H {
			dr := drh[k] * hh[k]
			dhh[k] += drh[k] * r[k]
			dgi[H+k] = dr * r[k] * (1 - r[k])
		}
		for j := range 2 * H {
			row := f.u[j*H : (j+1)*H]
			g := dgi[j]
			for k, w := range row {
				dhh[k] += w * g
			}
		}
		gx := make([]float64, 2*F)
		for _, v := range vars {
			for _, k := range [2]int{v, F + v} {
				col := f.winT[k*3*H : (k+1)*3*H]
				s := 0.0
				for j, w := range col {
					s += w * dgi[j]
				}
				gx[k] = s
			}
		}
		gdt := make([]float64, F)
		next := make([]float64, H)
		for j := range H {
			next[j] = dhh[j] * tr.gh[t][j]
			if tr.pre[t][j] > 0 { // gh = exp(-pre): dgh/dpre = -gh
				dpre := -dhh[j] * tr.hprev[t][j] * tr.gh[t][j]
				w := f.wgh[j*F : (j+1)*F]
				for _, v := range vars {
					gdt[v] += w[v] * dpre
				}
			}
		}
		gxh[t], gd[t] = gx, gdt
		dh = next
	}
	return gxh, gd
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

// explain returns the final hidden state of s and, for each variable in
// vars, the first-order (gradient × input difference) estimate of how the
// logit changes when the variable is left out: its x̂ and mask become 0 and
// its δ grows as for a variable never observed.
func (f *fastGRUD) explain(s *Series, vars []int) (h []float64, delta []float64) {
	xh, d := f.inputs(s)
	h, tr := f.forward(xh, d, len(vars) > 0)
	if len(vars) == 0 {
		return h, nil
	}
	gxh, gd := f.backward(xh, tr, vars)
	F := f.F
	step := 0.0
	if len(d) > 1 {
		step = d[1][0] // δ at t=1 is one step whatever the mask
	}
	delta = make([]float64, len(vars))
	for i, v := range vars {
		occ := 0.0 // δ of a never-observed variable
		for t := range xh {
			if t > 0 {
				occ += step
			}
			delta[i] -= gxh[t][v]*xh[t][v] + gxh[t][F+v]*xh[t][F+v]
			delta[i] += gd[t][v] * (occ - d[t][v])
		}
	}
	return h, delta
}
