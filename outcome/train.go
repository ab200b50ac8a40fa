package outcome

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/evaluation"
)

// Model card text for PhysioNet/CinC 2012 set A, the default training data.
const (
	SetATrainingData = "PhysioNet/CinC Challenge 2012 set A (4,000 ICU stays, 554 in-hospital deaths; MIMIC-II era US ICUs; " +
		"Silva et al., Computing in Cardiology 2012; physionet.org/content/challenge-2012/1.0.0/)"
	SetALicense = "Challenge Open Access (PhysioNet); cite PhysioNet and Silva et al. 2012"
)

// DefaultSeed is the seed of the split and of training unless one is given.
const DefaultSeed = 2012

// TrainConfig configures Train. Zero fields take the defaults in brackets.
type TrainConfig struct {
	Seed    uint64 // split, initialisation, shuffling and dropout [2012]
	Epochs  int    // GRU-D epochs at most; negative leaves out the GRU-D [30]
	Members int    // GRU-D networks in the ensemble, seeds Seed, Seed+1000, ... [3]
	NoTrees bool   // leave out the gradient-boosted trees
	// TrainingData and DataLicense go into the model card [PhysioNet/CinC
	// 2012 set A and its license].
	TrainingData, DataLicense string
	Hidden                    int     // GRU-D hidden size [32]
	Batch                     int     // GRU-D minibatch [64]
	LR                        float64 // AdamW learning rate [2e-3]
	Patience                  int     // epochs without a better validation AUROC before stopping [6]
	Config                    Config  // time grid [48 hourly bins]
	// CheckpointDir, if set, is where each GRU-D member saves its weights,
	// optimiser state and early-stopping bookkeeping after every epoch
	// (grud-seed<N>.safetensors), and where a restarted run with the same
	// settings and data resumes from; the result is bitwise that of an
	// uninterrupted run. A checkpoint from other settings or data is an
	// EINVALID error. [none]
	CheckpointDir string
	// Progress, if set, is called after each stage and epoch.
	Progress func(Progress)
	// Log, if set, receives one line per epoch (sizes and metrics only).
	Log *slog.Logger
}

func (tc TrainConfig) withDefaults() TrainConfig {
	if tc.Seed == 0 {
		tc.Seed = DefaultSeed
	}
	if tc.Epochs == 0 {
		tc.Epochs = 30
	}
	if tc.TrainingData == "" {
		tc.TrainingData = SetATrainingData
	}
	if tc.DataLicense == "" {
		tc.DataLicense = SetALicense
	}
	if tc.Members <= 0 {
		tc.Members = 3
	}
	if tc.Hidden <= 0 {
		tc.Hidden = 32
	}
	if tc.Batch <= 0 {
		tc.Batch = 64
	}
	if tc.LR <= 0 {
		tc.LR = 2e-3
	}
	if tc.Patience <= 0 {
		tc.Patience = 6
	}
	tc.Config = tc.Config.withDefaults()
	return tc
}

// Progress reports where training is.
type Progress struct {
	Stage    string // "baseline", "trees", "grud", "calibration"
	Member   int    // GRU-D member being trained (1-based)
	Members  int    // GRU-D members in all
	Epoch    int    // GRU-D epochs done
	Epochs   int    // GRU-D epochs at most
	ValAUROC float64
}

// Report describes a training run: the split, the chosen settings and the
// held-out test metrics of each model (thresholds fixed on validation).
type Report struct {
	Seed                   uint64    `json:"seed"`
	Split                  string    `json:"split"`
	Train, Val, Test       int       `json:"-"`
	Lambda                 float64   `json:"lambda"`      // baseline L2
	BestEpochs             []int     `json:"best_epochs"` // per GRU-D member, the epoch kept (1-based)
	ValidationAUROCMembers []float64 `json:"validation_auroc_members"`
	Weights                Weights   `json:"weights"` // of the components in the combined model
	TreeRounds             int       `json:"tree_rounds"`
	Baseline               Metrics   `json:"baseline"`
	GRUD                   *Metrics  `json:"grud,omitempty"`
	Trees                  *Metrics  `json:"trees,omitempty"`
	Combined               Metrics   `json:"combined"` // the shipped model
	ValidationCombined     Metrics   `json:"validation_combined"`
	// Test Event-1 of the combined model at the threshold that maximises
	// validation Event-1 (not used; for comparison with the shipped rule).
	Event1ValMaxThreshold float64       `json:"event1_valmax_threshold"`
	Duration              time.Duration `json:"-"`
	PositiveWeightGRUD    float64       `json:"pos_weight"`
	BaselineIterations    int           `json:"baseline_iterations"`
	ValidationAUROCGRUD   float64       `json:"validation_auroc_grud"`
}

