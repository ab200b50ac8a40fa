//go:build !amd64 && !openblas

package blas

const hasKernel = false

func kernel6x16(k int, a, b, c *float32, ldb, ldc int, acc bool) {
	panic("blas: no micro-kernel on this platform")
}

func kernel6x16u(k int, a, b, c *float32, ldb, ldc, lda int, acc bool) {
	panic("blas: no micro-kernel on this platform")
}

func kernel1x32(k int, x, b, y *float32, ldb int) {
	panic("blas: no micro-kernel on this platform")
}
