package nn

import (
	"math"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentInference runs one model, an LSTM and a GRU from 8
// goroutines on shared weights, each with pooled inference tapes, and checks
// every result against a sequential run. Run with -race.
func TestConcurrentInference(t *testing.T) {
	const vocab, seq, classes = 50, 10, 3
	cfg := TransformerConfig{DModel: 16, Heads: 2, FFN: 32, Dropout: 0.1}
	m := newTextClassifier(3, vocab, seq, classes, cfg, 2)
	lstm := NewLSTM(4, 8, 1, NewRand(4))
	gru := NewGRU(4, 8, 2, NewRand(6))
	type input struct {
		ids []int
		pad []bool
		x   *Tensor
	}
	inputs := make([]input, 16)
	for i := range inputs {
		ids, _, pad := toyBatch(uint64(i), 2, seq, vocab, classes)
		x := New(2, 5, 4)
		FillNormal(x, NewRand(uint64(i)), 0, 1)
		inputs[i] = input{ids, pad, x}
	}
	run := func(in input) []float32 {
		tp := AcquireTape()
		defer tp.Release()
		logits := m.Forward(tp, in.ids, 2, seq, in.pad)
		_, h := lstm.Forward(tp, in.x, []int{5, 3})
		_, hg := gru.Forward(tp, in.x, []int{2, 5})
		return slices.Concat(logits.Data, h.Data, hg.Data)
	}
	want := make([][]float32, len(inputs))
	for i, in := range inputs {
		want[i] = run(in)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := range 4 {
				i := (g*5 + rep) % len(inputs)
				got := run(inputs[i])
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
						errs <- "result differs from the sequential run"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for _, p := range slices.Concat(m.Parameters(), lstm.Parameters(), gru.Parameters()) {
		if p.Tensor.Grad != nil && anyNonZero(p.Tensor.Grad) {
			t.Fatalf("inference wrote a gradient into %s", p.Name)
		}
	}
}

func anyNonZero(xs []float32) bool {
	for _, v := range xs {
		if v != 0 {
			return true
		}
	}
	return false
}
