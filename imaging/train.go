package imaging

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/evaluation"
	"github.com/galenhealth/galen/nn"
)

// Model card text for the shipped data set.
const (
	PneumoniaMNISTData = "PneumoniaMNIST (MedMNIST v2, Yang et al., Sci Data 2023): 28x28 paediatric chest X-rays from " +
		"Kermany et al. 2018 (Guangzhou Women and Children's Medical Center), normal vs pneumonia; this copy's train split " +
		"lacks 826 of the official 1,214 normal images (train 388 normal / 3,494 pneumonia; official val 524, test 624)"
	PneumoniaMNISTLicense = "CC BY 4.0 (MedMNIST v2, as stated by its authors; the copy used, github.com/varun19424/pneumonia_mnist, has no license file)"
)

// DefaultEMA is the weight averaging `galen train imaging` uses.
const DefaultEMA = 0.99

// DefaultSeed seeds initialisation, shuffling and augmentation unless
// another is given.
const DefaultSeed = 9

// TrainConfig configures Train. Zero fields take the defaults in brackets.
type TrainConfig struct {
	Seed     uint64    // [9]
	Epochs   int       // at most [30]
	Patience int       // epochs without a better validation AUC before stopping [8]
	Batch    int       // [64]
	LR       float64   // AdamW peak learning rate, cosine decay [3e-3]
	Decay    float64   // AdamW weight decay [1e-4]
	Net      NetConfig // [16-32-64, one block per stage]
	Augment  *Augment  // [DefaultAugment]; &Augment{} turns it off
	// EMA, when in (0, 1), evaluates and keeps an exponential moving
	// average of the weights (decay per step) instead of the weights
	// themselves. [off]
	EMA float64
	// Balance weights the loss by inverse class frequency; otherwise
	// classes count as they come. [true unless NoBalance]
	NoBalance bool
	// TrainingData and DataLicense go into the model card.
	TrainingData, DataLicense string
	Progress                  func(Progress)
	Log                       *slog.Logger
}

func (tc TrainConfig) withDefaults() TrainConfig {
	if tc.Seed == 0 {
		tc.Seed = DefaultSeed
	}
	if tc.Epochs == 0 {
		tc.Epochs = 30
	}
	if tc.Patience == 0 {
		tc.Patience = 8
	}
	if tc.Batch == 0 {
		tc.Batch = 64
	}
	if tc.LR == 0 {
		tc.LR = 3e-3
	}
	if tc.Decay == 0 {
		tc.Decay = 1e-4
	}
	if tc.Augment == nil {
		a := DefaultAugment
		tc.Augment = &a
	}
	if tc.TrainingData == "" {
		tc.TrainingData = PneumoniaMNISTData
	}
	if tc.DataLicense == "" {
		tc.DataLicense = PneumoniaMNISTLicense
	}
	tc.Net = tc.Net.withDefaults()
	return tc
}

// Progress reports the end of an epoch.
type Progress struct {
	Epoch, Epochs int
	Loss          float64 // mean training loss of the epoch
	ValAUC        float64
}

// Metrics are a model's results on one split at its fixed threshold.
type Metrics struct {
	AUC         float64 `json:"auc"`
	Acc         float64 `json:"acc"`
	Sensitivity float64 `json:"sensitivity"`
	Specificity float64 `json:"specificity"`
	N           int     `json:"n"`
}

// Report describes a training run.
type Report struct {
	Seed         uint64        `json:"seed"`
	Epochs       int           `json:"epochs"`     // run
	BestEpoch    int           `json:"best_epoch"` // kept (1-based)
	ValAUCNoTTA  float64       `json:"val_auc_no_tta"`
	ValAUCTTA    float64       `json:"val_auc_tta"`
	Settings     Settings      `json:"settings"`
	Validation   Metrics       `json:"validation"`
	Test         Metrics       `json:"test"`
	Duration     time.Duration `json:"-"`
	Seconds      float64       `json:"train_seconds"`
	Parameters   int           `json:"parameters"`
	TrainImages  int           `json:"train_images"`
	ClassWeights []float32     `json:"class_weights,omitempty"`
}

