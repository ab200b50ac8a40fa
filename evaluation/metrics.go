package evaluation

import (
	"math"
	"sort"
)

func checkLen(scores []float64, labels []bool) {
	if len(scores) != len(labels) {
		panic("evaluation: scores and labels differ in length")
	}
}

func counts(labels []bool) (pos, neg int) {
	for _, y := range labels {
		if y {
			pos++
		} else {
			neg++
		}
	}
	return pos, neg
}

// order returns the indexes of scores sorted by descending score.
func order(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// eachTie calls fn for each group of tied scores, from the highest score
// down, with the score and the numbers of positives and negatives in the
// group.
func eachTie(scores []float64, labels []bool, fn func(score, pos, neg float64)) {
	idx := order(scores)
	for i := 0; i < len(idx); {
		j := i
		var gp, gn float64
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] {
				gp++
			} else {
				gn++
			}
			j++
		}
		fn(scores[idx[i]], gp, gn)
		i = j
	}
}

// AUROC returns the area under the ROC curve: the probability that a random
// positive scores above a random negative, counting ties as one half
// (the Mann–Whitney U statistic with mid-ranks). NaN without both classes.
func AUROC(scores []float64, labels []bool) float64 {
	checkLen(scores, labels)
	pos, neg := counts(labels)
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Walk groups of tied scores from the top; each positive beats the
	// negatives below its group and ties half of those in it.
	var sum float64
	negBelow := float64(neg)
	eachTie(scores, labels, func(_, gp, gn float64) {
		negBelow -= gn
		sum += gp * (negBelow + gn/2)
	})
	return sum / (float64(pos) * float64(neg))
}

// AveragePrecision returns the area under the precision–recall curve as
// average precision, sum over thresholds of (R_k - R_{k-1}) * P_k, with tied
// scores forming one threshold (the definition of scikit-learn's
// average_precision_score). NaN without positives.
func AveragePrecision(scores []float64, labels []bool) float64 {
	checkLen(scores, labels)
	pos, _ := counts(labels)
	if pos == 0 {
		return math.NaN()
	}
	var tp, fp, ap, prevRecall float64
	eachTie(scores, labels, func(_, gp, gn float64) {
		tp, fp = tp+gp, fp+gn
		recall := tp / float64(pos)
		ap += (recall - prevRecall) * tp / (tp + fp)
		prevRecall = recall
	})
	return ap
}

// Confusion counts the decisions "positive when score >= threshold".
type Confusion struct{ TP, FP, TN, FN int }

