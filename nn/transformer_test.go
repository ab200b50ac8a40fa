package nn

import (
	"math"
	"slices"
	"testing"
)

// textClassifier mirrors bench/torch_reference.py's Encoder at toy size:
// token + position embeddings, a transformer encoder, mean pooling, linear.
type textClassifier struct {
	tok, pos *Embedding
	enc      *TransformerEncoder
	out      *Linear
}

func newTextClassifier(seed uint64, vocab, seq, classes int, cfg TransformerConfig, layers int) *textClassifier {
	rng := NewRand(seed)
	return &textClassifier{
		tok: NewEmbedding(vocab, cfg.DModel, rng),
		pos: NewEmbedding(seq, cfg.DModel, rng),
		enc: NewTransformerEncoder(cfg, layers, rng),
		out: NewLinear(cfg.DModel, classes, true, rng),
	}
}

func (m *textClassifier) Parameters() []NamedParam {
	var ps []NamedParam
	ps = append(ps, Prefix("tok", m.tok.Parameters())...)
	ps = append(ps, Prefix("pos", m.pos.Parameters())...)
	ps = append(ps, Prefix("enc", m.enc.Parameters())...)
	return append(ps, Prefix("out", m.out.Parameters())...)
}

func (m *textClassifier) Forward(tp *Tape, ids []int, b, s int, pad []bool) *Tensor {
	positions := make([]int, s)
	for i := range positions {
		positions[i] = i
	}
	x := tp.Add(m.tok.Forward(tp, ids, b, s), m.pos.Forward(tp, positions, 1, s))
	h := m.enc.Forward(tp, x, pad)
	return m.out.Forward(tp, tp.MeanAxis(h, 1))
}

// toyBatch returns b random sequences of length s over vocab tokens, labels
// in [0, classes) and a padding mask with a few short sequences.
func toyBatch(seed uint64, b, s, vocab, classes int) ([]int, []int, []bool) {
	rng := NewRand(seed)
	ids := make([]int, b*s)
	for i := range ids {
		ids[i] = rng.IntN(vocab)
	}
	y := make([]int, b)
	pad := make([]bool, b*s)
	for i := range y {
		y[i] = rng.IntN(classes)
		n := s - rng.IntN(s/2)
		for j := n; j < s; j++ {
			pad[i*s+j] = true
		}
	}
	return ids, y, pad
}

func trainTransformer(tb testing.TB, seed uint64, steps int) (*textClassifier, []float32) {
	tb.Helper()
	const b, s, vocab, classes = 8, 12, 30, 4
	cfg := TransformerConfig{DModel: 32, Heads: 4, FFN: 64, Dropout: 0.1}
	m := newTextClassifier(1, vocab, s, classes, cfg, 2)
	ids, y, pad := toyBatch(2, b, s, vocab, classes)
	params := m.Parameters()
	opt := NewAdamW(params, AdamWConfig{LR: 3e-3, WeightDecay: 0.01})
	sched := Schedule{Base: 3e-3, Min: 3e-4, Warmup: 10, Total: steps}
	tp := NewTape()
	tp.Seed(seed)
	var losses []float32
	for step := range steps {
		tp.Reset()
		loss := tp.CrossEntropy(m.Forward(tp, ids, b, s, pad), y, nil)
		losses = append(losses, loss.Item())
		tp.Backward(loss)
		ClipGradNorm(params, 1)
		opt.SetLR(sched.At(step))
		opt.Step()
		opt.ZeroGrad()
	}
	return m, losses
}

func TestTransformerOverfitsSmallBatch(t *testing.T) {
	_, losses := trainTransformer(t, 1, 120)
	last := losses[len(losses)-1]
	t.Logf("loss %.4f -> %.4f", losses[0], last)
	if last > 0.05 || math.IsNaN(float64(last)) {
		t.Fatalf("final loss %.4f, want < 0.05", last)
	}
}

func TestSeededTrainingIsBitwiseRepeatable(t *testing.T) {
	m1, l1 := trainTransformer(t, 5, 6)
	m2, l2 := trainTransformer(t, 5, 6)
	_, l3 := trainTransformer(t, 6, 6)
	if !slices.Equal(l1, l2) {
		t.Fatalf("losses differ for one seed: %v vs %v", l1, l2)
	}
	for i, p := range m1.Parameters() {
		q := m2.Parameters()[i]
		for j := range p.Tensor.Data {
			if math.Float32bits(p.Tensor.Data[j]) != math.Float32bits(q.Tensor.Data[j]) {
				t.Fatalf("%s[%d] differs between two runs with one seed", p.Name, j)
			}
		}
	}
	if slices.Equal(l1, l3) {
		t.Fatal("a different dropout seed gave the same losses")
	}
}
