package text

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/galenhealth/galen/nn"
)

// DefaultSeed is the seed of the built-in model's split and training.
const DefaultSeed = 20261204

// Default split fractions: test of all, validation of the rest.
const (
	DefaultTestFrac = 0.2
	DefaultValFrac  = 0.2
)

// TrainConfig sets a training run.
type TrainConfig struct {
	Seed      uint64
	ModelType string  // ModelLinear, ModelTransformer or ModelBest (both trained, the better on validation kept)
	TestFrac  float64 // held-out fraction (0: 0.2)
	ValFrac   float64 // validation fraction of the rest (0: 0.2)
	Encoder   EncoderTrainConfig
	// NoPretrainBaseline also fine-tunes an encoder from random weights,
	// so the report shows what pretraining adds.
	NoPretrainBaseline bool
	Log                io.Writer // progress lines (nil: none)
	Progress           func(phase string, step, total int)
}

// ModelReport is one trained model's choice and scores.
type ModelReport struct {
	ModelType   string  `json:"model_type"`
	Setting     string  `json:"setting"`
	ValMacroF1  float64 `json:"validation_macro_f1"`
	Temperature float64 `json:"temperature"`
	Threshold   float64 `json:"uncertain_threshold"`
	Test        Metrics `json:"test"`
	TrainTime   string  `json:"train_time"`
}

// Report is what a training run did: data, split and each model's scores
// on the held-out test split.
type Report struct {
	Seed   uint64        `json:"seed"`
	Labels []string      `json:"labels"`
	NTrain int           `json:"n_train"` // train + validation: the 80 % the models learn from
	NVal   int           `json:"n_validation"`
	NTest  int           `json:"n_test"`
	Models []ModelReport `json:"models"`
	Chosen string        `json:"model_type"`
	Split  Split         `json:"-"`
}

