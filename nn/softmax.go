package nn

import (
	"math"
	"slices"
)

// Softmax returns exp(x) normalised along the last axis.
func (tp *Tape) Softmax(x *Tensor) *Tensor { return tp.softmax("Softmax", x, false) }

// LogSoftmax returns x - log Σ exp(x) along the last axis.
func (tp *Tape) LogSoftmax(x *Tensor) *Tensor { return tp.softmax("LogSoftmax", x, true) }

func (tp *Tape) softmax(op string, x *Tensor, logOut bool) *Tensor {
	if len(x.Shape) == 0 {
		shapeErr(op, "scalar input")
	}
	n := x.Shape[len(x.Shape)-1]
	out := tp.newTensor(slices.Clone(x.Shape), false, x)
	if n == 0 {
		return out
	}
	rows := len(x.Data) / n
	parallelFor(rows, 20*n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(out.Data[r*n:(r+1)*n], x.Data[r*n:(r+1)*n], logOut)
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			parallelFor(rows, 6*n, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					y, g, d := out.Data[r*n:(r+1)*n], out.Grad[r*n:(r+1)*n], gx[r*n:(r+1)*n]
					if logOut { // dx = g - softmax * Σg
						var s float32
						for _, v := range g {
							s += v
						}
						for j, v := range g {
							d[j] += v - exp32(y[j])*s
						}
					} else { // dx = y * (g - Σ g·y)
						var s float32
						for j, v := range g {
							s += v * y[j]
						}
						for j, v := range g {
							d[j] += y[j] * (v - s)
						}
					}
				}
			})
		})
	}
	return out
}

// softmaxRow writes softmax (or log-softmax) of x into y. A row that is all
// -Inf gives NaN, as in PyTorch.
func softmaxRow(y, x []float32, logOut bool) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m || v != v { // NaN wins, as in PyTorch
			m = v
		}
	}
	copy(y, x)
	expShifted(y, 1, m)
	s := sum32(y)
	if logOut {
		ls := m + float32(math.Log(float64(s)))
		for j, v := range x {
			y[j] = v - ls
		}
		return
	}
	inv := 1 / s
	for j := range y {
		y[j] *= inv
	}
}
