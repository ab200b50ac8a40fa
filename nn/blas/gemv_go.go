//go:build !openblas

package blas

// gemvPanel is the width of the panels sgemv hands to kernel1x32.
const gemvPanel = 32

// sgemv runs y = Aᵀ·x on the assembly kernel in 32-column panels when it
// can; the remaining columns, and y = A·x, use gemvGo.
func sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	if !trans || !hasKernel || n < gemvPanel {
		gemvGo(trans, m, n, alpha, a, lda, x, beta, y)
		return
	}
	var panel [gemvPanel]float32
	full := n - n%gemvPanel
	for j := 0; j < full; j += gemvPanel {
		kernel1x32(m, &x[0], &a[j], &panel[0], lda)
		out := y[j : j+gemvPanel]
		for i, v := range panel {
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
