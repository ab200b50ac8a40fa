package nn

import (
	"math"
	"runtime"

	"github.com/galenhealth/galen/nn/blas/vmath"
	"golang.org/x/sys/cpu"
)

// useVmath selects nn/blas/vmath's AVX2 kernels for slices; without AVX2
// and FMA the scalar functions below are faster than vmath's portable loop.
var useVmath = runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// exp32 is eˣ in float32 (Cephes expf: range reduction by ln 2 and a degree
// 6 polynomial), within a few ulp of math.Exp; results below the normal range
// flush to zero.
func exp32(x float32) float32 {
	switch {
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	case x != x:
		return x
	}
	t := x*1.44269504088896341 + 0.5
	n := int32(t) // truncates toward zero; make it floor
	if float32(n) > t {
		n--
	}
	fx := float32(n)
	x -= fx * 0.693359375
	x -= fx * -2.12194440e-4
	z := x * x
	y := ((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x + 5.0000001201e-1
	y = y*z + x + 1
	if n > 127 { // only reachable within rounding of the overflow bound
		return y * 2 * math.Float32frombits(uint32(n-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}

// tanh32 is tanh in float32: a polynomial near zero (Cephes tanhf), the
// exponential form elsewhere.
func tanh32(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	if a < 0.625 {
		z := x * x
		return ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*x + x
	}
	if a > 9.1 {
		if x < 0 {
			return -1
		}
		return 1
	}
	r := 1 - 2/(exp32(2*a)+1)
	if x < 0 {
		return -r
	}
	return r
}

// sigmoid32 is 1/(1+e⁻ˣ) in float32.
func sigmoid32(x float32) float32 { return 1 / (1 + exp32(-x)) }

// expShifted replaces every x[j] by exp(scale·(x[j]−m)), meant for
// arguments ≤ 0 as in a softmax (m is the row maximum).
func expShifted(x []float32, scale, m float32) {
	if useVmath {
		for j, v := range x {
			x[j] = scale * (v - m)
		}
		vmath.Exp(x, x)
		return
	}
	expShiftedScalar(x, scale, m)
}

// expShiftedScalar is expShifted without vmath: arguments are clamped to
// [−87.3, 88] and the exponential is exp32's polynomial, inlined with
// branch-free range reduction so that elements overlap in the pipeline;
// arguments below −87.3 give about 1e-38 instead of 0, which no softmax sum
// can notice.
func expShiftedScalar(x []float32, scale, m float32) {
	const (
		log2e = 1.44269504088896341
		magic = 12582912 // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
	)
	for j, v := range x {
		a := scale * (v - m)
		if a < -87.33654 { // plain compares: the min/max builtins pay for NaN rules
			a = -87.33654
		}
		if a > 88 {
			a = 88
		}
		t := a*log2e + magic
		fx := t - magic
		n := int32(math.Float32bits(t)) - 0x4B400000
		r := a - fx*0.693359375
		r -= fx * -2.12194440e-4
		z := r * r
		y := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
		y = y*z + r + 1
		x[j] = y * math.Float32frombits(uint32(n+127)<<23)
	}
}

// sigmoidSlice sets dst[i] = sigmoid32(src[i]); dst may be src.
func sigmoidSlice(dst, src []float32) {
	if useVmath {
		vmath.Sigmoid(dst, src)
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = sigmoid32(v)
	}
}

// tanhSlice sets dst[i] = tanh32(src[i]); dst may be src.
func tanhSlice(dst, src []float32) {
	if useVmath {
		vmath.Tanh(dst, src)
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = tanh32(v)
	}
}

// expSlice sets dst[i] = exp32(src[i]); dst may be src.
func expSlice(dst, src []float32) {
	if useVmath {
		vmath.Exp(dst, src)
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = exp32(v)
	}
}

// sum32 returns Σx with four running sums, so the additions overlap in
// the pipeline; the order is fixed, so results are reproducible.
func sum32(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot32 returns Σ x·y (len(y) ≥ len(x)) with four running sums.
func dot32(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
