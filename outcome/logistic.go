package outcome

import (
	"context"
	"math"

	"github.com/galenhealth/galen/evaluation"
)

// Logistic is the baseline: logistic regression on the summary features.
type Logistic struct {
	W []float64 `json:"w"`
	B float64   `json:"b"`
}

// Logit returns the model's logit for a summary feature vector.
func (m *Logistic) Logit(x []float64) float64 {
	z := m.B
	for j, w := range m.W {
		z += w * x[j]
	}
	return z
}

// trainLogistic fits weights by full-batch Adam on the mean log loss plus
// lambda/2 * |w|^2 (the bias is not penalised), for iters steps.
func trainLogistic(ctx context.Context, X [][]float64, y []bool, lambda float64, iters int) (*Logistic, error) {
	d := len(X[0])
	m := &Logistic{W: make([]float64, d)}
	mw, vw := make([]float64, d+1), make([]float64, d+1)
	g := make([]float64, d+1)
	const lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
	n := float64(len(X))
	for it := 1; it <= iters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(g)
		for i, x := range X {
			r := evaluation.Sigmoid(m.Logit(x))
			if y[i] {
				r--
			}
			for j, v := range x {
				g[j] += r * v
			}
			g[d] += r
		}
		for j := range g {
			g[j] /= n
			if j < d {
				g[j] += lambda * m.W[j]
			}
			mw[j] = b1*mw[j] + (1-b1)*g[j]
			vw[j] = b2*vw[j] + (1-b2)*g[j]*g[j]
			step := lr * (mw[j] / (1 - math.Pow(b1, float64(it)))) / (math.Sqrt(vw[j]/(1-math.Pow(b2, float64(it)))) + eps)
			if j < d {
				m.W[j] -= step
			} else {
				m.B -= step
			}
		}
	}
	return m, nil
}
