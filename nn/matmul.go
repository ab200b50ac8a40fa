package nn

import (
	"slices"

	"github.com/galenhealth/galen/nn/blas"
)

// MatMul returns a @ b for a of shape [..., m, k] and b of shape [k, n]: the
// leading axes of a are folded into rows. Result shape [..., m, n].
func (tp *Tape) MatMul(a, b *Tensor) *Tensor {
	if len(a.Shape) < 1 || len(b.Shape) != 2 || a.Shape[len(a.Shape)-1] != b.Shape[0] {
		shapeErr("MatMul", "shapes %v and %v do not multiply", a.Shape, b.Shape)
	}
	k, n := b.Shape[0], b.Shape[1]
	m := numel(a.Shape[:len(a.Shape)-1])
	shape := append(slices.Clone(a.Shape[:len(a.Shape)-1]), n)
	out := tp.newTensor(shape, false, a, b)
	blas.Sgemm(false, false, m, n, k, 1, a.Data, k, b.Data, n, 0, out.Data, n)
	if out.requiresGrad {
		tp.recordOp(out, func() {
			if a.requiresGrad {
				blas.Sgemm(false, true, m, k, n, 1, out.Grad, n, b.Data, n, 1, tp.grad(a), k)
			}
			if b.requiresGrad {
				blas.Sgemm(true, false, k, n, m, 1, a.Data, k, out.Grad, n, 1, tp.grad(b), n)
			}
		})
	}
	return out
}

// Linear returns x @ wᵀ + bias for x of shape [..., in], w of shape
// [out, in] (PyTorch's layout) and bias of shape [out] or nil.
func (tp *Tape) Linear(x, w, bias *Tensor) *Tensor {
	if len(x.Shape) < 1 || len(w.Shape) != 2 || x.Shape[len(x.Shape)-1] != w.Shape[1] {
		shapeErr("Linear", "input %v does not fit weight %v", x.Shape, w.Shape)
	}
	nout, nin := w.Shape[0], w.Shape[1]
	if bias != nil && (len(bias.Shape) != 1 || bias.Shape[0] != nout) {
		shapeErr("Linear", "bias %v does not fit weight %v", bias.Shape, w.Shape)
	}
	m := numel(x.Shape[:len(x.Shape)-1])
	shape := append(slices.Clone(x.Shape[:len(x.Shape)-1]), nout)
	out := tp.newTensor(shape, false, x, w, bias)
	beta := float32(0)
	if bias != nil {
		for r := range m {
			copy(out.Data[r*nout:(r+1)*nout], bias.Data)
		}
		beta = 1
	}
	blas.Sgemm(false, true, m, nout, nin, 1, x.Data, nin, w.Data, nin, beta, out.Data, nout)
	if out.requiresGrad {
		tp.recordOp(out, func() {
			g := out.Grad
			if x.requiresGrad {
				blas.Sgemm(false, false, m, nin, nout, 1, g, nout, w.Data, nin, 1, tp.grad(x), nin)
			}
			if w.requiresGrad {
				blas.Sgemm(true, false, nout, nin, m, 1, g, nout, x.Data, nin, 1, tp.grad(w), nin)
			}
			if bias != nil && bias.requiresGrad {
				sumRows(tp.grad(bias), g, m, nout)
			}
		})
	}
	return out
}

// sumRows adds the m rows of the m×n matrix g into dst.
func sumRows(dst, g []float32, m, n int) {
	for r := range m {
		row := g[r*n : (r+1)*n]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// BatchMatMul returns op(a) @ op(b) for every index of the leading axes,
// where op transposes the last two axes when the flag is set. a and b must
// have the same leading axes: a [..., m, k] (or [..., k, m] with transA),
// b [..., k, n] (or [..., n, k] with transB). Result [..., m, n].
func (tp *Tape) BatchMatMul(a, b *Tensor, transA, transB bool) *Tensor {
	ra, rb := len(a.Shape), len(b.Shape)
	if ra < 2 || ra != rb || !slices.Equal(a.Shape[:ra-2], b.Shape[:rb-2]) {
		shapeErr("BatchMatMul", "shapes %v and %v have different batch axes", a.Shape, b.Shape)
	}
	m, k := a.Shape[ra-2], a.Shape[ra-1]
	if transA {
		m, k = k, m
	}
	kb, n := b.Shape[rb-2], b.Shape[rb-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		shapeErr("BatchMatMul", "shapes %v and %v (transA %v, transB %v) do not multiply", a.Shape, b.Shape, transA, transB)
	}
	batch := numel(a.Shape[:ra-2])
	shape := append(slices.Clone(a.Shape[:ra-2]), m, n)
	out := tp.newTensor(shape, false, a, b)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	sa, sb, sc := m*k, k*n, m*n
	parallelFor(batch, 2*m*n*k, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			blas.Sgemm(transA, transB, m, n, k, 1, a.Data[i*sa:(i+1)*sa], lda, b.Data[i*sb:(i+1)*sb], ldb, 0, out.Data[i*sc:(i+1)*sc], n)
		}
	})
	if out.requiresGrad {
		tp.recordOp(out, func() {
			var ga, gb []float32
			if a.requiresGrad {
				ga = tp.grad(a)
			}
			if b.requiresGrad {
				gb = tp.grad(b)
			}
			parallelFor(batch, 4*m*n*k, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					dc := out.Grad[i*sc : (i+1)*sc]
					A, B := a.Data[i*sa:(i+1)*sa], b.Data[i*sb:(i+1)*sb]
					if ga != nil {
						dA := ga[i*sa : (i+1)*sa]
						if !transA { // dA[m,k] = dC op(B)ᵀ
							blas.Sgemm(false, !transB, m, k, n, 1, dc, n, B, ldb, 1, dA, k)
						} else { // dA[k,m] = op(B) dCᵀ
							blas.Sgemm(transB, true, k, m, n, 1, B, ldb, dc, n, 1, dA, m)
						}
					}
					if gb != nil {
						dB := gb[i*sb : (i+1)*sb]
						if !transB { // dB[k,n] = op(A)ᵀ dC
							blas.Sgemm(!transA, false, k, n, m, 1, A, lda, dc, n, 1, dB, n)
						} else { // dB[n,k] = dCᵀ op(A)
							blas.Sgemm(true, transA, n, k, m, 1, dc, n, A, lda, 1, dB, k)
						}
					}
				}
			})
		})
	}
	return out
}