// Train trains a Net on d.Train, keeps the epoch with the best validation
// AUC (early stopping), decides test-time augmentation, the threshold, the
// bands and the uncertain range on d.Val, and measures the result on
// d.Test, which plays no part in any choice.
func Train(ctx context.Context, d *MedMNIST, tc TrainConfig) (*Model, *Report, error) {
	start := time.Now()
	tc = tc.withDefaults()
	tr, va := d.Train, d.Val
	S := tc.Net.Size
	for _, s := range []*Set{d.Train, d.Val, d.Test} {
		if s.H != S || s.W != S {
			return nil, nil, galen.Errorf(galen.EINVALID, "imaging: images are %dx%d, the network takes %dx%d", s.H, s.W, S, S)
		}
	}
	for name, s := range map[string]*Set{"train": tr, "val": va} {
		if pos := count(s.Labels, 1); pos == 0 || pos == s.N {
			return nil, nil, galen.Errorf(galen.EINVALID, "imaging: the %s split needs both classes", name)
		}
	}
	net := NewNet(tc.Net, tc.Seed)
	params := net.Parameters()
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: tc.LR, WeightDecay: tc.Decay})
	stepsPer := (tr.N + tc.Batch - 1) / tc.Batch
	sched := nn.Schedule{Base: tc.LR, Min: tc.LR / 100, Warmup: stepsPer, Total: stepsPer * tc.Epochs, Decay: nn.Cosine}
	var weights []float32
	if !tc.NoBalance {
		pos := float32(count(tr.Labels, 1))
		neg := float32(tr.N) - pos
		weights = []float32{float32(tr.N) / (2 * neg), float32(tr.N) / (2 * pos)}
	}
	rep := &Report{Seed: tc.Seed, TrainImages: tr.N, ClassWeights: weights}
	for _, p := range params {
		rep.Parameters += len(p.Tensor.Data)
	}
	trX := make([]float32, tr.N*S*S)
	Normalize(trX, tr.Pixels)
	vaX := make([]float32, va.N*S*S)
	Normalize(vaX, va.Pixels)
	vaY := bools(va.Labels)
	rng := nn.NewRand(tc.Seed + 1)
	tp := nn.NewTape()
	order := make([]int, tr.N)
	for i := range order {
		order[i] = i
	}
	batchX := make([]float32, tc.Batch*S*S)
	batchY := make([]int, tc.Batch)
	state := append(slices.Clone(params), net.Buffers()...)
	best := snapshot(state)
	bestAUC, bad := -1.0, 0
	model := &Model{net: net}
	var ema, live [][]float32
	if tc.EMA > 0 && tc.EMA < 1 {
		ema, live = snapshot(params), snapshot(params)
	}
	for epoch := range tc.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var lossSum float64
		for b := range stepsPer {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			lo, hi := b*tc.Batch, min(tr.N, (b+1)*tc.Batch)
			n := hi - lo
			for k, i := range order[lo:hi] {
				tc.Augment.apply(batchX[k*S*S:(k+1)*S*S], trX[i*S*S:(i+1)*S*S], S, S, rng)
				batchY[k] = tr.Labels[i]
			}
			tp.Reset()
			logits := net.Forward(tp, nn.FromSlice(batchX[:n*S*S], n, 1, S, S))
			loss := tp.CrossEntropy(logits, batchY[:n], weights)
			tp.Backward(loss)
			opt.SetLR(sched.At(epoch*stepsPer + b))
			opt.Step()
			opt.ZeroGrad()
			if ema != nil {
				d := float32(tc.EMA)
				for i, p := range params {
					for j, v := range p.Tensor.Data {
						ema[i][j] = d*ema[i][j] + (1-d)*v
					}
				}
			}
			lossSum += float64(loss.Item())
		}
		if ema != nil { // evaluate (and keep, if best) the averaged weights
			copyInto(live, params)
			restore(params, ema)
		}
		probs, err := model.probabilities(ctx, vaX, va.N, false)
		if err != nil {
			return nil, nil, err
		}
		auc := evaluation.AUROC(probs, vaY)
		rep.Epochs = epoch + 1
		if tc.Progress != nil {
			tc.Progress(Progress{Epoch: epoch + 1, Epochs: tc.Epochs, Loss: lossSum / float64(stepsPer), ValAUC: auc})
		}
		if tc.Log != nil {
			tc.Log.Info("imaging epoch", "epoch", epoch+1, "loss", lossSum/float64(stepsPer), "val_auc", auc)
		}
		improved := auc > bestAUC
		if improved {
			bestAUC, bad, rep.BestEpoch = auc, 0, epoch+1
			copyInto(best, state)
		}
		if ema != nil {
			restore(params, live)
		}
		if !improved {
			if bad++; bad >= tc.Patience {
				break
			}
		}
	}
	restore(state, best)

	// Test-time augmentation only if it raises validation AUC.
	pNo, err := model.probabilities(ctx, vaX, va.N, false)
	if err != nil {
		return nil, nil, err
	}
	pTTA, err := model.probabilities(ctx, vaX, va.N, true)
	if err != nil {
		return nil, nil, err
	}
	rep.ValAUCNoTTA, rep.ValAUCTTA = evaluation.AUROC(pNo, vaY), evaluation.AUROC(pTTA, vaY)
	s := Settings{Net: tc.Net, TTA: rep.ValAUCTTA > rep.ValAUCNoTTA}
	vp := pNo
	if s.TTA {
		vp = pTTA
	}
	s.Threshold = balancedThreshold(vp, vaY)
	s.BandLow = bandLow(vp, vaY, 0.98)
	s.BandHigh = bandHigh(vp, vaY, 0.98)
	s.UncertainLow, s.UncertainHigh = uncertainRange(vp, s.Threshold, 0.10)
	model.settings = s
	rep.Settings = s
	rep.Validation = metricsAt(vp, vaY, s.Threshold)
	if rep.Test, err = Evaluate(ctx, model, d.Test); err != nil {
		return nil, nil, err
	}
	rep.Duration = time.Since(start)
	rep.Seconds = rep.Duration.Seconds()
	model.card = galen.ModelCard{
		Task:         "pneumonia vs normal from a frontal paediatric chest X-ray (28x28 grey)",
		TrainingData: tc.TrainingData,
		DataLicense:  tc.DataLicense,
		Split:        fmt.Sprintf("the data set's own train/val/test splits: trained on train (%d images), every setting (epoch, test-time augmentation, threshold, bands) chosen on val (%d), measured once on test (%d)", tr.N, va.N, d.Test.N),
		Seed:         int64(tc.Seed),
		Metrics: map[string]float64{
			"test_auc": rep.Test.AUC, "test_acc": rep.Test.Acc, "test_sensitivity": rep.Test.Sensitivity,
			"test_specificity": rep.Test.Specificity, "val_auc": rep.Validation.AUC, "threshold": s.Threshold,
		},
		IntendedUse: "Decision support and research: flags frontal chest X-rays of children that may show pneumonia, for a radiologist to read first. Not a diagnosis.",
		Limitations: "Trained at 28x28 on one paediatric centre's images (Guangzhou); bacterial and viral pneumonia are one class; adults, lateral views, other scanners and other conditions are outside its data. " +
			"Flagged uncertain near the threshold. The training split lacks 826 normal images of the official one, so its class balance differs (weighted loss).",
	}
	return model, rep, nil
}

