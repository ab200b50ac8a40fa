package nn

import (
	"math"
	"math/rand/v2"

	"github.com/galenhealth/galen/nn/blas"
)

// convGeom holds the sizes of one 2-D convolution or pooling.
type convGeom struct {
	n, c, h, w     int // input [n, c, h, w]
	kh, kw         int // kernel
	stride, pad    int
	oh, ow         int // output spatial size
	ohw, cols, ckk int // oh*ow, n*oh*ow, c*kh*kw
}

func newConvGeom(op string, x []int, kh, kw, stride, pad int) convGeom {
	if len(x) != 4 {
		shapeErr(op, "input %v is not [batch, channels, height, width]", x)
	}
	if kh < 1 || kw < 1 || stride < 1 || pad < 0 {
		shapeErr(op, "kernel %dx%d, stride %d, padding %d", kh, kw, stride, pad)
	}
	g := convGeom{n: x[0], c: x[1], h: x[2], w: x[3], kh: kh, kw: kw, stride: stride, pad: pad}
	g.oh = (g.h+2*pad-kh)/stride + 1
	g.ow = (g.w+2*pad-kw)/stride + 1
	if g.h+2*pad < kh || g.w+2*pad < kw {
		shapeErr(op, "kernel %dx%d larger than padded input %v", kh, kw, x)
	}
	g.ohw, g.ckk = g.oh*g.ow, g.c*kh*kw
	g.cols = g.n * g.ohw
	return g
}

// im2col writes rows [lo, hi) of the [c*kh*kw, n*oh*ow] patch matrix of x:
// row (ci*kh+i)*kw+j holds input pixel (ci, oy*stride-pad+i, ox*stride-pad+j)
// of every sample and output position, 0 in the padding.
func (g *convGeom) im2col(col, x []float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		ci, i, j := r/(g.kh*g.kw), r/g.kw%g.kh, r%g.kw
		dst := col[r*g.cols : (r+1)*g.cols]
		for s := range g.n {
			plane := x[(s*g.c+ci)*g.h*g.w : (s*g.c+ci+1)*g.h*g.w]
			d := dst[s*g.ohw : (s+1)*g.ohw]
			for oy := range g.oh {
				iy := oy*g.stride - g.pad + i
				row := d[oy*g.ow : (oy+1)*g.ow]
				if iy < 0 || iy >= g.h {
					clear(row)
					continue
				}
				src := plane[iy*g.w : (iy+1)*g.w]
				if g.stride == 1 {
					// ix = ox - pad + j: one shifted copy with zero ends.
					x0 := max(0, g.pad-j)
					x1 := min(g.ow, g.w+g.pad-j)
					clear(row[:x0])
					if x1 > x0 {
						copy(row[x0:x1], src[x0-g.pad+j:x1-g.pad+j])
					}
					clear(row[max(x1, x0):])
					continue
				}
				for ox := range row {
					ix := ox*g.stride - g.pad + j
					if ix < 0 || ix >= g.w {
						row[ox] = 0
					} else {
						row[ox] = src[ix]
					}
				}
			}
		}
	}
}

// col2im adds the patch-matrix gradient dcol back into dx for the channels
// [lo, hi) (each channel's rows touch only that channel, so channels can run
// in parallel).
func (g *convGeom) col2im(dx, dcol []float32, lo, hi int) {
	for ci := lo; ci < hi; ci++ {
		for i := range g.kh {
			for j := range g.kw {
				r := (ci*g.kh+i)*g.kw + j
				src := dcol[r*g.cols : (r+1)*g.cols]
				for s := range g.n {
					plane := dx[(s*g.c+ci)*g.h*g.w : (s*g.c+ci+1)*g.h*g.w]
					d := src[s*g.ohw : (s+1)*g.ohw]
					for oy := range g.oh {
						iy := oy*g.stride - g.pad + i
						if iy < 0 || iy >= g.h {
							continue
						}
						prow := plane[iy*g.w : (iy+1)*g.w]
						drow := d[oy*g.ow : (oy+1)*g.ow]
						if g.stride == 1 {
							// ix = ox - pad + j over the in-bounds range.
							x0 := max(0, g.pad-j)
							x1 := min(g.ow, g.w+g.pad-j)
							if x1 > x0 {
								dst := prow[x0-g.pad+j : x1-g.pad+j]
								for i, v := range drow[x0:x1:x1] {
									dst[i] += v
								}
							}
							continue
						}
						for ox, v := range drow {
							if ix := ox*g.stride - g.pad + j; ix >= 0 && ix < g.w {
								prow[ix] += v
							}
						}
					}
				}
			}
		}
	}
}

