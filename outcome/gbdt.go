package outcome

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/galenhealth/galen/evaluation"
)

// Trees is a gradient-boosted tree ensemble on the summary features
// (logistic loss, second-order leaf values with an L2 penalty, histogram
// splits on training quantiles, row subsampling), an optional third member
// of the combined model.
type Trees struct {
	Base  float64  `json:"base"`
	Rate  float64  `json:"rate"`
	Nodes [][]node `json:"trees"`
}

// node is one tree node: an inner node sends x[Feature] <= Threshold left;
// a leaf (Feature < 0) holds Value.
type node struct {
	Feature   int     `json:"f"`
	Threshold float64 `json:"t,omitempty"`
	Left      int     `json:"l,omitempty"`
	Right     int     `json:"r,omitempty"`
	Value     float64 `json:"v,omitempty"`
}

// Logit returns the ensemble's logit for a summary feature vector.
func (m *Trees) Logit(x []float64) float64 {
	z := m.Base
	for _, tree := range m.Nodes {
		i := 0
		for tree[i].Feature >= 0 {
			if x[tree[i].Feature] <= tree[i].Threshold {
				i = tree[i].Left
			} else {
				i = tree[i].Right
			}
		}
		z += m.Rate * tree[i].Value
	}
	return z
}

func (m *Trees) check(d int) error {
	if len(m.Nodes) > MaxTrees {
		return fmt.Errorf("trees.trees has %d trees, over the limit of %d", len(m.Nodes), MaxTrees)
	}
	if !finite(m.Base) || !finite(m.Rate) {
		return fmt.Errorf("trees.base and trees.rate must be finite")
	}
	for t, tree := range m.Nodes {
		if len(tree) == 0 || len(tree) > MaxTreeNodes {
			return fmt.Errorf("trees.trees[%d] has %d nodes, want 1 to %d", t, len(tree), MaxTreeNodes)
		}
		for i, n := range tree {
			if n.Feature >= d || !finite(n.Threshold) || !finite(n.Value) {
				return fmt.Errorf("trees.trees[%d][%d]: feature over %d or a value that is not finite", t, i, d-1)
			}
			// Children come after their parent, so every walk ends.
			if n.Feature >= 0 && (n.Left <= i || n.Right <= i || n.Left >= len(tree) || n.Right >= len(tree)) {
				return fmt.Errorf("trees.trees[%d][%d]: children must come after their parent, within the tree", t, i)
			}
		}
		if depth := treeDepth(tree); depth > MaxTreeDepth {
			return fmt.Errorf("trees.trees[%d] is %d deep, over the limit of %d", t, depth, MaxTreeDepth)
		}
	}
	return nil
}

type treeConfig struct {
	Rounds    int
	Rate      float64
	Depth     int
	MinLeaf   float64 // minimum hessian sum in a leaf
	Lambda    float64
	Subsample float64
	Bins      int
}

