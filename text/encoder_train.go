package text

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/galenhealth/galen/nn"
)

// EncoderTrainConfig sets pretraining and fine-tuning.
type EncoderTrainConfig struct {
	Encoder        EncoderConfig
	VocabSize      int     // WordPiece pieces learned from the training text
	PretrainEpochs int     // masked-language-model epochs over the unlabelled text (0: no pretraining)
	Epochs         int     // fine-tuning epochs at most; the epoch with the best validation macro-F1 is kept
	Batch          int     // sequences per step
	LR             float64 // peak learning rate of both phases
	Seed           uint64
	// Progress, when set, is called after each step with the phase
	// ("pretrain" or "finetune"), the step and the number of steps.
	Progress func(phase string, step, total int)
}

// DefaultEncoderTrainConfig is the setting used by `galen train text` and
// `galen eval text`.
func DefaultEncoderTrainConfig() EncoderTrainConfig {
	return EncoderTrainConfig{Encoder: DefaultEncoderConfig(), VocabSize: 4000, PretrainEpochs: 4, Epochs: 10, Batch: 16, LR: 1e-3, Seed: 1}
}

// mlmHead predicts masked pieces from the encoder's hidden states.
type mlmHead struct {
	Dense *nn.Linear
	Norm  *nn.LayerNorm
	Out   *nn.Linear
}

func (h *mlmHead) Parameters() []nn.NamedParam {
	ps := nn.Prefix("dense", h.Dense.Parameters())
	ps = append(ps, nn.Prefix("norm", h.Norm.Parameters())...)
	return append(ps, nn.Prefix("out", h.Out.Parameters())...)
}

// maskPieces applies BERT's masking to seqs: 15 % of the pieces after
// [CLS] are chosen; 80 % of those become [MASK], 10 % a random piece and
// 10 % stay. It returns the masked copies, the flat positions of the
// chosen pieces in the padded batch of width s, and their true ids.
func maskPieces(seqs [][]int, s, vocab int, rng *rand.Rand) (masked [][]int, pos, target []int) {
	masked = make([][]int, len(seqs))
	for b, q := range seqs {
		m := append([]int(nil), q...)
		for j := 1; j < len(q); j++ {
			if rng.Float64() >= 0.15 {
				continue
			}
			pos = append(pos, b*s+j)
			target = append(target, q[j])
			switch r := rng.Float64(); {
			case r < 0.8:
				m[j] = MaskID
			case r < 0.9:
				m[j] = MaskID + 1 + rng.IntN(vocab-MaskID-1)
			}
		}
		masked[b] = m
	}
	return masked, pos, target
}

// Pretrain trains the encoder's body as a masked language model on the
// piece sequences of unlabelled texts. It returns the mean masked-piece
// loss of each epoch.
func (e *Encoder) Pretrain(ctx context.Context, seqs [][]int, cfg EncoderTrainConfig) ([]float64, error) {
	if cfg.PretrainEpochs <= 0 || len(seqs) == 0 {
		return nil, nil
	}
	rng := nn.NewRand(cfg.Seed + 101)
	d, v := e.Config.DModel, len(e.WP.Vocab)
	head := &mlmHead{Dense: nn.NewLinear(d, d, true, rng), Norm: nn.NewLayerNorm(d), Out: nn.NewLinear(d, v, true, rng)}
	params := append(e.bodyParameters(), nn.Prefix("mlm", head.Parameters())...)
	steps := cfg.PretrainEpochs * ((len(seqs) + cfg.Batch - 1) / cfg.Batch)
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: cfg.LR, WeightDecay: 0.01})
	sched := nn.Schedule{Base: cfg.LR, Warmup: steps / 10, Total: steps, Decay: nn.LinearDecay}
	tp := nn.NewTape()
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	step := 0
	var losses []float64
	for range cfg.PretrainEpochs {
		var sum float64
		var n int
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < len(order); lo += cfg.Batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var bs [][]int
			for _, i := range order[lo:min(lo+cfg.Batch, len(order))] {
				bs = append(bs, seqs[i])
			}
			_, _, s := batch(bs)
			masked, pos, target := maskPieces(bs, s, v, rng)
			if len(pos) == 0 {
				continue
			}
			tp.Reset()
			tp.Seed(cfg.Seed*1_000_003 + uint64(step))
			ids, pad, _ := batch(masked)
			h := e.hidden(tp, e.embed(tp, ids, len(bs), s), pad)
			picked := tp.Embedding(tp.Reshape(h, len(bs)*s, d), pos)
			logits := head.Out.Forward(tp, head.Norm.Forward(tp, tp.GELU(head.Dense.Forward(tp, picked))))
			loss := tp.CrossEntropy(logits, target, nil)
			sum += float64(loss.Data[0])
			n++
			tp.Backward(loss)
			nn.ClipGradNorm(params, 1)
			opt.SetLR(sched.At(step))
			opt.Step()
			opt.ZeroGrad()
			step++
			if cfg.Progress != nil {
				cfg.Progress("pretrain", step, steps)
			}
		}
		losses = append(losses, sum/float64(max(n, 1)))
	}
	return losses, nil
}