// Evaluate measures m on s at m's threshold.
func Evaluate(ctx context.Context, m *Model, s *Set) (Metrics, error) {
	if s.H != m.Size() || s.W != m.Size() {
		return Metrics{}, galen.Errorf(galen.EINVALID, "imaging: images are %dx%d, the model takes %dx%d", s.H, s.W, m.Size(), m.Size())
	}
	p, err := m.Probabilities(ctx, s.Pixels, s.N)
	if err != nil {
		return Metrics{}, err
	}
	return metricsAt(p, bools(s.Labels), m.settings.Threshold), nil
}

func metricsAt(p []float64, y []bool, thr float64) Metrics {
	c := evaluation.ConfusionAt(p, y, thr)
	return Metrics{AUC: evaluation.AUROC(p, y), Acc: float64(c.TP+c.TN) / float64(len(y)),
		Sensitivity: c.Sensitivity(), Specificity: c.Specificity(), N: len(y)}
}

// balancedThreshold returns the cut (midway between neighbouring scores)
// that maximises sensitivity + specificity.
func balancedThreshold(p []float64, y []bool) float64 {
	cuts := candidateCuts(p)
	bestT, best := 0.5, -1.0
	for _, t := range cuts {
		c := evaluation.ConfusionAt(p, y, t)
		if j := c.Sensitivity() + c.Specificity(); j > best {
			best, bestT = j, t
		}
	}
	return bestT
}

// bandLow returns the highest cut below which sensitivity stays >= sens.
func bandLow(p []float64, y []bool, sens float64) float64 {
	cuts := candidateCuts(p)
	out := 0.0
	for _, t := range cuts {
		if evaluation.ConfusionAt(p, y, t).Sensitivity() >= sens {
			out = t
		}
	}
	return out
}

// bandHigh returns the lowest cut at or above which specificity >= spec.
func bandHigh(p []float64, y []bool, spec float64) float64 {
	cuts := candidateCuts(p)
	for _, t := range cuts {
		if evaluation.ConfusionAt(p, y, t).Specificity() >= spec {
			return t
		}
	}
	return 1
}

// uncertainRange returns the probability range around thr that holds the
// frac of scores nearest thr in logit distance.
func uncertainRange(p []float64, thr, frac float64) (lo, hi float64) {
	lt := logit(thr)
	d := make([]float64, len(p))
	for i, v := range p {
		d[i] = math.Abs(logit(v) - lt)
	}
	sort.Float64s(d)
	k := min(len(d)-1, int(frac*float64(len(d))))
	r := d[k]
	return sigmoid(lt - r), sigmoid(lt + r)
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-9), 1-1e-9)
	return math.Log(p / (1 - p))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// candidateCuts returns 0, the midpoints between distinct sorted scores,
// and 1.
func candidateCuts(p []float64) []float64 {
	s := slices.Clone(p)
	sort.Float64s(s)
	s = slices.Compact(s)
	cuts := []float64{0}
	for i := 1; i < len(s); i++ {
		cuts = append(cuts, (s[i-1]+s[i])/2)
	}
	return append(cuts, 1)
}

func bools(xs []int) []bool {
	out := make([]bool, len(xs))
	for i, x := range xs {
		out[i] = x == 1
	}
	return out
}

func snapshot(ps []nn.NamedParam) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = slices.Clone(p.Tensor.Data)
	}
	return out
}

func copyInto(dst [][]float32, ps []nn.NamedParam) {
	for i, p := range ps {
		copy(dst[i], p.Tensor.Data)
	}
}

func restore(ps []nn.NamedParam, src [][]float32) {
	for i, p := range ps {
		copy(p.Tensor.Data, src[i])
	}
}