// Conv2d returns the 2-D cross-correlation of x [n, c, h, w] with weight
// [out, c, kh, kw] plus bias [out] (or nil), with the same stride and zero
// padding on both axes, as PyTorch's F.conv2d. Result [n, out, oh, ow]. It
// runs as one matrix product over an im2col patch matrix kept for backward.
func (tp *Tape) Conv2d(x, weight, bias *Tensor, stride, padding int) *Tensor {
	if len(weight.Shape) != 4 {
		shapeErr("Conv2d", "weight %v is not [out, in, kh, kw]", weight.Shape)
	}
	g := newConvGeom("Conv2d", x.Shape, weight.Shape[2], weight.Shape[3], stride, padding)
	nout := weight.Shape[0]
	if weight.Shape[1] != g.c {
		shapeErr("Conv2d", "weight %v does not fit input %v", weight.Shape, x.Shape)
	}
	if bias != nil && (len(bias.Shape) != 1 || bias.Shape[0] != nout) {
		shapeErr("Conv2d", "bias %v does not fit weight %v", bias.Shape, weight.Shape)
	}
	out := tp.newTensor([]int{g.n, nout, g.oh, g.ow}, false, x, weight, bias)
	col := tp.scratch(g.ckk*g.cols, false)
	parallelFor(g.ckk, g.cols, func(lo, hi int) { g.im2col(col, x.Data, lo, hi) })
	// y[o, s*ohw+p] = W[o, :] · col[:, s*ohw+p], then reorder to [n, out, ohw].
	y := tp.scratch(nout*g.cols, false)
	blas.Sgemm(false, false, nout, g.cols, g.ckk, 1, weight.Data, g.ckk, col, g.cols, 0, y, g.cols)
	parallelFor(g.n, nout*g.ohw, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			for o := range nout {
				dst := out.Data[(s*nout+o)*g.ohw : (s*nout+o+1)*g.ohw]
				copy(dst, y[o*g.cols+s*g.ohw:o*g.cols+(s+1)*g.ohw])
				if bias != nil {
					b := bias.Data[o]
					for i := range dst {
						dst[i] += b
					}
				}
			}
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			dy := y // y is not needed any more: reuse it for dy as [out, n*ohw]
			parallelFor(g.n, nout*g.ohw, func(lo, hi int) {
				for s := lo; s < hi; s++ {
					for o := range nout {
						copy(dy[o*g.cols+s*g.ohw:o*g.cols+(s+1)*g.ohw], out.Grad[(s*nout+o)*g.ohw:(s*nout+o+1)*g.ohw])
					}
				}
			})
			if weight.requiresGrad {
				blas.Sgemm(false, true, nout, g.ckk, g.cols, 1, dy, g.cols, col, g.cols, 1, tp.grad(weight), g.ckk)
			}
			if bias != nil && bias.requiresGrad {
				gb := tp.grad(bias)
				for o := range nout {
					var s float32
					for _, v := range dy[o*g.cols : (o+1)*g.cols] {
						s += v
					}
					gb[o] += s
				}
			}
			if x.requiresGrad {
				dcol := col // col is not needed after the weight gradient
				blas.Sgemm(true, false, g.ckk, g.cols, nout, 1, weight.Data, g.ckk, dy, g.cols, 0, dcol, g.cols)
				gx := tp.grad(x)
				parallelFor(g.c, g.kh*g.kw*g.cols, func(lo, hi int) { g.col2im(gx, dcol, lo, hi) })
			}
		})
	}
	return out
}

// Conv2d is PyTorch's nn.Conv2d with square kernel, stride and padding:
// Weight [out, in, k, k], Bias [out] or nil. Parameter names: "weight",
// "bias".
type Conv2d struct {
	Weight, Bias    *Tensor
	Stride, Padding int
}

// NewConv2d returns a Conv2d initialised like PyTorch: weight and bias
// uniform in ±1/√(in·k·k).
func NewConv2d(in, out, kernel, stride, padding int, bias bool, rng *rand.Rand) *Conv2d {
	c := &Conv2d{Weight: NewParam(out, in, kernel, kernel), Stride: stride, Padding: padding}
	bound := float32(1 / math.Sqrt(float64(max(in*kernel*kernel, 1))))
	FillUniform(c.Weight, rng, -bound, bound)
	if bias {
		c.Bias = NewParam(out)
		FillUniform(c.Bias, rng, -bound, bound)
	}
	return c
}

// Forward maps x [n, in, h, w] to [n, out, oh, ow].
func (c *Conv2d) Forward(tp *Tape, x *Tensor) *Tensor {
	return tp.Conv2d(x, c.Weight, c.Bias, c.Stride, c.Padding)
}

// Parameters returns "weight" and, if present, "bias".
func (c *Conv2d) Parameters() []NamedParam {
	ps := []NamedParam{{"weight", c.Weight}}
	if c.Bias != nil {
		ps = append(ps, NamedParam{"bias", c.Bias})
	}
	return ps
}
