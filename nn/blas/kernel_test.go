//go:build !openblas

package blas

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestKernel(t *testing.T) {
	if !hasKernel {
		t.Skip("no AVX2/FMA micro-kernel on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 2, 7, 256} {
		a, b := randSlice(rng, mr*k), randSlice(rng, k*nr)
		const ldc = nr + 3
		c := randSlice(rng, mr*ldc)
		want := append([]float32(nil), c...)
		for i := range mr {
			for j := range nr {
				var s float64
				for p := range k {
					s += float64(a[p*mr+i]) * float64(b[p*nr+j])
				}
				want[i*ldc+j] += float32(s)
			}
		}
		kernel6x16(k, &a[0], &b[0], &c[0], nr, ldc, true)
		for i := range c {
			if d := math.Abs(float64(c[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("k=%d: c[%d] = %v, want %v", k, i, c[i], want[i])
			}
		}
		// A read in place from six rows with row stride lda gives the same.
		lda := k + 3
		ua := make([]float32, mr*lda)
		for p := range k {
			for i := range mr {
				ua[i*lda+p] = a[p*mr+i]
			}
		}
		cu := make([]float32, len(c))
		kernel6x16u(k, &ua[0], &b[0], &cu[0], nr, ldc, lda, false)
		cp := make([]float32, len(c))
		kernel6x16(k, &a[0], &b[0], &cp[0], nr, ldc, false)
		for i := range cp {
			if cu[i] != cp[i] {
				t.Fatalf("k=%d: in-place A gives c[%d] = %v, packed %v", k, i, cu[i], cp[i])
			}
		}
		// Overwrite mode: c = a·b, columns past 16 untouched.
		prod := append([]float32(nil), c...)
		for i := range mr {
			for j := range nr {
				var s float64
				for p := range k {
					s += float64(a[p*mr+i]) * float64(b[p*nr+j])
				}
				prod[i*ldc+j] = float32(s)
			}
		}
		kernel6x16(k, &a[0], &b[0], &c[0], nr, ldc, false)
		for i := range c {
			if d := math.Abs(float64(c[i] - prod[i])); d > 1e-4*(1+math.Abs(float64(prod[i]))) {
				t.Fatalf("k=%d overwrite: c[%d] = %v, want %v", k, i, c[i], prod[i])
			}
		}
	}
}
