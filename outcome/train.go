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
	t, err := newTrainer(d, tc.withDefaults())
	if err != nil {
		return nil, nil, err
	}
	for _, step := range []func(context.Context) error{
		t.trainBaseline, // logistic regression on per-variable summaries
		t.trainTrees,    // gradient-boosted trees on the same summaries
		t.trainGRUD,     // the GRU-D ensemble on the hourly series
		t.calibrate,     // Platt scaling per component, blend weights, one calibration
	} {
		if err := step(ctx); err != nil {
			return nil, nil, err
		}
	}
	t.fixThreshold()
	t.measureTest()
	t.rep.Duration = time.Since(start).Round(time.Second)
	t.a.Card = card(t.rep, t.tc)
	m, err := newModel(t.a)
	if err != nil {
		return nil, nil, fmt.Errorf("outcome: trained model fails its own check: %w", err)
	}
	return m, t.rep, nil
}

// split is one part of the dataset (training, validation or test): its
// stays, their labels, the stays cleaned, and their per-variable summaries
// normalised with the training split's statistics.
type split struct {
	stays  []*Stay
	deaths []bool
	clean  []cleaned
	X      [][]float64
}

// scores are a component's outputs on the validation and test splits:
// logits, or calibrated log-odds.
type scores struct{ val, test []float64 }

// trainer holds what the steps of Train share.
type trainer struct {
	tc         TrainConfig
	rep        *Report
	a          artifact // the model being built
	tr, va, te split
	prevalence float64 // the training split's death rate

	lr         *Logistic
	zL, zT, zG scores           // raw logits: baseline, trees, GRU-D
	calibTrees evaluation.Platt // the trees' own calibration
	cL, cT, cG scores           // calibrated log-odds
	valRisk    []float64        // the calibrated blend on validation: the model's risks
}

// newTrainer splits d (stratified 70/15/15 by death, seeded), checks that
// each split has deaths and survivors, fits the normaliser on the training
// split, and cleans and summarises every stay.
func newTrainer(d *Dataset, tc TrainConfig) (*trainer, error) {
	if len(d.Stays) != len(d.Deaths) {
		return nil, galen.Errorf(galen.EINVALID, "outcome: %d stays but %d labels", len(d.Stays), len(d.Deaths))
	}
	trI, vaI, teI := Split(d.Deaths, tc.Seed)
	t := &trainer{tc: tc, tr: pickSplit(d, trI), va: pickSplit(d, vaI), te: pickSplit(d, teI)}
	for _, part := range []struct {
		name string
		y    []bool
	}{{"training", t.tr.deaths}, {"validation", t.va.deaths}, {"test", t.te.deaths}} {
		if pos := countDeaths(part.y); pos == 0 || pos == len(part.y) {
			return nil, galen.Errorf(galen.EINVALID, "outcome: the %s split needs deaths and survivors; give more stays", part.name)
		}
	}
	cfg := tc.Config
	norm := FitNormalizer(t.tr.stays, cfg)
	for _, sp := range []*split{&t.tr, &t.va, &t.te} {
		sp.clean = make([]cleaned, len(sp.stays))
		for i, s := range sp.stays {
			sp.clean[i] = clean(s, cfg)
		}
	}
	for _, sp := range []*split{&t.tr, &t.va, &t.te} {
		sp.X = make([][]float64, len(sp.clean))
		for i := range sp.clean {
			sp.X[i] = norm.summary(&sp.clean[i], -1, "")
		}
	}
	t.a = artifact{Format: Format, Config: cfg, Norm: norm}
	t.prevalence = float64(countDeaths(t.tr.deaths)) / float64(len(t.tr.deaths))
	t.rep = &Report{Seed: tc.Seed, Train: len(trI), Val: len(vaI), Test: len(teI),
		Split: fmt.Sprintf("stratified 70/15/15 by in-hospital death, seed %d: train %d, validation %d, test %d stays", tc.Seed, len(trI), len(vaI), len(teI))}
	return t, nil
}

// pickSplit returns the stays and labels of d at indices ix.
func pickSplit(d *Dataset, ix []int) split {
	sp := split{stays: make([]*Stay, len(ix)), deaths: make([]bool, len(ix))}
	for k, i := range ix {
		sp.stays[k], sp.deaths[k] = d.Stays[i], d.Deaths[i]
	}
	return sp
}

func (t *trainer) progress(p Progress) {
	if t.tc.Progress != nil {
		t.tc.Progress(p)
	}
}

