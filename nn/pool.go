package nn

import "math"

// MaxPool2d returns the maximum over each kernel×kernel window of x
// [n, c, h, w], moving by stride, as PyTorch's F.max_pool2d without padding
// (windows that would cross the border are dropped). The gradient goes to
// the first maximum of each window, as in PyTorch.
func (tp *Tape) MaxPool2d(x *Tensor, kernel, stride int) *Tensor {
	g := newConvGeom("MaxPool2d", x.Shape, kernel, kernel, stride, 0)
	out := tp.newTensor([]int{g.n, g.c, g.oh, g.ow}, false, x)
	planes := g.n * g.c
	if kernel == 2 && stride == 2 {
		parallelFor(planes, 4*g.oh*g.ow, func(lo, hi int) { maxPool2x2(out.Data, x.Data, g, lo, hi) })
		if out.requiresGrad {
			tp.recordOp(out, func() {
				gx := tp.grad(x)
				parallelFor(planes, 8*g.oh*g.ow, func(lo, hi int) { maxPool2x2Backward(gx, out.Grad, out.Data, x.Data, g, lo, hi) })
			})
		}
		return out
	}
	// The argmax of each window (a flat index into x, stored as the bits of
	// a float32 so it can live in the tape's memory) is kept for backward.
	var arg []float32
	if out.requiresGrad {
		arg = tp.scratch(len(out.Data), false)
	}
	parallelFor(planes, g.oh*g.ow*kernel*kernel, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			base := p * g.h * g.w
			for oy := range g.oh {
				for ox := range g.ow {
					best, bi := float32(math.Inf(-1)), -1
					for i := range kernel {
						row := base + (oy*stride+i)*g.w + ox*stride
						for j, v := range x.Data[row : row+kernel] {
							if bi < 0 || v > best || (v != v && best == best) { // the first NaN wins, as in PyTorch
								best, bi = v, row+j
							}
						}
					}
					o := (p*g.oh+oy)*g.ow + ox
					out.Data[o] = best
					if arg != nil {
						arg[o] = math.Float32frombits(uint32(bi))
					}
				}
			}
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			// Windows overlap when stride < kernel: stay serial per plane.
			per := g.oh * g.ow
			parallelFor(planes, per, func(lo, hi int) {
				for o := lo * per; o < hi*per; o++ {
					gx[math.Float32bits(arg[o])] += out.Grad[o]
				}
			})
		})
	}
	return out
}

// maxPool2x2 is MaxPool2d's forward loop for 2×2 windows with stride 2
// over the planes [lo, hi), the common case. It stores no argmax (the
// branch-free max is much faster than tracking the index);
// maxPool2x2Backward finds it again.
func maxPool2x2(out, x []float32, g convGeom, lo, hi int) {
	for p := lo; p < hi; p++ {
		base := p * g.h * g.w
		for oy := range g.oh {
			o0 := base + 2*oy*g.w
			r0 := x[o0 : o0+2*g.ow]
			r1 := x[o0+g.w : o0+g.w+2*g.ow]
			dst := out[(p*g.oh+oy)*g.ow : (p*g.oh+oy+1)*g.ow]
			for ox := range dst {
				dst[ox] = max(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]) // NaN if any is NaN
			}
		}
	}
}

