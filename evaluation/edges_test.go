package evaluation

import (
	"math"
	"testing"
)

// TestThresholdForSensitivityBounds pins the ends of the range: a
// sensitivity of 1 or more gives the lowest positive score, 0 or less the
// highest.
func TestThresholdForSensitivityBounds(t *testing.T) {
	s := []float64{0.9, 0.8, 0.7, 0.2, 0.1}
	y := bools(1, 0, 1, 1, 0) // positives score 0.9, 0.7, 0.2
	tests := []struct {
		name        string
		sensitivity float64
		want        float64
	}{
		{"1", 1, 0.2},
		{"above 1", 1.5, 0.2},
		{"2/3", 2.0 / 3, 0.7},
		{"0.34 rounds up to 2 of 3", 0.34, 0.7},
		{"0", 0, 0.9},
		{"negative", -1, 0.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ThresholdForSensitivity(s, y, tt.sensitivity); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := ThresholdForSensitivity(s, bools(0, 0, 0, 0, 0), 0.9); !math.IsNaN(got) {
		t.Errorf("no positives: %v, want NaN", got)
	}
}

// TestCalibrationCurveBins checks the bin edges, the default of 10 bins for
// n <= 0, and where values on an edge and at 1 go.
func TestCalibrationCurveBins(t *testing.T) {
	p := []float64{0, 0.25, 0.5, 0.74, 1}
	y := bools(0, 1, 0, 1, 1)
	curve := CalibrationCurve(p, y, 4)
	want := []Bin{
		{Lo: 0, Hi: 0.25, Count: 1, MeanPredicted: 0, FractionTrue: 0},
		{Lo: 0.25, Hi: 0.5, Count: 1, MeanPredicted: 0.25, FractionTrue: 1},
		{Lo: 0.5, Hi: 0.75, Count: 2, MeanPredicted: 0.62, FractionTrue: 0.5},
		{Lo: 0.75, Hi: 1, Count: 1, MeanPredicted: 1, FractionTrue: 1},
	}
	if len(curve) != len(want) {
		t.Fatalf("%d bins, want %d", len(curve), len(want))
	}
	for i, b := range curve {
		w := want[i]
		if b.Lo != w.Lo || b.Hi != w.Hi || b.Count != w.Count || math.Abs(b.MeanPredicted-w.MeanPredicted) > 1e-12 || b.FractionTrue != w.FractionTrue {
			t.Errorf("bin %d = %+v, want %+v", i, b, w)
		}
	}
	for _, n := range []int{0, -3} {
		if got := CalibrationCurve(p, y, n); len(got) != 10 || got[9].Hi != 1 || got[1].Lo != 0.1 {
			t.Errorf("n=%d: %d bins, want the default 10", n, len(got))
		}
	}
}

// TestThresholdForRateBounds: a rate of 1 or more flags every score, 0 or
// less the top one.
func TestThresholdForRateBounds(t *testing.T) {
	s := []float64{0.3, 0.9, 0.1, 0.5}
	for _, tt := range []struct {
		name       string
		rate, want float64
	}{{"1", 1, 0.1}, {"above 1", 2, 0.1}, {"negative", -0.5, 0.9}, {"half", 0.5, 0.5}} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ThresholdForRate(s, tt.rate); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := ThresholdForRate(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("no scores: %v, want NaN", got)
	}
}
