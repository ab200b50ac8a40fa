package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn/safetensors"
)

// ckptNet is a tiny CNN with a BatchNorm2d, so checkpoints hold
// parameters and buffers: conv3x3(2)+bn+relu, flatten, linear(3).
type ckptNet struct {
	conv *Conv2d
	bn   *BatchNorm2d
	out  *Linear
}

func newCkptNet(seed uint64) *ckptNet {
	rng := NewRand(seed)
	return &ckptNet{NewConv2d(1, 2, 3, 1, 1, true, rng), NewBatchNorm2d(2), NewLinear(2*4*4, 3, true, rng)}
}

func (m *ckptNet) Parameters() []NamedParam {
	ps := Prefix("conv", m.conv.Parameters())
	ps = append(ps, Prefix("bn", m.bn.Parameters())...)
	return append(ps, Prefix("out", m.out.Parameters())...)
}

func (m *ckptNet) Buffers() []NamedParam { return Prefix("bn", m.bn.Buffers()) }

func (m *ckptNet) Forward(tp *Tape, x *Tensor) *Tensor {
	h := tp.ReLU(m.bn.Forward(tp, m.conv.Forward(tp, x)))
	return m.out.Forward(tp, tp.Reshape(h, x.Shape[0], -1))
}

// ckptTrain runs n training steps of m with opt on a fixed batch; the
// learning rate follows a schedule of the optimiser's step count.
func ckptTrain(tb testing.TB, m *ckptNet, opt StatefulOptimizer, n int) {
	tb.Helper()
	rng := NewRand(99)
	x := New(4, 1, 4, 4)
	FillNormal(x, rng, 0, 1)
	y := []int{0, 2, 1, 2}
	sched := Schedule{Base: 0.05, Min: 0.001, Warmup: 2, Total: 10, Decay: Cosine}
	tp := NewTape()
	for range n {
		tp.Reset()
		loss := tp.CrossEntropy(m.Forward(tp, x), y, nil)
		tp.Backward(loss)
		ClipGradNorm(m.Parameters(), 1)
		opt.SetLR(sched.At(opt.Steps()))
		opt.Step()
		opt.ZeroGrad()
	}
}

func ckptState(m *ckptNet) []NamedParam { return append(m.Parameters(), m.Buffers()...) }

func TestCheckpointResume(t *testing.T) {
	const total, at = 7, 3
	for _, tc := range []struct {
		name string
		opt  func([]NamedParam) StatefulOptimizer
	}{
		{"AdamW", func(ps []NamedParam) StatefulOptimizer {
			return NewAdamW(ps, AdamWConfig{LR: 0.05, WeightDecay: 0.01})
		}},
		{"SGD momentum", func(ps []NamedParam) StatefulOptimizer {
			return NewSGD(ps, SGDConfig{LR: 0.05, Momentum: 0.9, WeightDecay: 1e-3})
		}},
		{"SGD plain", func(ps []NamedParam) StatefulOptimizer {
			return NewSGD(ps, SGDConfig{LR: 0.05})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := newCkptNet(1)
			ckptTrain(t, ref, tc.opt(ref.Parameters()), total)

			first := newCkptNet(1)
			opt1 := tc.opt(first.Parameters())
			ckptTrain(t, first, opt1, at)
			path := filepath.Join(t.TempDir(), "model.safetensors")
			if err := SaveCheckpointFile(path, first, opt1, map[string]string{"epoch": "3"}); err != nil {
				t.Fatal(err)
			}

			resumed := newCkptNet(2) // different initial weights, all overwritten
			opt2 := tc.opt(resumed.Parameters())
			meta, err := LoadCheckpointFile(path, resumed, opt2)
			if err != nil {
				t.Fatal(err)
			}
			if len(meta) != 1 || meta["epoch"] != "3" {
				t.Errorf("metadata %v, want only epoch=3", meta)
			}
			if opt2.Steps() != at {
				t.Errorf("steps %d after load, want %d", opt2.Steps(), at)
			}
			ckptTrain(t, resumed, opt2, total-at)

			want, got := ckptState(ref), ckptState(resumed)
			for i := range want {
				for j, w := range want[i].Tensor.Data {
					if g := got[i].Tensor.Data[j]; math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("%s[%d] = %v after resume, %v without a break", want[i].Name, j, g, w)
					}
				}
			}
		})
	}
}

