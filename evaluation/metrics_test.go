package evaluation

import (
	"math"
	"math/rand/v2"
	"testing"
)

func bools(xs ...int) []bool {
	out := make([]bool, len(xs))
	for i, x := range xs {
		out[i] = x == 1
	}
	return out
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol || (math.IsNaN(a) && math.IsNaN(b)) }

func TestAUROCAndAP(t *testing.T) {
	tests := []struct {
		name      string
		scores    []float64
		labels    []bool
		auroc, ap float64
	}{
		// scikit-learn's documented examples: roc_auc_score 0.75, average_precision_score 0.8333.
		{name: "sklearn doc example", scores: []float64{0.1, 0.4, 0.35, 0.8}, labels: bools(0, 0, 1, 1), auroc: 0.75, ap: 5.0 / 6},
		{name: "perfect", scores: []float64{0.1, 0.2, 0.8, 0.9}, labels: bools(0, 0, 1, 1), auroc: 1, ap: 1},
		{name: "reversed", scores: []float64{0.9, 0.8, 0.2, 0.1}, labels: bools(0, 0, 1, 1), auroc: 0, ap: 0.5*(1.0/3) + 0.5*0.5},
		{name: "all tied", scores: []float64{0.5, 0.5, 0.5, 0.5}, labels: bools(1, 0, 0, 1), auroc: 0.5, ap: 0.5},
		// pairs (pos,neg): (.5,.2)=1 (.5,.5)=.5 (.9,.2)=1 (.9,.5)=1 -> 3.5/4
		{name: "one tie", scores: []float64{0.2, 0.5, 0.5, 0.9}, labels: bools(0, 1, 0, 1), auroc: 0.875, ap: 0.5*1 + 0.5*2.0/3},
		// threshold .5: R=.5 P=.5; threshold .1: R=1 P=2/3
		{name: "tied top", scores: []float64{0.5, 0.5, 0.1}, labels: bools(1, 0, 1), auroc: 0.25, ap: 0.25 + 0.5*2.0/3},
		{name: "one class", scores: []float64{0.5, 0.6}, labels: bools(1, 1), auroc: math.NaN(), ap: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AUROC(tt.scores, tt.labels); !near(got, tt.auroc, 1e-12) {
				t.Errorf("AUROC = %v, want %v", got, tt.auroc)
			}
			if got := AveragePrecision(tt.scores, tt.labels); !near(got, tt.ap, 1e-12) {
				t.Errorf("AP = %v, want %v", got, tt.ap)
			}
		})
	}
}

// bruteAUROC compares every positive with every negative.
func bruteAUROC(s []float64, y []bool) float64 {
	var sum, n float64
	for i := range s {
		for j := range s {
			if y[i] && !y[j] {
				n++
				switch {
				case s[i] > s[j]:
					sum++
				case s[i] == s[j]:
					sum += 0.5
				}
			}
		}
	}
	return sum / n
}

// bruteAP evaluates precision and recall at every distinct threshold.
func bruteAP(s []float64, y []bool) float64 {
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	seen := map[float64]bool{}
	var ts []float64
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			ts = append(ts, v)
		}
	}
	// descending thresholds
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if ts[j] > ts[i] {
				ts[i], ts[j] = ts[j], ts[i]
			}
		}
	}
	var ap, prev float64
	for _, th := range ts {
		c := ConfusionAt(s, y, th)
		r := float64(c.TP) / float64(pos)
		ap += (r - prev) * float64(c.TP) / float64(c.TP+c.FP)
		prev = r
	}
	return ap
}

func TestAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 2 + r.IntN(60)
		s := make([]float64, n)
		y := make([]bool, n)
		for i := range s {
			s[i] = float64(r.IntN(8)) / 8 // many ties
			y[i] = r.Float64() < 0.3
		}
		y[0], y[1] = true, false
		if a, b := AUROC(s, y), bruteAUROC(s, y); !near(a, b, 1e-12) {
			t.Fatalf("trial %d: AUROC %v, brute %v", trial, a, b)
		}
		if a, b := AveragePrecision(s, y), bruteAP(s, y); !near(a, b, 1e-12) {
			t.Fatalf("trial %d: AP %v, brute %v", trial, a, b)
		}
		th, best := BestEvent1Threshold(s, y)
		if got := Event1(s, y, th); !near(got, best, 1e-12) {
			t.Fatalf("trial %d: Event1 at best threshold %v, reported %v", trial, got, best)
		}
		for _, cand := range s {
			if e := Event1(s, y, cand); e > best+1e-12 {
				t.Fatalf("trial %d: threshold %v gives %v > best %v", trial, cand, e, best)
			}
		}
	}
}

func TestEvent1(t *testing.T) {
	s := []float64{0.9, 0.8, 0.7, 0.3, 0.2}
	y := bools(1, 0, 1, 0, 1)
	tests := []struct {
		name      string
		threshold float64
		want      float64
	}{
		{name: "0.7", threshold: 0.7, want: 2.0 / 3},   // TP2 FP1 FN1
		{name: "0.8", threshold: 0.8, want: 1.0 / 3},   // TP1 FP1 FN2
		{name: "0.2", threshold: 0.2, want: 0.6},       // Se 1, PPV 3/5
		{name: "above all", threshold: 1, want: 0},     // nothing called positive
		{name: "0.25", threshold: 0.25, want: 2.0 / 4}, // Se 2/3, PPV 2/4
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Event1(s, y, tt.threshold); !near(got, tt.want, 1e-12) {
				t.Errorf("Event1 = %v, want %v", got, tt.want)
			}
		})
	}
	th, best := BestEvent1Threshold(s, y)
	if th != 0.7 || !near(best, 2.0/3, 1e-12) {
		t.Errorf("best = %v at %v, want 2/3 at 0.7", best, th)
	}
	if got := ThresholdForSensitivity(s, y, 0.9); got != 0.2 {
		t.Errorf("ThresholdForSensitivity(0.9) = %v, want 0.2", got)
	}
	if got := ThresholdForSensitivity(s, y, 0.6); got != 0.7 {
		t.Errorf("ThresholdForSensitivity(0.6) = %v, want 0.7", got)
	}
}

