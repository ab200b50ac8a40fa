package nn

import (
	"math"
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
	m := newDropMask(tp, p)
	n := len(x.Data)
	blocks := (n + dropBlock - 1) / dropBlock
	parallelFor(blocks, 3*dropBlock, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			a, b := blk*dropBlock, min((blk+1)*dropBlock, n)
			m.apply(uint64(blk), out.Data[a:b], x.Data[a:b], false)
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			parallelFor(blocks, 3*dropBlock, func(lo, hi int) {
				for blk := lo; blk < hi; blk++ {
					a, b := blk*dropBlock, min((blk+1)*dropBlock, n)
					m.apply(uint64(blk), gx[a:b], out.Grad[a:b], true)
				}
			})
		})
	}
	return out
}

// dropMask is a dropout mask that is never stored: block i of it is drawn
// from PCG(seed, i), so the backward pass draws it again, blocks run in
// parallel, and masks do not depend on the number of cores.
type dropMask struct {
	seed   uint64
	thresh uint64 // drop when a 16-bit draw is below
	scale  uint32 // bits of 1/(1-p)
}

func newDropMask(tp *Tape, p float32) dropMask {
	return dropMask{seed: tp.rng.Uint64(), thresh: uint64(float64(p) * 65536), scale: math.Float32bits(1 / (1 - p))}
}

// k returns the mask value for the low 16 bits of r: 0 or 1/(1-p),
// without a branch.
func (m dropMask) k(r uint64) float32 {
	keep := 1 ^ ((r&0xffff - m.thresh) >> 63)
	return math.Float32frombits(m.scale & uint32(-keep))
}

// apply sets dst = src·mask (or adds it, with acc) for mask block blk.
// Every 64-bit draw gives the mask of four elements.
func (m dropMask) apply(blk uint64, dst, src []float32, acc bool) {
	rng := rand.NewPCG(m.seed, blk)
	src = src[:len(dst)]
	n4 := len(dst) &^ 3
	for i := 0; i < n4; i += 4 {
		r := rng.Uint64()
		d, s := dst[i:i+4:i+4], src[i:i+4:i+4]
		k0, k1, k2, k3 := m.k(r), m.k(r>>16), m.k(r>>32), m.k(r>>48)
		if acc {
			d[0] += s[0] * k0
			d[1] += s[1] * k1
			d[2] += s[2] * k2
			d[3] += s[3] * k3
		} else {
			d[0], d[1], d[2], d[3] = s[0]*k0, s[1]*k1, s[2]*k2, s[3]*k3
		}
	}
	if n4 < len(dst) {
		r := rng.Uint64()
		for j := n4; j < len(dst); j++ {
			if acc {
				dst[j] += src[j] * m.k(r)
			} else {
				dst[j] = src[j] * m.k(r)
			}
			r >>= 16
		}
	}
}

// Dropout is PyTorch's nn.Dropout; it has no parameters.
type Dropout struct{ P float32 }

// Forward applies dropout when tp is training.
func (d Dropout) Forward(tp *Tape, x *Tensor) *Tensor { return tp.Dropout(x, d.P) }

// Parameters returns nil: dropout has no parameters.
func (d Dropout) Parameters() []NamedParam { return nil }
