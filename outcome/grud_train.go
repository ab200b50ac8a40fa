package outcome

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/galenhealth/galen/evaluation"
	"github.com/galenhealth/galen/nn"
)

type grudInfo struct {
	bestEpoch int
	posWeight float64
	valAUROC  float64
}

// trainGRUD trains a GRU-D with BCE-with-logits (pos_weight = survivors /
// deaths in the training split), AdamW and gradient clipping at norm 1,
// keeping the weights of the epoch with the best validation AUROC and
// stopping after tc.Patience epochs without improvement. With
// tc.CheckpointDir set, it saves its state after every epoch and resumes from
// a checkpoint of the same run, with bitwise the same result.
func trainGRUD(ctx context.Context, trS []*Series, trY []bool, vaS []*Series, vaY []bool, tc TrainConfig, progress func(Progress)) (*GRUD, grudInfo, error) {
	g := NewGRUD(trS[0].F, tc.Hidden, len(trS[0].Static), tc.Seed)
	params := g.Parameters()
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: tc.LR, WeightDecay: 1e-4})
	pos := countDeaths(trY)
	info := grudInfo{posWeight: float64(len(trY)-pos) / float64(pos), valAUROC: -1}
	pw := []float32{float32(info.posWeight)}
	tp := nn.NewTape()
	tp.Seed(tc.Seed)
	rng := newRand(tc.Seed + 1)
	order := make([]int, len(trS))
	for i := range order {
		order[i] = i
	}
	best := snapshot(params)
	var st grudState
	var ckpt, fp string
	if tc.CheckpointDir != "" {
		if err := os.MkdirAll(tc.CheckpointDir, 0o755); err != nil {
			return nil, info, fmt.Errorf("outcome: checkpoint directory: %w", err)
		}
		ckpt = checkpointPath(tc.CheckpointDir, tc.Seed)
		fp = grudFingerprint(g, trS, trY, vaS, vaY, tc)
		stepsPerEpoch := (len(order) + tc.Batch - 1) / tc.Batch
		var ok bool
		var err error
		if st, ok, err = loadGRUDCheckpoint(ckpt, fp, params, best, opt, &info, stepsPerEpoch, tc.Epochs); err != nil {
			return nil, info, err
		}
		if ok {
			// Bring the shuffling and dropout generators to where they
			// were: one shuffle per epoch, one dropout mask per step.
			for range st.epoch {
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			for range opt.Steps() {
				tp.Rand().Uint64()
			}
			if tc.Log != nil {
				tc.Log.Info("outcome grud resumed", "epoch", st.epoch, "best_epoch", info.bestEpoch, "val_auroc", info.valAUROC)
			}
		}
	}
	for epoch := st.epoch + 1; epoch <= tc.Epochs && !st.done; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < len(order); lo += tc.Batch {
			if err := ctx.Err(); err != nil {
				return nil, info, err
			}
			ix := order[lo:min(lo+tc.Batch, len(order))]
			ss := make([]*Series, len(ix))
			y := nn.New(len(ix), 1)
			for k, i := range ix {
				ss[k] = trS[i]
				if trY[i] {
					y.Data[k] = 1
				}
			}
			tp.Reset()
			loss := tp.BCEWithLogits(g.forward(tp, newGRUDBatch(ss)), y, pw)
			tp.Backward(loss)
			nn.ClipGradNorm(params, 1)
			opt.Step()
			opt.ZeroGrad()
		}
		auc := evaluation.AUROC(batchedLogits(g, vaS), vaY)
		if tc.Log != nil {
			tc.Log.Info("outcome grud epoch", "epoch", epoch, "val_auroc", auc)
		}
		st.epoch = epoch
		if auc > info.valAUROC {
			info.valAUROC, info.bestEpoch = auc, epoch
			best = snapshot(params)
			st.bad = 0
		} else if st.bad++; st.bad >= tc.Patience {
			st.done = true
		}
		if ckpt != "" {
			if err := saveGRUDCheckpoint(ckpt, fp, params, best, opt, info, st); err != nil {
				return nil, info, err
			}
		}
		if st.done {
			progress(Progress{Stage: "grud", Epoch: epoch, Epochs: epoch, ValAUROC: auc})
			break
		}
		progress(Progress{Stage: "grud", Epoch: epoch, Epochs: tc.Epochs, ValAUROC: auc})
	}
	for i, p := range params {
		copy(p.Tensor.Data, best[i])
	}
	return g, info, nil
}

func snapshot(ps []nn.NamedParam) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = slices.Clone(p.Tensor.Data)
	}
	return out
}

// batchedLogits runs inference in batches of 256.
func batchedLogits(g interface{ logits([]*Series) []float64 }, ss []*Series) []float64 {
	out := make([]float64, 0, len(ss))
	for lo := 0; lo < len(ss); lo += 256 {
		out = append(out, g.logits(ss[lo:min(lo+256, len(ss))])...)
	}
	return out
}

// scaleGRUD folds a Platt scaling into the output layer: logit' = A*logit + B.
func scaleGRUD(g *GRUD, p evaluation.Platt) {
	for i := range g.Out.Weight.Data {
		g.Out.Weight.Data[i] *= float32(p.A)
	}
	g.Out.Bias.Data[0] = float32(p.A)*g.Out.Bias.Data[0] + float32(p.B)
}
