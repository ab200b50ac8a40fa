package evaluation

import (
	"math"
	"testing"
)

// TestConfusionAt counts every cell of the confusion matrix by hand, and
// the rates from them.
func TestConfusionAt(t *testing.T) {
	s := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3}
	y := bools(1, 0, 1, 0, 0, 1, 0)
	nan := math.NaN()
	tests := []struct {
		name            string
		scores          []float64
		labels          []bool
		threshold       float64
		want            Confusion
		sens, spec, ppv float64
	}{
		// >= 0.6: .9(1) .8(0) .7(1) .6(0) positive; .5(0) .4(1) .3(0) negative
		{name: "0.6", scores: s, labels: y, threshold: 0.6, want: Confusion{TP: 2, FP: 2, TN: 2, FN: 1}, sens: 2.0 / 3, spec: 0.5, ppv: 0.5},
		{name: "all positive", scores: s, labels: y, threshold: 0, want: Confusion{TP: 3, FP: 4}, sens: 1, spec: 0, ppv: 3.0 / 7},
		{name: "none positive", scores: s, labels: y, threshold: 1, want: Confusion{TN: 4, FN: 3}, sens: 0, spec: 1, ppv: 0},
		{name: "no positives", scores: []float64{0.2, 0.7}, labels: bools(0, 0), threshold: 0.5, want: Confusion{FP: 1, TN: 1}, sens: nan, spec: 0.5, ppv: 0},
		{name: "no negatives", scores: []float64{0.2, 0.7}, labels: bools(1, 1), threshold: 0.5, want: Confusion{TP: 1, FN: 1}, sens: 0.5, spec: nan, ppv: 1},
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ConfusionAt(tt.scores, tt.labels, tt.threshold)
			if c != tt.want {
				t.Fatalf("ConfusionAt = %+v, want %+v", c, tt.want)
			}
			if !same(c.Sensitivity(), tt.sens) || !same(c.Specificity(), tt.spec) || !same(c.PPV(), tt.ppv) {
				t.Errorf("sensitivity %v specificity %v PPV %v, want %v %v %v", c.Sensitivity(), c.Specificity(), c.PPV(), tt.sens, tt.spec, tt.ppv)
			}
		})
	}
}
