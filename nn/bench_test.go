package nn

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galenhealth/galen/nn/blas/vmath"
)

// The benchmarks below use exactly the shapes of
// ../shared/bench/torch_reference.py, so bench/compare-torch.sh can print
// Galen/PyTorch ratios measured in the same run. Each reports peak-MB, the
// process's peak resident memory (VmHWM) when it ends: run one benchmark per
// process (as compare-torch.sh does) for a per-workload figure.

const (
	benchVocab, benchD, benchHeads, benchFFN, benchLayers, benchClasses = 8000, 128, 4, 512, 2, 20
)

// benchEncoder is torch_reference.py's Encoder: token and position
// embeddings, a 2-layer post-norm transformer encoder, mean pooling over the
// sequence and a linear classifier.
type benchEncoder struct {
	tok, pos *Embedding
	enc      *TransformerEncoder
	out      *Linear
}

func newBenchEncoder() *benchEncoder {
	rng := NewRand(0)
	cfg := TransformerConfig{DModel: benchD, Heads: benchHeads, FFN: benchFFN, Dropout: 0.1}
	return &benchEncoder{
		tok: NewEmbedding(benchVocab, benchD, rng),
		pos: NewEmbedding(256, benchD, rng),
		enc: NewTransformerEncoder(cfg, benchLayers, rng),
		out: NewLinear(benchD, benchClasses, true, rng),
	}
}

func (m *benchEncoder) Parameters() []NamedParam {
	var ps []NamedParam
	ps = append(ps, Prefix("tok", m.tok.Parameters())...)
	ps = append(ps, Prefix("pos", m.pos.Parameters())...)
	ps = append(ps, Prefix("enc", m.enc.Parameters())...)
	return append(ps, Prefix("out", m.out.Parameters())...)
}

func (m *benchEncoder) Forward(tp *Tape, ids []int, b, s int) *Tensor {
	pos := make([]int, s)
	for i := range pos {
		pos[i] = i
	}
	x := tp.Add(m.tok.Forward(tp, ids, b, s), m.pos.Forward(tp, pos, 1, s))
	return m.out.Forward(tp, tp.MeanAxis(m.enc.Forward(tp, x, nil), 1))
}

func randIDs(n, v int, seed uint64) []int {
	rng := NewRand(seed)
	ids := make([]int, n)
	for i := range ids {
		ids[i] = rng.IntN(v)
	}
	return ids
}

// cpuTime returns the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per op (all threads) since cpu0: on a shared
// machine it varies less than wall time.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

// reportPeak reports the process's peak resident set size in MB.
func reportPeak(b *testing.B) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return // not Linux
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err == nil {
				b.ReportMetric(float64(kb)/1024, "peak-MB")
			}
		}
	}
}

// timeLoop runs step twice untimed (as torch_reference.py warms up), then
// once per benchmark iteration, and reports besides ns/op the fastest and
// the median single step (min-ms, med-ms: the statistics
// torch_reference.py prints), CPU time per step and peak memory.
func timeLoop(b *testing.B, step func()) {
	step()
	step()
	b.ReportAllocs()
	var ts []float64
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		step()
		ts = append(ts, float64(time.Since(t0))/1e6)
	}
	reportCPU(b, cpu0)
	sort.Float64s(ts)
	b.ReportMetric(ts[0], "min-ms")
	b.ReportMetric(ts[len(ts)/2], "med-ms")
	reportPeak(b)
}

// trainBench runs a full training step per iteration: reset tape, forward,
// loss, backward, AdamW(lr 1e-3, wd 0.01) step, zero grads.
func trainBench(b *testing.B, params []NamedParam, loss func(tp *Tape) *Tensor) {
	opt := NewAdamW(params, AdamWConfig{LR: 1e-3, WeightDecay: 0.01})
	tp := NewTape()
	timeLoop(b, func() {
		tp.Reset()
		opt.ZeroGrad()
		tp.Backward(loss(tp))
		opt.Step()
	})
}

