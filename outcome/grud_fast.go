package outcome

import (
	"math"
	"sync"
)

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
	uT      []float64 // [H][3H], its transpose, for backward
	wghT    []float64 // [F][H], wgh transposed, for backward
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
	H := g.H
	f.uT = make([]float64, H*H3)
	for j := range H3 {
		for k := range H {
			f.uT[k*H3+j] = f.u[j*H+k]
		}
	}
	f.wghT = make([]float64, F*H)
	for j := range H {
		for v := range F {
			f.wghT[v*H+j] = f.wgh[j*F+v]
		}
	}
	return f
}

// workspace hands out zeroed scratch slices for one prediction from a few
// reused blocks, so that a prediction allocates almost nothing once warm.
// Slices stay valid until reset. A nil workspace allocates every slice.
type workspace struct {
	f    []float64
	fOff int
	r    [][]float64
	rOff int
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// floats returns n zeroed float64s.
func (w *workspace) floats(n int) []float64 {
	if w == nil {
		return make([]float64, n)
	}
	if w.fOff+n > len(w.f) {
		w.f, w.fOff = make([]float64, max(2*len(w.f), n, 1<<14)), 0
	}
	s := w.f[w.fOff : w.fOff+n : w.fOff+n]
	w.fOff += n
	clear(s)
	return s
}

// rows returns n nil slices.
func (w *workspace) rows(n int) [][]float64 {
	if w == nil {
		return make([][]float64, n)
	}
	if w.rOff+n > len(w.r) {
		w.r, w.rOff = make([][]float64, max(2*len(w.r), n, 1<<10)), 0
	}
	s := w.r[w.rOff : w.rOff+n : w.rOff+n]
	w.rOff += n
	clear(s)
	return s
}

// reset makes all slices handed out available again.
func (w *workspace) reset() { w.fOff, w.rOff = 0, 0 }

func sigm(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// inputs returns, per step, the network input [x̂; m] (2F) and δ (F) of s:
// x̂ = x where observed, else the last value decayed toward the mean (0).
func (f *fastGRUD) inputs(s *Series, ws *workspace) (xh, d [][]float64) {
	F, T := f.F, s.T
	xh, d = ws.rows(T), ws.rows(T)
	buf := ws.floats(2 * F * T)
	for t := range T {
		row := t * F
		x := buf[2*F*t : 2*F*(t+1) : 2*F*(t+1)]
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

// dot returns the inner product of a and b[:len(a)] with eight partial
// sums, which run in parallel on the FPU (a single running sum waits for
// each addition).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	for len(a) >= 8 && len(b) >= 8 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		s4 += a[4] * b[4]
		s5 += a[5] * b[5]
		s6 += a[6] * b[6]
		s7 += a[7] * b[7]
		a, b = a[8:], b[8:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// axpy adds alpha·x to y[:len(x)].
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// trace keeps, per step, what backward needs.
type trace struct {
	pre, gh, hprev, hh, z, r, n [][]float64
}

// forward runs the recurrence on inputs and returns the final hidden state;
// with keep it also returns the trace for backward.
func (f *fastGRUD) forward(xh, d [][]float64, keep bool, ws *workspace) ([]float64, *trace) {
	F, H, T := f.F, f.H, len(xh)
	H3 := 3 * H
	var tr *trace
	steps := 1
	if keep {
		steps = T
		tr = &trace{}
		all := ws.rows(7 * T)
		tr.pre, tr.gh, tr.hprev, tr.hh = all[:0:T], all[T:T:2*T], all[2*T:2*T:3*T], all[3*T:3*T:4*T]
		tr.z, tr.r, tr.n = all[4*T:4*T:5*T], all[5*T:5*T:6*T], all[6*T:6*T:7*T]
	}
	// One allocation: 7 vectors of H per step when keeping the trace, else
	// the same 7 reused; then h0, gi and r ⊙ h̃.
	arena := ws.floats(7*H*steps + H + H3 + H)
	vec := func(t, i int) []float64 {
		if !keep {
			t = 0
		}
		o := (t*7 + i) * H
		return arena[o : o+H : o+H]
	}
	o := 7 * H * steps
	h := arena[o : o+H : o+H]
	gi := arena[o+H : o+H+H3 : o+H+H3]
	rh := arena[o+H+H3 : o+2*H+H3 : o+2*H+H3]
	for t := range T {
		// Most inputs are 0 (unobserved, never seen): add only the
		// columns of the others.
		copy(gi, f.bin)
		for k, x := range xh[t] {
			if x != 0 {
				axpy(x, f.winT[k*H3:(k+1)*H3], gi)
			}
		}
		pre, gh, hh := vec(t, 0), vec(t, 1), vec(t, 2)
		dt := d[t][:F]
		for j := range H {
			acc := f.bgh[j] + dot(f.wgh[j*F:(j+1)*F], dt)
			pre[j] = acc
			gh[j] = 1
			if acc > 0 {
				gh[j] = math.Exp(-acc)
			}
			hh[j] = gh[j] * h[j]
		}
		z, r, n := vec(t, 3), vec(t, 4), vec(t, 5)
		for j := range H {
			z[j] = sigm(gi[j] + dot(f.u[j*H:(j+1)*H], hh))
		}
		for j := range H {
			r[j] = sigm(gi[H+j] + dot(f.u[(H+j)*H:(H+j+1)*H], hh))
			rh[j] = r[j] * hh[j]
		}
		next := vec(t, 6)
		for j := range H {
			n[j] = math.Tanh(gi[2*H+j] + dot(f.u[(2*H+j)*H:(2*H+j+1)*H], rh))
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
// (x̂, mask and δ) are computed; the others stay 0. With sparse, the x̂ and
// mask entries whose input is 0 are left 0 too: explain multiplies each
// gradient by its input, so it does not need them.
func (f *fastGRUD) backward(xh [][]float64, tr *trace, vars []int, sparse bool, ws *workspace) (gxh, gd [][]float64) {
	F, H, T := f.F, f.H, len(xh)
	H3 := 3 * H
	gxh, gd = ws.rows(T), ws.rows(T)
	out := ws.floats(3 * F * T)
	work := ws.floats(H3 + 5*H)
	dgi := work[:H3:H3]
	dh := work[H3 : H3+H : H3+H]
	dhh := work[H3+H : H3+2*H : H3+2*H]
	drh := work[H3+2*H : H3+3*H : H3+3*H]
	dpre := work[H3+3*H : H3+4*H : H3+4*H]
	next := work[H3+4*H : H3+5*H : H3+5*H]
	copy(dh, f.wout[:H])
	for t := T - 1; t >= 0; t-- {
		z, r, n, hh := tr.z[t][:H], tr.r[t][:H], tr.n[t][:H], tr.hh[t][:H]
		for j := range H {
			dz := dh[j] * (n[j] - hh[j])
			dn := dh[j] * z[j]
			dhh[j] = dh[j] * (1 - z[j])
			dgi[j] = dz * z[j] * (1 - z[j])
			dgi[2*H+j] = dn * (1 - n[j]*n[j])
		}
		for k := range H {
			drh[k] = dot(f.uT[k*H3+2*H:(k+1)*H3], dgi[2*H:])
		}
		for k := range H {
			dr := drh[k] * hh[k]
			dhh[k] += drh[k] * r[k]
			dgi[H+k] = dr * r[k] * (1 - r[k])
		}
		for k := range H {
			dhh[k] += dot(f.uT[k*H3:k*H3+2*H], dgi)
		}
		gx := out[3*F*t : 3*F*t+2*F : 3*F*t+2*F]
		x := xh[t]
		for _, v := range vars {
			for _, k := range [2]int{v, F + v} {
				if !sparse || x[k] != 0 {
					gx[k] = dot(f.winT[k*H3:(k+1)*H3], dgi)
				}
			}
		}
		gdt := out[3*F*t+2*F : 3*F*(t+1) : 3*F*(t+1)]
		pre, gh, hprev := tr.pre[t][:H], tr.gh[t][:H], tr.hprev[t][:H]
		decayed := false
		for j := range H {
			next[j] = dhh[j] * gh[j]
			dpre[j] = 0
			if pre[j] > 0 { // gh = exp(-pre): dgh/dpre = -gh
				dpre[j] = -dhh[j] * hprev[j] * gh[j]
				decayed = true
			}
		}
		if decayed {
			for _, v := range vars {
				gdt[v] = dot(f.wghT[v*H:(v+1)*H], dpre)
			}
		}
		gxh[t], gd[t] = gx, gdt
		copy(dh, next)
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

// explain returns the final hidden state of s (in ws) and, for each variable in
// vars, the first-order (gradient × input difference) estimate of how the
// logit changes when the variable is left out: its x̂ and mask become 0 and
// its δ grows as for a variable never observed.
func (f *fastGRUD) explain(s *Series, vars []int, ws *workspace) (h []float64, delta []float64) {
	xh, d := f.inputs(s, ws)
	h, tr := f.forward(xh, d, len(vars) > 0, ws)
	if len(vars) == 0 {
		return h, nil
	}
	gxh, gd := f.backward(xh, tr, vars, true, ws)
	F := f.F
	step := 0.0
	if len(d) > 1 {
		step = d[1][0] // δ at t=1 is one step whatever the mask
	}
	delta = ws.floats(len(vars))
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