// ConfusionAt returns the confusion counts at threshold.
func ConfusionAt(scores []float64, labels []bool, threshold float64) Confusion {
	checkLen(scores, labels)
	var c Confusion
	for i, s := range scores {
		switch p := s >= threshold; {
		case p && labels[i]:
			c.TP++
		case p:
			c.FP++
		case labels[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

// Sensitivity is TP/(TP+FN); NaN without positives.
func (c Confusion) Sensitivity() float64 { return ratio(c.TP, c.TP+c.FN) }

// Specificity is TN/(TN+FP); NaN without negatives.
func (c Confusion) Specificity() float64 { return ratio(c.TN, c.TN+c.FP) }

// PPV (positive predictivity) is TP/(TP+FP); 0 when nothing is called
// positive, as in the challenge's scoring.
func (c Confusion) PPV() float64 {
	if c.TP+c.FP == 0 {
		return 0
	}
	return float64(c.TP) / float64(c.TP+c.FP)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Event1 returns the PhysioNet/CinC 2012 Event-1 score at threshold:
// min(sensitivity, positive predictivity) of "positive when score >= threshold".
func Event1(scores []float64, labels []bool, threshold float64) float64 {
	c := ConfusionAt(scores, labels, threshold)
	return math.Min(c.Sensitivity(), c.PPV())
}

// BestEvent1Threshold returns the threshold that maximises Event-1 on the
// given (validation) data and the score it reaches. Candidates are the
// distinct scores; among equal Event-1 the larger threshold wins. The
// threshold is then used unchanged on other data.
func BestEvent1Threshold(scores []float64, labels []bool) (threshold, event1 float64) {
	checkLen(scores, labels)
	pos, _ := counts(labels)
	if pos == 0 || len(scores) == 0 {
		return math.NaN(), math.NaN()
	}
	best, bestT := -1.0, math.Inf(1)
	var tp, fp float64
	eachTie(scores, labels, func(score, gp, gn float64) {
		tp, fp = tp+gp, fp+gn
		if e := math.Min(tp/float64(pos), tp/(tp+fp)); e > best {
			best, bestT = e, score
		}
	})
	return bestT, best
}

// ThresholdForSensitivity returns the largest threshold at which at least
// the given fraction of positives score >= threshold. NaN without positives.
func ThresholdForSensitivity(scores []float64, labels []bool, sensitivity float64) float64 {
	checkLen(scores, labels)
	var ps []float64
	for i, y := range labels {
		if y {
			ps = append(ps, scores[i])
		}
	}
	if len(ps) == 0 {
		return math.NaN()
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(ps)))
	k := int(math.Ceil(sensitivity*float64(len(ps)))) - 1
	k = max(0, min(k, len(ps)-1))
	return ps[k]
}

// Brier returns the mean squared difference between probability and outcome.
func Brier(probs []float64, labels []bool) float64 {
	checkLen(probs, labels)
	if len(probs) == 0 {
		return math.NaN()
	}
	var s float64
	for i, p := range probs {
		d := p
		if labels[i] {
			d = p - 1
		}
		s += d * d
	}
	return s / float64(len(probs))
}

// Bin is one bin of a calibration curve.
type Bin struct {
	Lo, Hi        float64 // probability range [Lo, Hi); the last bin includes 1
	Count         int
	MeanPredicted float64 // NaN for an empty bin
	FractionTrue  float64 // observed positive fraction; NaN for an empty bin
}

// CalibrationCurve puts probabilities into n equal-width bins over [0, 1]
// and returns, per bin, the mean predicted probability and the observed
// fraction of positives.
func CalibrationCurve(probs []float64, labels []bool, n int) []Bin {
	checkLen(probs, labels)
	if n <= 0 {
		n = 10
	}
	bins := make([]Bin, n)
	sumP := make([]float64, n)
	sumY := make([]float64, n)
	for i, p := range probs {
		b := int(p * float64(n))
		b = max(0, min(b, n-1))
		bins[b].Count++
		sumP[b] += p
		if labels[i] {
			sumY[b]++
		}
	}
	for b := range bins {
		bins[b].Lo = float64(b) / float64(n)
		bins[b].Hi = float64(b+1) / float64(n)
		if c := float64(bins[b].Count); c > 0 {
			bins[b].MeanPredicted = sumP[b] / c
			bins[b].FractionTrue = sumY[b] / c
		} else {
			bins[b].MeanPredicted, bins[b].FractionTrue = math.NaN(), math.NaN()
		}
	}
	return bins
}

// ECE returns the expected calibration error over n equal-width bins (10 is
// usual): the count-weighted mean of |fraction positive - mean predicted|.
func ECE(probs []float64, labels []bool, n int) float64 {
	if len(probs) == 0 {
		return math.NaN()
	}
	var e float64
	for _, b := range CalibrationCurve(probs, labels, n) {
		if b.Count > 0 {
			e += float64(b.Count) * math.Abs(b.FractionTrue-b.MeanPredicted)
		}
	}
	return e / float64(len(probs))
}

// ThresholdForRate returns the threshold at which the fraction rate of
// scores is >= threshold (the top ceil(rate*n) scores; ties may add more).
// Flagging as many cases as there are expected positives makes false
// positives equal false negatives, where sensitivity equals positive
// predictivity: with rate = prevalence this is a label-free, stable choice
// for the Event-1 threshold. NaN for empty scores.
func ThresholdForRate(scores []float64, rate float64) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), scores...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	k := int(math.Ceil(rate*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}