// FineTune trains the whole encoder as a classifier on labelled piece
// sequences (class-balanced cross-entropy), evaluating macro-F1 on the
// validation sequences after each epoch and keeping the best epoch's
// weights. It returns the best validation macro-F1 and its epoch.
func (e *Encoder) FineTune(ctx context.Context, seqs [][]int, y []int, valSeqs [][]int, valY []int, labels []string, cfg EncoderTrainConfig) (float64, int, error) {
	k := len(labels)
	counts := make([]int, k)
	for _, c := range y {
		counts[c]++
	}
	weight := make([]float32, k)
	for c := range k {
		if counts[c] > 0 {
			weight[c] = float32(len(y)) / float32(k*counts[c])
		}
	}
	params := e.Parameters()
	stepsPerEpoch := (len(seqs) + cfg.Batch - 1) / cfg.Batch
	steps := cfg.Epochs * stepsPerEpoch
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: cfg.LR, WeightDecay: 0.01})
	sched := nn.Schedule{Base: cfg.LR, Warmup: stepsPerEpoch, Total: steps, Decay: nn.LinearDecay}
	rng := nn.NewRand(cfg.Seed + 202)
	tp := nn.NewTape()
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	best, bestEpoch := -1.0, 0
	var bestParams [][]float32
	step := 0
	for epoch := range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < len(order); lo += cfg.Batch {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
			var bs [][]int
			var by []int
			for _, i := range order[lo:min(lo+cfg.Batch, len(order))] {
				bs = append(bs, seqs[i])
				by = append(by, y[i])
			}
			tp.Reset()
			tp.Seed(cfg.Seed*1_000_033 + uint64(step))
			loss := tp.CrossEntropy(e.forward(tp, bs), by, weight)
			tp.Backward(loss)
			nn.ClipGradNorm(params, 1)
			opt.SetLR(sched.At(step))
			opt.Step()
			opt.ZeroGrad()
			step++
			if cfg.Progress != nil {
				cfg.Progress("finetune", step, steps)
			}
		}
		f1 := Evaluate(labels, valY, e.probsOf(valSeqs, 1), 0).MacroF1
		if f1 > best {
			best, bestEpoch = f1, epoch+1
			bestParams = bestParams[:0]
			for _, p := range params {
				bestParams = append(bestParams, append([]float32(nil), p.Tensor.Data...))
			}
		}
	}
	if bestParams == nil {
		return 0, 0, fmt.Errorf("text: no fine-tuning epoch")
	}
	for i, p := range params {
		copy(p.Tensor.Data, bestParams[i])
	}
	return best, bestEpoch, nil
}

// logitsOf returns the logits of many sequences, in batches.
func (e *Encoder) logitsOf(seqs [][]int) [][]float64 {
	out := make([][]float64, 0, len(seqs))
	tp := nn.NewInferenceTape()
	for lo := 0; lo < len(seqs); lo += 32 {
		tp.Reset()
		l := e.forward(tp, seqs[lo:min(lo+32, len(seqs))])
		k := l.Shape[1]
		for b := range l.Shape[0] {
			z := make([]float64, k)
			for j := range k {
				z[j] = float64(l.Data[b*k+j])
			}
			out = append(out, z)
		}
	}
	return out
}

func (e *Encoder) probsOf(seqs [][]int, t float64) [][]float64 {
	ls := e.logitsOf(seqs)
	for i, l := range ls {
		ls[i] = Softmax(l, t)
	}
	return ls
}
