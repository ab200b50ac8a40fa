package nn

import "math"

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
