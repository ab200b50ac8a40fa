//go:build !openblas

package blas

import "testing"

// BenchmarkSgemmGonum runs the same shapes through gonum's pure-Go Sgemm,
// the default before the packed kernel, for comparison.
func BenchmarkSgemmGonum(b *testing.B) { benchShapes(b, gonumSgemm) }
