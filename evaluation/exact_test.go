package evaluation

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBootstrapCIPercentiles pins the percentile rule exactly with a metric
// whose values do not depend on the resample: the k-th call returns k (NaN
// for the calls in skip), so the sorted values are known and the interval
// is the element at round(p·(len-1)) for p = (1-level)/2 and 1-(1-level)/2.
func TestBootstrapCIPercentiles(t *testing.T) {
	s := []float64{0.1, 0.2, 0.3}
	y := bools(0, 1, 1)
	tests := []struct {
		name     string
		n        int
		level    float64
		odd      bool // the odd calls return NaN and are skipped
		lo, hi   float64
		wantNaNs bool
	}{
		// values 1..101: lo index round(0.05·100)=5 → 6, hi index 95 → 96
		{name: "90% of 101", n: 101, level: 0.9, lo: 6, hi: 96},
		// values 1..1000: lo index round(0.025·999)=25 → 26, hi index round(974.025)=974 → 975
		{name: "95% of 1000", n: 1000, level: 0.95, lo: 26, hi: 975},
		// level 0 is the median twice: index round(0.5·10)=5 → 6
		{name: "level 0 of 11", n: 11, level: 0, lo: 6, hi: 6},
		// level 1 is the range
		{name: "level 1 of 7", n: 7, level: 1, lo: 1, hi: 7},
		// a level above 1 clamps to the range: indexes round(-0.5·6) and
		// round(1.5·6) clamp to 0 and 6
		{name: "level 2 of 7", n: 7, level: 2, lo: 1, hi: 7},
		// only the even calls count: values 2, 4, ..., 20 (10 values);
		// lo index round(0.1·9)=1 → 4, hi index round(8.1)=8 → 18
		{name: "NaNs skipped", n: 20, level: 0.8, odd: true, lo: 4, hi: 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := 0
			metric := func([]float64, []bool) float64 {
				k++
				if tt.odd && k%2 == 1 {
					return math.NaN()
				}
				return float64(k)
			}
			lo, hi := BootstrapCI(s, y, metric, tt.n, tt.level, 1)
			if lo != tt.lo || hi != tt.hi || k != tt.n {
				t.Errorf("interval [%v, %v] after %d calls, want [%v, %v] after %d", lo, hi, k, tt.lo, tt.hi, tt.n)
			}
		})
	}
	if lo, hi := BootstrapCI(s, y, AUROC, 0, 0.95, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("no resamples: [%v, %v], want NaN", lo, hi)
	}
}

// TestLogitClamp checks Logit at and beyond 0 and 1, where it clamps p to
// [1e-12, 1-1e-12]: log(1e12 - 1) ≈ ±27.631.
func TestLogitClamp(t *testing.T) {
	want := math.Log((1 - 1e-12) / 1e-12)
	tests := []struct {
		name string
		p    float64
		want float64
	}{
		{"one", 1, want},
		{"above one", 1.5, want},
		{"zero", 0, -want},
		{"below zero", -0.5, -want},
		{"half", 0.5, 0},
		{"0.9", 0.9, math.Log(9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Logit(tt.p); math.Abs(got-tt.want) > 1e-3 {
				t.Errorf("Logit(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

// plattReference minimises the ridge-penalised log loss of FitPlatt by
// bisection on the gradient, a method independent of FitPlatt's Newton
// steps: for fixed A the loss is convex in B, so the B that zeroes dL/dB is
// found by bisection; and dL/dA along that profile is increasing in A (the
// loss is jointly convex), so A is found by bisection too.
func plattReference(z []float64, y []bool, tempOnly bool) Platt {
	const ridge = 1e-6
	grad := func(a, b float64) (ga, gb float64) {
		for i, zi := range z {
			r := Sigmoid(a*zi + b)
			if y[i] {
				r--
			}
			ga += r * zi
			gb += r
		}
		return ga + ridge*a, gb + ridge*b
	}
	bisect := func(f func(float64) float64, lo, hi float64) float64 {
		for range 200 {
			m := (lo + hi) / 2
			if f(m) > 0 {
				hi = m
			} else {
				lo = m
			}
		}
		return (lo + hi) / 2
	}
	bestB := func(a float64) float64 {
		if tempOnly {
			return 0
		}
		return bisect(func(b float64) float64 { _, gb := grad(a, b); return gb }, -50, 50)
	}
	a := bisect(func(a float64) float64 { ga, _ := grad(a, bestB(a)); return ga }, -50, 50)
	return Platt{A: a, B: bestB(a)}
}

// TestFitPlattMatchesReference compares FitPlatt with plattReference to
// 1e-7 on data where the first Newton steps overshoot (well-separated
// logits, so the line search must act) and on noisy data.
func TestFitPlattMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	noisy := func(n int, a, b float64) ([]float64, []bool) {
		z, y := make([]float64, n), make([]bool, n)
		for i := range z {
			z[i] = r.NormFloat64() * 2
			y[i] = r.Float64() < Sigmoid(a*z[i]+b)
		}
		return z, y
	}
	z1, y1 := noisy(400, 0.5, -1)
	z2, y2 := noisy(300, 3, 0.5)
	z3, y3 := noisy(200, -0.7, 0.2)
	tests := []struct {
		name     string
		z        []float64
		y        []bool
		tempOnly bool
	}{
		{name: "noisy", z: z1, y: y1},
		{name: "noisy temperature", z: z1, y: y1, tempOnly: true},
		{name: "sharp", z: z2, y: y2},
		{name: "sharp temperature", z: z2, y: y2, tempOnly: true},
		{name: "inverted", z: z3, y: y3},
		{name: "small", z: []float64{-3, -1, 0.5, 2, 4, 1}, y: bools(0, 0, 1, 1, 1, 0)},
		// Separable: only the ridge keeps A finite, so the ridge term of
		// the loss decides the line search.
		{name: "separable", z: []float64{-2, -1, 1, 2}, y: bools(0, 0, 1, 1)},
		{name: "separable shifted", z: []float64{-1, 0.5, 1, 3}, y: bools(0, 0, 1, 1)},
		{name: "separable temperature", z: []float64{-2, -1, 1, 2}, y: bools(0, 0, 1, 1), tempOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FitPlatt(tt.z, tt.y, tt.tempOnly)
			if err != nil {
				t.Fatal(err)
			}
			want := plattReference(tt.z, tt.y, tt.tempOnly)
			if math.Abs(got.A-want.A) > 1e-7*math.Max(1, math.Abs(want.A)) || math.Abs(got.B-want.B) > 1e-7*math.Max(1, math.Abs(want.B)) {
				t.Errorf("FitPlatt %+v, reference %+v", got, want)
			}
		})
	}
}
