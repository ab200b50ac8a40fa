package nn

import "testing"

// benchTransformerStep measures one AdamW training step of the reference
// transformer (bench/torch_reference.py: vocab 8000, d 128, 4 heads, ffn 512,
// 2 layers, 20 classes) at batch b and sequence s.
func benchTransformerStep(b *testing.B, batch, seq int) {
	cfg := TransformerConfig{DModel: 128, Heads: 4, FFN: 512, Dropout: 0.1}
	m := newTextClassifier(1, 8000, 256, 20, cfg, 2)
	ids, y, _ := toyBatch(1, batch, seq, 8000, 20)
	params := m.Parameters()
	opt := NewAdamW(params, AdamWConfig{LR: 1e-3, WeightDecay: 0.01})
	tp := NewTape()
	for b.Loop() {
		tp.Reset()
		tp.Backward(tp.CrossEntropy(m.Forward(tp, ids, batch, seq, nil), y, nil))
		opt.Step()
		opt.ZeroGrad()
	}
}

func BenchmarkCoreTransformerTrainStep(b *testing.B) { benchTransformerStep(b, 16, 128) }

func BenchmarkCoreTransformerInfer(b *testing.B) {
	cfg := TransformerConfig{DModel: 128, Heads: 4, FFN: 512, Dropout: 0.1}
	m := newTextClassifier(1, 8000, 256, 20, cfg, 2)
	ids, _, _ := toyBatch(1, 1, 128, 8000, 20)
	for b.Loop() {
		tp := AcquireTape()
		m.Forward(tp, ids, 1, 128, nil)
		tp.Release()
	}
}

func BenchmarkCoreLSTMTrainStep(b *testing.B) {
	rng := NewRand(1)
	lstm, head := NewLSTM(40, 64, 1, rng), NewLinear(64, 1, true, rng)
	x, y := New(64, 48, 40), New(64, 1)
	FillNormal(x, rng, 0, 1)
	params := append(Prefix("lstm", lstm.Parameters()), Prefix("out", head.Parameters())...)
	opt := NewAdamW(params, AdamWConfig{LR: 1e-3, WeightDecay: 0.01})
	tp := NewTape()
	for b.Loop() {
		tp.Reset()
		_, h := lstm.Forward(tp, x, nil)
		tp.Backward(tp.BCEWithLogits(head.Forward(tp, h), y, nil))
		opt.Step()
		opt.ZeroGrad()
	}
}
