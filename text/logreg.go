package text

import (
	"context"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// LogReg is a multinomial logistic regression on sparse vectors: W is
// [classes][features] row-major, B the intercepts.
type LogReg struct {
	Classes, Features int
	W, B              []float32
}

// LogRegConfig sets the fit: C is the inverse L2 strength as in
// scikit-learn (loss = C·Σ wᵢ·CEᵢ + ½‖W‖², intercepts not penalised);
// Balanced weights each class by n / (classes · n_class).
type LogRegConfig struct {
	C          float64
	Balanced   bool
	Iterations int // L-BFGS iterations at most (0: 300)
}

// FitLogReg fits the model with L-BFGS (gonum/optimize). The objective is
// convex, so the result does not depend on a seed.
func FitLogReg(ctx context.Context, x []SparseVec, y []int, classes, features int, cfg LogRegConfig) (*LogReg, error) {
	n := len(x)
	wts := make([]float64, n)
	counts := make([]int, classes)
	for _, c := range y {
		counts[c]++
	}
	for i, c := range y {
		wts[i] = 1
		if cfg.Balanced {
			wts[i] = float64(n) / float64(classes*counts[c])
		}
	}
	np := classes*features + classes
	var lastX []float64
	var lastF float64
	lastG := make([]float64, np)
	probs := make([]float64, classes)
	eval := func(p []float64) {
		if lastX != nil && slices.Equal(lastX, p) {
			return
		}
		lastX = append(lastX[:0], p...)
		g := lastG
		clear(g)
		// scale: divide everything by C·n so numbers stay near 1
		scale := 1 / float64(n)
		var f float64
		for i, v := range x {
			for c := range classes {
				z := p[classes*features+c]
				row := p[c*features:]
				for k, j := range v.Idx {
					z += row[j] * float64(v.Val[k])
				}
				probs[c] = z
			}
			f += wts[i] * scale * softmaxNLL(probs, y[i])
			for c := range classes {
				d := wts[i] * scale * (probs[c] - b2f(c == y[i]))
				g[classes*features+c] += d
				row := g[c*features:]
				for k, j := range v.Idx {
					row[j] += d * float64(v.Val[k])
				}
			}
		}
		reg := 1 / (cfg.C * float64(n))
		for i := range classes * features {
			f += 0.5 * reg * p[i] * p[i]
			g[i] += reg * p[i]
		}
		lastF = f
	}
	prob := optimize.Problem{
		Func: func(p []float64) float64 { eval(p); return lastF },
		Grad: func(grad, p []float64) { eval(p); copy(grad, lastG) },
	}
	iters := cfg.Iterations
	if iters == 0 {
		iters = 300
	}
	settings := &optimize.Settings{MajorIterations: iters, GradientThreshold: 1e-6, Converger: &optimize.FunctionConverge{Absolute: 1e-9, Iterations: 20}}
	res, err := optimize.Minimize(prob, make([]float64, np), settings, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := &LogReg{Classes: classes, Features: features, W: make([]float32, classes*features), B: make([]float32, classes)}
	for i := range m.W {
		m.W[i] = float32(res.X[i])
	}
	for c := range classes {
		m.B[c] = float32(res.X[classes*features+c])
	}
	return m, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// softmaxNLL turns logits z into probabilities in place and returns
// -log p[y].
func softmaxNLL(z []float64, y int) float64 {
	m := slices.Max(z)
	var s float64
	for i := range z {
		z[i] = math.Exp(z[i] - m)
		s += z[i]
	}
	for i := range z {
		z[i] /= s
	}
	return -math.Log(max(z[y], 1e-300))
}

// Logits returns the class scores of one vector.
func (m *LogReg) Logits(v SparseVec) []float64 {
	z := make([]float64, m.Classes)
	for c := range m.Classes {
		s := float64(m.B[c])
		row := m.W[c*m.Features:]
		for k, j := range v.Idx {
			s += float64(row[j]) * float64(v.Val[k])
		}
		z[c] = s
	}
	return z
}
