package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/galenhealth/galen/nn/blas"
)

// convGeom holds the sizes of one 2-D convolution or pooling.
type convGeom struct {
	n, c, h, w  int // input [n, c, h, w]
	kh, kw      int // kernel
	stride, pad int
	oh, ow      int // output spatial size
	ohw, ckk    int // oh*ow, c*kh*kw
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
	return g
}

// im2colSample writes the [c*kh*kw, oh*ow] patch matrix of sample s of x
// into col: row (ci*kh+i)*kw+j holds input pixel
// (ci, oy*stride-pad+i, ox*stride-pad+j) for every output position, 0 in the
// padding.
func (g *convGeom) im2colSample(col, x []float32, s int) {
	for r := range g.ckk {
		ci, i, j := r/(g.kh*g.kw), r/g.kw%g.kh, r%g.kw
		plane := x[(s*g.c+ci)*g.h*g.w : (s*g.c+ci+1)*g.h*g.w]
		d := col[r*g.ohw : (r+1)*g.ohw]
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
				// x0 is at most ow: a kernel wider than the input may
				// leave a row all padding.
				x0 := min(max(0, g.pad-j), g.ow)
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

// col2imSample adds the patch-matrix gradient dcol [c*kh*kw, oh*ow] of
// sample s back into dx.
func (g *convGeom) col2imSample(dx, dcol []float32, s int) {
	for r := range g.ckk {
		ci, i, j := r/(g.kh*g.kw), r/g.kw%g.kh, r%g.kw
		plane := dx[(s*g.c+ci)*g.h*g.w : (s*g.c+ci+1)*g.h*g.w]
		d := dcol[r*g.ohw : (r+1)*g.ohw]
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
					for k, v := range drow[x0:x1:x1] {
						dst[k] += v
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

// Conv2d returns the 2-D cross-correlation of x [n, c, h, w] with weight
// [out, c, kh, kw] plus bias [out] (or nil), with the same stride and zero
// padding on both axes, as PyTorch's F.conv2d. Result [n, out, oh, ow].
//
// Each sample is one matrix product W [out, c·kh·kw] × patches
// [c·kh·kw, oh·ow] over its im2col patch matrix, which is kept for backward;
// samples run in parallel, each sample's steps back to back while its data
// is in cache.
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
	// col holds each sample's patch matrix [ckk, ohw] in turn.
	col := tp.scratch(g.n*g.ckk*g.ohw, false)
	sampleFor(g.n, func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			cs := col[s*g.ckk*g.ohw : (s+1)*g.ckk*g.ohw]
			g.im2colSample(cs, x.Data, s)
			ys := out.Data[s*nout*g.ohw : (s+1)*nout*g.ohw]
			blas.Sgemm(false, false, nout, g.ohw, g.ckk, 1, weight.Data, g.ckk, cs, g.ohw, 0, ys, g.ohw)
			if bias != nil {
				for o, b := range bias.Data {
					row := ys[o*g.ohw : (o+1)*g.ohw]
					for i := range row {
						row[i] += b
					}
				}
			}
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			var gx, gw, gb []float32
			if x.requiresGrad {
				gx = tp.grad(x)
			}
			if weight.requiresGrad {
				gw = tp.grad(weight)
			}
			if bias != nil && bias.requiresGrad {
				gb = tp.grad(bias)
			}
			// Each worker sums its samples' weight and bias gradients
			// privately; the parts are added in a fixed order afterwards, so
			// results do not depend on timing.
			wsize := nout*g.ckk + nout
			parts := tp.scratch(maxWorkers(g.n)*wsize, true)
			var dcols []float32
			if gx != nil {
				dcols = tp.scratch(maxWorkers(g.n)*g.ckk*g.ohw, false)
			}
			sampleFor(g.n, func(wk, lo, hi int) {
				pw := parts[wk*wsize : wk*wsize+nout*g.ckk]
				pb := parts[wk*wsize+nout*g.ckk : (wk+1)*wsize]
				for s := lo; s < hi; s++ {
					dy := out.Grad[s*nout*g.ohw : (s+1)*nout*g.ohw]
					cs := col[s*g.ckk*g.ohw : (s+1)*g.ckk*g.ohw]
					if gw != nil { // dW += dy · colᵀ
						blas.Sgemm(false, true, nout, g.ckk, g.ohw, 1, dy, g.ohw, cs, g.ohw, 1, pw, g.ckk)
					}
					if gb != nil {
						for o := range nout {
							var t float32
							for _, v := range dy[o*g.ohw : (o+1)*g.ohw] {
								t += v
							}
							pb[o] += t
						}
					}
					if gx != nil { // dcol = Wᵀ · dy, folded back into dx
						dcol := dcols[wk*g.ckk*g.ohw : (wk+1)*g.ckk*g.ohw]
						blas.Sgemm(true, false, g.ckk, g.ohw, nout, 1, weight.Data, g.ckk, dy, g.ohw, 0, dcol, g.ohw)
						g.col2imSample(gx, dcol, s)
					}
				}
			})
			for wk := range maxWorkers(g.n) {
				p := parts[wk*wsize : (wk+1)*wsize]
				if gw != nil {
					for i, v := range p[:nout*g.ckk] {
						gw[i] += v
					}
				}
				if gb != nil {
					for i, v := range p[nout*g.ckk:] {
						gb[i] += v
					}
				}
			}
		})
	}
	return out
}

// maxWorkers is the number of workers sampleFor uses for n samples.
func maxWorkers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// sampleFor splits [0, n) into maxWorkers(n) contiguous chunks and runs fn
// on each in its own goroutine, passing the worker index. The split depends
// only on n and GOMAXPROCS.
func sampleFor(n int, fn func(worker, lo, hi int)) {
	w := maxWorkers(n)
	if w == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		wg.Go(func() { fn(i, i*n/w, (i+1)*n/w) })
	}
	fn(0, 0, n/w)
	wg.Wait()
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
