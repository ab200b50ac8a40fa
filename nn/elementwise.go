package nn

import (
	"math"
	"slices"
)

// bplan maps a broadcasting binary op onto rows: the output is iterated as
// outer rows of an inner axis of length dims[last], along which a and b have
// stride 0 (broadcast) or 1.
type bplan struct {
	shape  []int // output shape
	dims   []int // coalesced axes of the output
	sa, sb []int // strides of a and b along dims
}

func broadcastPlan(op string, as, bs []int) bplan {
	r := max(len(as), len(bs))
	pad := func(s []int) []int {
		p := make([]int, r)
		for i := range p {
			p[i] = 1
		}
		copy(p[r-len(s):], s)
		return p
	}
	pa, pb := pad(as), pad(bs)
	shape := make([]int, r)
	for i := range r {
		switch {
		case pa[i] == pb[i]:
			shape[i] = pa[i]
		case pa[i] == 1:
			shape[i] = pb[i]
		case pb[i] == 1:
			shape[i] = pa[i]
		default:
			shapeErr(op, "shapes %v and %v do not broadcast", as, bs)
		}
	}
	strides := func(p []int) []int {
		s := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			if p[i] == 1 {
				s[i] = 0
			} else {
				s[i] = acc
			}
			acc *= p[i]
		}
		return s
	}
	ssa, ssb := strides(pa), strides(pb)
	var p bplan
	p.shape = shape
	for i := range r {
		if shape[i] == 1 {
			continue
		}
		if k := len(p.dims) - 1; k >= 0 && p.sa[k] == ssa[i]*shape[i] && p.sb[k] == ssb[i]*shape[i] {
			p.dims[k] *= shape[i]
			p.sa[k], p.sb[k] = ssa[i], ssb[i]
			continue
		}
		p.dims = append(p.dims, shape[i])
		p.sa = append(p.sa, ssa[i])
		p.sb = append(p.sb, ssb[i])
	}
	if len(p.dims) == 0 {
		p.dims, p.sa, p.sb = []int{1}, []int{0}, []int{0}
	}
	return p
}

