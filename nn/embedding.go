package nn

import (
	"math/rand/v2"
	"slices"
)

// Embedding returns the rows of table [V, D] picked by ids, shaped
// [shape..., D] (shape defaults to [len(ids)]). The gradient is added back
// into the picked rows. An id outside [0, V) is a ShapeError.
func (tp *Tape) Embedding(table *Tensor, ids []int, shape ...int) *Tensor {
	if len(table.Shape) != 2 {
		shapeErr("Embedding", "table shape %v, want [vocab, dim]", table.Shape)
	}
	v, d := table.Shape[0], table.Shape[1]
	if len(shape) == 0 {
		shape = []int{len(ids)}
	}
	if numel(shape) != len(ids) {
		shapeErr("Embedding", "%d ids for shape %v", len(ids), shape)
	}
	for i, id := range ids {
		if id < 0 || id >= v {
			shapeErr("Embedding", "id %d at position %d outside vocabulary of %d", id, i, v)
		}
	}
	out := tp.newTensor(append(slices.Clone(shape), d), false, table)
	for i, id := range ids {
		copy(out.Data[i*d:(i+1)*d], table.Data[id*d:(id+1)*d])
	}
	if out.requiresGrad {
		tp.recordOp(out, func() {
			g := tp.grad(table)
			for i, id := range ids {
				dst, src := g[id*d:(id+1)*d], out.Grad[i*d:(i+1)*d]
				for j, x := range src {
					dst[j] += x
				}
			}
		})
	}
	return out
}

// MaskedFill returns x with value wherever mask (broadcast to x's shape) is
// non-zero; no gradient flows through the filled places.
func (tp *Tape) MaskedFill(x, mask *Tensor, value float32) *Tensor {
	p := broadcastPlan("MaskedFill", x.Shape, mask.Shape)
	if !slices.Equal(p.shape, x.Shape) {
		shapeErr("MaskedFill", "mask %v does not broadcast to %v", mask.Shape, x.Shape)
	}
	out := tp.newTensor(slices.Clone(x.Shape), false, x)
	last := len(p.dims) - 1
	n, sm := p.dims[last], p.sb[last]
	p.rows(func(o, ix, im int) {
		for j := range n {
			if mask.Data[im+j*sm] != 0 {
				out.Data[o+j] = value
			} else {
				out.Data[o+j] = x.Data[ix+j]
			}
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(x)
			p.rows(func(o, ix, im int) {
				for j := range n {
					if mask.Data[im+j*sm] == 0 {
						gx[ix+j] += out.Grad[o+j]
					}
				}
			})
		})
	}
	return out
}

// Embedding is PyTorch's nn.Embedding: parameter "weight" [V, D],
// initialised N(0, 1).
type Embedding struct {
	Weight *Tensor
}

// NewEmbedding returns an embedding table of vocab rows of size dim.
func NewEmbedding(vocab, dim int, rng *rand.Rand) *Embedding {
	e := &Embedding{Weight: NewParam(vocab, dim)}
	FillNormal(e.Weight, rng, 0, 1)
	return e
}

// Forward looks up ids, giving [shape..., D].
func (e *Embedding) Forward(tp *Tape, ids []int, shape ...int) *Tensor {
	return tp.Embedding(e.Weight, ids, shape...)
}

// Parameters returns "weight".
func (e *Embedding) Parameters() []NamedParam { return []NamedParam{{"weight", e.Weight}} }
