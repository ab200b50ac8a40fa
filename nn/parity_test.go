package nn

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/galenhealth/galen/nn/safetensors"
)

// The golden files in testdata/parity come from PyTorch 1.13 through
// tools/torchref/gen_parity.py (see its README for the key layout and how to
// regenerate). These tests load the same weights by state_dict name, run the
// same inputs, back-propagate the same upstream gradients and compare.

const (
	parityRTol = 1e-4
	parityATol = 2e-5
)

type golden struct {
	tb   testing.TB
	name string
	f    *safetensors.File
}

func loadGolden(tb testing.TB, name string) *golden {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "parity", name+".safetensors"))
	if err != nil {
		tb.Fatal(err)
	}
	f, err := safetensors.Load(data)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return &golden{tb: tb, name: name, f: f}
}

// tensor returns a heap copy of the tensor stored under key.
func (g *golden) tensor(key string) *Tensor {
	g.tb.Helper()
	st, ok := g.f.Tensors[key]
	if !ok {
		g.tb.Fatalf("%s: no %q in golden file (has %v)", g.name, key, g.f.Names())
	}
	shape := st.Shape
	if shape == nil {
		shape = []int{}
	}
	return FromSlice(append([]float32(nil), st.Data...), shape...)
}

// input returns in.<key> as a tensor that wants a gradient.
func (g *golden) input(key string) *Tensor {
	t := g.tensor("in." + key)
	t.SetRequiresGrad(true)
	return t
}

func (g *golden) ints(key string) []int {
	t := g.tensor("in." + key)
	out := make([]int, len(t.Data))
	for i, v := range t.Data {
		out[i] = int(v)
	}
	return out
}

func (g *golden) bools(key string) []bool {
	t := g.tensor("in." + key)
	out := make([]bool, len(t.Data))
	for i, v := range t.Data {
		out[i] = v != 0
	}
	return out
}

func (g *golden) meta(key string) int {
	g.tb.Helper()
	v, err := strconv.Atoi(g.f.Metadata[key])
	if err != nil {
		g.tb.Fatalf("%s: metadata %q: %v", g.name, key, err)
	}
	return v
}

// loadParams copies every param.* tensor of the file into m's parameters by
// name, through safetensors' checked Assign: a missing, unexpected or
// misshapen name fails the test.
func (g *golden) loadParams(m Module) {
	g.tb.Helper()
	sub := &safetensors.File{Tensors: map[string]safetensors.Tensor{}}
	for name, t := range g.f.Tensors {
		if n, ok := strings.CutPrefix(name, "param."); ok {
			sub.Tensors[n] = t
		}
	}
	targets := map[string]safetensors.Target{}
	for _, p := range m.Parameters() {
		targets[p.Name] = safetensors.Target{Shape: p.Tensor.Shape, Data: p.Tensor.Data}
	}
	if err := sub.Assign(targets); err != nil {
		g.tb.Fatalf("%s: %v", g.name, err)
	}
}

// compare checks got against want elementwise: |got-want| <= ATol + RTol·|want|.
func (g *golden) compare(what string, got []float32, want *Tensor) {
	g.tb.Helper()
	if len(got) != len(want.Data) {
		g.tb.Errorf("%s %s: %d values, want %d", g.name, what, len(got), len(want.Data))
		return
	}
	bad, worst, wi := 0, 0.0, 0
	for i, w := range want.Data {
		d := math.Abs(float64(got[i]) - float64(w))
		if e := d / (parityATol + parityRTol*math.Abs(float64(w))); e > worst || math.IsNaN(d) {
			worst, wi = e, i
		}
		if !(d <= parityATol+parityRTol*math.Abs(float64(w))) {
			bad++
		}
	}
	if bad > 0 {
		g.tb.Errorf("%s %s: %d of %d values off; worst [%d] = %v, torch %v", g.name, what, bad, len(got), wi, got[wi], want.Data[wi])
	}
}

// backward seeds every output with its gout.<name> from the file.
func (g *golden) backward(tp *Tape, outs map[string]*Tensor) {
	g.tb.Helper()
	var total *Tensor
	for name, y := range outs {
		g.compare("out."+name, y.Data, g.tensor("out."+name))
		term := tp.Sum(tp.Mul(y, g.tensor("gout."+name)))
		if total == nil {
			total = term
		} else {
			total = tp.Add(total, term)
		}
	}
	tp.Backward(total)
}

// checkGrads compares the gradients of the given inputs and of m's
// parameters with grad.in.* and grad.param.*.
func (g *golden) checkGrads(m Module, inputs map[string]*Tensor) {
	g.tb.Helper()
	for name, x := range inputs {
		g.compare("grad.in."+name, x.Grad, g.tensor("grad.in."+name))
	}
	if m == nil {
		return
	}
	for _, p := range m.Parameters() {
		if _, ok := g.f.Tensors["grad.param."+p.Name]; !ok {
			g.tb.Errorf("%s: no torch gradient for %s", g.name, p.Name)
			continue
		}
		g.compare("grad.param."+p.Name, p.Tensor.Grad, g.tensor("grad.param."+p.Name))
	}
}

// parityCase runs a layer with one input "x" and one output "y".
func parityLayer(t *testing.T, name string, m Module, fwd func(tp *Tape, x *Tensor) *Tensor, train bool) {
	g := loadGolden(t, name)
	g.loadParams(m)
	x := g.input("x")
	tp := NewTape()
	tp.SetTraining(train)
	g.backward(tp, map[string]*Tensor{"y": fwd(tp, x)})
	g.checkGrads(m, map[string]*Tensor{"x": x})
}

