package blas

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// naive computes the same product by the definition, as the reference.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = alpha*float32(s) + beta*c[i*ldc+j]
		}
	}
}

func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name           string
		transA, transB bool
		m, n, k        int
		alpha, beta    float32
	}{
		{"nn", false, false, 7, 5, 3, 1, 0},
		{"tn", true, false, 4, 9, 6, 1, 1},
		{"nt", false, true, 33, 17, 65, 0.5, 0},
		{"tt", true, true, 64, 64, 64, 2, -1},
		{"k=0", false, false, 3, 3, 0, 1, 1},
		// Packed path: several k blocks, m blocks and edge tiles.
		{"packed nn", false, false, 101, 67, 300, 1, 0},
		{"packed nt", false, true, 97, 35, 513, 0.5, 1},
		{"packed tn", true, false, 50, 129, 260, 1, 0.5},
		{"packed tt", true, true, 7, 300, 40, -1, 0},
		// Few columns: computed transposed.
		{"narrow nt", false, true, 16, 9, 784, 1, 0},
		{"narrow nn", false, false, 40, 3, 300, 1, 1},
		{"narrow tt", true, true, 33, 15, 200, 0.5, -1},
		// Parallel split along m, then along n.
		{"parallel m", false, true, 300, 60, 250, 1, 0},
		{"parallel n", true, false, 30, 2100, 70, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.name, "parallel") && tt.m*tt.n*tt.k < parMin {
				t.Fatalf("%dx%dx%d is too small to be split", tt.m, tt.n, tt.k)
			}
			ar, ac := tt.m, tt.k
			if tt.transA {
				ar, ac = tt.k, tt.m
			}
			br, bc := tt.k, tt.n
			if tt.transB {
				br, bc = tt.n, tt.k
			}
			a := randSlice(rng, max(ar*ac, 1))
			b := randSlice(rng, max(br*bc, 1))
			c := randSlice(rng, tt.m*tt.n)
			want := append([]float32(nil), c...)
			naive(tt.transA, tt.transB, tt.m, tt.n, tt.k, tt.alpha, a, max(ac, 1), b, max(bc, 1), tt.beta, want, tt.n)
			Sgemm(tt.transA, tt.transB, tt.m, tt.n, tt.k, tt.alpha, a, max(ac, 1), b, max(bc, 1), tt.beta, c, tt.n)
			for i := range c {
				if d := math.Abs(float64(c[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("c[%d] = %v, want %v", i, c[i], want[i])
				}
			}
		})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}
