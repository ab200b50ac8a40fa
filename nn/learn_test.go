package nn

import (
	"math"
	"testing"
)

// mlp is a small test model: Linear layers with tanh between them.
type mlp struct{ layers []*Linear }

func newMLP(seed uint64, sizes ...int) *mlp {
	rng := NewRand(seed)
	m := &mlp{}
	for i := 0; i+1 < len(sizes); i++ {
		m.layers = append(m.layers, NewLinear(sizes[i], sizes[i+1], true, rng))
	}
	return m
}

func (m *mlp) Forward(tp *Tape, x *Tensor) *Tensor {
	for i, l := range m.layers {
		x = l.Forward(tp, x)
		if i < len(m.layers)-1 {
			x = tp.Tanh(x)
		}
	}
	return x
}

func (m *mlp) Parameters() []NamedParam {
	var ps []NamedParam
	for i, l := range m.layers {
		ps = append(ps, Prefix(string(rune('0'+i)), l.Parameters())...)
	}
	return ps
}

func accuracy(logits *Tensor, y []int) float64 {
	c := logits.Shape[1]
	ok := 0
	for i, want := range y {
		row := logits.Data[i*c : (i+1)*c]
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		if best == want {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

// trainClassifier trains m full-batch with AdamW and returns the final
// training accuracy.
func trainClassifier(tb testing.TB, m *mlp, x *Tensor, y []int, steps int, lr float64) float64 {
	tb.Helper()
	params := m.Parameters()
	opt := NewAdamW(params, AdamWConfig{LR: lr})
	tp := NewTape()
	for range steps {
		tp.Reset()
		tp.Backward(tp.CrossEntropy(m.Forward(tp, x), y, nil))
		opt.Step()
		opt.ZeroGrad()
	}
	tp.Reset()
	return accuracy(m.Forward(NewInferenceTape(), x), y)
}

func TestMLPSolvesXOR(t *testing.T) {
	x := FromSlice([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := []int{0, 1, 1, 0}
	if acc := trainClassifier(t, newMLP(1, 2, 8, 2), x, y, 300, 0.05); acc != 1 {
		t.Fatalf("XOR accuracy %.2f, want 1", acc)
	}
}

// twoSpirals returns n points per class on two interleaved spirals.
func twoSpirals(n int) (*Tensor, []int) {
	rng := NewRand(11)
	x := New(2*n, 2)
	y := make([]int, 2*n)
	for i := range n {
		r := float64(i) / float64(n) * 5
		a := 1.75 * float64(i) / float64(n) * 2 * math.Pi
		for c := range 2 {
			k := 2*i + c
			ang := a + float64(c)*math.Pi
			x.Data[2*k] = float32(r*math.Cos(ang) + 0.05*rng.NormFloat64())
			x.Data[2*k+1] = float32(r*math.Sin(ang) + 0.05*rng.NormFloat64())
			y[k] = c
		}
	}
	return x, y
}

func TestMLPSolvesTwoSpirals(t *testing.T) {
	x, y := twoSpirals(100)
	acc := trainClassifier(t, newMLP(2, 2, 32, 32, 2), x, y, 700, 0.02)
	t.Logf("two-spirals training accuracy %.3f", acc)
	if acc < 0.97 {
		t.Fatalf("two-spirals accuracy %.3f, want >= 0.97", acc)
	}
}