func TestParityLayers(t *testing.T) {
	rng := NewRand(1)
	t.Run("linear", func(t *testing.T) {
		m := NewLinear(5, 4, true, rng)
		parityLayer(t, "linear", m, m.Forward, true)
	})
	t.Run("layernorm", func(t *testing.T) {
		m := NewLayerNorm(8)
		parityLayer(t, "layernorm", m, m.Forward, true)
	})
	t.Run("embedding", func(t *testing.T) {
		g := loadGolden(t, "embedding")
		m := NewEmbedding(10, 6, rng)
		g.loadParams(m)
		tp := NewTape()
		g.backward(tp, map[string]*Tensor{"y": m.Forward(tp, g.ints("ids"), 2, 4)})
		g.checkGrads(m, nil)
	})
	t.Run("mha", func(t *testing.T) {
		g := loadGolden(t, "mha")
		m := NewMultiheadAttention(16, 4, 0, rng)
		pad := g.bools("key_padding_mask")
		parityLayer(t, "mha", m, func(tp *Tape, x *Tensor) *Tensor { return m.Forward(tp, x, pad) }, true)
	})
	t.Run("transformer_layer", func(t *testing.T) {
		g := loadGolden(t, "transformer_layer")
		m := NewTransformerEncoderLayer(TransformerConfig{DModel: 16, Heads: 4, FFN: 32, Dropout: 0.1}, rng)
		pad := g.bools("key_padding_mask")
		// PyTorch ran in eval mode: dropout off, gradients still recorded.
		parityLayer(t, "transformer_layer", m, func(tp *Tape, x *Tensor) *Tensor { return m.Forward(tp, x, pad) }, false)
	})
	for _, name := range []string{"conv2d", "conv2d_stride2"} {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			m := NewConv2d(2, 3, 3, g.meta("stride"), g.meta("padding"), true, rng)
			parityLayer(t, name, m, m.Forward, true)
		})
	}
	t.Run("maxpool2d", func(t *testing.T) {
		g := loadGolden(t, "maxpool2d")
		m := MaxPool2d{Kernel: g.meta("kernel"), Stride: g.meta("stride")}
		parityLayer(t, "maxpool2d", m, m.Forward, true)
	})
	t.Run("avgpool2d", func(t *testing.T) {
		g := loadGolden(t, "avgpool2d")
		m := AvgPool2d{Kernel: g.meta("kernel"), Stride: g.meta("stride"), Padding: g.meta("padding")}
		parityLayer(t, "avgpool2d", m, m.Forward, true)
	})
	t.Run("batchnorm2d", func(t *testing.T) {
		g := loadGolden(t, "batchnorm2d")
		m := NewBatchNorm2d(3)
		copy(m.RunningMean.Data, g.tensor("in.running_mean_before").Data)
		copy(m.RunningVar.Data, g.tensor("in.running_var_before").Data)
		parityLayer(t, "batchnorm2d", m, m.Forward, true)
		g.compare("running_mean", m.RunningMean.Data, g.tensor("out.running_mean"))
		g.compare("running_var", m.RunningVar.Data, g.tensor("out.running_var"))
	})
}

// recurrent is what LSTM and GRU have in common.
type recurrent interface {
	Module
	Forward(tp *Tape, x *Tensor, lengths []int) (out, last *Tensor)
}

func TestParityRecurrent(t *testing.T) {
	rng := NewRand(2)
	for _, tt := range []struct {
		name    string
		m       recurrent
		lengths bool
	}{
		{"lstm", NewLSTM(4, 6, 1, rng), false},
		{"lstm_lengths", NewLSTM(4, 6, 1, rng), true},
		{"gru", NewGRU(4, 6, 1, rng), false},
		{"gru_lengths", NewGRU(4, 6, 1, rng), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := loadGolden(t, tt.name)
			g.loadParams(tt.m)
			x := g.input("x")
			var lengths []int
			if tt.lengths {
				lengths = g.ints("lengths")
			}
			tp := NewTape()
			y, h := tt.m.Forward(tp, x, lengths)
			g.backward(tp, map[string]*Tensor{"y": y, "h_n": h})
			g.checkGrads(tt.m, map[string]*Tensor{"x": x})
		})
	}
}

func TestParityLosses(t *testing.T) {
	t.Run("cross_entropy", func(t *testing.T) {
		g := loadGolden(t, "cross_entropy")
		logits := g.input("logits")
		tp := NewTape()
		g.backward(tp, map[string]*Tensor{"loss": tp.CrossEntropy(logits, g.ints("target"), g.tensor("in.weight").Data)})
		g.checkGrads(nil, map[string]*Tensor{"logits": logits})
	})
	t.Run("bce_with_logits", func(t *testing.T) {
		g := loadGolden(t, "bce_with_logits")
		logits := g.input("logits")
		tp := NewTape()
		g.backward(tp, map[string]*Tensor{"loss": tp.BCEWithLogits(logits, g.tensor("in.target"), g.tensor("in.pos_weight").Data)})
		g.checkGrads(nil, map[string]*Tensor{"logits": logits})
	})
	t.Run("mse", func(t *testing.T) {
		g := loadGolden(t, "mse")
		pred := g.input("pred")
		tp := NewTape()
		g.backward(tp, map[string]*Tensor{"loss": tp.MSE(pred, g.tensor("in.target"))})
		g.checkGrads(nil, map[string]*Tensor{"pred": pred})
	})
}

func TestParityAdamW(t *testing.T) {
	g := loadGolden(t, "adamw")
	p := g.input("p0")
	opt := NewAdamW([]NamedParam{{"p", p}}, AdamWConfig{LR: 1e-2, WeightDecay: 0.01})
	for _, step := range []string{"1", "2"} {
		copy(p.Grad, g.tensor("in.grad"+step).Data)
		opt.Step()
		g.compare("p"+step, p.Data, g.tensor("out.p"+step))
	}
}
