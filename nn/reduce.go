package nn

import (
	"math"
	"slices"
)

// Sum returns the sum of all elements, as a scalar (shape []).
func (tp *Tape) Sum(x *Tensor) *Tensor {
	out := tp.newTensor(nil, false, x)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	out.Data[0] = float32(s)
	if out.requiresGrad {
		tp.recordOp(out, func() {
			g, gx := out.Grad[0], tp.grad(x)
			for i := range gx {
				gx[i] += g
			}
		})
	}
	return out
}

// Mean returns the mean of all elements, as a scalar.
func (tp *Tape) Mean(x *Tensor) *Tensor {
	return tp.Scale(tp.Sum(x), 1/float32(max(len(x.Data), 1)))
}

// axisSplit returns the sizes before, along and after axis (negative axis
// counts from the end) and the shape with that axis removed.
func axisSplit(op string, shape []int, axis int) (outer, n, inner, ax int, rest []int) {
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) {
		shapeErr(op, "axis out of range for shape %v", shape)
	}
	rest = append(slices.Clone(shape[:axis]), shape[axis+1:]...)
	return numel(shape[:axis]), shape[axis], numel(shape[axis+1:]), axis, rest
}

// SumAxis returns the sum along axis, which is removed from the shape.
func (tp *Tape) SumAxis(x *Tensor, axis int) *Tensor {
	return tp.sumAxis("SumAxis", x, axis, 1)
}

// MeanAxis returns the mean along axis, which is removed from the shape.
func (tp *Tape) MeanAxis(x *Tensor, axis int) *Tensor {
	_, n, _, _, _ := axisSplit("MeanAxis", x.Shape, axis)
	return tp.sumAxis("MeanAxis", x, axis, 1/float32(max(n, 1)))
}

func (tp *Tape) sumAxis(op string, x *Tensor, axis int, scale float32) *Tensor {
	outer, n, inner, _, rest := axisSplit(op, x.Shape, axis)
	out := tp.newTensor(rest, true, x)
	for o := range outer {
		dst := out.Data[o*inner : (o+1)*inner]
		for k := range n {
			src := x.Data[(o*n+k)*inner : (o*n+k+1)*inner]
			for j, v := range src {
				dst[j] += v
			}
		}
		if scale != 1 {
			for j := range dst {
				dst[j] *= scale
			}
		}
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			for o := range outer {
				g := out.Grad[o*inner : (o+1)*inner]
				for k := range n {
					dst := gx[(o*n+k)*inner : (o*n+k+1)*inner]
					for j, v := range g {
						dst[j] += scale * v
					}
				}
			}
		})
	}
	return out
}

// Max returns the largest element, as a scalar; the gradient goes to the
// first largest element.
func (tp *Tape) Max(x *Tensor) *Tensor {
	if len(x.Data) == 0 {
		shapeErr("Max", "empty tensor")
	}
	out := tp.newTensor(nil, false, x)
	arg := 0
	for i, v := range x.Data {
		if v > x.Data[arg] || (math.IsNaN(float64(v)) && !math.IsNaN(float64(x.Data[arg]))) {
			arg = i
		}
	}
	out.Data[0] = x.Data[arg]
	if out.requiresGrad {
		tp.recordOp(out, func() { tp.grad(x)[arg] += out.Grad[0] })
	}
	return out
}

// MaxAxis returns the largest element along axis, which is removed from the
// shape; the gradient goes to the first largest element.
func (tp *Tape) MaxAxis(x *Tensor, axis int) *Tensor {
	outer, n, inner, _, rest := axisSplit("MaxAxis", x.Shape, axis)
	if n == 0 {
		shapeErr("MaxAxis", "empty axis in shape %v", x.Shape)
	}
	out := tp.newTensor(rest, false, x)
	var args []int
	if out.requiresGrad {
		args = make([]int, outer*inner)
	}
	for o := range outer {
		for j := range inner {
			best, arg := x.Data[o*n*inner+j], 0
			for k := 1; k < n; k++ {
				if v := x.Data[(o*n+k)*inner+j]; v > best {
					best, arg = v, k
				}
			}
			out.Data[o*inner+j] = best
			if args != nil {
				args[o*inner+j] = arg
			}
		}
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			for o := range outer {
				for j := range inner {
					gx[(o*n+args[o*inner+j])*inner+j] += out.Grad[o*inner+j]
				}
			}
		})
	}
	return out
}

// MaskedMean averages x [B, S, D] over the positions of each sequence that
// are not padding (pad: B·S entries, true = padding; nil = none), giving
// [B, D]. A sequence that is all padding gives zeros.
func (tp *Tape) MaskedMean(x *Tensor, pad []bool) *Tensor {
	if len(x.Shape) != 3 {
		shapeErr("MaskedMean", "input %v, want [batch, seq, dim]", x.Shape)
	}
	b, s, d := x.Shape[0], x.Shape[1], x.Shape[2]
	if pad != nil && len(pad) != b*s {
		shapeErr("MaskedMean", "mask of %d for input %v", len(pad), x.Shape)
	}
	out := tp.newTensor([]int{b, d}, true, x)
	inv := make([]float32, b) // 1/count per sequence
	for i := range b {
		n := 0
		for t := range s {
			if pad == nil || !pad[i*s+t] {
				n++
			}
		}
		if n > 0 {
			inv[i] = 1 / float32(n)
		}
		dst := out.Data[i*d : (i+1)*d]
		for t := range s {
			if pad != nil && pad[i*s+t] {
				continue
			}
			for j, v := range x.Data[(i*s+t)*d : (i*s+t+1)*d] {
				dst[j] += v
			}
		}
		for j := range dst {
			dst[j] *= inv[i]
		}
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			for i := range b {
				g := out.Grad[i*d : (i+1)*d]
				for t := range s {
					if pad != nil && pad[i*s+t] {
						continue
					}
					dst := gx[(i*s+t)*d : (i*s+t+1)*d]
					for j, v := range g {
						dst[j] += v * inv[i]
					}
				}
			}
		})
	}
	return out
}