func TestCalibrationMetrics(t *testing.T) {
	if got := Brier([]float64{0.9, 0.2}, bools(1, 0)); !near(got, 0.025, 1e-12) {
		t.Errorf("Brier = %v, want 0.025", got)
	}
	p := []float64{0.05, 0.15, 0.95, 0.95, 1.0}
	y := bools(0, 1, 1, 0, 1)
	// bins: [0,.1) .05 vs 0; [.1,.2) .15 vs 1; [.9,1] mean .9667 vs 2/3
	want := (0.05 + 0.85 + 3*math.Abs(2.9/3-2.0/3)) / 5
	if got := ECE(p, y, 10); !near(got, want, 1e-12) {
		t.Errorf("ECE = %v, want %v", got, want)
	}
	curve := CalibrationCurve(p, y, 10)
	if len(curve) != 10 || curve[9].Count != 3 || curve[5].Count != 0 || !math.IsNaN(curve[5].MeanPredicted) {
		t.Errorf("curve = %+v", curve)
	}
	if got := ECE([]float64{0.3, 0.3, 0.3, 0.7, 0.7}, bools(1, 0, 0, 1, 0), 10); !near(got, (3*(1.0/3-0.3)+2*(0.7-0.5))/5, 1e-12) {
		t.Errorf("ECE = %v", got)
	}
}

func TestFitPlatt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 20000
	z := make([]float64, n)
	y := make([]bool, n)
	for i := range z {
		z[i] = r.NormFloat64() * 2
		y[i] = r.Float64() < Sigmoid(0.5*z[i]-1)
	}
	tests := []struct {
		name     string
		tempOnly bool
	}{{name: "platt"}, {name: "temperature", tempOnly: true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := FitPlatt(z, y, tt.tempOnly)
			if err != nil {
				t.Fatal(err)
			}
			// At the optimum the gradient of the log loss vanishes.
			var gA, gB float64
			for i := range z {
				d := p.Apply(z[i])
				if y[i] {
					d--
				}
				gA += d * z[i]
				gB += d
			}
			if math.Abs(gA)/n > 1e-6 {
				t.Errorf("dLoss/dA = %v", gA/n)
			}
			if tt.tempOnly {
				if p.B != 0 {
					t.Errorf("B = %v, want 0", p.B)
				}
				return
			}
			if math.Abs(gB)/n > 1e-6 {
				t.Errorf("dLoss/dB = %v", gB/n)
			}
			if !near(p.A, 0.5, 0.05) || !near(p.B, -1, 0.08) {
				t.Errorf("fit %+v, want about A=0.5 B=-1", p)
			}
		})
	}
	if _, err := FitPlatt([]float64{1, 2}, bools(1, 1), false); err != ErrCalibrationData {
		t.Errorf("one class: err = %v", err)
	}
}

func TestSigmoidLogit(t *testing.T) {
	for _, x := range []float64{-800, -3, 0, 2.5, 800} {
		s := Sigmoid(x)
		if math.IsNaN(s) || s < 0 || s > 1 {
			t.Fatalf("Sigmoid(%v) = %v", x, s)
		}
		if math.Abs(x) < 20 && !near(Logit(s), x, 1e-9) {
			t.Errorf("Logit(Sigmoid(%v)) = %v", x, Logit(s))
		}
	}
}

func TestThresholdForRate(t *testing.T) {
	s := []float64{0.1, 0.9, 0.4, 0.7, 0.2, 0.3, 0.8, 0.6, 0.5, 0.05}
	tests := []struct {
		name       string
		rate, want float64
	}{
		{"top 20%", 0.2, 0.8},
		{"top 25% rounds up to 3", 0.25, 0.7},
		{"none", 0, 0.9},
		{"all", 1, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ThresholdForRate(s, tt.rate); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// With FP == FN, sensitivity equals positive predictivity.
	y := bools(0, 1, 0, 0, 0, 0, 1, 1, 0, 0) // 3 positives among the top 5 scores: .9 .8 .7 .6 .5
	th := ThresholdForRate(s, 0.3)
	c := ConfusionAt(s, y, th)
	if c.FP != c.FN || c.Sensitivity() != c.PPV() {
		t.Errorf("confusion %+v", c)
	}
}

func TestBootstrapCI(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	n := 400
	s := make([]float64, n)
	y := make([]bool, n)
	for i := range s {
		y[i] = r.Float64() < 0.3
		s[i] = r.NormFloat64()
		if y[i] {
			s[i] += 1
		}
	}
	auc := AUROC(s, y)
	lo, hi := BootstrapCI(s, y, AUROC, 300, 0.95, 1)
	if !(lo < auc && auc < hi) || hi-lo > 0.2 || hi-lo < 0.02 {
		t.Errorf("AUROC %.3f, interval [%.3f, %.3f]", auc, lo, hi)
	}
	lo2, hi2 := BootstrapCI(s, y, AUROC, 300, 0.95, 1)
	if lo != lo2 || hi != hi2 {
		t.Error("same seed, different interval")
	}
	if lo, _ := BootstrapCI(s[:1], y[:1], AUROC, 50, 0.95, 1); !math.IsNaN(lo) {
		t.Errorf("one case: %v, want NaN", lo)
	}
}
