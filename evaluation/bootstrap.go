package evaluation

import (
	"math"
	"math/rand/v2"
	"sort"
)

// BootstrapCI returns the percentile bootstrap interval [lo, hi] of
// metric(scores, labels) at the given level (e.g. 0.95), from n resamples
// of the cases with replacement drawn by a PCG generator seeded by seed.
// Resamples where the metric is NaN (one class only) are skipped.
func BootstrapCI(scores []float64, labels []bool, metric func([]float64, []bool) float64, n int, level float64, seed uint64) (lo, hi float64) {
	checkLen(scores, labels)
	if len(scores) == 0 || n <= 0 {
		return math.NaN(), math.NaN()
	}
	r := rand.New(rand.NewPCG(seed, 0xb007))
	s := make([]float64, len(scores))
	y := make([]bool, len(labels))
	vals := make([]float64, 0, n)
	for range n {
		for i := range s {
			k := r.IntN(len(scores))
			s[i], y[i] = scores[k], labels[k]
		}
		if v := metric(s, y); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(vals)
	q := func(p float64) float64 {
		i := int(math.Round(p * float64(len(vals)-1)))
		return vals[max(0, min(i, len(vals)-1))]
	}
	a := (1 - level) / 2
	return q(a), q(1 - a)
}
