package outcome

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/galenhealth/galen/evaluation"
)

// randomModel returns a model with random weights (two GRU-D members) and a
// normaliser fitted on exampleStay.
func randomModel(tb testing.TB) *Model {
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
		g := NewGRUD(len(variables), 8, len(StaticNames), uint64(k+1))
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

// TestFastMatchesTape checks the tape-free path and its occlusion shortcut
// against the nn tape forward pass on explicitly occluded series.
func TestFastMatchesTape(t *testing.T) {
	m := randomModel(t)
	s := exampleStay()
	s.Observations = append(s.Observations, Observation{47 * 60, "pH", 7.2}, Observation{47 * 60, "Weight", 71})
	c := clean(s, m.a.Config)
	risk, _, _, contribs := m.scores(&c, true)
	tapeRisk := func(skip int, skipDesc string) float64 {
		x := m.a.Norm.summary(&c, skip, skipDesc)
		zl, zt := m.a.Logistic.Logit(x), m.a.Trees.Logit(x)
		zg := m.a.GRUD.logits([]*Series{m.a.Norm.series(&c, m.a.Config, skip, skipDesc)})[0]
		w := m.a.Weights
		return m.a.Calib.Apply(w.Logistic*zl + w.GRUD*zg + w.Trees*zt)
	}
	base := tapeRisk(-1, "")
	if math.Abs(base-risk) > 1e-5 {
		t.Fatalf("fast risk %v, tape %v", risk, base)
	}
	if len(contribs) != 10+3 { // Weight once, as variable and descriptor
		t.Fatalf("%d contributions", len(contribs))
	}
	for _, ct := range contribs {
		skip, desc := -1, ""
		if i, ok := variableIndex[ct.Variable]; ok {
			skip = i
		}
		if _, ok := descriptorRanges[ct.Variable]; ok {
			desc = ct.Variable
		}
		want := base - tapeRisk(skip, desc)
		if math.Abs(ct.Contribution-want) > 1e-5 {
			t.Errorf("%s: fast %v, tape %v", ct.Variable, ct.Contribution, want)
		}
	}
	rs, err := m.Risks(context.Background(), []*Stay{s})
	if err != nil || math.Abs(rs[0]-risk) > 1e-5 {
		t.Errorf("Risks %v (%v), want %v", rs, err, risk)
	}
}