// trainBaseline fits the logistic regression, its L2 strength chosen by
// validation AUROC.
func (t *trainer) trainBaseline(ctx context.Context) error {
	const iters = 300
	t.rep.BaselineIterations = iters
	bestAUC := -1.0
	for _, lambda := range []float64{1e-3, 3e-3, 1e-2, 3e-2} {
		m, err := trainLogistic(ctx, t.tr.X, t.tr.deaths, lambda, iters)
		if err != nil {
			return err
		}
		if auc := evaluation.AUROC(logits(m, t.va.X), t.va.deaths); auc > bestAUC {
			bestAUC, t.lr, t.rep.Lambda = auc, m, lambda
		}
	}
	t.progress(Progress{Stage: "baseline", ValAUROC: bestAUC})
	if t.tc.Log != nil {
		t.tc.Log.Info("outcome baseline trained", "lambda", t.rep.Lambda, "val_auroc", bestAUC)
	}
	t.zL = scores{logits(t.lr, t.va.X), logits(t.lr, t.te.X)}
	t.a.Logistic = t.lr
	return nil
}

// trainTrees fits the gradient-boosted trees (unless NoTrees), their
// rounds chosen on the validation split.
func (t *trainer) trainTrees(ctx context.Context) error {
	if t.tc.NoTrees {
		return nil
	}
	trees, rounds, err := trainTrees(ctx, t.tr.X, t.tr.deaths, t.va.X, t.va.deaths, defaultTrees, t.tc.Seed)
	if err != nil {
		return err
	}
	t.a.Trees, t.rep.TreeRounds = trees, rounds
	t.zT = scores{logits(trees, t.va.X), logits(trees, t.te.X)}
	t.progress(Progress{Stage: "trees", ValAUROC: evaluation.AUROC(t.zT.val, t.va.deaths)})
	return nil
}

// trainGRUD fits the GRU-D ensemble (unless Epochs is negative): Members
// networks with seeds Seed, Seed+1000, ..., each stopped at its best
// validation epoch.
func (t *trainer) trainGRUD(ctx context.Context) error {
	if t.tc.Epochs <= 0 {
		return nil
	}
	series := func(cs []cleaned) []*Series {
		out := make([]*Series, len(cs))
		for i := range cs {
			out[i] = t.a.Norm.series(&cs[i], t.a.Config, -1, "")
		}
		return out
	}
	trSer, vaSer, teSer := series(t.tr.clean), series(t.va.clean), series(t.te.clean)
	for k := range t.tc.Members {
		mc := t.tc
		mc.Seed = t.tc.Seed + uint64(k)*1000
		g, info, err := trainGRUD(ctx, trSer, t.tr.deaths, vaSer, t.va.deaths, mc, func(p Progress) {
			p.Member, p.Members = k+1, t.tc.Members
			t.progress(p)
		})
		if err != nil {
			return err
		}
		t.a.GRUD = append(t.a.GRUD, g)
		t.rep.BestEpochs = append(t.rep.BestEpochs, info.bestEpoch)
		t.rep.ValidationAUROCMembers = append(t.rep.ValidationAUROCMembers, info.valAUROC)
		t.rep.PositiveWeightGRUD = info.posWeight
	}
	t.zG = scores{batchedLogits(t.a.GRUD, vaSer), batchedLogits(t.a.GRUD, teSer)}
	t.rep.ValidationAUROCGRUD = evaluation.AUROC(t.zG.val, t.va.deaths)
	return nil
}

// calibrate works on the validation split only: it fits a Platt scaling
// per component, puts the components on a common scale (their calibrated
// log-odds), chooses blend weights (a grid of step 0.25) by validation
// AUROC, folds each component's calibration into its stored parameters so
// that the blend of raw logits equals the blend of calibrated log-odds,
// and fits the calibration of the blend.
func (t *trainer) calibrate(context.Context) error {
	a, y := &t.a, t.va.deaths
	var err error
	if a.CalibLR, err = evaluation.FitPlatt(t.zL.val, y, false); err != nil {
		return err
	}
	a.CalibGRUD = a.CalibLR
	if a.GRUD != nil {
		if a.CalibGRUD, err = evaluation.FitPlatt(t.zG.val, y, false); err != nil {
			return err
		}
	}
	if a.Trees != nil {
		if t.calibTrees, err = evaluation.FitPlatt(t.zT.val, y, false); err != nil {
			return err
		}
	}
	t.cL = calibrated(t.zL, a.CalibLR)
	if a.GRUD != nil {
		t.cG = calibrated(t.zG, a.CalibGRUD)
	}
	if a.Trees != nil {
		t.cT = calibrated(t.zT, t.calibTrees)
	}
	t.chooseWeights()
	t.foldCalibration()
	mix := blend(t.cL.val, t.cG.val, t.cT.val, a.Weights)
	if a.Calib, err = evaluation.FitPlatt(mix, y, false); err != nil {
		return err
	}
	t.valRisk = apply(a.Calib, mix)
	return nil
}