// Train splits d (stratified, 70/15/15, seeded), fits the normaliser on the
// training split, trains the baseline, the trees and the GRU-D (choosing
// the baseline's L2 strength, the tree rounds and the GRU-D epoch on the
// validation split), calibrates and blends on the validation split, fixes
// the decision threshold and the risk bands there, and measures everything
// on the test split.
func Train(ctx context.Context, d *Dataset, tc TrainConfig) (*Model, *Report, error) {
	start := time.Now()
	tc = tc.withDefaults()
	if len(d.Stays) != len(d.Deaths) {
		return nil, nil, galen.Errorf(galen.EINVALID, "outcome: %d stays but %d labels", len(d.Stays), len(d.Deaths))
	}
	tr, va, te := Split(d.Deaths, tc.Seed)
	pick := func(ix []int) ([]*Stay, []bool) {
		s, y := make([]*Stay, len(ix)), make([]bool, len(ix))
		for k, i := range ix {
			s[k], y[k] = d.Stays[i], d.Deaths[i]
		}
		return s, y
	}
	trS, trY := pick(tr)
	vaS, vaY := pick(va)
	teS, teY := pick(te)
	for _, part := range []struct {
		name string
		y    []bool
	}{{"training", trY}, {"validation", vaY}, {"test", teY}} {
		if pos := countDeaths(part.y); pos == 0 || pos == len(part.y) {
			return nil, nil, galen.Errorf(galen.EINVALID, "outcome: the %s split needs deaths and survivors; give more stays", part.name)
		}
	}
	cfg := tc.Config
	norm := FitNormalizer(trS, cfg)
	cleanAll := func(ss []*Stay) []cleaned {
		out := make([]cleaned, len(ss))
		for i, s := range ss {
			out[i] = clean(s, cfg)
		}
		return out
	}
	trC, vaC, teC := cleanAll(trS), cleanAll(vaS), cleanAll(teS)
	rep := &Report{Seed: tc.Seed, Train: len(tr), Val: len(va), Test: len(te),
		Split: fmt.Sprintf("stratified 70/15/15 by in-hospital death, seed %d: train %d, validation %d, test %d stays", tc.Seed, len(tr), len(va), len(te))}
	progress := func(p Progress) {
		if tc.Progress != nil {
			tc.Progress(p)
		}
	}

	// Baseline: L2 strength chosen by validation AUROC.
	summaries := func(cs []cleaned) [][]float64 {
		X := make([][]float64, len(cs))
		for i := range cs {
			X[i] = norm.summary(&cs[i], -1, "")
		}
		return X
	}
	trX, vaX, teX := summaries(trC), summaries(vaC), summaries(teC)
	const iters = 300
	rep.BaselineIterations = iters
	var lr *Logistic
	bestAUC := -1.0
	for _, lambda := range []float64{1e-3, 3e-3, 1e-2, 3e-2} {
		m, err := trainLogistic(ctx, trX, trY, lambda, iters)
		if err != nil {
			return nil, nil, err
		}
		if auc := evaluation.AUROC(logits(m, vaX), vaY); auc > bestAUC {
			bestAUC, lr, rep.Lambda = auc, m, lambda
		}
	}
	progress(Progress{Stage: "baseline", ValAUROC: bestAUC})
	if tc.Log != nil {
		tc.Log.Info("outcome baseline trained", "lambda", rep.Lambda, "val_auroc", bestAUC)
	}
	vaZL, teZL := logits(lr, vaX), logits(lr, teX)
	var vaZT, teZT []float64
	var trees *Trees
	if !tc.NoTrees {
		var err error
		trees, rep.TreeRounds, err = trainTrees(ctx, trX, trY, vaX, vaY, defaultTrees, tc.Seed)
		if err != nil {
			return nil, nil, err
		}
		vaZT, teZT = logits(trees, vaX), logits(trees, teX)
		progress(Progress{Stage: "trees", ValAUROC: evaluation.AUROC(vaZT, vaY)})
	}

	a := artifact{Format: Format, Config: cfg, Norm: norm, Logistic: lr, Trees: trees}
	var vaZG, teZG []float64
	if tc.Epochs > 0 {
		seriesAll := func(cs []cleaned) []*Series {
			out := make([]*Series, len(cs))
			for i := range cs {
				out[i] = norm.series(&cs[i], cfg, -1, "")
			}
			return out
		}
		trSer, vaSer, teSer := seriesAll(trC), seriesAll(vaC), seriesAll(teC)
		for k := range tc.Members {
			mc := tc
			mc.Seed = tc.Seed + uint64(k)*1000
			g, info, err := trainGRUD(ctx, trSer, trY, vaSer, vaY, mc, func(p Progress) {
				p.Member, p.Members = k+1, tc.Members
				progress(p)
			})
			if err != nil {
				return nil, nil, err
			}
			a.GRUD = append(a.GRUD, g)
			rep.BestEpochs = append(rep.BestEpochs, info.bestEpoch)
			rep.ValidationAUROCMembers = append(rep.ValidationAUROCMembers, info.valAUROC)
			rep.PositiveWeightGRUD = info.posWeight
		}
		vaZG, teZG = batchedLogits(a.GRUD, vaSer), batchedLogits(a.GRUD, teSer)
		rep.ValidationAUROCGRUD = evaluation.AUROC(vaZG, vaY)
	}

	// Calibration, blend, threshold and bands: validation split only.
	var err error
	if a.CalibLR, err = evaluation.FitPlatt(vaZL, vaY, false); err != nil {
		return nil, nil, err
	}
	a.CalibGRUD = a.CalibLR
	if a.GRUD != nil {
		if a.CalibGRUD, err = evaluation.FitPlatt(vaZG, vaY, false); err != nil {
			return nil, nil, err
		}
	}
	var calibTrees evaluation.Platt
	if a.Trees != nil {
		if calibTrees, err = evaluation.FitPlatt(vaZT, vaY, false); err != nil {
			return nil, nil, err
		}
	}
	// Component logits are put on a common scale, their calibrated
	// log-odds, and blended with weights (a grid of step 0.25) chosen by
	// validation AUROC.
	calZ := func(z []float64, p evaluation.Platt) []float64 {
		out := make([]float64, len(z))
		for i, v := range z {
			out[i] = p.A*v + p.B
		}
		return out
	}
	mix := func(zl, zg, zt []float64, w Weights) []float64 {
		out := make([]float64, len(zl))
		for i := range zl {
			out[i] = w.Logistic * zl[i]
			if w.GRUD > 0 {
				out[i] += w.GRUD * zg[i]
			}
			if w.Trees > 0 {
				out[i] += w.Trees * zt[i]
			}
		}
		return out
	}
	vaL, teL := calZ(vaZL, a.CalibLR), calZ(teZL, a.CalibLR)
	var vaG, teG, vaT, teT []float64
	if a.GRUD != nil {
		vaG, teG = calZ(vaZG, a.CalibGRUD), calZ(teZG, a.CalibGRUD)
	}
	if a.Trees != nil {
		vaT, teT = calZ(vaZT, calibTrees), calZ(teZT, calibTrees)
	}
	bestBlendAUC := -1.0
	for i := 0; i <= 4; i++ {
		for j := 0; i+j <= 4; j++ {
			w := Weights{Logistic: float64(4-i-j) / 4, GRUD: float64(i) / 4, Trees: float64(j) / 4}
			if (w.GRUD > 0 && a.GRUD == nil) || (w.Trees > 0 && a.Trees == nil) {
				continue
			}
			if auc := evaluation.AUROC(mix(vaL, vaG, vaT, w), vaY); auc > bestBlendAUC+1e-9 {
				bestBlendAUC, a.Weights = auc, w
			}
		}
	}
	rep.Weights = a.Weights
	// The stored components are rescaled so that the blend of their raw
	// logits equals the blend of calibrated log-odds.
	a.Logistic = scaleLogistic(lr, a.CalibLR)
	a.CalibLR = evaluation.Platt{A: 1}
	for _, g := range a.GRUD {
		scaleGRUD(g, a.CalibGRUD)
	}
	a.CalibGRUD = evaluation.Platt{A: 1}
	if a.Trees != nil {
		a.Trees.Base = calibTrees.A*a.Trees.Base + calibTrees.B
		a.Trees.Rate *= calibTrees.A
	}
	vaZ := mix(vaL, vaG, vaT, a.Weights)
	if a.Calib, err = evaluation.FitPlatt(vaZ, vaY, false); err != nil {
		return nil, nil, err
	}
	vaR := apply(a.Calib, vaZ)
	// The decision threshold flags the training death rate of the
	// validation stays (FP = FN, so sensitivity = positive predictivity);
	// the threshold that maximises validation Event-1 is noisier and is
	// reported for comparison only.
	prevalence := float64(countDeaths(trY)) / float64(len(trY))
	a.Threshold = evaluation.ThresholdForRate(vaR, prevalence)
	a.LowCut = math.Min(evaluation.ThresholdForSensitivity(vaR, vaY, 0.9), a.Threshold)
	a.Validation = Evaluate(vaR, vaY, a.Threshold)
	rep.ValidationCombined = a.Validation
	progress(Progress{Stage: "calibration", ValAUROC: a.Validation.AUROC})

	// Test metrics. Each component alone gets its own validation threshold.
	alone := func(va, te []float64) Metrics {
		return Evaluate(probs(te), teY, evaluation.ThresholdForRate(probs(va), prevalence))
	}
	rep.Baseline = alone(vaL, teL)
	if a.GRUD != nil {
		m := alone(vaG, teG)
		rep.GRUD = &m
	}
	if a.Trees != nil {
		m := alone(vaT, teT)
		rep.Trees = &m
	}
	teR := apply(a.Calib, mix(teL, teG, teT, a.Weights))
	rep.Combined = Evaluate(teR, teY, a.Threshold)
	thMax, _ := evaluation.BestEvent1Threshold(vaR, vaY)
	rep.Event1ValMaxThreshold = evaluation.Event1(teR, teY, thMax)
	rep.Duration = time.Since(start).Round(time.Second)
	a.Card = card(rep, tc)
	m, err := newModel(a)
	if err != nil {
		return nil, nil, fmt.Errorf("outcome: trained model fails its own check: %w", err)
	}
	return m, rep, nil
}

