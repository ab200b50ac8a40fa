package nn

import "slices"

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1-p) when tp is training; otherwise it returns x itself. Masks come
// from the tape's seeded generator, so seeded runs repeat exactly.
func (tp *Tape) Dropout(x *Tensor, p float32) *Tensor {
	if !tp.Training() || p <= 0 {
		return x
	}
	if p >= 1 {
		return tp.Scale(x, 0)
	}
	out := tp.newTensor(slices.Clone(x.Shape), false, x)
	mask := tp.scratch(len(x.Data), false)
	scale := 1 / (1 - p)
	thresh := uint64(float64(p) * 65536) // drop when a 16-bit draw < thresh
	for i := 0; i < len(mask); i += 4 {
		r := tp.rng.Uint64()
		for j := i; j < min(i+4, len(mask)); j++ {
			if r&0xffff < thresh {
				mask[j] = 0
			} else {
				mask[j] = scale
			}
			r >>= 16
		}
	}
	for i, v := range x.Data {
		out.Data[i] = v * mask[i]
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			for i, g := range out.Grad {
				gx[i] += g * mask[i]
			}
		})
	}
	return out
}

// Dropout is PyTorch's nn.Dropout; it has no parameters.
type Dropout struct{ P float32 }

// Forward applies dropout when tp is training.
func (d Dropout) Forward(tp *Tape, x *Tensor) *Tensor { return tp.Dropout(x, d.P) }
