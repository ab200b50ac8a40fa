package nn

import (
	"math"
	"slices"
)

// LayerNorm normalises x over its last axis to zero mean and unit variance
// (biased variance, eps inside the square root, as PyTorch), then applies
// weight and bias of shape [last] when not nil. Forward and backward are
// fused.
func (tp *Tape) LayerNorm(x, weight, bias *Tensor, eps float32) *Tensor {
	if len(x.Shape) == 0 {
		shapeErr("LayerNorm", "scalar input")
	}
	n := x.Shape[len(x.Shape)-1]
	for _, p := range []*Tensor{weight, bias} {
		if p != nil && (len(p.Shape) != 1 || p.Shape[0] != n) {
			shapeErr("LayerNorm", "parameter %v does not fit input %v", p.Shape, x.Shape)
		}
	}
	out := tp.newTensor(slices.Clone(x.Shape), false, x, weight, bias)
	if n == 0 {
		return out
	}
	rows := len(x.Data) / n
	var stats []float32 // mean, rstd per row, kept for backward
	if out.requiresGrad {
		stats = tp.scratch(2*rows, false)
	}
	parallelFor(rows, 8*n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x.Data[r*n:(r+1)*n], out.Data[r*n:(r+1)*n]
			var s float64
			for _, v := range xr {
				s += float64(v)
			}
			mean := float32(s / float64(n))
			var ss float64
			for _, v := range xr {
				d := float64(v - mean)
				ss += d * d
			}
			rstd := float32(1 / math.Sqrt(ss/float64(n)+float64(eps)))
			yr = yr[:len(xr)]
			for j, v := range xr {
				yr[j] = (v - mean) * rstd
			}
			if weight != nil {
				w := weight.Data[:len(yr)]
				for j := range yr {
					yr[j] *= w[j]
				}
			}
			if bias != nil {
				b := bias.Data[:len(yr)]
				for j := range yr {
					yr[j] += b[j]
				}
			}
			if stats != nil {
				stats[2*r], stats[2*r+1] = mean, rstd
			}
		}
	})
	if !out.requiresGrad {
		return out
	}
	tp.recordOp(out, func() {
		var gx, gw, gb []float32
		if x.requiresGrad {
			gx = tp.grad(x)
		}
		if weight != nil && weight.requiresGrad {
			gw = tp.grad(weight)
		}
		if bias != nil && bias.requiresGrad {
			gb = tp.grad(bias)
		}
		// Parameter gradients are summed per worker chunk, then in chunk order.
		w := min(max(1, rows), 8)
		var partW, partB []float32
		if gw != nil || gb != nil {
			partW, partB = tp.scratch(w*n, true), tp.scratch(w*n, true)
		}
		parallelFor(w, rows*n*10/w, func(clo, chi int) {
			for c := clo; c < chi; c++ {
				var pw, pb []float32
				if partW != nil {
					pw, pb = partW[c*n:(c+1)*n], partB[c*n:(c+1)*n]
				}
				for r := c * rows / w; r < (c+1)*rows/w; r++ {
					xr, gr := x.Data[r*n:(r+1)*n], out.Grad[r*n:(r+1)*n]
					mean, rstd := stats[2*r], stats[2*r+1]
					var sg, sgx float32 // Σ dxhat, Σ dxhat·xhat
					for j, v := range xr {
						xh := (v - mean) * rstd
						g := gr[j]
						if pw != nil {
							pw[j] += g * xh
							pb[j] += g
						}
						if weight != nil {
							g *= weight.Data[j]
						}
						sg += g
						sgx += g * xh
					}
					if gx == nil {
						continue
					}
					sg /= float32(n)
					sgx /= float32(n)
					dr := gx[r*n : (r+1)*n]
					for j, v := range xr {
						xh := (v - mean) * rstd
						g := gr[j]
						if weight != nil {
							g *= weight.Data[j]
						}
						dr[j] += rstd * (g - sg - xh*sgx)
					}
				}
			}
		})
		for c := 0; partW != nil && c < w; c++ {
			for j := range n {
				if gw != nil {
					gw[j] += partW[c*n+j]
				}
				if gb != nil {
					gb[j] += partB[c*n+j]
				}
			}
		}
	})
	return out
}

// LayerNorm is PyTorch's nn.LayerNorm over the last axis, with
// parameters "weight" (ones) and "bias" (zeros).
type LayerNorm struct {
	Weight, Bias *Tensor
	Eps          float32
}

// NewLayerNorm returns a LayerNorm over a last axis of size d with eps 1e-5.
func NewLayerNorm(d int) *LayerNorm {
	l := &LayerNorm{Weight: NewParam(d), Bias: NewParam(d), Eps: 1e-5}
	for i := range l.Weight.Data {
		l.Weight.Data[i] = 1
	}
	return l
}

// Forward normalises x over its last axis.
func (l *LayerNorm) Forward(tp *Tape, x *Tensor) *Tensor {
	return tp.LayerNorm(x, l.Weight, l.Bias, l.Eps)
}

// Parameters returns "weight" and "bias".
func (l *LayerNorm) Parameters() []NamedParam {
	return []NamedParam{{"weight", l.Weight}, {"bias", l.Bias}}
}