// chooseWeights picks the blend weights with the best validation AUROC on
// a grid of step 0.25, leaving out components that were not trained.
func (t *trainer) chooseWeights() {
	a := &t.a
	best := -1.0
	for i := 0; i <= 4; i++ {
		for j := 0; i+j <= 4; j++ {
			w := Weights{Logistic: float64(4-i-j) / 4, GRUD: float64(i) / 4, Trees: float64(j) / 4}
			if (w.GRUD > 0 && a.GRUD == nil) || (w.Trees > 0 && a.Trees == nil) {
				continue
			}
			if auc := evaluation.AUROC(blend(t.cL.val, t.cG.val, t.cT.val, w), t.va.deaths); auc > best+1e-9 {
				best, a.Weights = auc, w
			}
		}
	}
	t.rep.Weights = a.Weights
}

// foldCalibration rescales the stored components so that each one's raw
// logit is its calibrated log-odds.
func (t *trainer) foldCalibration() {
	a := &t.a
	a.Logistic = scaleLogistic(t.lr, a.CalibLR)
	a.CalibLR = evaluation.Platt{A: 1}
	for _, g := range a.GRUD {
		scaleGRUD(g, a.CalibGRUD)
	}
	a.CalibGRUD = evaluation.Platt{A: 1}
	if a.Trees != nil {
		a.Trees.Base = t.calibTrees.A*a.Trees.Base + t.calibTrees.B
		a.Trees.Rate *= t.calibTrees.A
	}
}

// fixThreshold sets the decision threshold to flag the training death rate
// of the validation stays (FP = FN, so sensitivity = positive
// predictivity), the low band's cut at 90% validation sensitivity, and the
// validation metrics. The threshold that maximises validation Event-1 is
// noisier and is reported for comparison only (measureTest).
func (t *trainer) fixThreshold() {
	a := &t.a
	a.Threshold = evaluation.ThresholdForRate(t.valRisk, t.prevalence)
	a.LowCut = math.Min(evaluation.ThresholdForSensitivity(t.valRisk, t.va.deaths, 0.9), a.Threshold)
	a.Validation = Evaluate(t.valRisk, t.va.deaths, a.Threshold)
	t.rep.ValidationCombined = a.Validation
	t.progress(Progress{Stage: "calibration", ValAUROC: a.Validation.AUROC})
}

// measureTest measures every component and the shipped blend on the test
// split. Each component alone gets its own validation threshold.
func (t *trainer) measureTest() {
	a, y := &t.a, t.te.deaths
	alone := func(c scores) Metrics {
		return Evaluate(probs(c.test), y, evaluation.ThresholdForRate(probs(c.val), t.prevalence))
	}
	t.rep.Baseline = alone(t.cL)
	if a.GRUD != nil {
		m := alone(t.cG)
		t.rep.GRUD = &m
	}
	if a.Trees != nil {
		m := alone(t.cT)
		t.rep.Trees = &m
	}
	risk := apply(a.Calib, blend(t.cL.test, t.cG.test, t.cT.test, a.Weights))
	t.rep.Combined = Evaluate(risk, y, a.Threshold)
	thMax, _ := evaluation.BestEvent1Threshold(t.valRisk, t.va.deaths)
	t.rep.Event1ValMaxThreshold = evaluation.Event1(risk, y, thMax)
}

// calibrated returns a component's scores as calibrated log-odds.
func calibrated(z scores, p evaluation.Platt) scores {
	cal := func(z []float64) []float64 {
		out := make([]float64, len(z))
		for i, v := range z {
			out[i] = p.A*v + p.B
		}
		return out
	}
	return scores{cal(z.val), cal(z.test)}
}

// blend mixes the components' calibrated log-odds with weights w; zg and
// zt may be nil when their weight is 0.
func blend(zl, zg, zt []float64, w Weights) []float64 {
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
