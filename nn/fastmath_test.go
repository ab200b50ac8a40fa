package nn

import (
	"math"
	"testing"
)

func TestFastMath(t *testing.T) {
	tests := []struct {
		name   string
		f      func(float32) float32
		ref    func(float64) float64
		lo, hi float64
		rtol   float64
	}{
		{"exp", exp32, math.Exp, -87, 88, 3e-7},
		{"tanh", tanh32, math.Tanh, -12, 12, 4e-7},
		{"sigmoid", sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -80, 80, 5e-7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worst := 0.0
			for i := 0; i <= 200000; i++ {
				x := float32(tt.lo + (tt.hi-tt.lo)*float64(i)/200000)
				got, want := float64(tt.f(x)), tt.ref(float64(x))
				if e := math.Abs(got-want) / max(math.Abs(want), 1e-30); e > worst {
					worst = e
				}
			}
			for _, x := range []float32{0, 1e-8, -1e-8, 1e-4, -3e-3} {
				got, want := float64(tt.f(x)), tt.ref(float64(x))
				if e := math.Abs(got-want) / max(math.Abs(want), 1e-30); e > worst {
					worst = e
				}
			}
			if worst > tt.rtol {
				t.Fatalf("worst relative error %.3g > %.3g", worst, tt.rtol)
			}
		})
	}
	if got := exp32(-100); got != 0 {
		t.Fatalf("exp32(-100) = %v, want 0", got)
	}
	if got := exp32(100); !math.IsInf(float64(got), 1) {
		t.Fatalf("exp32(100) = %v, want +Inf", got)
	}
}

func TestExpShifted(t *testing.T) {
	xs := make([]float32, 0, 4000)
	for i := range 4000 {
		xs = append(xs, -float32(i)*0.025+0.5)
	}
	got := append([]float32(nil), xs...)
	expShifted(got, 0.7, 0.5)
	for i, v := range xs {
		want := math.Exp(float64(0.7 * (v - 0.5)))
		if e := math.Abs(float64(got[i])-want) / want; e > 3e-7 && want > 1e-37 {
			t.Fatalf("exp(%g) = %g, want %g", 0.7*(v-0.5), got[i], want)
		}
	}
	tiny := []float32{-200}
	expShifted(tiny, 1, 0)
	if tiny[0] > 2e-38 {
		t.Fatalf("exp(-200) = %g, want ≈ 0", tiny[0])
	}
}
