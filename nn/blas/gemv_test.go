package blas

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemv is Sgemv by the definition, summed in float64.
func naiveGemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	rows, cols := m, n
	if trans {
		rows, cols = n, m
	}
	for i := range rows {
		var s float64
		for j := range cols {
			var av float32
			if trans {
				av = a[j*lda+i]
			} else {
				av = a[i*lda+j]
			}
			s += float64(av) * float64(x[j])
		}
		if beta == 0 {
			y[i] = alpha * float32(s)
		} else {
			y[i] = alpha*float32(s) + beta*y[i]
		}
	}
}

func TestSgemv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name        string
		trans       bool
		m, n, lda   int
		alpha, beta float32
	}{
		{"n small", false, 3, 5, 5, 1, 0},
		{"n strided", false, 37, 96, 100, 0.5, 1},
		{"t under one panel", true, 32, 15, 15, 1, 0},
		{"t one panel", true, 32, 32, 32, 1, 1},
		{"t under one panel, 16", true, 32, 16, 16, 1, 1},
		{"t panels", true, 32, 96, 96, 1, 0},
		{"t panels and tail", true, 64, 74, 80, -1, 0.5},
		{"t strided window", true, 32, 32, 96, 2, -1},
		{"t one row", true, 1, 40, 40, 1, 0},
		{"t long", true, 1000, 48, 48, 1, 0},
		{"t odd rows", true, 33, 64, 70, 1, 1},
		{"t wide", true, 7, 200, 203, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xn, yn := tt.n, tt.m
			if tt.trans {
				xn, yn = tt.m, tt.n
			}
			a := randSlice(rng, (tt.m-1)*tt.lda+tt.n)
			x := randSlice(rng, xn)
			y := randSlice(rng, yn)
			if tt.beta == 0 {
				y[0] = float32(math.NaN()) // must not be read
			}
			want := append([]float32(nil), y...)
			naiveGemv(tt.trans, tt.m, tt.n, tt.alpha, a, tt.lda, x, tt.beta, want)
			Sgemv(tt.trans, tt.m, tt.n, tt.alpha, a, tt.lda, x, tt.beta, y)
			for i := range y {
				if d := math.Abs(float64(y[i] - want[i])); !(d <= 1e-4*(1+math.Abs(float64(want[i])))) {
					t.Fatalf("y[%d] = %v, want %v", i, y[i], want[i])
				}
			}
		})
	}
}

func TestSgemvEmpty(t *testing.T) {
	y := []float32{float32(math.NaN()), 2}
	Sgemv(true, 0, 2, 1, nil, 2, nil, 0, y) // no rows: y = beta·y
	if y[0] != 0 || y[1] != 0 {
		t.Fatalf("y = %v, want zeros", y)
	}
	Sgemv(false, 0, 3, 1, nil, 3, nil, 0, nil) // no output: nothing to do
}

func TestSgemvBadArgsPanic(t *testing.T) {
	tests := []struct {
		name string
		call func()
	}{
		{"short a", func() { Sgemv(false, 2, 3, 1, make([]float32, 5), 3, make([]float32, 3), 0, make([]float32, 2)) }},
		{"short x", func() { Sgemv(true, 2, 3, 1, make([]float32, 6), 3, make([]float32, 1), 0, make([]float32, 3)) }},
		{"short y", func() { Sgemv(true, 2, 3, 1, make([]float32, 6), 3, make([]float32, 2), 0, make([]float32, 2)) }},
		{"small lda", func() { Sgemv(false, 2, 3, 1, make([]float32, 6), 2, make([]float32, 3), 0, make([]float32, 2)) }},
		{"negative", func() { Sgemv(false, -1, 3, 1, nil, 3, nil, 0, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.call()
		})
	}
}

// BenchmarkSgemv compares, on a GRU step's shape (hidden 32, three gates),
// Sgemv with the portable loop and with Sgemm on a 1-row matrix.
func BenchmarkSgemv(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	const m, n = 32, 96
	a, x, y := randSlice(rng, m*n), randSlice(rng, m), make([]float32, n)
	b.Run("sgemv", func(b *testing.B) {
		for b.Loop() {
			Sgemv(true, m, n, 1, a, n, x, 0, y)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			gemvGo(true, m, n, 1, a, n, x, 0, y)
		}
	})
	b.Run("sgemm", func(b *testing.B) {
		for b.Loop() {
			Sgemm(false, false, 1, n, m, 1, x, m, a, n, 0, y, n)
		}
	})
}
