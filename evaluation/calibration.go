package evaluation

import (
	"errors"
	"math"
)

// Platt is a logistic recalibration of a logit z: p = sigmoid(A*z + B).
// Temperature scaling is the special case B = 0, A = 1/T.
type Platt struct{ A, B float64 }

// Apply returns the calibrated probability of logit z.
func (p Platt) Apply(z float64) float64 { return Sigmoid(p.A*z + p.B) }

// Sigmoid is the logistic function, computed without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Logit is the inverse of Sigmoid, with p clamped to [1e-12, 1-1e-12].
func Logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-12), 1-1e-12)
	return math.Log(p / (1 - p))
}

// ErrCalibrationData is returned when calibration data lacks a class.
var ErrCalibrationData = errors.New("evaluation: calibration needs both classes")

// FitPlatt fits A and B by minimising the log loss of sigmoid(A*z+B) on
// (validation) logits with Newton's method and a small ridge (1e-6) for
// stability. temperatureOnly fixes B = 0 (temperature scaling, T = 1/A).
func FitPlatt(logits []float64, labels []bool, temperatureOnly bool) (Platt, error) {
	checkLen(logits, labels)
	pos, neg := counts(labels)
	if pos == 0 || neg == 0 {
		return Platt{}, ErrCalibrationData
	}
	p := Platt{A: 1}
	const ridge = 1e-6
	loss := func(q Platt) float64 {
		var l float64
		for i, z := range logits {
			t := q.A*z + q.B
			// log(1+exp(t)) - y*t, stably
			sp := math.Max(t, 0) + math.Log1p(math.Exp(-math.Abs(t)))
			if labels[i] {
				l += sp - t
			} else {
				l += sp
			}
		}
		return l + ridge*(q.A*q.A+q.B*q.B)/2
	}
	cur := loss(p)
	for iter := 0; iter < 100; iter++ {
		var gA, gB, hAA, hAB, hBB float64
		for i, z := range logits {
			s := Sigmoid(p.A*z + p.B)
			y := 0.0
			if labels[i] {
				y = 1
			}
			r := s - y
			w := s * (1 - s)
			gA += r * z
			gB += r
			hAA += w * z * z
			hAB += w * z
			hBB += w
		}
		gA += ridge * p.A
		gB += ridge * p.B
		hAA += ridge
		hBB += ridge
		var dA, dB float64
		if temperatureOnly {
			dA = gA / hAA
		} else {
			det := hAA*hBB - hAB*hAB
			if det <= 0 {
				break
			}
			dA = (hBB*gA - hAB*gB) / det
			dB = (hAA*gB - hAB*gA) / det
		}
		// Backtracking line search keeps every step a descent.
		step := 1.0
		var next Platt
		var nl float64
		for k := 0; k < 30; k++ {
			next = Platt{A: p.A - step*dA, B: p.B - step*dB}
			if nl = loss(next); nl <= cur {
				break
			}
			step /= 2
		}
		if nl > cur {
			break
		}
		done := math.Abs(cur-nl) < 1e-12*math.Max(1, math.Abs(cur))
		p, cur = next, nl
		if done {
			break
		}
	}
	return p, nil
}
