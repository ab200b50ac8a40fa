// Package blas is the one matrix-multiply entry point of Galen's ML core.
// The default build uses a pure-Go kernel; building with -tags openblas
// uses OpenBLAS through cgo (Debian: libopenblas-dev).
package blas

import (
	"fmt"
	"sync/atomic"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(X) is X or its transpose. op(A) is m×k, op(B) is k×n and
// C is m×n; lda, ldb and ldc are the row strides of A, B and C as stored.
// It panics if a slice is too short for its shape and stride (a programming
// error, as with an out-of-range index).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkLen("c", c, m, n, ldc, false)
	if k == 0 {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	checkLen("a", a, m, k, lda, transA)
	checkLen("b", b, k, n, ldb, transB)
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkLen panics unless x holds an r×c matrix (before transposition) with
// row stride ld.
func checkLen(name string, x []float32, r, c, ld int, trans bool) {
	if trans {
		r, c = c, r
	}
	if ld < max(c, 1) {
		panic(fmt.Sprintf("blas: ld%s = %d < %d columns", name, ld, c))
	}
	if need := (r-1)*ld + c; len(x) < need {
		panic(fmt.Sprintf("blas: len(%s) = %d, need %d", name, len(x), need))
	}
}

// Backend names the implementation in use: "go-avx2" (packed assembly
// kernel), "gonum" (pure Go without AVX2/FMA) or "openblas".
func Backend() string { return backend }

var threads atomic.Int32

func init() { threads.Store(2) }

// SetThreads sets how many threads one Sgemm call may use (default 2, the
// core count Galen is sized for). Values below 1 mean 1.
func SetThreads(n int) { threads.Store(int32(max(n, 1))) }