// rows calls fn(o, ia, ib) for the start offsets in out, a and b of every
// output row; the row has length n = dims[last] and strides sa, sb[last].
func (p *bplan) rows(fn func(o, ia, ib int)) {
	last := len(p.dims) - 1
	n := p.dims[last]
	idx := make([]int, last)
	o, ia, ib := 0, 0, 0
	for {
		fn(o, ia, ib)
		o += n
		k := last - 1
		for ; k >= 0; k-- {
			idx[k]++
			ia += p.sa[k]
			ib += p.sb[k]
			if idx[k] < p.dims[k] {
				break
			}
			ia -= p.sa[k] * p.dims[k]
			ib -= p.sb[k] * p.dims[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
)

var binNames = [...]string{"Add", "Sub", "Mul", "Div"}

// binRow computes dst[j] = x[j*sx] op y[j*sy] for j < len(dst).
func binRow(op binOp, dst, x, y []float32, sx, sy int) {
	n := len(dst)
	switch {
	case sx == 1 && sy == 1:
		x, y = x[:n], y[:n]
		switch op {
		case opAdd:
			for j := range dst {
				dst[j] = x[j] + y[j]
			}
		case opSub:
			for j := range dst {
				dst[j] = x[j] - y[j]
			}
		case opMul:
			for j := range dst {
				dst[j] = x[j] * y[j]
			}
		case opDiv:
			for j := range dst {
				dst[j] = x[j] / y[j]
			}
		}
	case sx == 1:
		x = x[:n]
		v := y[0]
		switch op {
		case opAdd:
			for j := range dst {
				dst[j] = x[j] + v
			}
		case opSub:
			for j := range dst {
				dst[j] = x[j] - v
			}
		case opMul:
			for j := range dst {
				dst[j] = x[j] * v
			}
		case opDiv:
			for j := range dst {
				dst[j] = x[j] / v
			}
		}
	default:
		for j := range dst {
			a, b := x[j*sx], y[j*sy]
			switch op {
			case opAdd:
				dst[j] = a + b
			case opSub:
				dst[j] = a - b
			case opMul:
				dst[j] = a * b
			case opDiv:
				dst[j] = a / b
			}
		}
	}
}

func (tp *Tape) binary(op binOp, a, b *Tensor) *Tensor {
	name := binNames[op]
	p := broadcastPlan(name, a.Shape, b.Shape)
	out := tp.newTensor(p.shape, false, a, b)
	last := len(p.dims) - 1
	n, sx, sy := p.dims[last], p.sa[last], p.sb[last]
	p.rows(func(o, ia, ib int) {
		binRow(op, out.Data[o:o+n], a.Data[ia:], b.Data[ib:], sx, sy)
	})
	if !out.requiresGrad {
		return out
	}
	tp.recordOp(out, func() {
		g := out.Grad
		var ga, gb []float32
		if a.requiresGrad {
			ga = tp.grad(a)
		}
		if b.requiresGrad {
			gb = tp.grad(b)
		}
		p.rows(func(o, ia, ib int) {
			gr := g[o : o+n]
			if ga != nil {
				switch op {
				case opAdd, opSub:
					accumulate(ga[ia:], gr, sx, 1)
				case opMul:
					mulAccumulate(ga[ia:], gr, b.Data[ib:], sx, sy)
				case opDiv:
					for j, v := range gr {
						ga[ia+j*sx] += v / b.Data[ib+j*sy]
					}
				}
			}
			if gb != nil {
				switch op {
				case opAdd:
					accumulate(gb[ib:], gr, sy, 1)
				case opSub:
					accumulate(gb[ib:], gr, sy, -1)
				case opMul:
					mulAccumulate(gb[ib:], gr, a.Data[ia:], sy, sx)
				case opDiv:
					for j, v := range gr {
						gb[ib+j*sy] -= v * out.Data[o+j] / b.Data[ib+j*sy]
					}
				}
			}
		})
	})
	return out
}

// accumulate adds s·g into dst (stride 1), or s·Σg into dst[0] (stride 0).
func accumulate(dst, g []float32, stride int, s float32) {
	if stride == 0 {
		var sum float32
		for _, v := range g {
			sum += v
		}
		dst[0] += s * sum
		return
	}
	dst = dst[:len(g)]
	if s == 1 {
		for j, v := range g {
			dst[j] += v
		}
		return
	}
	for j, v := range g {
		dst[j] += s * v
	}
}

// mulAccumulate adds g·y into dst, with strides sd of dst and sy of y.
func mulAccumulate(dst, g, y []float32, sd, sy int) {
	switch {
	case sd == 1 && sy == 1:
		dst, y = dst[:len(g)], y[:len(g)]
		for j, v := range g {
			dst[j] += v * y[j]
		}
	case sd == 1:
		dst = dst[:len(g)]
		c := y[0]
		for j, v := range g {
			dst[j] += v * c
		}
	default:
		var sum float32
		for j, v := range g {
			sum += v * y[j*sy]
		}
		dst[0] += sum
	}
}

// Add returns a + b with NumPy broadcasting.
func (tp *Tape) Add(a, b *Tensor) *Tensor { return tp.binary(opAdd, a, b) }

// Sub returns a - b with NumPy broadcasting.
func (tp *Tape) Sub(a, b *Tensor) *Tensor { return tp.binary(opSub, a, b) }

// Mul returns a * b elementwise with NumPy broadcasting.
func (tp *Tape) Mul(a, b *Tensor) *Tensor { return tp.binary(opMul, a, b) }

// Div returns a / b elementwise with NumPy broadcasting.
func (tp *Tape) Div(a, b *Tensor) *Tensor { return tp.binary(opDiv, a, b) }

// unary applies f to x chunk by chunk (in parallel when large). df adds
// dy*f'(x) into dx given x and y = f(x); cost is rough flops per element.
func (tp *Tape) unary(x *Tensor, cost int, f func(y, x []float32), df func(dx, dy, x, y []float32)) *Tensor {
	out := tp.newTensor(slices.Clone(x.Shape), false, x)
	parallelFor(len(x.Data), cost, func(lo, hi int) { f(out.Data[lo:hi], x.Data[lo:hi]) })
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			parallelFor(len(x.Data), cost, func(lo, hi int) {
				df(gx[lo:hi], out.Grad[lo:hi], x.Data[lo:hi], out.Data[lo:hi])
			})
		})
	}
	return out
}

