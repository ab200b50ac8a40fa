package nn

import (
	"math"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update from the current gradients.
	Step()
	// ZeroGrad clears the gradients of the optimised parameters.
	ZeroGrad()
	// SetLR sets the learning rate for the following steps.
	SetLR(lr float64)
}

// SGDConfig configures SGD; zero values mean no momentum and no decay.
type SGDConfig struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64 // L2 penalty added to the gradient, as in PyTorch
}

// SGD is PyTorch's SGD: g += wd·p; buf = μ·buf + (1−dampening)·g (buf = g
// on the first step); p −= lr·buf.
type SGD struct {
	cfg    SGDConfig
	params []NamedParam
	bufs   [][]float32
	steps  int
}

// NewSGD returns an SGD optimiser over params.
func NewSGD(params []NamedParam, cfg SGDConfig) *SGD {
	return &SGD{cfg: cfg, params: params, bufs: make([][]float32, len(params))}
}

// Step applies one update.
func (o *SGD) Step() {
	lr, mu, damp, wd := float32(o.cfg.LR), float32(o.cfg.Momentum), float32(o.cfg.Dampening), float32(o.cfg.WeightDecay)
	for k, p := range o.params {
		t := p.Tensor
		if t.Grad == nil {
			continue
		}
		if mu != 0 && o.bufs[k] == nil {
			o.bufs[k] = make([]float32, len(t.Data))
		}
		buf := o.bufs[k]
		for i, g := range t.Grad {
			g += wd * t.Data[i]
			if mu != 0 {
				if o.steps == 0 {
					buf[i] = g
				} else {
					buf[i] = mu*buf[i] + (1-damp)*g
				}
				g = buf[i]
			}
			t.Data[i] -= lr * g
		}
	}
	o.steps++
}

// ZeroGrad clears the gradients.
func (o *SGD) ZeroGrad() { ZeroGrad(o.params) }

// Steps returns the number of steps taken.
func (o *SGD) Steps() int { return o.steps }

// SetSteps sets the step count, for resuming from a checkpoint.
func (o *SGD) SetSteps(n int) { o.steps = n }

// State returns the momentum buffers as "<param>.momentum_buffer" (none
// without momentum), allocating them if needed so that a checkpoint can
// restore them.
func (o *SGD) State() []NamedParam {
	if o.cfg.Momentum == 0 {
		return nil
	}
	out := make([]NamedParam, len(o.params))
	for k, p := range o.params {
		if o.bufs[k] == nil {
			o.bufs[k] = make([]float32, len(p.Tensor.Data))
		}
		out[k] = NamedParam{p.Name + ".momentum_buffer", FromSlice(o.bufs[k], p.Tensor.Shape...)}
	}
	return out
}

// SetLR sets the learning rate.
func (o *SGD) SetLR(lr float64) { o.cfg.LR = lr }

// AdamWConfig configures AdamW. NewAdamW fills zero Beta1, Beta2 and Eps
// with PyTorch's defaults (0.9, 0.999, 1e-8); LR and WeightDecay are taken as
// given.
type AdamWConfig struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64
}

// AdamW is PyTorch's AdamW (amsgrad off): p −= lr·wd·p, then the Adam
// update with bias-corrected moments, step size lr/(1−β₁ᵗ) and denominator
// √v/√(1−β₂ᵗ) + eps.
type AdamW struct {
	cfg    AdamWConfig
	params []NamedParam
	m, v   []*Tensor
	steps  int
}

// NewAdamW returns an AdamW optimiser over params.
func NewAdamW(params []NamedParam, cfg AdamWConfig) *AdamW {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	o := &AdamW{cfg: cfg, params: params}
	for _, p := range params {
		o.m = append(o.m, New(p.Tensor.Shape...))
		o.v = append(o.v, New(p.Tensor.Shape...))
	}
	return o
}

// Step applies one update to every parameter that has a gradient.
func (o *AdamW) Step() {
	o.steps++
	c := o.cfg
	bc1 := 1 - math.Pow(c.Beta1, float64(o.steps))
	bc2 := 1 - math.Pow(c.Beta2, float64(o.steps))
	decay := float32(1 - c.LR*c.WeightDecay)
	stepSize := float32(c.LR / bc1)
	invBC2 := float32(1 / math.Sqrt(bc2))
	b1, b2 := float32(c.Beta1), float32(c.Beta2)
	eps := float32(c.Eps)
	for k, p := range o.params {
		t := p.Tensor
		if t.Grad == nil {
			continue
		}
		m, v := o.m[k].Data, o.v[k].Data
		parallelFor(len(t.Data), 12, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := t.Grad[i]
				w := t.Data[i] * decay
				mi := b1*m[i] + (1-b1)*g
				vi := b2*v[i] + (1-b2)*g*g
				m[i], v[i] = mi, vi
				t.Data[i] = w - stepSize*mi/(float32(math.Sqrt(float64(vi)))*invBC2+eps)
			}
		})
	}
}

// ZeroGrad clears the gradients.
func (o *AdamW) ZeroGrad() { ZeroGrad(o.params) }

// SetLR sets the learning rate.
func (o *AdamW) SetLR(lr float64) { o.cfg.LR = lr }

// Steps returns the number of steps taken (PyTorch's "step" state).
func (o *AdamW) Steps() int { return o.steps }

// SetSteps sets the step count, for resuming from a checkpoint.
func (o *AdamW) SetSteps(n int) { o.steps = n }

// State returns the moment tensors under the names
// "<param>.exp_avg" and "<param>.exp_avg_sq", so a checkpoint can save and
// restore them (with Steps/SetSteps).
func (o *AdamW) State() []NamedParam {
	out := make([]NamedParam, 0, 2*len(o.params))
	for k, p := range o.params {
		out = append(out, NamedParam{p.Name + ".exp_avg", o.m[k]}, NamedParam{p.Name + ".exp_avg_sq", o.v[k]})
	}
	return out
}

// ClipGradNorm scales all gradients so that their global L2 norm is at most
// maxNorm (PyTorch's clip_grad_norm_, with its 1e-6 guard) and returns the
// norm before clipping.
func ClipGradNorm(params []NamedParam, maxNorm float64) float64 {
	var ss float64
	for _, p := range params {
		for _, g := range p.Tensor.Grad {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if scale := maxNorm / (norm + 1e-6); scale < 1 {
		s := float32(scale)
		for _, p := range params {
			for i := range p.Tensor.Grad {
				p.Tensor.Grad[i] *= s
			}
		}
	}
	return norm
}

// Decay is the shape of a Schedule after warm-up.
type Decay int

// Decay shapes.
const (
	Cosine Decay = iota
	LinearDecay
	Constant
)

// Schedule is a learning rate: linear warm-up from Base/Warmup to Base over
// the first Warmup steps, then decay to Min at step Total (cosine or
// linear), and Min after that.
type Schedule struct {
	Base, Min     float64
	Warmup, Total int
	Decay         Decay
}

// At returns the learning rate for step (counted from 0).
func (s Schedule) At(step int) float64 {
	if step < s.Warmup {
		return s.Base * float64(step+1) / float64(s.Warmup)
	}
	if s.Decay == Constant || s.Total <= s.Warmup {
		return s.Base
	}
	p := math.Min(1, float64(step-s.Warmup)/float64(s.Total-s.Warmup))
	f := 1 - p
	if s.Decay == Cosine {
		f = 0.5 * (1 + math.Cos(math.Pi*p))
	}
	return s.Min + (s.Base-s.Min)*f
}
