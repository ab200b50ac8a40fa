// Package vmath applies exp, sigmoid and tanh to float32 slices, eight
// lanes at a time with AVX2/FMA assembly where the CPU has it, and a
// portable loop elsewhere. Results are within a few ulp of float64 math
// (relative error below 4e-7); dst may be src.
package vmath

import "math"

// Exp sets dst[i] = eˣ for x = src[i]. Below -87.33654 the result is 0,
// above 88.72283 it is +Inf. It panics if len(dst) < len(src).
func Exp(dst, src []float32) { apply(dst, src, 0) }

// Sigmoid sets dst[i] = 1/(1+e⁻ˣ) for x = src[i].
func Sigmoid(dst, src []float32) { apply(dst, src, 1) }

// Tanh sets dst[i] = tanh(src[i]): for |x| < 0.625 Cephes' tanhf
// polynomial, elsewhere 2/(1+e⁻²ˣ) − 1.
func Tanh(dst, src []float32) { apply(dst, src, 2) }

func apply(dst, src []float32, mode int) {
	dst = dst[:len(src)]
	n := 0
	if hasAVX2 {
		n = len(src) &^ 7
		if n > 0 {
			kernel(&dst[0], &src[0], n, mode)
		}
	}
	for i := n; i < len(src); i++ {
		x := src[i]
		switch mode {
		case 0:
			dst[i] = exp32(x)
		case 1:
			dst[i] = 1 / (1 + exp32(-x))
		default:
			dst[i] = tanh32(x)
		}
	}
}

// tanh32 is the kernel's tanh, one value at a time.
func tanh32(x float32) float32 {
	if x > -0.625 && x < 0.625 {
		z := x * x
		return ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*x + x
	}
	return 2/(1+exp32(-2*x)) - 1
}

// exp32 is the same Cephes expf as the assembly, one value at a time.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	fx := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - fx*0.693359375
	r -= fx * -2.12194440e-4
	z := r * r
	y := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	y = y*z + r + 1
	n := int32(fx)
	a := n >> 1
	return y * math.Float32frombits(uint32(a+127)<<23) * math.Float32frombits(uint32(n-a+127)<<23)
}
