package outcome

import (
	"sync"

	"github.com/galenhealth/galen/nn/blas"
	"github.com/galenhealth/galen/nn/blas/vmath"
)

// fastGRUD is a GRU-D member's weights, laid out for the tape-free inference
// path used by Predict and Risk. It computes the same function as
// GRUD.forward in float32 (checked by TestFastMatchesTape), with the work
// that does not depend on the hidden state done for all steps at once: the
// input projections and the hidden decays are one matrix product each, and
// each step is two matrix-vector products (blas.Sgemv) and vectorised
// sigmoid and tanh. For explanations it also runs backpropagation through
// time by hand (checked against finite differences by TestFastGradients),
// so that the effect of leaving out each variable can be estimated from one
// forward and one backward pass.
type fastGRUD struct {
	F, H, S int
	wx, bx  []float32 // [F] input decay
	wgh     []float32 // [H][F] hidden decay
	wghT    []float32 // [F][H], its transpose
	bgh     []float32 // [H]
	win     []float32 // [3H][2F] input projection
	winT    []float32 // [2F][3H], its transpose
	bin     []float32 // [3H]
	u       []float32 // [3H][H] recurrent weights Uz, Ur, Un
	uT      []float32 // [H][3H], its transpose
	wout    []float64 // [H+S]
	bout    float64
}

func transpose(a []float32, rows, cols int) []float32 {
	t := make([]float32, len(a))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = a[i*cols+j]
		}
	}
	return t
}

func newFastGRUD(g *GRUD) *fastGRUD {
	F, H := g.F, g.H
	clone := func(x []float32) []float32 { return append([]float32(nil), x...) }
	f := &fastGRUD{F: F, H: H, S: g.S,
		wx: clone(g.DecayX.Data[:F]), bx: clone(g.DecayX.Data[F:]),
		wgh: clone(g.DecayH.Weight.Data), bgh: clone(g.DecayH.Bias.Data),
		win: clone(g.Input.Weight.Data), bin: clone(g.Input.Bias.Data),
		u:    clone(g.Hidden.Data),
		wout: make([]float64, len(g.Out.Weight.Data)), bout: float64(g.Out.Bias.Data[0]),
	}
	for i, v := range g.Out.Weight.Data {
		f.wout[i] = float64(v)
	}
	f.wghT = transpose(f.wgh, H, F)
	f.winT = transpose(f.win, 3*H, 2*F)
	f.uT = transpose(f.u, 3*H, H)
	return f
}

// workspace hands out zeroed scratch slices for one prediction from a
// reused block, so that a prediction allocates almost nothing once warm.
// Slices stay valid until reset. A nil workspace allocates every slice.
type workspace struct {
	f   []float32
	off int
	// The stay on the time grid, which the members share: kept apart
	// from f, since reset recycles f between members.
	series Series
	g      []float64
}

