package nn

import (
	"math"
	"slices"
)

// BatchNorm2d normalises x [n, c, h, w] per channel and applies the affine
// weight and bias [c] (nil for none), as PyTorch's F.batch_norm.
//
// When tp is in training mode (Tape.Training) it uses the batch's mean and
// biased variance, and updates runMean and runVar (if not nil) in place with
// PyTorch's rule: run = (1-momentum)·run + momentum·batch, using the
// unbiased variance for runVar. Otherwise it normalises with runMean and
// runVar. Gradients flow to x, weight and bias.
func (tp *Tape) BatchNorm2d(x, weight, bias, runMean, runVar *Tensor, momentum, eps float32) *Tensor {
	if len(x.Shape) != 4 {
		shapeErr("BatchNorm2d", "input %v is not [batch, channels, height, width]", x.Shape)
	}
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	for _, p := range []*Tensor{weight, bias, runMean, runVar} {
		if p != nil && (len(p.Shape) != 1 || p.Shape[0] != c) {
			shapeErr("BatchNorm2d", "parameter %v does not fit input %v", p.Shape, x.Shape)
		}
	}
	train := tp.Training()
	if !train && (runMean == nil || runVar == nil) {
		shapeErr("BatchNorm2d", "evaluation mode needs running statistics")
	}
	m := n * hw
	if train && m < 2 {
		shapeErr("BatchNorm2d", "training needs more than one value per channel, input %v", x.Shape)
	}
	out := tp.newTensor(slices.Clone(x.Shape), false, x, weight, bias)
	// mean and 1/std per channel, kept for backward.
	stats := tp.scratch(2*c, false)
	mean, istd := stats[:c], stats[c:]
	parallelFor(c, 3*m, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, v float64
			if train {
				var s float64
				for s0 := range n {
					for _, xv := range x.Data[(s0*c+ch)*hw : (s0*c+ch+1)*hw] {
						s += float64(xv)
					}
				}
				mu = s / float64(m)
				var ss float64
				for s0 := range n {
					for _, xv := range x.Data[(s0*c+ch)*hw : (s0*c+ch+1)*hw] {
						d := float64(xv) - mu
						ss += d * d
					}
				}
				v = ss / float64(m)
				if runMean != nil {
					runMean.Data[ch] = (1-momentum)*runMean.Data[ch] + momentum*float32(mu)
				}
				if runVar != nil {
					runVar.Data[ch] = (1-momentum)*runVar.Data[ch] + momentum*float32(ss/float64(m-1))
				}
			} else {
				mu, v = float64(runMean.Data[ch]), float64(runVar.Data[ch])
			}
			mean[ch] = float32(mu)
			istd[ch] = float32(1 / math.Sqrt(v+float64(eps)))
			a, b := istd[ch], -float32(mu)*istd[ch] // x̂ = a·x + b
			if weight != nil {
				a, b = a*weight.Data[ch], b*weight.Data[ch]
			}
			if bias != nil {
				b += bias.Data[ch]
			}
			for s0 := range n {
				off := (s0*c + ch) * hw
				for i, xv := range x.Data[off : off+hw] {
					out.Data[off+i] = a*xv + b
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
			if weight != nil && weight.requiresGrad {
				gw = tp.grad(weight)
			}
			if bias != nil && bias.requiresGrad {
				gb = tp.grad(bias)
			}
			parallelFor(c, 6*m, func(lo, hi int) {
				for ch := lo; ch < hi; ch++ {
					mu, is := mean[ch], istd[ch]
					// sums of dy and dy·x̂ over the channel
					var sdy, sdyx float64
					for s0 := range n {
						off := (s0*c + ch) * hw
						for i, g := range out.Grad[off : off+hw] {
							sdy += float64(g)
							sdyx += float64(g) * float64((x.Data[off+i]-mu)*is)
						}
					}
					if gw != nil {
						gw[ch] += float32(sdyx)
					}
					if gb != nil {
						gb[ch] += float32(sdy)
					}
					if gx == nil {
						continue
					}
					gamma := float32(1)
					if weight != nil {
						gamma = weight.Data[ch]
					}
					k := gamma * is
					if !train { // statistics are constants
						for s0 := range n {
							off := (s0*c + ch) * hw
							for i, g := range out.Grad[off : off+hw] {
								gx[off+i] += k * g
							}
						}
						continue
					}
					// dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))
					mdy, mdyx := float32(sdy/float64(m)), float32(sdyx/float64(m))
					for s0 := range n {
						off := (s0*c + ch) * hw
						for i, g := range out.Grad[off : off+hw] {
							xh := (x.Data[off+i] - mu) * is
							gx[off+i] += k * (g - mdy - xh*mdyx)
						}
					}
				}
			})
		})
	}
	return out
}

// BatchNorm2d is PyTorch's nn.BatchNorm2d with affine weight and bias and
// running statistics. Parameter names: "weight", "bias"; buffers (see
// Buffers): "running_mean", "running_var", "num_batches_tracked".
type BatchNorm2d struct {
	Weight, Bias      *Tensor
	RunningMean       *Tensor
	RunningVar        *Tensor
	NumBatchesTracked *Tensor // a one-element count, as in PyTorch's state_dict
	Momentum, Eps     float32
}

// NewBatchNorm2d returns a BatchNorm2d over c channels with PyTorch's
// defaults: weight 1, bias 0, running mean 0 and variance 1, momentum 0.1,
// eps 1e-5.
func NewBatchNorm2d(c int) *BatchNorm2d {
	b := &BatchNorm2d{
		Weight: NewParam(c), Bias: NewParam(c),
		RunningMean: New(c), RunningVar: New(c), NumBatchesTracked: New(),
		Momentum: 0.1, Eps: 1e-5,
	}
	for i := range c {
		b.Weight.Data[i] = 1
		b.RunningVar.Data[i] = 1
	}
	return b
}

// Forward normalises x [n, c, h, w]: with batch statistics (updating the
// running ones) when tp is training, with the running ones otherwise.
// Concurrent inference is safe; training updates the buffers in place.
func (b *BatchNorm2d) Forward(tp *Tape, x *Tensor) *Tensor {
	if tp.Training() {
		b.NumBatchesTracked.Data[0]++
	}
	return tp.BatchNorm2d(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Momentum, b.Eps)
}

// Parameters returns "weight" and "bias".
func (b *BatchNorm2d) Parameters() []NamedParam {
	return []NamedParam{{"weight", b.Weight}, {"bias", b.Bias}}
}

// Buffers returns the running statistics under their state_dict names, for
// checkpoints: "running_mean", "running_var", "num_batches_tracked".
func (b *BatchNorm2d) Buffers() []NamedParam {
	return []NamedParam{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}, {"num_batches_tracked", b.NumBatchesTracked}}
}