// Scale returns s * x.
func (tp *Tape) Scale(x *Tensor, s float32) *Tensor {
	return tp.unary(x, 1, func(y, x []float32) {
		for i, v := range x {
			y[i] = s * v
		}
	}, func(dx, dy, _, _ []float32) {
		for i, g := range dy {
			dx[i] += s * g
		}
	})
}

// AddScalar returns x + s.
func (tp *Tape) AddScalar(x *Tensor, s float32) *Tensor {
	return tp.unary(x, 1, func(y, x []float32) {
		for i, v := range x {
			y[i] = v + s
		}
	}, func(dx, dy, _, _ []float32) {
		for i, g := range dy {
			dx[i] += g
		}
	})
}

// Exp returns eˣ elementwise.
func (tp *Tape) Exp(x *Tensor) *Tensor {
	return tp.unary(x, 20, func(y, x []float32) {
		expSlice(y, x)
	}, func(dx, dy, _, y []float32) {
		for i, g := range dy {
			dx[i] += g * y[i]
		}
	})
}

// Log returns the natural logarithm elementwise.
func (tp *Tape) Log(x *Tensor) *Tensor {
	return tp.unary(x, 20, func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Log(float64(v)))
		}
	}, func(dx, dy, x, _ []float32) {
		for i, g := range dy {
			dx[i] += g / x[i]
		}
	})
}

// Tanh returns tanh(x) elementwise.
func (tp *Tape) Tanh(x *Tensor) *Tensor {
	return tp.unary(x, 20, func(y, x []float32) {
		tanhSlice(y, x)
	}, func(dx, dy, _, y []float32) {
		for i, g := range dy {
			dx[i] += g * (1 - y[i]*y[i])
		}
	})
}

// Sigmoid returns 1/(1+e⁻ˣ) elementwise.
func (tp *Tape) Sigmoid(x *Tensor) *Tensor {
	return tp.unary(x, 20, func(y, x []float32) {
		sigmoidSlice(y, x)
	}, func(dx, dy, _, y []float32) {
		for i, g := range dy {
			dx[i] += g * y[i] * (1 - y[i])
		}
	})
}

// ReLU returns max(x, 0) elementwise (gradient 0 at 0, as in PyTorch).
func (tp *Tape) ReLU(x *Tensor) *Tensor {
	return tp.unary(x, 1, func(y, x []float32) {
		for i, v := range x {
			// Clear negative values (and -0) with their sign bit as a mask:
			// a branch here would be mispredicted half the time.
			b := math.Float32bits(v)
			y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	}, func(dx, dy, _, y []float32) {
		y = y[:len(dy)]
		dx = dx[:len(dy)]
		for i, g := range dy {
			// y ≥ 0, so its bits are non-zero exactly when y > 0; build an
			// all-ones mask from that without a branch.
			b := int32(math.Float32bits(y[i]))
			m := uint32((b | -b) >> 31)
			dx[i] += math.Float32frombits(math.Float32bits(g) & m)
		}
	})
}

// GELU returns x·Φ(x) with the exact erf form, PyTorch's default.
func (tp *Tape) GELU(x *Tensor) *Tensor {
	return tp.unary(x, 30, func(y, x []float32) {
		for i, v := range x {
			f := float64(v)
			y[i] = float32(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
		}
	}, func(dx, dy, x, _ []float32) {
		const invSqrt2Pi = 0.3989422804014327
		for i, g := range dy {
			f := float64(x[i])
			d := 0.5*(1+math.Erf(f/math.Sqrt2)) + f*invSqrt2Pi*math.Exp(-0.5*f*f)
			dx[i] += g * float32(d)
		}
	})
}

// Square returns x² elementwise.
func (tp *Tape) Square(x *Tensor) *Tensor {
	return tp.unary(x, 1, func(y, x []float32) {
		for i, v := range x {
			y[i] = v * v
		}
	}, func(dx, dy, x, _ []float32) {
		for i, g := range dy {
			dx[i] += 2 * x[i] * g
		}
	})
}

// Sqrt returns √x elementwise.
func (tp *Tape) Sqrt(x *Tensor) *Tensor {
	return tp.unary(x, 10, func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Sqrt(float64(v)))
		}
	}, func(dx, dy, _, y []float32) {
		for i, g := range dy {
			dx[i] += g / (2 * y[i])
		}
	})
}
