package nn

import (
	"math/rand/v2"
	"slices"
)

const dropBlock = 1 << 14

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
	// Each block of dropBlock elements draws from its own generator seeded
	// from the tape's, so blocks run in parallel and masks do not depend on
	// the number of cores.
	seed := tp.rng.Uint64()
	blocks := (len(mask) + dropBlock - 1) / dropBlock
	parallelFor(blocks, 3*dropBlock, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			rng := rand.NewPCG(seed, uint64(blk))
			end := min((blk+1)*dropBlock, len(mask))
			for i := blk * dropBlock; i < end; i += 4 {
				r := rng.Uint64()
				for j := i; j < min(i+4, end); j++ {
					keep := scale
					if r&0xffff < thresh {
						keep = 0
					}
					mask[j] = keep
					out.Data[j] = x.Data[j] * keep
					r >>= 16
				}
			}
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			parallelFor(len(gx), 2, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					gx[i] += out.Grad[i] * mask[i]
				}
			})
		})
	}
	return out
}

// Dropout is PyTorch's nn.Dropout; it has no parameters.
type Dropout struct{ P float32 }

// Forward applies dropout when tp is training.
func (d Dropout) Forward(tp *Tape, x *Tensor) *Tensor { return tp.Dropout(x, d.P) }

// Parameters returns nil: dropout has no parameters.
func (d Dropout) Parameters() []NamedParam { return nil }