func TestCheckpointNames(t *testing.T) {
	m := newCkptNet(1)
	opt := NewAdamW(m.Parameters(), AdamWConfig{LR: 1e-3})
	var buf bytes.Buffer
	if err := SaveCheckpoint(&buf, m, opt, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Load(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bn.bias", "bn.num_batches_tracked", "bn.running_mean", "bn.running_var", "bn.weight",
		"conv.bias", "conv.weight", "optim.bn.bias.exp_avg", "optim.bn.bias.exp_avg_sq",
		"optim.bn.weight.exp_avg", "optim.bn.weight.exp_avg_sq", "optim.conv.bias.exp_avg",
		"optim.conv.bias.exp_avg_sq", "optim.conv.weight.exp_avg", "optim.conv.weight.exp_avg_sq",
		"optim.out.bias.exp_avg", "optim.out.bias.exp_avg_sq", "optim.out.weight.exp_avg",
		"optim.out.weight.exp_avg_sq", "out.bias", "out.weight",
	}
	if got := f.Names(); !slices.Equal(got, want) {
		t.Errorf("names %v\nwant %v", got, want)
	}
	if f.Metadata[MetaOptimStep] != "0" || f.Metadata[MetaOptimType] != "*nn.AdamW" {
		t.Errorf("metadata %v", f.Metadata)
	}

	// Loading without an optimiser ignores its state (inference).
	m2 := newCkptNet(5)
	if _, err := LoadCheckpoint(buf.Bytes(), m2, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.out.Weight.Data, m.out.Weight.Data) {
		t.Error("weights not loaded")
	}
}

// rawFile builds a safetensors file from a JSON header and data size.
func rawFile(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, n)...)
}

