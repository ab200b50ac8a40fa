package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFuncs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := []float32{0, -0, 1, -1, 1e-8, -1e-8, 0.5, 88.72, 88.73, -87.3, -87.4, -100, 100,
		float32(math.Inf(1)), float32(math.Inf(-1)), 20, -20, 9, -9, 3.5,
		1e-3, -1e-5, 0.3, -0.6249, 0.625, -0.7, 1e-30}
	for range 1000 {
		src = append(src, float32(rng.NormFloat64()*30))
	}
	for range 1000 {
		src = append(src, float32(rng.NormFloat64()*3))
	}
	for range 1000 {
		src = append(src, float32(rng.NormFloat64()*0.1))
	}
	tests := []struct {
		name       string
		fn         func(dst, src []float32)
		ref        func(float64) float64
		rtol, atol float64
	}{
		{"exp", Exp, math.Exp, 4e-7, 0},
		{"sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 4e-7, 0},
		{"tanh", Tanh, math.Tanh, 4e-7, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every length 0..17 covers the assembly blocks and the tail.
			for n := range 18 {
				check(t, tt.fn, tt.ref, src[:n], tt.rtol, tt.atol)
			}
			check(t, tt.fn, tt.ref, src, tt.rtol, tt.atol)
			// In place.
			in := append([]float32(nil), src...)
			tt.fn(in, in)
			out := make([]float32, len(src))
			tt.fn(out, src)
			for i := range in {
				if math.Float32bits(in[i]) != math.Float32bits(out[i]) {
					t.Fatalf("in place [%d] = %v, want %v", i, in[i], out[i])
				}
			}
			// NaN stays NaN.
			nan := []float32{1, 2, 3, float32(math.NaN()), 5, 6, 7, 8, float32(math.NaN())}
			tt.fn(nan, nan)
			if !math.IsNaN(float64(nan[3])) || !math.IsNaN(float64(nan[8])) {
				t.Fatalf("NaN became %v, %v", nan[3], nan[8])
			}
		})
	}
}

func check(t *testing.T, fn func(dst, src []float32), ref func(float64) float64, src []float32, rtol, atol float64) {
	t.Helper()
	dst := make([]float32, len(src))
	fn(dst, src)
	for i, x := range src {
		want := ref(float64(x))
		got := float64(dst[i])
		if want > math.MaxFloat32 {
			want = math.Inf(1)
		}
		if want < 1.1754943508222875e-38 && want > 0 { // flushed below the normal range
			if got != 0 && math.Abs(got-want) > rtol*want {
				t.Fatalf("f(%v) = %v, want %v or 0", x, got, want)
			}
			continue
		}
		if got == want {
			continue
		}
		if math.Abs(got-want) > atol+rtol*math.Abs(want) {
			t.Fatalf("f(%v) = %v, want %v (n=%d)", x, got, want, len(src))
		}
	}
}

func BenchmarkExp(b *testing.B) {
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		Exp(dst, src)
	}
}

func BenchmarkExpScalar(b *testing.B) {
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		for i, x := range src {
			dst[i] = exp32(x)
		}
	}
}
