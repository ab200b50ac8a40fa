package nn

import (
	"math"
	"testing"
)

// TestAdamWMatchesReference runs three AdamW steps on fixed gradients and
// compares with the update rule computed in float64.
func TestAdamWMatchesReference(t *testing.T) {
	p := NewParam(3)
	copy(p.Data, []float32{1, -2, 0.5})
	grads := [][]float32{{0.1, -0.3, 0.0}, {0.2, 0.1, -1}, {-0.5, 0.4, 2}}
	lr, wd, b1, b2, eps := 1e-2, 0.1, 0.9, 0.999, 1e-8
	opt := NewAdamW([]NamedParam{{"p", p}}, AdamWConfig{LR: lr, WeightDecay: wd})
	ref := []float64{1, -2, 0.5}
	m, v := make([]float64, 3), make([]float64, 3)
	for s, g := range grads {
		copy(p.Grad, g)
		opt.Step()
		step := float64(s + 1)
		for i := range ref {
			ref[i] *= 1 - lr*wd
			m[i] = b1*m[i] + (1-b1)*float64(g[i])
			v[i] = b2*v[i] + (1-b2)*float64(g[i])*float64(g[i])
			mh := m[i] / (1 - math.Pow(b1, step))
			den := math.Sqrt(v[i])/math.Sqrt(1-math.Pow(b2, step)) + eps
			ref[i] -= lr * mh / den
		}
	}
	for i := range ref {
		if math.Abs(float64(p.Data[i])-ref[i]) > 1e-6 {
			t.Fatalf("param %d = %.8f, want %.8f", i, p.Data[i], ref[i])
		}
	}
	if opt.Steps() != 3 || len(opt.State()) != 2 || opt.State()[1].Name != "p.exp_avg_sq" {
		t.Fatalf("state: steps %d, %d tensors", opt.Steps(), len(opt.State()))
	}
}

func TestSGDMomentum(t *testing.T) {
	p := NewParam(1)
	p.Data[0] = 1
	opt := NewSGD([]NamedParam{{"p", p}}, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.5})
	want, buf := 1.0, 0.0
	for s := range 4 {
		p.Grad[0] = 0.2
		opt.Step()
		g := 0.2 + 0.5*want
		if s == 0 {
			buf = g
		} else {
			buf = 0.9*buf + g
		}
		want -= 0.1 * buf
	}
	if math.Abs(float64(p.Data[0])-want) > 1e-6 {
		t.Fatalf("param = %.7f, want %.7f", p.Data[0], want)
	}
}

func TestClipGradNorm(t *testing.T) {
	a, b := NewParam(2), NewParam(1)
	copy(a.Grad, []float32{3, 0})
	b.Grad[0] = 4
	ps := []NamedParam{{"a", a}, {"b", b}}
	if n := ClipGradNorm(ps, 10); math.Abs(n-5) > 1e-9 || a.Grad[0] != 3 {
		t.Fatalf("no-op clip: norm %v, grad %v", n, a.Grad)
	}
	ClipGradNorm(ps, 1)
	if math.Abs(float64(a.Grad[0])-0.6) > 1e-6 || math.Abs(float64(b.Grad[0])-0.8) > 1e-6 {
		t.Fatalf("clipped grads %v %v, want 0.6 0.8", a.Grad, b.Grad)
	}
}

func TestSchedule(t *testing.T) {
	cos := Schedule{Base: 1, Min: 0.1, Warmup: 10, Total: 110, Decay: Cosine}
	lin := Schedule{Base: 1, Warmup: 10, Total: 110, Decay: LinearDecay}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"warmup/first", cos.At(0), 0.1},
		{"warmup/last", cos.At(9), 1},
		{"cosine/start", cos.At(10), 1},
		{"cosine/middle", cos.At(60), 0.55},
		{"cosine/end", cos.At(110), 0.1},
		{"cosine/after", cos.At(500), 0.1},
		{"linear/middle", lin.At(60), 0.5},
		{"linear/end", lin.At(110), 0},
		{"constant", Schedule{Base: 2, Decay: Constant}.At(50), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-12 {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}