func TestLoadCheckpointErrors(t *testing.T) {
	m := newCkptNet(1)
	var good bytes.Buffer
	if err := SaveCheckpoint(&good, m, NewAdamW(m.Parameters(), AdamWConfig{}), map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	var weightsOnly bytes.Buffer
	if err := SaveCheckpoint(&weightsOnly, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	var sgd bytes.Buffer
	if err := SaveCheckpoint(&sgd, m, NewSGD(m.Parameters(), SGDConfig{}), nil); err != nil {
		t.Fatal(err)
	}
	// A smaller model with every kind of mismatch: out.weight has the wrong
	// shape, out.bias is an I64 tensor, bn.running_var is missing and
	// extra.weight is not in the model.
	var hdr strings.Builder
	hdr.WriteString(`{`)
	off := 0
	add := func(name, dtype string, shape []int, elemSize int) {
		n := elemSize
		for _, d := range shape {
			n *= d
		}
		if off > 0 {
			hdr.WriteString(",")
		}
		sh, _ := json.Marshal(shape)
		if shape == nil {
			sh = []byte("[]")
		}
		fmt.Fprintf(&hdr, `"%s":{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, dtype, sh, off, off+n)
		off += n
	}
	add("conv.weight", "F32", []int{2, 1, 3, 3}, 4)
	add("conv.bias", "F32", []int{2}, 4)
	add("bn.weight", "F16", []int{2}, 2)
	add("bn.bias", "F32", []int{2}, 4)
	add("bn.running_mean", "F32", []int{2}, 4)
	add("bn.num_batches_tracked", "F32", nil, 4)
	add("out.weight", "F32", []int{3, 16}, 4)
	add("out.bias", "I64", []int{3}, 8)
	add("extra.weight", "F32", []int{1}, 4)
	hdr.WriteString("}")
	mismatched := rawFile(hdr.String(), off)

	b := good.Bytes()
	for _, tc := range []struct {
		name     string
		data     []byte
		opt      bool
		mismatch *safetensors.MismatchError
	}{
		{"empty", nil, false, nil},
		{"header only", b[:8], false, nil},
		{"truncated header", b[:40], false, nil},
		{"truncated data", b[:len(b)-3], false, nil},
		{"extra bytes", append(slices.Clone(b), 0), false, nil},
		{"bad json", rawFile(`{"a":`, 0), false, nil},
		{"no optimizer state", weightsOnly.Bytes(), true, nil},
		{"other optimizer", sgd.Bytes(), true, nil},
		{"mismatch", mismatched, false, &safetensors.MismatchError{
			Missing:    []string{"bn.running_var"},
			Unexpected: []string{"extra.weight"},
			Shape:      []string{"out.weight: file [3 16], model [3 32]"},
			DType:      []string{"out.bias: I64"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newCkptNet(7)
			before := snapshot(ckptState(m))
			var opt Optimizer
			if tc.opt {
				opt = NewAdamW(m.Parameters(), AdamWConfig{})
			}
			_, err := LoadCheckpoint(tc.data, m, opt)
			if err == nil {
				t.Fatal("no error")
			}
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Errorf("code %q: %v", galen.ErrorCode(err), err)
			}
			if !slices.EqualFunc(before, snapshot(ckptState(m)), slices.Equal) {
				t.Error("a failed load changed the model")
			}
			if tc.mismatch != nil {
				var me *safetensors.MismatchError
				if !errors.As(err, &me) {
					t.Fatalf("%v is not a MismatchError", err)
				}
				if !slices.Equal(me.Missing, tc.mismatch.Missing) || !slices.Equal(me.Unexpected, tc.mismatch.Unexpected) ||
					!slices.Equal(me.Shape, tc.mismatch.Shape) || !slices.Equal(me.DType, tc.mismatch.DType) {
					t.Errorf("mismatch %+v\nwant %+v", me, tc.mismatch)
				}
			}
		})
	}
}

func snapshot(ps []NamedParam) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = slices.Clone(p.Tensor.Data)
	}
	return out
}

func TestSaveCheckpointErrors(t *testing.T) {
	m := newCkptNet(1)
	if err := SaveCheckpoint(&bytes.Buffer{}, m, nil, map[string]string{MetaOptimStep: "1"}); galen.ErrorCode(err) != galen.EINVALID {
		t.Errorf("reserved metadata key: %v", err)
	}
	dup := dupModule{m}
	if err := SaveCheckpoint(&bytes.Buffer{}, dup, nil, nil); galen.ErrorCode(err) != galen.EINVALID {
		t.Errorf("duplicate name: %v", err)
	}
	// A failed save leaves the old file and no temporary file behind.
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := SaveCheckpointFile(path, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	if err := SaveCheckpointFile(path, dup, nil, nil); err == nil {
		t.Fatal("no error")
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("failed save changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
}

type dupModule struct{ m *ckptNet }

func (d dupModule) Parameters() []NamedParam {
	return append(d.m.Parameters(), NamedParam{"out.bias", d.m.out.Bias})
}

func FuzzLoadCheckpoint(f *testing.F) {
	m := newCkptNet(1)
	var buf bytes.Buffer
	if err := SaveCheckpoint(&buf, m, NewAdamW(m.Parameters(), AdamWConfig{}), map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	b := buf.Bytes()
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(b[:9])
	corrupt := slices.Clone(b)
	corrupt[20] ^= 0xff
	f.Add(corrupt)
	f.Add([]byte{})
	f.Add(rawFile(`{"__metadata__":{"optim.step":"-1","optim.type":"*nn.AdamW"}}`, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newCkptNet(3)
		before := snapshot(ckptState(m))
		opt := NewAdamW(m.Parameters(), AdamWConfig{})
		_, err := LoadCheckpoint(data, m, opt)
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("error code %q: %v", galen.ErrorCode(err), err)
			}
			if !slices.EqualFunc(before, snapshot(ckptState(m)), slices.Equal) || opt.Steps() != 0 {
				t.Fatal("a failed load changed the model or optimizer")
			}
		}
	})
}