// grid returns n float64s for the series, reused across predictions.
func (w *workspace) grid(n int) []float64 {
	if cap(w.g) < n {
		w.g = make([]float64, n)
	}
	return w.g[:n]
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// floats returns n zeroed float32s.
func (w *workspace) floats(n int) []float32 {
	if w == nil {
		return make([]float32, n)
	}
	if w.off+n > len(w.f) {
		w.f, w.off = make([]float32, max(2*len(w.f), n, 1<<15)), 0
	}
	s := w.f[w.off : w.off+n : w.off+n]
	w.off += n
	clear(s)
	return s
}

// reset makes all slices handed out available again.
func (w *workspace) reset() { w.off = 0 }

// stepInputs is one series as the network sees it, T rows each: the input
// [x̂; m] (2F) with x̂ = x where observed, else the last value decayed
// toward the mean (0), and the time since the last observation δ (F).
type stepInputs struct {
	T      int
	xh, d  []float32 // [T][2F], [T][F]
	static []float64
}

func (f *fastGRUD) inputs(s *Series, ws *workspace) *stepInputs {
	F, T := f.F, s.T
	in := &stepInputs{T: T, xh: ws.floats(2 * F * T), d: ws.floats(F * T), static: s.Static}
	decay := ws.floats(F * T) // −max(0, wx·δ + bx), then γx = exp of it
	for t := range T {
		for v := range F {
			k := t*F + v
			in.d[k] = float32(s.Delta[k])
			decay[k] = -max(0, f.wx[v]*in.d[k]+f.bx[v])
		}
	}
	vmath.Exp(decay, decay)
	for t := range T {
		x := in.xh[2*F*t : 2*F*(t+1)]
		for v := range F {
			k := t*F + v
			x[v] = float32(s.Values[k])
			if l := float32((1 - s.Mask[k]) * s.Last[k]); l != 0 {
				x[v] += decay[k] * l
			}
			x[F+v] = float32(s.Mask[k])
		}
	}
	return in
}

// trace keeps, per step, what backward needs: rows of H (or 2H for zr).
type trace struct {
	pre, gh, hprev, hh, zr, n []float32
}

// forward runs the recurrence and returns the final hidden state; with keep
// it also returns the trace for backward.
func (f *fastGRUD) forward(in *stepInputs, keep bool, ws *workspace) ([]float32, *trace) {
	F, H, T := f.F, f.H, in.T
	H2, H3 := 2*H, 3*H
	// Everything that does not depend on h, for all steps at once:
	// gi = bin + Win·[x̂; m] and pre = bγh + Wγh·δ, then γh = exp(−max(0, pre)).
	gi := ws.floats(T * H3)
	pre := ws.floats(T * H)
	for t := range T {
		copy(gi[t*H3:(t+1)*H3], f.bin)
		copy(pre[t*H:(t+1)*H], f.bgh)
	}
	blas.Sgemm(false, false, T, H3, 2*F, 1, in.xh, 2*F, f.winT, H3, 1, gi, H3)
	blas.Sgemm(false, false, T, H, F, 1, in.d, F, f.wghT, H, 1, pre, H)
	gh := ws.floats(T * H)
	for i, p := range pre {
		gh[i] = -max(0, p)
	}
	vmath.Exp(gh, gh)

	steps := 1
	if keep {
		steps = T
	}
	hprev, hh, zr, n := ws.floats(steps*H), ws.floats(steps*H), ws.floats(steps*H2), ws.floats(steps*H)
	h, next := ws.floats(H), ws.floats(H)
	row := func(x []float32, t, w int) []float32 {
		if !keep {
			t = 0
		}
		return x[t*w : (t+1)*w : (t+1)*w]
	}
	for t := range T {
		hp, hht, zrt, nt := row(hprev, t, H), row(hh, t, H), row(zr, t, H2), row(n, t, H)
		copy(hp, h)
		for j, g := range gh[t*H : (t+1)*H] {
			hht[j] = g * h[j]
		}
		git := gi[t*H3 : (t+1)*H3]
		copy(zrt, git[:H2])
		blas.Sgemv(true, H, H2, 1, f.uT, H3, hht, 1, zrt)
		vmath.Sigmoid(zrt, zrt)
		z, r := zrt[:H], zrt[H:]
		for j := range H {
			next[j] = r[j] * hht[j] // r ⊙ h̃, the input of Un
		}
		copy(nt, git[H2:])
		blas.Sgemv(true, H, H, 1, f.uT[H2:], H3, next, 1, nt)
		vmath.Tanh(nt, nt)
		for j := range H {
			h[j] = hht[j] + z[j]*(nt[j]-hht[j])
		}
	}
	if !keep {
		return h, nil
	}
	return h, &trace{pre: pre, gh: gh, hprev: hprev, hh: hh, zr: zr, n: n}
}

// backward returns the gradients of wout[:H]·h_T with respect to the inputs
// of every step: gxh (T × 2F) and gd (T × F, through the hidden decay only;
// the input decay is inside x̂). Like forward, it leaves the products that
// do not feed the recurrence to one matrix product each at the end.
func (f *fastGRUD) backward(in *stepInputs, tr *trace, ws *workspace) (gxh, gd []float32) {
	F, H, T := f.F, f.H, in.T
	H2, H3 := 2*H, 3*H
	dgi := ws.floats(T * H3)
	dpre := ws.floats(T * H)
	dh, dhh := ws.floats(H), ws.floats(H)
	drh := ws.floats(H)
	for j := range H {
		dh[j] = float32(f.wout[j])
	}
	for t := T - 1; t >= 0; t-- {
		zr, n, hh := tr.zr[t*H2:(t+1)*H2], tr.n[t*H:(t+1)*H], tr.hh[t*H:(t+1)*H]
		z, r := zr[:H], zr[H:]
		g := dgi[t*H3 : (t+1)*H3]
		for j := range H {
			dz := dh[j] * (n[j] - hh[j])
			dn := dh[j] * z[j]
			dhh[j] = dh[j] * (1 - z[j])
			g[j] = dz * z[j] * (1 - z[j])
			g[H2+j] = dn * (1 - n[j]*n[j])
		}
		blas.Sgemv(true, H, H, 1, f.u[H2*H:], H, g[H2:], 0, drh)
		for k := range H {
			dhh[k] += drh[k] * r[k]
			dr := drh[k] * hh[k]
			g[H+k] = dr * r[k] * (1 - r[k])
		}
		blas.Sgemv(true, H2, H, 1, f.u, H, g[:H2], 1, dhh)
		pre, gh, hprev := tr.pre[t*H:(t+1)*H], tr.gh[t*H:(t+1)*H], tr.hprev[t*H:(t+1)*H]
		dp := dpre[t*H : (t+1)*H]
		for j := range H {
			dh[j] = dhh[j] * gh[j]
			if pre[j] > 0 { // γh = exp(−pre): dγh/dpre = −γh
				dp[j] = -dhh[j] * hprev[j] * gh[j]
			}
		}
	}
	gxh, gd = ws.floats(T*2*F), ws.floats(T*F)
	blas.Sgemm(false, false, T, 2*F, H3, 1, dgi, H3, f.win, 2*F, 0, gxh, 2*F)
	blas.Sgemm(false, false, T, F, H, 1, dpre, H, f.wgh, F, 0, gd, F)
	return gxh, gd
}

// output returns the logit of a final hidden state and static features.
func (f *fastGRUD) output(h []float32, static []float64) float64 {
	z := f.bout
	for j, v := range h {
		z += f.wout[j] * float64(v)
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
func (f *fastGRUD) explain(s *Series, vars []int, ws *workspace) (h []float32, delta []float64) {
	in := f.inputs(s, ws)
	h, tr := f.forward(in, len(vars) > 0, ws)
	if len(vars) == 0 {
		return h, nil
	}
	gxh, gd := f.backward(in, tr, ws)
	F := f.F
	step := 0.0
	if in.T > 1 {
		step = float64(in.d[F]) // δ at t=1 is one step whatever the mask
	}
	delta = make([]float64, len(vars))
	for i, v := range vars {
		occ := 0.0 // δ of a never-observed variable
		for t := range in.T {
			if t > 0 {
				occ += step
			}
			x, gx := in.xh[2*F*t:2*F*(t+1)], gxh[2*F*t:2*F*(t+1)]
			delta[i] -= float64(gx[v]*x[v] + gx[F+v]*x[F+v])
			delta[i] += float64(gd[t*F+v]) * (occ - float64(in.d[t*F+v]))
		}
	}
	return h, delta
}
