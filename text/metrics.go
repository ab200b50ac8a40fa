package text

import (
	"math"
	"slices"

	"github.com/galenhealth/galen/evaluation"
)

// ClassMetrics are one class's precision, recall, F1 and support (number
// of true examples).
type ClassMetrics struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Metrics are a classifier's scores on one labelled set. Confusion[i][j]
// counts examples of label i predicted as label j. ECE is the top-label
// expected calibration error over 10 equal-width bins. Uncertain is the
// fraction of examples whose top probability is under the threshold, and
// CertainAccuracy the accuracy on the others.
type Metrics struct {
	N               int            `json:"n"`
	Accuracy        float64        `json:"accuracy"`
	MacroF1         float64        `json:"macro_f1"`
	ECE             float64        `json:"ece"`
	Uncertain       float64        `json:"uncertain_rate"`
	CertainAccuracy float64        `json:"certain_accuracy"`
	PerClass        []ClassMetrics `json:"per_class"`
	Confusion       [][]int        `json:"confusion"`
}

// Argmax returns the index of the largest value (the first on ties).
func Argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// Evaluate scores probabilities against true label indexes. Macro-F1 is
// the unweighted mean of the per-class F1 over the classes that occur in y
// or in the predictions (a class never true and never predicted is left
// out); F1 is 0 where precision and recall are both 0.
func Evaluate(labels []string, y []int, probs [][]float64, threshold float64) Metrics {
	k := len(labels)
	m := Metrics{N: len(y), Confusion: make([][]int, k)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, k)
	}
	conf := make([]float64, len(y))
	correct := make([]bool, len(y))
	var certain, certainRight int
	for i, p := range probs {
		pred := Argmax(p)
		m.Confusion[y[i]][pred]++
		conf[i], correct[i] = p[pred], pred == y[i]
		if p[pred] >= threshold {
			certain++
			if correct[i] {
				certainRight++
			}
		}
	}
	var right, present int
	var f1sum float64
	for c := range k {
		tp := m.Confusion[c][c]
		right += tp
		var support, predicted int
		for j := range k {
			support += m.Confusion[c][j]
			predicted += m.Confusion[j][c]
		}
		cm := ClassMetrics{Label: labels[c], Support: support}
		if predicted > 0 {
			cm.Precision = float64(tp) / float64(predicted)
		}
		if support > 0 {
			cm.Recall = float64(tp) / float64(support)
		}
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		if support > 0 || predicted > 0 {
			present++
			f1sum += cm.F1
		}
		m.PerClass = append(m.PerClass, cm)
	}
	if m.N > 0 {
		m.Accuracy = float64(right) / float64(m.N)
		m.ECE = evaluation.ECE(conf, correct, 10)
		m.Uncertain = 1 - float64(certain)/float64(m.N)
	}
	if present > 0 {
		m.MacroF1 = f1sum / float64(present)
	}
	if certain > 0 {
		m.CertainAccuracy = float64(certainRight) / float64(certain)
	}
	return m
}

// UncertainThreshold chooses, on validation predictions, the top
// probability under which an answer is flagged uncertain: the threshold
// that maximises (right - wrong) among the answers at or above it, so an
// answer is flagged where the model is wrong at least as often as right.
// Returns 0 (nothing flagged) when every cut is worse than none.
func UncertainThreshold(y []int, probs [][]float64) float64 {
	type pc struct {
		p     float64
		right bool
	}
	ps := make([]pc, len(y))
	for i, p := range probs {
		pred := Argmax(p)
		ps[i] = pc{p[pred], pred == y[i]}
	}
	slices.SortFunc(ps, func(a, b pc) int {
		if a.p < b.p {
			return -1
		}
		if a.p > b.p {
			return 1
		}
		return 0
	})
	// score of keeping ps[i:] = Σ (right ? 1 : -1) over ps[i:]
	total := 0
	for _, x := range ps {
		if x.right {
			total++
		} else {
			total--
		}
	}
	best, bestScore, score := 0.0, total, total
	for i := 0; i < len(ps); i++ {
		if ps[i].right {
			score--
		} else {
			score++
		}
		if i+1 < len(ps) && ps[i+1].p == ps[i].p {
			continue
		}
		if score > bestScore && i+1 < len(ps) {
			best, bestScore = ps[i+1].p, score
		}
	}
	return best
}

// FitTemperature returns the temperature T > 0 that minimises the negative
// log-likelihood of softmax(logits / T) on validation data (golden-section
// search on ln T in [-3, 3]).
func FitTemperature(logits [][]float64, y []int) float64 {
	nll := func(lt float64) float64 {
		t := math.Exp(lt)
		var s float64
		z := make([]float64, 0, 64)
		for i, l := range logits {
			z = z[:0]
			for _, v := range l {
				z = append(z, v/t)
			}
			s += softmaxNLL(z, y[i])
		}
		return s
	}
	a, b := -3.0, 3.0
	g := (math.Sqrt(5) - 1) / 2
	c, d := b-g*(b-a), a+g*(b-a)
	fc, fd := nll(c), nll(d)
	for range 60 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			fc = nll(c)
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			fd = nll(d)
		}
	}
	return math.Exp((a + b) / 2)
}

// Softmax returns softmax(z / t).
func Softmax(z []float64, t float64) []float64 {
	p := make([]float64, len(z))
	for i, v := range z {
		p[i] = v / t
	}
	softmaxNLL(p, 0)
	return p
}