// trainTrees boosts trees on (X, y), keeping the number of rounds with the
// best validation AUROC (checked every 10 rounds).
func trainTrees(ctx context.Context, X [][]float64, y []bool, vaX [][]float64, vaY []bool, tc treeConfig, seed uint64) (*Trees, int, error) {
	n, d := len(X), len(X[0])
	// Candidate thresholds: training quantiles of each feature.
	edges := make([][]float64, d)
	col := make([]float64, n)
	for f := range d {
		for i := range X {
			col[i] = X[i][f]
		}
		s := slices.Clone(col)
		slices.Sort(s)
		var e []float64
		for b := 1; b < tc.Bins; b++ {
			v := s[b*(n-1)/tc.Bins]
			if len(e) == 0 || v > e[len(e)-1] {
				e = append(e, v)
			}
		}
		if len(e) > 0 && e[len(e)-1] >= s[n-1] {
			e = e[:len(e)-1]
		}
		edges[f] = e
	}
	// bin[i][f] = number of edges below X[i][f]: x <= edges[b] iff bin <= b.
	bin := make([][]uint8, n)
	for i, x := range X {
		bin[i] = make([]uint8, d)
		for f, v := range x {
			b, _ := slices.BinarySearch(edges[f], v)
			bin[i][f] = uint8(b)
		}
	}
	pos := float64(countDeaths(y))
	m := &Trees{Base: math.Log(pos / (float64(n) - pos)), Rate: tc.Rate}
	z := make([]float64, n)
	for i := range z {
		z[i] = m.Base
	}
	vaZ := make([]float64, len(vaX))
	for i := range vaZ {
		vaZ[i] = m.Base
	}
	g, h := make([]float64, n), make([]float64, n)
	rng := newRand(seed)
	bestAUC, bestRounds := -1.0, 0
	for round := 1; round <= tc.Rounds; round++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		var rows []int
		for i := range n {
			p := evaluation.Sigmoid(z[i])
			t := 0.0
			if y[i] {
				t = 1
			}
			g[i], h[i] = p-t, p*(1-p)
			if rng.Float64() < tc.Subsample {
				rows = append(rows, i)
			}
		}
		tree := []node{{Feature: -1}}
		growTree(&tree, 0, rows, bin, edges, g, h, tc, 0)
		m.Nodes = append(m.Nodes, tree)
		last := &Trees{Rate: tc.Rate, Nodes: [][]node{tree}}
		for i, x := range X {
			z[i] += last.Logit(x)
		}
		for i, x := range vaX {
			vaZ[i] += last.Logit(x)
		}
		if round%10 == 0 {
			if auc := evaluation.AUROC(vaZ, vaY); auc > bestAUC {
				bestAUC, bestRounds = auc, round
			}
		}
	}
	m.Nodes = m.Nodes[:max(bestRounds, 1)]
	return m, bestRounds, nil
}

// growTree splits tree[at] on rows if the best histogram split gains, and
// recurses; otherwise it sets the leaf value -G/(H+lambda).
func growTree(tree *[]node, at int, rows []int, bin [][]uint8, edges [][]float64, g, h []float64, tc treeConfig, depth int) {
	var G, H float64
	for _, i := range rows {
		G += g[i]
		H += h[i]
	}
	leaf := func() { (*tree)[at] = node{Feature: -1, Value: -G / (H + tc.Lambda)} }
	if depth >= tc.Depth || H < 2*tc.MinLeaf {
		leaf()
		return
	}
	parent := G * G / (H + tc.Lambda)
	bestGain, bestF, bestB := 1e-9, -1, 0
	d := len(edges)
	hg := make([]float64, tc.Bins+1)
	hh := make([]float64, tc.Bins+1)
	for f := range d {
		nb := len(edges[f])
		if nb == 0 {
			continue
		}
		clear(hg[:nb+1])
		clear(hh[:nb+1])
		for _, i := range rows {
			b := bin[i][f]
			hg[b] += g[i]
			hh[b] += h[i]
		}
		var gl, hl float64
		for b := range nb {
			gl += hg[b]
			hl += hh[b]
			gr, hr := G-gl, H-hl
			if hl < tc.MinLeaf || hr < tc.MinLeaf {
				continue
			}
			if gain := gl*gl/(hl+tc.Lambda) + gr*gr/(hr+tc.Lambda) - parent; gain > bestGain {
				bestGain, bestF, bestB = gain, f, b
			}
		}
	}
	if bestF < 0 {
		leaf()
		return
	}
	var left, right []int
	for _, i := range rows {
		if int(bin[i][bestF]) <= bestB {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := len(*tree)
	*tree = append(*tree, node{Feature: -1}, node{Feature: -1})
	(*tree)[at] = node{Feature: bestF, Threshold: edges[bestF][bestB], Left: l, Right: l + 1}
	growTree(tree, l, left, bin, edges, g, h, tc, depth+1)
	growTree(tree, l+1, right, bin, edges, g, h, tc, depth+1)
}