// BenchmarkTransformerTrainStep: batch 16, seq 128, cross-entropy, AdamW.
func BenchmarkTransformerTrainStep(b *testing.B) {
	const B, S = 16, 128
	m := newBenchEncoder()
	ids := randIDs(B*S, benchVocab, 1)
	y := randIDs(B, benchClasses, 2)
	trainBench(b, m.Parameters(), func(tp *Tape) *Tensor {
		return tp.CrossEntropy(m.Forward(tp, ids, B, S), y, nil)
	})
}

// BenchmarkTransformerInfer: batch 1, seq 128 and 256, no tape recording.
func BenchmarkTransformerInfer(b *testing.B) {
	m := newBenchEncoder()
	for _, s := range []int{128, 256} {
		b.Run("S="+strconv.Itoa(s), func(b *testing.B) {
			ids := randIDs(s, benchVocab, 3)
			tp := NewInferenceTape()
			timeLoop(b, func() {
				tp.Reset()
				m.Forward(tp, ids, 1, s)
			})
		})
	}
}

// benchCNN is torch_reference.py's CNN: conv3x3(16)+relu+maxpool2,
// conv3x3(32)+relu+maxpool2, flatten, linear(10).
type benchCNN struct {
	c1, c2 *Conv2d
	out    *Linear
}

func (m *benchCNN) Parameters() []NamedParam {
	ps := Prefix("net.0", m.c1.Parameters())
	ps = append(ps, Prefix("net.3", m.c2.Parameters())...)
	return append(ps, Prefix("net.7", m.out.Parameters())...)
}

func (m *benchCNN) Forward(tp *Tape, x *Tensor) *Tensor {
	h := tp.MaxPool2d(tp.ReLU(m.c1.Forward(tp, x)), 2, 2)
	h = tp.MaxPool2d(tp.ReLU(m.c2.Forward(tp, h)), 2, 2)
	return m.out.Forward(tp, tp.Reshape(h, x.Shape[0], -1))
}

// BenchmarkCNNTrainStep: batch 32 of 1x28x28, cross-entropy, AdamW.
func BenchmarkCNNTrainStep(b *testing.B) {
	const B = 32
	rng := NewRand(0)
	m := &benchCNN{NewConv2d(1, 16, 3, 1, 1, true, rng), NewConv2d(16, 32, 3, 1, 1, true, rng), NewLinear(32*7*7, 10, true, rng)}
	x := New(B, 1, 28, 28)
	FillNormal(x, rng, 0, 1)
	y := randIDs(B, 10, 4)
	trainBench(b, m.Parameters(), func(tp *Tape) *Tensor {
		return tp.CrossEntropy(m.Forward(tp, x), y, nil)
	})
}

// BenchmarkLSTMTrainStep: torch_reference.py's LSTMModel, 40 features,
// hidden 64, 48 steps, batch 64, one logit from the last hidden state,
// BCE-with-logits, AdamW.
func BenchmarkLSTMTrainStep(b *testing.B) {
	const B, T, F, H = 64, 48, 40, 64
	rng := NewRand(0)
	lstm, head := NewLSTM(F, H, 1, rng), NewLinear(H, 1, true, rng)
	x, y := New(B, T, F), New(B, 1)
	FillNormal(x, rng, 0, 1)
	for i, c := range randIDs(B, 2, 5) {
		y.Data[i] = float32(c)
	}
	params := append(Prefix("lstm", lstm.Parameters()), Prefix("out", head.Parameters())...)
	trainBench(b, params, func(tp *Tape) *Tensor {
		_, last := lstm.Forward(tp, x, nil)
		return tp.BCEWithLogits(head.Forward(tp, last), y, nil)
	})
}

// BenchmarkExp compares nn's scalar exp32 (softmax, sigmoid and tanh on
// CPUs without AVX2) with the AVX2 slice version in nn/blas/vmath that
// they use otherwise, on 4096 values.
func BenchmarkExp(b *testing.B) {
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(src))
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			for i, x := range src {
				dst[i] = exp32(x)
			}
		}
	})
	b.Run("vmath", func(b *testing.B) {
		for b.Loop() {
			vmath.Exp(dst, src)
		}
	})
}
