package outcome

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/galenhealth/galen/evaluation"
)

func TestTreesLearnInteraction(t *testing.T) {
	// y depends on an interaction that a linear model cannot express.
	r := rand.New(rand.NewPCG(9, 9))
	gen := func(n int) ([][]float64, []bool) {
		X := make([][]float64, n)
		y := make([]bool, n)
		for i := range X {
			X[i] = []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
			y[i] = (X[i][0] > 0) != (X[i][1] > 0)
			if r.Float64() < 0.1 {
				y[i] = !y[i]
			}
		}
		return X, y
	}
	X, y := gen(2000)
	vX, vY := gen(500)
	m, rounds, err := trainTrees(context.Background(), X, y, vX, vY, treeConfig{Rounds: 100, Rate: 0.1, Depth: 2, MinLeaf: 1, Lambda: 1, Subsample: 0.8, Bins: 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if auc := evaluation.AUROC(logits(m, vX), vY); auc < 0.85 || rounds == 0 {
		t.Errorf("validation AUROC %.3f after %d rounds; want > 0.85", auc, rounds)
	}
	if err := m.check(3); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		tree []node
	}{
		{"self loop", []node{{Feature: 0, Left: 0, Right: 0}}},
		{"child out of range", []node{{Feature: 0, Left: 1, Right: 5}, {Feature: -1}}},
		{"feature out of range", []node{{Feature: 7, Left: 1, Right: 2}, {Feature: -1}, {Feature: -1}}},
		{"empty", nil},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Trees{Nodes: [][]node{tt.tree}}).check(3)
			if err == nil || !strings.Contains(err.Error(), "trees") {
				t.Errorf("err = %v", err)
			}
		})
	}
}
