package blas

import "fmt"

// Sgemv computes y = alpha·op(A)·x + beta·y for a row-major m×n float32
// matrix A with row stride lda, where op(A) is A (x has n elements, y has m)
// or, with trans, Aᵀ (x has m elements, y has n). With beta 0, y is
// written without being read. It panics if a slice is too short for its
// shape (a programming error, as with an out-of-range index).
//
// It is meant for one-row work that Sgemm would pad to whole tiles, such as
// a recurrent cell's step at batch size 1: the transposed form, y = Aᵀ·x,
// runs on an AVX2/FMA kernel that reads A in place, 32 columns at a time.
func Sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	if m < 0 || n < 0 {
		panic(fmt.Sprintf("blas: negative dimension m=%d n=%d", m, n))
	}
	xn, yn := n, m
	if trans {
		xn, yn = m, n
	}
	if len(y) < yn {
		panic(fmt.Sprintf("blas: len(y) = %d, need %d", len(y), yn))
	}
	if yn == 0 {
		return
	}
	if xn == 0 {
		scaleVec(y[:yn], beta)
		return
	}
	if len(x) < xn {
		panic(fmt.Sprintf("blas: len(x) = %d, need %d", len(x), xn))
	}
	checkLen("a", a, m, n, lda, false)
	sgemv(trans, m, n, alpha, a, lda, x, beta, y)
}

func scaleVec(y []float32, beta float32) {
	if beta == 0 {
		clear(y) // also clears NaN, as BLAS does
		return
	}
	for i := range y {
		y[i] *= beta
	}
}

// gemvGo is the portable Sgemv: dot products with eight partial sums for
// y = A·x, and rows of A added into y for y = Aᵀ·x.
func gemvGo(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	if !trans {
		for i := range m {
			s := alpha * dot32(a[i*lda:i*lda+n], x[:n])
			if beta != 0 {
				s += beta * y[i]
			}
			y[i] = s
		}
		return
	}
	y = y[:n]
	scaleVec(y, beta)
	for i := range m {
		axpy32(alpha*x[i], a[i*lda:i*lda+n], y)
	}
}

func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for len(a) >= 8 && len(b) >= 8 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		s4 += a[4] * b[4]
		s5 += a[5] * b[5]
		s6 += a[6] * b[6]
		s7 += a[7] * b[7]
		a, b = a[8:], b[8:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

func axpy32(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
