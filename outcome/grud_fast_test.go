package outcome

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/galenhealth/galen/evaluation"
)

// hiddenSizes are the GRU-D hidden sizes the fast-path tests run: below
// blas.Sgemv's 32-column panel (its portable loop), the built-in model's
// 32 (the AVX2 kernel only), and one with both.
var hiddenSizes = []int{8, 32, 40}

// randomModel returns a model with random weights (two GRU-D members of
// hidden size h) and a normaliser fitted on exampleStay.
func randomModel(tb testing.TB, h int) *Model {
	tb.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	lr := &Logistic{W: make([]float64, len(SummaryNames()))}
	for i := range lr.W {
		lr.W[i] = r.NormFloat64() * 0.1
	}
	a := artifact{Format: Format, Config: Config{}.withDefaults(), Norm: FitNormalizer([]*Stay{exampleStay()}, Config{}),
		Logistic: lr, Weights: Weights{Logistic: 0.3, GRUD: 0.5, Trees: 0.2},
		Trees: &Trees{Base: 0.1, Rate: 1, Nodes: [][]node{{{Feature: variableIndex["HR"] * len(summaryStats), Threshold: 0.5, Left: 1, Right: 2}, {Feature: -1, Value: -0.5}, {Feature: -1, Value: 0.7}}}}, CalibLR: evaluation.Platt{A: 1}, CalibGRUD: evaluation.Platt{A: 1}, Calib: evaluation.Platt{A: 1.2, B: -0.3},
		Threshold: 0.3, LowCut: 0.1}
	for k := range 2 {
		g := NewGRUD(len(variables), h, len(StaticNames), uint64(k+1))
		for _, p := range g.Parameters() { // larger weights exercise the decays
			for i := range p.Tensor.Data {
				p.Tensor.Data[i] *= 3
			}
		}
		a.GRUD = append(a.GRUD, g)
	}
	m, err := newModel(a)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// tapeRisk is the reference: the combined risk through the nn tape forward
// pass on an explicitly occluded stay.
func tapeRisk(m *Model, c *cleaned, skip int, skipDesc string) float64 {
	x := m.a.Norm.summary(c, skip, skipDesc)
	zl := m.a.Logistic.Logit(x)
	zt := 0.0
	if m.a.Trees != nil {
		zt = m.a.Trees.Logit(x)
	}
	zg := m.a.GRUD.logits([]*Series{m.a.Norm.series(c, m.a.Config, skip, skipDesc)})[0]
	w := m.a.Weights
	return m.a.Calib.Apply(w.Logistic*zl + w.GRUD*zg + w.Trees*zt)
}

// TestFastMatchesTape checks the tape-free risk against the nn tape forward
// pass, and that the descriptor-only occlusions (exact) match too.
func TestFastMatchesTape(t *testing.T) {
	for _, h := range hiddenSizes {
		t.Run(fmt.Sprintf("H=%d", h), func(t *testing.T) { testFastMatchesTape(t, randomModel(t, h)) })
	}
}

func testFastMatchesTape(t *testing.T, m *Model) {
	s := exampleStay()
	s.Observations = append(s.Observations, Observation{47 * 60, "pH", 7.2}, Observation{47 * 60, "Weight", 71})
	c := clean(s, m.a.Config)
	risk, _, _, contribs := m.scores(&c, true)
	base := tapeRisk(m, &c, -1, "")
	if math.Abs(base-risk) > 1e-5 {
		t.Fatalf("fast risk %v, tape %v", risk, base)
	}
	if len(contribs) != 10+3 { // Weight once, as variable and descriptor
		t.Fatalf("%d contributions", len(contribs))
	}
	for _, ct := range contribs {
		if _, isVar := variableIndex[ct.Variable]; isVar {
			continue // linearised; see TestLinearisedOcclusion
		}
		if want := base - tapeRisk(m, &c, -1, ct.Variable); math.Abs(ct.Contribution-want) > 1e-5 {
			t.Errorf("%s: fast %v, tape %v", ct.Variable, ct.Contribution, want)
		}
	}
	rs, err := m.Risks(context.Background(), []*Stay{s})
	if err != nil || math.Abs(rs[0]-risk) > 1e-5 {
		t.Errorf("Risks %v (%v), want %v", rs, err, risk)
	}
}

// TestFastGradients checks the hand-written backward pass against central
// finite differences of the forward pass. The forward pass runs in float32,
// so the step is large and the loss is perturbed well above its rounding.
func TestFastGradients(t *testing.T) {
	for _, h := range hiddenSizes {
		t.Run(fmt.Sprintf("H=%d", h), func(t *testing.T) { testFastGradients(t, randomModel(t, h)) })
	}
}

func testFastGradients(t *testing.T, m *Model) {
	f := m.fast[0]
	c := clean(exampleStay(), m.a.Config)
	in := f.inputs(m.a.Norm.series(&c, m.a.Config, -1, ""), nil)
	loss := func() float64 {
		h, _ := f.forward(in, false, nil)
		return f.output(h, make([]float64, f.S)) - f.bout
	}
	_, tr := f.forward(in, true, nil)
	gxh, gd := f.backward(in, tr, nil)
	r := rand.New(rand.NewPCG(1, 1))
	const eps = 1e-2
	var worst float64
	check := func(name string, p *float32, g float32) {
		t.Helper()
		old := *p
		*p = old + eps
		up := loss()
		*p = old - eps
		down := loss()
		*p = old
		num := (up - down) / (2 * eps)
		err := math.Abs(num - float64(g))
		worst = max(worst, err/(1e-3+math.Abs(num)))
		if err > 1e-3+2e-2*math.Abs(num) {
			t.Errorf("%s: backward %v, finite difference %v", name, g, num)
		}
	}
	// A step of δ moves the hidden decay's pre-activations by eps·Wγh; where
	// one of them crosses 0 (the kink of max(0, ·)) central differences do
	// not estimate the gradient, so such probes are skipped.
	nearKink := func(k int) bool {
		t0, v := k/f.F, k%f.F
		for j := range f.H {
			if math.Abs(float64(tr.pre[t0*f.H+j])) <= eps*math.Abs(float64(f.wgh[j*f.F+v]))*1.01 {
				return true
			}
		}
		return false
	}
	skipped := 0
	for range 100 {
		k := r.IntN(len(in.xh))
		check("xh", &in.xh[k], gxh[k])
		k = r.IntN(len(in.d))
		if nearKink(k) {
			skipped++
			continue
		}
		check("delta", &in.d[k], gd[k])
	}
	if skipped > 50 {
		t.Errorf("%d of 100 δ probes near the kink: the check covers too little", skipped)
	}
	t.Logf("worst relative error %.2g; %d δ probes skipped at the kink", worst, skipped)
}
