package blas

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmStrided checks row strides larger than the width (submatrices)
// and that memory outside C's m×n window is left alone.
func TestSgemmStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m, n, k, lda, ldb, ldc = 70, 45, 130, 140, 50, 49
	a, b := randSlice(rng, m*lda), randSlice(rng, k*ldb)
	c := randSlice(rng, m*ldc)
	want := append([]float32(nil), c...)
	naive(false, false, m, n, k, 1, a, lda, b, ldb, 0, want, ldc)
	Sgemm(false, false, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
	for i := range c {
		if d := math.Abs(float64(c[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("c[%d] (row %d col %d) = %v, want %v", i, i/ldc, i%ldc, c[i], want[i])
		}
	}
}

// TestSgemmLongDot checks products large enough to be split across
// threads but with fewer rows (or columns) than threads: splitGemm once cut
// them into empty pieces and never returned.
func TestSgemmLongDot(t *testing.T) {
	SetThreads(2)
	const k = parMin
	tests := []struct {
		name string
		m, n int
	}{
		{"1x1", 1, 1},
		{"1x2", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := make([]float32, tt.m*k), make([]float32, k*tt.n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 0.5
			}
			c := make([]float32, tt.m*tt.n)
			Sgemm(false, false, tt.m, tt.n, k, 1, a, k, b, tt.n, 0, c, tt.n)
			for i, v := range c {
				if want := float32(k) / 2; math.Abs(float64(v-want)) > 1e-3*float64(want) {
					t.Errorf("c[%d] = %v, want %v", i, v, want)
				}
			}
		})
	}
}

func TestSgemmBetaZeroClearsNaN(t *testing.T) {
	a := []float32{1, 2}
	c := []float32{float32(math.NaN())}
	Sgemm(false, false, 1, 1, 2, 1, a, 2, a, 1, 0, c, 1)
	if c[0] != 5 {
		t.Fatalf("c = %v, want 5", c[0])
	}
}

func TestSgemmBadArgsPanic(t *testing.T) {
	tests := []struct {
		name string
		fn   func()
	}{
		{"short c", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}},
		{"short a", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"small ld", func() {
			Sgemm(false, true, 2, 2, 3, 1, make([]float32, 6), 2, make([]float32, 6), 3, 0, make([]float32, 4), 2)
		}},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.fn()
		})
	}
}
