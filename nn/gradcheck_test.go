package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gradOpts tunes checkGradOpts. Zero fields take the defaults of checkGrad.
type gradOpts struct {
	Eps        float64 // finite-difference step
	RTol, ATol float64 // pass when |analytic-numeric| <= ATol + RTol*max(|analytic|, |numeric|)
	MaxPerIn   int     // check at most this many elements per input (spread evenly)
	Train      bool    // run f with dropout active
}

// checkGrad compares the gradients Backward gives for inputs with central
// finite differences of f, a function of the inputs built on the tape it is
// given. The scalar differentiated is Σ out·r for a fixed random r, summed in
// float64. Every evaluation uses a fresh tape seeded the same way, so dropout
// masks repeat.
func checkGrad(tb testing.TB, f func(tp *Tape) *Tensor, inputs ...*Tensor) {
	tb.Helper()
	checkGradOpts(tb, gradOpts{}, f, inputs...)
}

func checkGradOpts(tb testing.TB, o gradOpts, f func(tp *Tape) *Tensor, inputs ...*Tensor) {
	tb.Helper()
	if o.Eps == 0 {
		o.Eps = 1e-2
	}
	if o.RTol == 0 {
		o.RTol = 2e-2
	}
	if o.ATol == 0 {
		o.ATol = 2e-3
	}
	if o.MaxPerIn == 0 {
		o.MaxPerIn = 64
	}
	run := func() (*Tape, *Tensor) {
		tp := NewTape()
		tp.Seed(7)
		tp.SetTraining(o.Train)
		return tp, f(tp)
	}
	tp, out := run()
	rng := NewRand(99)
	r := make([]float32, len(out.Data))
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	for _, in := range inputs {
		if !in.requiresGrad {
			tb.Fatalf("checkGrad: input %v does not require a gradient", in)
		}
		in.ZeroGrad()
	}
	tp.BackwardFrom(out, r)
	analytic := make([][]float64, len(inputs))
	for k, in := range inputs {
		analytic[k] = make([]float64, len(in.Data))
		for i, g := range in.Grad {
			analytic[k][i] = float64(g)
		}
		in.ZeroGrad()
	}
	loss := func() float64 {
		_, out := run()
		var s float64
		for i, v := range out.Data {
			s += float64(v) * float64(r[i])
		}
		return s
	}
	bad := 0
	for k, in := range inputs {
		step := max(1, len(in.Data)/o.MaxPerIn)
		for i := 0; i < len(in.Data); i += step {
			orig := in.Data[i]
			in.Data[i] = orig + float32(o.Eps)
			hi := float64(in.Data[i])
			lp := loss()
			in.Data[i] = orig - float32(o.Eps)
			lo := float64(in.Data[i])
			lm := loss()
			in.Data[i] = orig
			num := (lp - lm) / (hi - lo)
			a := analytic[k][i]
			if math.Abs(a-num) > o.ATol+o.RTol*max(math.Abs(a), math.Abs(num)) || math.IsNaN(a) {
				if bad < 5 {
					tb.Errorf("input %d %v element %d: backward %.6g, finite difference %.6g", k, in.Shape, i, a, num)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		tb.Errorf("%d gradient elements wrong", bad)
	}
}

// randParam returns a tensor of N(0, std²) values that requires a gradient.
func randParam(rng *rand.Rand, std float32, shape ...int) *Tensor {
	t := New(shape...)
	FillNormal(t, rng, 0, std)
	t.SetRequiresGrad(true)
	return t
}

// awayFrom returns t with every value at least d away from each kink in ks,
// for ops whose derivative jumps there (relu, max).
func awayFrom(t *Tensor, d float32, ks ...float32) *Tensor {
	for i, v := range t.Data {
		for _, k := range ks {
			if v-k < d && v-k > -d {
				if v >= k {
					t.Data[i] = k + d + (v - k)
				} else {
					t.Data[i] = k - d + (v - k)
				}
			}
		}
	}
	return t
}

// failTB records failures instead of failing the test, to show that
// checkGrad can fail.
type failTB struct {
	testing.TB
	failed bool
}

func (f *failTB) Errorf(string, ...any) { f.failed = true }
func (f *failTB) Fatalf(format string, args ...any) {
	f.failed = true
	panic(fmt.Sprintf(format, args...))
}
func (f *failTB) Helper() {}

func TestCheckGradDetectsWrongBackward(t *testing.T) {
	rng := NewRand(1)
	x := randParam(rng, 1, 3, 4)
	wrong := func(tp *Tape) *Tensor { // square with a backward off by a factor 2
		out := tp.newTensor([]int{3, 4}, false, x)
		for i, v := range x.Data {
			out.Data[i] = v * v
		}
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			for i, g := range out.Grad {
				gx[i] += x.Data[i] * g
			}
		})
		return out
	}
	ftb := &failTB{TB: t}
	checkGrad(ftb, wrong, x)
	if !ftb.failed {
		t.Fatal("checkGrad passed a wrong gradient")
	}
}
