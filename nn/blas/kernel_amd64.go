//go:build !openblas

package blas

import "golang.org/x/sys/cpu"

// hasKernel reports whether the assembly micro-kernel can run here.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16 adds (acc) or writes the product of a packed 6×k panel of A
// and a k×16 panel of B with row stride ldb (16 when packed) into the 6×16
// tile of C at c with row stride ldc.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldb, ldc int, acc bool)

// kernel6x16u is kernel6x16 reading A in place: a is element (0, 0) of six
// rows of a row-major matrix with row stride lda.
//
//go:noescape
func kernel6x16u(k int, a, b, c *float32, ldb, ldc, lda int, acc bool)

// kernel1x32 writes y[j] = Σp x[p]·b[p*ldb+j] for j < 32: a row vector
// times a k×32 panel of a row-major matrix, for Sgemv.
//
//go:noescape
func kernel1x32(k int, x, b, y *float32, ldb int)
