package nn

import (
	"slices"
)

// Reshape returns x with a new shape and the same data (a view, no copy).
// One size may be -1 and is then inferred.
func (tp *Tape) Reshape(x *Tensor, shape ...int) *Tensor {
	shape = slices.Clone(shape)
	infer, n := -1, 1
	for i, d := range shape {
		if d == -1 && infer < 0 {
			infer = i
			continue
		}
		if d < 0 {
			shapeErr("Reshape", "bad size in %v", shape)
		}
		n *= d
	}
	if infer >= 0 {
		if n == 0 || len(x.Data)%n != 0 {
			shapeErr("Reshape", "cannot reshape %v to %v", x.Shape, shape)
		}
		shape[infer] = len(x.Data) / n
		n *= shape[infer]
	}
	if n != len(x.Data) {
		shapeErr("Reshape", "cannot reshape %v to %v", x.Shape, shape)
	}
	out := &Tensor{Shape: shape, Data: x.Data, requiresGrad: x.requiresGrad && tp.Recording()}
	if out.requiresGrad {
		tp.recordOp(out, func() { tp.passGrad(x, out.Grad) })
	}
	return out
}

// passGrad adds g into x's gradient; when x has none yet and is not a leaf,
// x takes g over without a copy (the op that made g has finished with it).
func (tp *Tape) passGrad(x *Tensor, g []float32) {
	if x.Grad == nil && !x.leaf {
		x.Grad = g
		return
	}
	for i, v := range g {
		x.Grad[i] += v
	}
}

// Transpose swaps the last two axes (a copy).
func (tp *Tape) Transpose(x *Tensor) *Tensor {
	r := len(x.Shape)
	if r < 2 {
		shapeErr("Transpose", "shape %v has fewer than two axes", x.Shape)
	}
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	perm[r-2], perm[r-1] = r-1, r-2
	return tp.Permute(x, perm...)
}

// Permute returns x with its axes reordered: axis i of the result is axis
// perm[i] of x (a copy).
func (tp *Tape) Permute(x *Tensor, perm ...int) *Tensor {
	r := len(x.Shape)
	if len(perm) != r {
		shapeErr("Permute", "permutation %v for shape %v", perm, x.Shape)
	}
	seen := make([]bool, r)
	for _, p := range perm {
		if p < 0 || p >= r || seen[p] {
			shapeErr("Permute", "permutation %v for shape %v", perm, x.Shape)
		}
		seen[p] = true
	}
	xs := make([]int, r) // strides of x
	acc := 1
	for i := r - 1; i >= 0; i-- {
		xs[i] = acc
		acc *= x.Shape[i]
	}
	shape := make([]int, r)
	src := make([]int, r) // stride in x of each output axis
	for i, p := range perm {
		shape[i] = x.Shape[p]
		src[i] = xs[p]
	}
	out := tp.newTensor(shape, false, x)
	if len(x.Data) == 0 {
		return out
	}
	permuteCopy(out.Data, x.Data, shape, src, false)
	if out.requiresGrad {
		tp.recordOp(out, func() { permuteCopy(out.Grad, tp.grad(x), shape, src, true) })
	}
	return out
}

// permuteCopy walks dst (row-major over shape) with the matching offset in
// src given by strides; it copies src to dst, or with back adds dst into src.
func permuteCopy(dst, src []float32, shape, strides []int, back bool) {
	r := len(shape)
	if r == 0 {
		if back {
			src[0] += dst[0]
		} else {
			dst[0] = src[0]
		}
		return
	}
	n, s := shape[r-1], strides[r-1]
	idx := make([]int, r-1)
	o, off := 0, 0
	for {
		row := dst[o : o+n]
		if back {
			for j, v := range row {
				src[off+j*s] += v
			}
		} else {
			for j := range row {
				row[j] = src[off+j*s]
			}
		}
		o += n
		k := r - 2
		for ; k >= 0; k-- {
			idx[k]++
			off += strides[k]
			if idx[k] < shape[k] {
				break
			}
			off -= strides[k] * shape[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// Narrow returns elements start..start+length-1 along axis. When every axis
// before axis has size 1 the result is a view.
func (tp *Tape) Narrow(x *Tensor, axis, start, length int) *Tensor {
	outer, n, inner, ax, _ := axisSplit("Narrow", x.Shape, axis)
	if start < 0 || length < 0 || start+length > n {
		shapeErr("Narrow", "range [%d, %d) outside axis %d of shape %v", start, start+length, ax, x.Shape)
	}
	shape := slices.Clone(x.Shape)
	shape[ax] = length
	if outer == 1 {
		out := &Tensor{Shape: shape, Data: x.Data[start*inner : (start+length)*inner], requiresGrad: x.requiresGrad && tp.Recording()}
		if out.requiresGrad {
			tp.recordOp(out, func() {
				gx := tp.grad(x)[start*inner : (start+length)*inner]
				for i, v := range out.Grad {
					gx[i] += v
				}
			})
		}
		return out
	}
	out := tp.newTensor(shape, false, x)
	w := length * inner
	for o := range outer {
		copy(out.Data[o*w:(o+1)*w], x.Data[(o*n+start)*inner:])
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			for o := range outer {
				dst := gx[(o*n+start)*inner : (o*n+start)*inner+w]
				for i, v := range out.Grad[o*w : (o+1)*w] {
					dst[i] += v
				}
			}
		})
	}
	return out
}

// Concat joins xs along axis; all other axes must match.
func (tp *Tape) Concat(axis int, xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		shapeErr("Concat", "no tensors")
	}
	outer, _, inner, ax, _ := axisSplit("Concat", xs[0].Shape, axis)
	shape := slices.Clone(xs[0].Shape)
	total := 0
	for _, x := range xs {
		if len(x.Shape) != len(shape) {
			shapeErr("Concat", "shapes %v and %v differ in rank", xs[0].Shape, x.Shape)
		}
		for i := range shape {
			if i != ax && x.Shape[i] != shape[i] {
				shapeErr("Concat", "shapes %v and %v differ outside axis %d", xs[0].Shape, x.Shape, ax)
			}
		}
		total += x.Shape[ax]
	}
	shape[ax] = total
	out := tp.newTensor(shape, false, xs...)
	w := total * inner
	off := 0
	for _, x := range xs {
		wx := x.Shape[ax] * inner
		for o := range outer {
			copy(out.Data[o*w+off:o*w+off+wx], x.Data[o*wx:(o+1)*wx])
		}
		off += wx
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			off := 0
			for _, x := range xs {
				wx := x.Shape[ax] * inner
				if x.requiresGrad {
					gx := tp.grad(x)
					for o := range outer {
						src := out.Grad[o*w+off : o*w+off+wx]
						dst := gx[o*wx : (o+1)*wx]
						for i, v := range src {
							dst[i] += v
						}
					}
				}
				off += wx
			}
		})
	}
	return out
}
