//go:build !openblas

package blas

// sgemv runs y = Aᵀ·x on the micro-kernel in 16-column panels when it can:
// with a row stride of 0 for A, the kernel's six rows all read x, so row 0
// of its 6×16 tile is x·A[:, j:j+16]. The remaining columns, and y = A·x,
// use gemvGo.
func sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	if !trans || !hasKernel || n < nr {
		gemvGo(trans, m, n, alpha, a, lda, x, beta, y)
		return
	}
	var tile [mr * nr]float32
	full := n - n%nr
	for j := 0; j < full; j += nr {
		kernel6x16u(m, &x[0], &a[j], &tile[0], lda, nr, 0, false)
		out := y[j : j+nr]
		for i, v := range tile[:nr] {
			if beta == 0 {
				out[i] = alpha * v
			} else {
				out[i] = alpha*v + beta*out[i]
			}
		}
	}
	if full < n {
		gemvGo(true, m, n-full, alpha, a[full:], lda, x, beta, y[full:])
	}
}
