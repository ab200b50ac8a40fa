package outcome

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn"
	"github.com/galenhealth/galen/nn/safetensors"
)

// ckptConfig is a small, quick GRU-D training setup for the checkpoint
// tests. On every 10th stay of set A its second member stops early (after
// epoch 3 of 4, keeping epoch 2).
func ckptConfig(dir string) TrainConfig {
	return TrainConfig{Epochs: 4, Hidden: 8, Members: 2, NoTrees: true, LR: 0.05, Patience: 1, CheckpointDir: dir}
}

// trainKilled trains with tc, cancelling the context after each (member,
// epoch) in kills in turn, as a killed and restarted job would, and returns
// the final model's artifact.
func trainKilled(tb testing.TB, d *Dataset, tc TrainConfig, kills [][2]int) []byte {
	tb.Helper()
	for i := 0; ; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		c := tc
		if i < len(kills) {
			k := kills[i]
			c.Progress = func(p Progress) {
				if p.Stage == "grud" && p.Member == k[0] && p.Epoch == k[1] {
					cancel()
				}
			}
		}
		m, _, err := Train(ctx, d, c)
		cancel()
		if i < len(kills) {
			if !errors.Is(err, context.Canceled) {
				tb.Fatalf("run %d killed after member %d epoch %d: err = %v, want context.Canceled", i+1, kills[i][0], kills[i][1], err)
			}
			continue
		}
		if err != nil {
			tb.Fatalf("resumed run: %v", err)
		}
		b, err := m.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
}

// TestCheckpointResume kills GRU-D training at several points, resumes it
// from its checkpoints and checks that the model is bitwise the one an
// uninterrupted run without checkpoints makes; then that checkpoints from
// other settings or data, or corrupt ones, are refused with a clear error.
func TestCheckpointResume(t *testing.T) {
	if raceEnabled {
		t.Skip("training is single-goroutine and ~10x slower under -race; .ci/run runs this test in its non-race step")
	}
	d := subset(loadSetA(t), 10) // 400 stays
	tc := ckptConfig("")
	early := false
	tc.Progress = func(p Progress) { early = early || (p.Stage == "grud" && p.Epochs < tc.Epochs) }
	want := trainKilled(t, d, tc, nil)
	if !early {
		t.Fatal("no GRU-D member stopped early: the test no longer covers resuming after early stopping")
	}
	root := t.TempDir()
	var dir string
	for _, tt := range []struct {
		name  string
		kills [][2]int // (member, epoch) after which the job is killed
	}{
		{name: "no kill", kills: nil},
		{name: "first epoch", kills: [][2]int{{1, 1}}},
		{name: "twice, second member", kills: [][2]int{{1, 2}, {2, 1}}},
		{name: "after a finished member", kills: [][2]int{{1, 4}}},
		{name: "after the best epoch", kills: [][2]int{{2, 2}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir = filepath.Join(root, strings.ReplaceAll(tt.name, " ", "-"))
			got := trainKilled(t, d, ckptConfig(dir), tt.kills)
			if !bytes.Equal(got, want) {
				t.Fatalf("resumed model differs from the uninterrupted one (%d vs %d bytes)", len(got), len(want))
			}
			// Training again from finished checkpoints changes nothing.
			if again := trainKilled(t, d, ckptConfig(dir), nil); !bytes.Equal(again, want) {
				t.Fatal("rerun from finished checkpoints differs from the uninterrupted model")
			}
		})
	}

	// dir now holds the finished checkpoints of the last case.
	path := checkpointPath(dir, DefaultSeed)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		edit func(tc *TrainConfig, d *Dataset) *Dataset // changes the run
		file []byte                                     // replaces the checkpoint, if set
		want string
	}{
		{name: "other learning rate", edit: func(tc *TrainConfig, d *Dataset) *Dataset { tc.LR = 1e-3; return d },
			want: "different settings or data"},
		{name: "other data", edit: func(tc *TrainConfig, d *Dataset) *Dataset { return subset(d, 2) },
			want: "different settings or data"},
		{name: "bookkeeping past the last epoch", file: retagged(t, good, metaEpoch, "9"), want: "metadata epoch=\"9\""},
		{name: "optimizer steps for another epoch", file: retagged(t, good, nn.MetaOptimStep, "7"), want: "optimizer has taken 7 steps"},
		{name: "other format", file: retagged(t, good, metaFormat, "v0"), want: "checkpoint format"},
		{name: "a tensor missing", file: without(t, good, bestPrefix+"hidden"), want: "missing"},
		{name: "truncated", file: good[:len(good)/2], want: "not a readable checkpoint"},
		{name: "not a checkpoint", file: []byte("{}garbage"), want: "not a readable checkpoint"},
		{name: "empty", file: []byte{}, want: "not a readable checkpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tc := ckptConfig(dir)
			tc.Members = 1
			dd := d
			if tt.edit != nil {
				dd = tt.edit(&tc, d)
			}
			if tt.file != nil {
				if err := os.WriteFile(path, tt.file, 0o644); err != nil {
					t.Fatal(err)
				}
				defer os.WriteFile(path, good, 0o644)
			}
			_, _, err := Train(context.Background(), dd, tc)
			if err == nil {
				t.Fatal("Train resumed from a mismatched or corrupt checkpoint")
			}
			if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v (code %s), want EINVALID naming %s and saying %q", err, galen.ErrorCode(err), path, tt.want)
			}
		})
	}
}

