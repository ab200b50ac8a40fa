package nn

import (
	"slices"
	"testing"
)

type rnn interface {
	Forward(*Tape, *Tensor, []int) (*Tensor, *Tensor)
}

// both returns a function joining a recurrent layer's outputs [B,T,H] and
// last state [B,H] into one tensor, so that a gradient check covers both.
func both(m rnn, x *Tensor, lengths []int) func(tp *Tape) *Tensor {
	return func(tp *Tape) *Tensor {
		out, last := m.Forward(tp, x, lengths)
		return tp.Concat(1, tp.Reshape(out, out.Shape[0], -1), last)
	}
}

func TestGradRecurrent(t *testing.T) {
	rng := NewRand(10)
	x := randParam(rng, 1, 3, 5, 4)
	lstm := NewLSTM(4, 6, 1, rng)
	lstm2 := NewLSTM(4, 3, 2, rng)
	gru := NewGRU(4, 6, 1, rng)
	gru2 := NewGRU(4, 3, 2, rng)
	lstm2.Dropout, gru2.Dropout = 0.3, 0.3
	lengths := []int{5, 2, 0}
	runGradCases(t, []gradCase{
		{name: "LSTM", inputs: withInput(lstm.Parameters(), x), f: both(lstm, x, nil)},
		{name: "LSTM/lengths", inputs: withInput(lstm.Parameters(), x), f: both(lstm, x, lengths)},
		{name: "LSTM/last", inputs: withInput(lstm.Parameters(), x), f: func(tp *Tape) *Tensor { _, h := lstm.Forward(tp, x, lengths); return h }},
		{name: "LSTM/2layers", inputs: withInput(lstm2.Parameters(), x), f: both(lstm2, x, lengths)},
		{name: "LSTM/2layers-dropout", inputs: withInput(lstm2.Parameters(), x), opts: gradOpts{Train: true}, f: both(lstm2, x, lengths)},
		{name: "GRU", inputs: withInput(gru.Parameters(), x), f: both(gru, x, nil)},
		{name: "GRU/lengths", inputs: withInput(gru.Parameters(), x), f: both(gru, x, lengths)},
		{name: "GRU/last", inputs: withInput(gru.Parameters(), x), f: func(tp *Tape) *Tensor { _, h := gru.Forward(tp, x, lengths); return h }},
		{name: "GRU/2layers", inputs: withInput(gru2.Parameters(), x), f: both(gru2, x, lengths)},
		{name: "GRU/2layers-dropout", inputs: withInput(gru2.Parameters(), x), opts: gradOpts{Train: true}, f: both(gru2, x, lengths)},
	})
}

// TestRecurrentLastStepMatchesTruncated checks that the state at a
// sequence's last valid step equals the final state of the truncated
// sequence run alone.
func TestRecurrentLastStepMatchesTruncated(t *testing.T) {
	rng := NewRand(12)
	x := New(2, 6, 3)
	FillNormal(x, rng, 0, 1)
	short := New(1, 4, 3)
	copy(short.Data, x.Data[6*3:6*3+4*3])
	tests := []struct {
		name string
		m    rnn
	}{
		{"LSTM", NewLSTM(3, 5, 2, rng)},
		{"GRU", NewGRU(3, 5, 2, rng)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, last := tt.m.Forward(nil, x, []int{6, 4})
			_, want := tt.m.Forward(nil, short, nil)
			for j := range 5 {
				if d := last.Data[5+j] - want.Data[j]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("last state %v, truncated run %v", last.Data[5:], want.Data)
				}
			}
		})
	}
}

// addingBatch returns the adding problem: x [B, T, 2] holds a random value
// and a marker on exactly two steps; the target is the sum of the two
// marked values. Always predicting 1 has MSE 1/6 ≈ 0.167.
func addingBatch(rng interface {
	Float32() float32
	IntN(int) int
}, b, t int) (*Tensor, *Tensor) {
	x, y := New(b, t, 2), New(b, 1)
	for i := range b {
		p := rng.IntN(t / 2)
		q := t/2 + rng.IntN(t/2)
		for s := range t {
			v := rng.Float32()
			x.Data[(i*t+s)*2] = v
			if s == p || s == q {
				x.Data[(i*t+s)*2+1] = 1
				y.Data[i] += v
			}
		}
	}
	return x, y
}

func TestRecurrentSolvesAddingProblem(t *testing.T) {
	const b, seq = 32, 16
	tests := []struct {
		name          string
		hidden, steps int
		newRNN        func(hidden int) (rnn, []NamedParam)
	}{
		{"LSTM", 32, 300, func(h int) (rnn, []NamedParam) { l := NewLSTM(2, h, 1, NewRand(1)); return l, l.Parameters() }},
		{"GRU", 16, 150, func(h int) (rnn, []NamedParam) { g := NewGRU(2, h, 1, NewRand(1)); return g, g.Parameters() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ps := tt.newRNN(tt.hidden)
			rng := NewRand(2)
			head := NewLinear(tt.hidden, 1, true, rng)
			params := append(Prefix("rnn", ps), Prefix("head", head.Parameters())...)
			opt := NewAdamW(params, AdamWConfig{LR: 1e-2})
			tp := NewTape()
			for range tt.steps {
				x, y := addingBatch(rng, b, seq)
				tp.Reset()
				_, h := m.Forward(tp, x, nil)
				tp.Backward(tp.MSE(head.Forward(tp, h), y))
				ClipGradNorm(params, 1)
				opt.Step()
				opt.ZeroGrad()
			}
			x, y := addingBatch(rng, 256, seq)
			_, h := m.Forward(nil, x, nil)
			mse := (*Tape)(nil).MSE(head.Forward(nil, h), y).Item()
			t.Logf("held-out MSE %.4f (always predicting 1: 0.167)", mse)
			if mse > 0.04 {
				t.Fatalf("held-out MSE %.4f, want < 0.04", mse)
			}
		})
	}
}

func TestLengthsFromMask(t *testing.T) {
	pad := []bool{false, false, true, true, false, false, false, false, true, true, true, true}
	got := LengthsFromMask(pad, 3, 4)
	if want := []int{2, 4, 0}; !slices.Equal(got, want) {
		t.Fatalf("lengths %v, want %v", got, want)
	}
}
