package nn

import (
	"fmt"
	"math"
	"slices"
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
	for _, vm := range []bool{false, useVmath} {
		t.Run(fmt.Sprintf("vmath=%v", vm), func(t *testing.T) {
			defer func(old bool) { useVmath = old }(useVmath)
			useVmath = vm
			testExpShifted(t)
		})
	}
}

func testExpShifted(t *testing.T) {
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

// TestSliceMath compares the slice functions (vmath's AVX2 kernels where
// the CPU has them) with the scalar ones, in place and not.
func TestSliceMath(t *testing.T) {
	rng := NewRand(3)
	src := []float32{0, 1e-8, -1e-6, 0.6, -0.7, 9.5, -9.5, 50, -50, 90, -90, float32(math.Inf(1)), float32(math.Inf(-1))}
	for range 3000 {
		src = append(src, float32(rng.NormFloat64()*4))
	}
	tests := []struct {
		name   string
		slice  func(dst, src []float32)
		scalar func(float32) float32
	}{
		{"exp", expSlice, exp32},
		{"tanh", tanhSlice, tanh32},
		{"sigmoid", sigmoidSlice, sigmoid32},
	}
	for _, tt := range tests {
		for _, vm := range []bool{false, useVmath} {
			t.Run(fmt.Sprintf("%s/vmath=%v", tt.name, vm), func(t *testing.T) {
				defer func(old bool) { useVmath = old }(useVmath)
				useVmath = vm
				for _, n := range []int{0, 1, 7, 8, 13, len(src)} {
					got := make([]float32, n)
					tt.slice(got, src[:n])
					in := slices.Clone(src[:n])
					tt.slice(in, in)
					for i, x := range src[:n] {
						want := tt.scalar(x)
						if math.Float32bits(in[i]) != math.Float32bits(got[i]) {
							t.Fatalf("in place f(%v) = %v, not %v", x, in[i], got[i])
						}
						if got[i] != want && math.Abs(float64(got[i]-want)) > 5e-7*math.Abs(float64(want)) {
							t.Fatalf("f(%v) = %v, scalar %v", x, got[i], want)
						}
					}
				}
				nan := []float32{float32(math.NaN())}
				tt.slice(nan, nan)
				if !math.IsNaN(float64(nan[0])) {
					t.Fatalf("f(NaN) = %v", nan[0])
				}
			})
		}
	}
}