// maxPool2x2Backward adds each output gradient to the first input of its
// window equal to the output (the first NaN when the output is NaN), the
// element PyTorch picks.
func maxPool2x2Backward(gx, gout, out, x []float32, g convGeom, lo, hi int) {
	// The fourth input needs no test: it is the maximum if no other is.
	for p := lo; p < hi; p++ {
		base := p * g.h * g.w
		for oy := range g.oh {
			o0 := base + 2*oy*g.w
			x0, x1 := x[o0:o0+2*g.ow], x[o0+g.w:o0+g.w+2*g.ow]
			g0, g1 := gx[o0:o0+2*g.ow], gx[o0+g.w:o0+g.w+2*g.ow]
			orow := out[(p*g.oh+oy)*g.ow : (p*g.oh+oy+1)*g.ow]
			grow := gout[(p*g.oh+oy)*g.ow : (p*g.oh+oy+1)*g.ow]
			for ox, m := range orow {
				d := grow[ox]
				a, b, c := x0[2*ox], x0[2*ox+1], x1[2*ox]
				if m != m { // a NaN output comes from the window's first NaN
					switch {
					case a != a:
						g0[2*ox] += d
					case b != b:
						g0[2*ox+1] += d
					case c != c:
						g1[2*ox] += d
					default:
						g1[2*ox+1] += d
					}
					continue
				}
				// Branch-free: the window's maximum is in a random place, so
				// a branch per candidate would mostly mispredict.
				ea := b2u(a == m)
				eb := b2u(b == m) &^ ea
				ec := b2u(c == m) &^ (ea | eb)
				ed := ^(ea | eb | ec)
				db := math.Float32bits(d)
				g0[2*ox] += math.Float32frombits(db & ea)
				g0[2*ox+1] += math.Float32frombits(db & eb)
				g1[2*ox] += math.Float32frombits(db & ec)
				g1[2*ox+1] += math.Float32frombits(db & ed)
			}
		}
	}
}

// b2u returns all ones for true and zero for false, without a branch.
func b2u(b bool) uint32 {
	var u uint32
	if b {
		u = 1
	}
	return -u
}

// AvgPool2d returns the mean over each kernel×kernel window of x
// [n, c, h, w], moving by stride, with zero padding counted in the mean
// (PyTorch's F.avg_pool2d defaults: count_include_pad=True, ceil_mode=False).
func (tp *Tape) AvgPool2d(x *Tensor, kernel, stride, padding int) *Tensor {
	g := newConvGeom("AvgPool2d", x.Shape, kernel, kernel, stride, padding)
	out := tp.newTensor([]int{g.n, g.c, g.oh, g.ow}, false, x)
	inv := 1 / float32(kernel*kernel)
	planes := g.n * g.c
	// window calls fn(input index) for every in-bounds pixel of output o's window.
	window := func(p, oy, ox int, fn func(int)) {
		base := p * g.h * g.w
		for i := range kernel {
			iy := oy*stride - padding + i
			if iy < 0 || iy >= g.h {
				continue
			}
			for j := range kernel {
				if ix := ox*stride - padding + j; ix >= 0 && ix < g.w {
					fn(base + iy*g.w + ix)
				}
			}
		}
	}
	parallelFor(planes, g.oh*g.ow*kernel*kernel, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			for oy := range g.oh {
				for ox := range g.ow {
					var s float32
					window(p, oy, ox, func(i int) { s += x.Data[i] })
					out.Data[(p*g.oh+oy)*g.ow+ox] = s * inv
				}
			}
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			parallelFor(planes, g.oh*g.ow*kernel*kernel, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					for oy := range g.oh {
						for ox := range g.ow {
							d := out.Grad[(p*g.oh+oy)*g.ow+ox] * inv
							window(p, oy, ox, func(i int) { gx[i] += d })
						}
					}
				}
			})
		})
	}
	return out
}

// MaxPool2d is PyTorch's nn.MaxPool2d(kernel, stride) without padding.
type MaxPool2d struct{ Kernel, Stride int }

// Forward pools x [n, c, h, w].
func (m MaxPool2d) Forward(tp *Tape, x *Tensor) *Tensor { return tp.MaxPool2d(x, m.Kernel, m.Stride) }

// Parameters returns nil: pooling has no parameters.
func (MaxPool2d) Parameters() []NamedParam { return nil }

// AvgPool2d is PyTorch's nn.AvgPool2d(kernel, stride, padding).
type AvgPool2d struct{ Kernel, Stride, Padding int }

// Forward pools x [n, c, h, w].
func (m AvgPool2d) Forward(tp *Tape, x *Tensor) *Tensor {
	return tp.AvgPool2d(x, m.Kernel, m.Stride, m.Padding)
}

// Parameters returns nil: pooling has no parameters.
func (AvgPool2d) Parameters() []NamedParam { return nil }
