package outcome

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var (
	trainBuiltin = flag.Bool("train-builtin", false, "train on all of set A and rewrite icu-mortality.json (minutes)")
	trainEpochs  = flag.Int("train-epochs", 0, "GRU-D epochs for -train-builtin (0 = default, <0 = no GRU-D)")
	trainSeed    = flag.Uint64("train-seed", DefaultSeed, "seed for -train-builtin")
	trainHidden  = flag.Int("train-hidden", 0, "GRU-D hidden size for -train-builtin (0 = default)")
	trainLR      = flag.Float64("train-lr", 0, "GRU-D learning rate for -train-builtin (0 = default)")
	trainMembers = flag.Int("train-members", 0, "GRU-D ensemble members for -train-builtin (0 = default)")
	trainOut     = flag.String("train-out", "icu-mortality.json", "artifact written by -train-builtin")
)

func loadSetA(tb testing.TB) *Dataset {
	tb.Helper()
	p := sharedData(tb)
	d, err := LoadDataset(context.Background(), filepath.Join(p, "set-a.tar.gz"), filepath.Join(p, "Outcomes-a.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// subset returns every k-th stay of d.
func subset(d *Dataset, k int) *Dataset {
	out := &Dataset{}
	for i := 0; i < len(d.Stays); i += k {
		out.Stays = append(out.Stays, d.Stays[i])
		out.Deaths = append(out.Deaths, d.Deaths[i])
	}
	return out
}

// TestTrainLearns trains both models on a fifth of set A and checks that
// they rank held-out stays far better than chance.
func TestTrainLearns(t *testing.T) {
	if raceEnabled {
		t.Skip("training is single-goroutine and ~10x slower under -race; .ci/run runs this test in its non-race step; Predict concurrency is checked by TestPredictConcurrent")
	}
	d := subset(loadSetA(t), 5) // 800 stays
	m, rep, err := Train(context.Background(), d, TrainConfig{Epochs: 4, Hidden: 16, Members: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline test AUROC %.3f, grud %.3f, combined %.3f (n=%d)", rep.Baseline.AUROC, rep.GRUD.AUROC, rep.Combined.AUROC, rep.Combined.N)
	if rep.Baseline.AUROC < 0.7 || rep.Combined.AUROC < 0.7 {
		t.Errorf("held-out AUROC baseline %.3f, combined %.3f; want > 0.7", rep.Baseline.AUROC, rep.Combined.AUROC)
	}
	if rep.ValidationAUROCGRUD < 0.6 {
		t.Errorf("GRU-D validation AUROC %.3f; want > 0.6", rep.ValidationAUROCGRUD)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Stays[:20] {
		r1, err := m.Risk(context.Background(), s)
		if err != nil {
			t.Fatalf("trained model: %v", err)
		}
		r2, err := m2.Risk(context.Background(), s)
		if err != nil {
			t.Fatalf("model after Marshal/Load: %v", err)
		}
		if r1 != r2 {
			t.Fatalf("risk changed through Marshal/Load: %v != %v", r1, r2)
		}
	}
}

// TestTrainBuiltin retrains the built-in model with -train-builtin.
func TestTrainBuiltin(t *testing.T) {
	if !*trainBuiltin {
		t.Skip("run with -train-builtin to retrain icu-mortality.json")
	}
	d := loadSetA(t)
	m, rep, err := Train(context.Background(), d, TrainConfig{Seed: *trainSeed, Epochs: *trainEpochs, Hidden: *trainHidden, LR: *trainLR, Members: *trainMembers,
		Progress: func(p Progress) {
			t.Logf("%s member %d/%d epoch %d/%d val AUROC %.4f", p.Stage, p.Member, p.Members, p.Epoch, p.Epochs, p.ValAUROC)
		}})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", js)
	for _, b := range rep.Combined.Curve {
		t.Logf("calibration bin [%.1f,%.1f): n=%d predicted %.3f observed %.3f", b.Lo, b.Hi, b.Count, b.MeanPredicted, b.FractionTrue)
	}
	art, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*trainOut, art, 0o644); err != nil {
		t.Fatal(err)
	}
}