// retagged returns the checkpoint ck with metadata key set to v.
func retagged(tb testing.TB, ck []byte, key, v string) []byte {
	tb.Helper()
	f, err := safetensors.Load(ck)
	if err != nil {
		tb.Fatal(err)
	}
	f.Metadata[key] = v
	return resaved(tb, f)
}

// without returns the checkpoint ck without the tensor name.
func without(tb testing.TB, ck []byte, name string) []byte {
	tb.Helper()
	f, err := safetensors.Load(ck)
	if err != nil {
		tb.Fatal(err)
	}
	if _, ok := f.Tensors[name]; !ok {
		tb.Fatalf("checkpoint has no tensor %q (has %v)", name, f.Names())
	}
	delete(f.Tensors, name)
	return resaved(tb, f)
}

func resaved(tb testing.TB, f *safetensors.File) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := safetensors.Save(&b, f.Tensors, f.Metadata); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// FuzzGRUDCheckpoint feeds arbitrary bytes to the checkpoint reader: an
// error, never a panic, and a checkpoint that is accepted has sane
// bookkeeping.
func FuzzGRUDCheckpoint(f *testing.F) {
	const epochs, steps = 3, 2
	g := NewGRUD(2, 2, 1, 1)
	params := g.Parameters()
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: 1e-3})
	for range 2 * steps {
		opt.Step()
	}
	path := filepath.Join(f.TempDir(), "ck.safetensors")
	info := grudInfo{bestEpoch: 1, valAUROC: 0.75}
	if err := saveGRUDCheckpoint(path, "fp", params, snapshot(params), opt, info, grudState{epoch: 2, bad: 1}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(retagged(f, good, metaDone, "1"))
	f.Add(retagged(f, good, metaBestAUROC, "NaN"))
	f.Add(good[:len(good)/3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := NewGRUD(2, 2, 1, 1)
		params := g.Parameters()
		opt := nn.NewAdamW(params, nn.AdamWConfig{LR: 1e-3})
		var info grudInfo
		st, err := parseGRUDCheckpoint(path, data, "fp", params, snapshot(params), opt, &info, steps, epochs)
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v (code %s): want EINVALID naming the file", err, galen.ErrorCode(err))
			}
			return
		}
		if st.epoch < 0 || st.epoch > epochs || info.bestEpoch > st.epoch || st.bad > st.epoch || opt.Steps() != st.epoch*steps {
			t.Fatalf("accepted bad bookkeeping: %+v %+v steps %d", st, info, opt.Steps())
		}
	})
}