// defaultTrees is the tree configuration, fixed before looking at any split.
var defaultTrees = treeConfig{Rounds: 400, Rate: 0.05, Depth: 3, MinLeaf: 5, Lambda: 1, Subsample: 0.8, Bins: 32}

// logits returns m's logit for each row of X (the baseline or the trees).
func logits(m interface{ Logit([]float64) float64 }, X [][]float64) []float64 {
	z := make([]float64, len(X))
	for i, x := range X {
		z[i] = m.Logit(x)
	}
	return z
}

func probs(z []float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = evaluation.Sigmoid(v)
	}
	return out
}

func apply(p evaluation.Platt, z []float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = p.Apply(v)
	}
	return out
}

func scaleLogistic(m *Logistic, p evaluation.Platt) *Logistic {
	out := &Logistic{W: make([]float64, len(m.W)), B: p.A*m.B + p.B}
	for j, w := range m.W {
		out.W[j] = p.A * w
	}
	return out
}

// card writes the model card of a training run.
func card(rep *Report, tc TrainConfig) galen.ModelCard {
	c := rep.Combined
	mc := galen.ModelCard{
		Task:         "outcome: in-hospital mortality from the first 48 hours of an ICU stay",
		TrainingData: tc.TrainingData,
		DataLicense:  tc.DataLicense,
		Split:        rep.Split,
		Seed:         int64(rep.Seed),
		Metrics: map[string]float64{
			"test_auroc": c.AUROC, "test_auprc": c.AUPRC, "test_event1": c.Event1,
			"test_brier": c.Brier, "test_ece": c.ECE, "threshold": c.Threshold,
			"test_auroc_ci_low": c.AUROCCI[0], "test_auroc_ci_high": c.AUROCCI[1],
			"test_event1_ci_low": c.Event1CI[0], "test_event1_ci_high": c.Event1CI[1],
			"validation_auroc":    rep.ValidationCombined.AUROC,
			"baseline_test_auroc": rep.Baseline.AUROC, "baseline_test_event1": rep.Baseline.Event1,
			"weight_logistic": rep.Weights.Logistic, "weight_grud": rep.Weights.GRUD, "weight_trees": rep.Weights.Trees,
			"test_n": float64(c.N),
		},
		IntendedUse: "Decision support and research: an estimate of in-hospital death risk for adult ICU patients from vitals, labs and descriptors of the first 48 hours, " +
			"shown to clinicians with its per-variable explanation. Not a substitute for clinical judgement; not for triage or withdrawal-of-care decisions.",
		Limitations: fmt.Sprintf("Trained on %d stays from one data set; not validated on other hospitals, eras or populations (no children). ", rep.Train) +
			fmt.Sprintf("Calibration, blend weights and thresholds were fitted on %d validation stays. ", rep.Val) +
			"Predictions before 48 h of data see fewer observations than in training. " +
			"Flagged uncertain when fewer than 5 variables are observed or when the baseline and GRU-D disagree by more than 0.25.",
	}
	if rep.GRUD != nil {
		mc.Metrics["grud_test_auroc"] = rep.GRUD.AUROC
	}
	if rep.Trees != nil {
		mc.Metrics["trees_test_auroc"] = rep.Trees.AUROC
	}
	return mc
}