// Run splits examples (stratified, seeded: test, then validation from the
// rest), trains the requested models choosing every setting on validation,
// scores them on test and returns the chosen classifier. The linear model
// is refitted on train+validation with the chosen setting; the encoder is
// pretrained on the train+validation text and fine-tuned on train, with
// validation picking its epoch. Temperature and the uncertain threshold
// come from validation predictions.
func Run(ctx context.Context, ex []Example, cfg TrainConfig) (*Classifier, *Report, error) {
	if cfg.TestFrac == 0 {
		cfg.TestFrac = DefaultTestFrac
	}
	if cfg.ValFrac == 0 {
		cfg.ValFrac = DefaultValFrac
	}
	if cfg.ModelType == "" {
		cfg.ModelType = ModelLinear
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	labels := Labels(ex)
	if len(labels) < 2 {
		return nil, nil, fmt.Errorf("text: %d label(s) after cleaning, need at least 2", len(labels))
	}
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	raw := make([]string, len(ex))
	y := make([]int, len(ex))
	for i, e := range ex {
		raw[i], y[i] = e.Label, idx[e.Label]
	}
	split := MakeSplit(raw, cfg.TestFrac, cfg.ValFrac, cfg.Seed)
	rep := &Report{Seed: cfg.Seed, Labels: labels, NTrain: len(split.Train) + len(split.Validation), NVal: len(split.Validation), NTest: len(split.Test), Split: split}
	logf("split (seed %d): %d train, %d validation, %d test; %d labels", cfg.Seed, len(split.Train), len(split.Validation), len(split.Test), len(labels))
	analyses := make([]*Analysis, len(ex))
	for i, e := range ex {
		analyses[i] = &Analysis{Text: e.Text, Tokens: Tokenize(e.Text)}
	}
	pick := func(ids []int) ([]*Analysis, []int) {
		as, ys := make([]*Analysis, len(ids)), make([]int, len(ids))
		for k, i := range ids {
			as[k], ys[k] = analyses[i], y[i]
		}
		return as, ys
	}
	trA, trY := pick(split.Train)
	vaA, vaY := pick(split.Validation)
	teA, teY := pick(split.Test)
	var best *Classifier
	bestVal := -1.0
	consider := func(c *Classifier, r ModelReport, candidate bool) {
		rep.Models = append(rep.Models, r)
		logf("%s (%s): validation macro-F1 %.3f; test macro-F1 %.3f, accuracy %.3f, ECE %.3f", r.ModelType, r.Setting, r.ValMacroF1, r.Test.MacroF1, r.Test.Accuracy, r.Test.ECE)
		if candidate && r.ValMacroF1 > bestVal {
			best, bestVal = c, r.ValMacroF1
		}
	}
	if cfg.ModelType == ModelLinear || cfg.ModelType == ModelBest {
		c, r, err := trainLinear(ctx, labels, trA, trY, vaA, vaY, teA, teY, logf)
		if err != nil {
			return nil, nil, err
		}
		consider(c, r, true)
	}
	if cfg.ModelType == ModelTransformer || cfg.ModelType == ModelBest {
		ecfg := cfg.Encoder
		if ecfg.Batch == 0 {
			ecfg = DefaultEncoderTrainConfig()
		}
		ecfg.Seed, ecfg.Progress = cfg.Seed, cfg.Progress
		variants := []int{ecfg.PretrainEpochs}
		if cfg.NoPretrainBaseline && ecfg.PretrainEpochs > 0 {
			variants = append(variants, 0)
		}
		for n, pre := range variants {
			v := ecfg
			v.PretrainEpochs = pre
			c, r, err := trainEncoder(ctx, labels, trA, trY, vaA, vaY, teA, teY, v, logf)
			if err != nil {
				return nil, nil, err
			}
			consider(c, r, n == 0)
		}
	}
	if best == nil {
		return nil, nil, fmt.Errorf("text: model type %q, want %s, %s or %s", cfg.ModelType, ModelLinear, ModelTransformer, ModelBest)
	}
	rep.Chosen = best.ModelType
	return best, rep, nil
}

func termsOf(as []*Analysis) [][]string {
	out := make([][]string, len(as))
	for i, a := range as {
		out[i] = Terms(a.Tokens)
	}
	return out
}

// calibrate fits the temperature and the uncertain threshold on
// validation logits.
func calibrate(c *Classifier, valLogits [][]float64, valY []int) {
	c.Temperature = FitTemperature(valLogits, valY)
	probs := make([][]float64, len(valLogits))
	for i, l := range valLogits {
		probs[i] = Softmax(l, c.Temperature)
	}
	c.Threshold = UncertainThreshold(valY, probs)
}

func (c *Classifier) evaluate(as []*Analysis, y []int) Metrics {
	probs := make([][]float64, len(as))
	for i, a := range as {
		probs[i] = c.Probs(a)
	}
	return Evaluate(c.Labels, y, probs, c.Threshold)
}

func trainLinear(ctx context.Context, labels []string, trA []*Analysis, trY []int, vaA []*Analysis, vaY []int, teA []*Analysis, teY []int, logf func(string, ...any)) (*Classifier, ModelReport, error) {
	start := time.Now()
	trT, vaT := termsOf(trA), termsOf(vaA)
	var bestCfg LinearConfig
	var bestModel *Linear
	bestF1 := -1.0
	for _, g := range LinearGrid() {
		m, err := TrainLinear(ctx, trT, trY, len(labels), g)
		if err != nil {
			return nil, ModelReport{}, err
		}
		probs := make([][]float64, len(vaT))
		for i, t := range vaT {
			probs[i] = Softmax(m.Logits(t), 1)
		}
		f1 := Evaluate(labels, vaY, probs, 0).MacroF1
		logf("linear %v: validation macro-F1 %.3f", g, f1)
		if f1 > bestF1 {
			bestF1, bestCfg, bestModel = f1, g, m
		}
	}
	c := &Classifier{Labels: labels, ModelType: ModelLinear, Linear: bestModel}
	valLogits := make([][]float64, len(vaT))
	for i, t := range vaT {
		valLogits[i] = bestModel.Logits(t)
	}
	calibrate(c, valLogits, vaY)
	// refit on train + validation with the chosen setting
	all := append(append([][]string(nil), trT...), vaT...)
	allY := append(append([]int(nil), trY...), vaY...)
	final, err := TrainLinear(ctx, all, allY, len(labels), bestCfg)
	if err != nil {
		return nil, ModelReport{}, err
	}
	c.Linear = final
	r := ModelReport{ModelType: ModelLinear, Setting: bestCfg.String(), ValMacroF1: bestF1, Temperature: c.Temperature, Threshold: c.Threshold,
		Test: c.evaluate(teA, teY), TrainTime: time.Since(start).Round(time.Second).String()}
	return c, r, nil
}

func trainEncoder(ctx context.Context, labels []string, trA []*Analysis, trY []int, vaA []*Analysis, vaY []int, teA []*Analysis, teY []int, cfg EncoderTrainConfig, logf func(string, ...any)) (*Classifier, ModelReport, error) {
	start := time.Now()
	texts := make([]string, 0, len(trA)+len(vaA))
	for _, a := range append(append([]*Analysis(nil), trA...), vaA...) {
		texts = append(texts, a.Text)
	}
	wp := LearnWordPiece(texts[:len(trA)], cfg.VocabSize)
	logf("wordpiece: %d pieces from %d training texts", len(wp.Vocab), len(trA))
	e := NewEncoder(cfg.Encoder, wp, len(labels), nn.NewRand(cfg.Seed))
	seqsOf := func(as []*Analysis) [][]int {
		out := make([][]int, len(as))
		for i, a := range as {
			out[i], _ = e.ids(a.Tokens)
		}
		return out
	}
	trS, vaS := seqsOf(trA), seqsOf(vaA)
	if cfg.PretrainEpochs > 0 {
		// masked-language modelling on all text of the 80 %, labels unused
		losses, err := e.Pretrain(ctx, append(append([][]int(nil), trS...), vaS...), cfg)
		if err != nil {
			return nil, ModelReport{}, err
		}
		logf("pretrained %d epochs (%s); masked-piece loss per epoch %.3f", cfg.PretrainEpochs, time.Since(start).Round(time.Second), losses)
	}
	valF1, epoch, err := e.FineTune(ctx, trS, trY, vaS, vaY, labels, cfg)
	if err != nil {
		return nil, ModelReport{}, err
	}
	c := &Classifier{Labels: labels, ModelType: ModelTransformer, Encoder: e}
	calibrate(c, e.logitsOf(vaS), vaY)
	setting := fmt.Sprintf("d=%d heads=%d ffn=%d layers=%d max_len=%d vocab=%d pretrain_epochs=%d best_epoch=%d/%d lr=%g batch=%d",
		cfg.Encoder.DModel, cfg.Encoder.Heads, cfg.Encoder.FFN, cfg.Encoder.Layers, cfg.Encoder.MaxLen, len(wp.Vocab), cfg.PretrainEpochs, epoch, cfg.Epochs, cfg.LR, cfg.Batch)
	r := ModelReport{ModelType: ModelTransformer, Setting: setting, ValMacroF1: valF1, Temperature: c.Temperature, Threshold: c.Threshold,
		Test: c.evaluate(teA, teY), TrainTime: time.Since(start).Round(time.Second).String()}
	return c, r, nil
}
