//go:build openblas

package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

const backend = "openblas"

// OpenBLAS itself runs single-threaded: Sgemm splits large products across
// SetThreads goroutines (default 2, the thread count of the PyTorch
// reference), each calling OpenBLAS on its block of C. OpenBLAS's own thread
// pool busy-waits between calls and contends when several goroutines call
// it at once (attention heads, concurrent inference); measured, it spent
// most of the transformer inference benchmark in sched_yield.
func init() { C.openblas_set_num_threads(1) }

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	splitGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, func(m, n int, a, b, c []float32) {
		cblasSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
}

func cblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb),
		C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

func sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	t := uint32(C.CblasNoTrans)
	if trans {
		t = C.CblasTrans
	}
	C.cblas_sgemv(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(t), C.blasint(m), C.blasint(n), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&x[0])), 1, C.float(beta),
		(*C.float)(unsafe.Pointer(&y[0])), 1)
}
