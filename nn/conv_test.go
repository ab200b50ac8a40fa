package nn

import (
	"math"
	"testing"
)

// directConv computes Conv2d by its definition, as the reference.
func directConv(x, w, b *Tensor, stride, pad int) *Tensor {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	o, k := w.Shape[0], w.Shape[2]
	oh, ow := (h+2*pad-k)/stride+1, (wd+2*pad-k)/stride+1
	out := New(n, o, oh, ow)
	for s := range n {
		for oc := range o {
			for y := range oh {
				for xx := range ow {
					var acc float64
					if b != nil {
						acc = float64(b.Data[oc])
					}
					for ci := range c {
						for i := range k {
							for j := range k {
								iy, ix := y*stride-pad+i, xx*stride-pad+j
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								acc += float64(x.Data[((s*c+ci)*h+iy)*wd+ix]) * float64(w.Data[((oc*c+ci)*k+i)*k+j])
							}
						}
					}
					out.Data[((s*o+oc)*oh+y)*ow+xx] = float32(acc)
				}
			}
		}
	}
	return out
}

func TestConv2d(t *testing.T) {
	tests := []struct {
		name                     string
		n, c, h, w, o, k, st, pd int
		bias                     bool
	}{
		{"3x3 same", 2, 3, 6, 5, 4, 3, 1, 1, true},
		{"stride 2", 2, 2, 7, 7, 3, 3, 2, 0, false},
		{"stride 2 pad 1", 1, 2, 8, 5, 2, 3, 2, 1, true},
		{"1x1", 3, 4, 3, 3, 2, 1, 1, 0, true},
		{"pad wider than kernel", 1, 1, 3, 3, 2, 2, 1, 2, true},
		{"kernel wider than input and pad", 2, 2, 1, 1, 2, 5, 1, 2, true},
		{"kernel wider than input, stride 1", 1, 2, 2, 2, 3, 5, 1, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := NewRand(3)
			x := randParam(rng, 1, tt.n, tt.c, tt.h, tt.w)
			w := randParam(rng, 0.5, tt.o, tt.c, tt.k, tt.k)
			var b *Tensor
			inputs := []*Tensor{x, w}
			if tt.bias {
				b = randParam(rng, 0.5, tt.o)
				inputs = append(inputs, b)
			}
			got := NewTape().Conv2d(x, w, b, tt.st, tt.pd)
			want := directConv(x, w, b, tt.st, tt.pd)
			if !equalShape(got.Shape, want.Shape) {
				t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
			}
			for i := range want.Data {
				if math.Abs(float64(got.Data[i]-want.Data[i])) > 1e-4 {
					t.Fatalf("out[%d] = %v, want %v", i, got.Data[i], want.Data[i])
				}
			}
			checkGrad(t, func(tp *Tape) *Tensor { return tp.Conv2d(x, w, b, tt.st, tt.pd) }, inputs...)
		})
	}
}

func TestConv2dLayer(t *testing.T) {
	rng := NewRand(4)
	c := NewConv2d(2, 3, 3, 1, 1, true, rng)
	if ps := c.Parameters(); len(ps) != 2 || ps[0].Name != "weight" || ps[1].Name != "bias" || !equalShape(ps[0].Tensor.Shape, []int{3, 2, 3, 3}) {
		t.Fatalf("parameters %v", ps)
	}
	bound := float32(1 / math.Sqrt(18))
	for _, v := range c.Weight.Data {
		if v < -bound || v >= bound {
			t.Fatalf("weight %v outside ±%v", v, bound)
		}
	}
	x := randParam(rng, 1, 2, 2, 5, 5)
	if y := c.Forward(nil, x); !equalShape(y.Shape, []int{2, 3, 5, 5}) {
		t.Fatalf("shape %v", y.Shape)
	}
}

func TestConvShapeErrors(t *testing.T) {
	x := New(1, 2, 4, 4)
	tests := []struct {
		name string
		fn   func()
	}{
		{"rank", func() { NewTape().Conv2d(New(2, 4, 4), New(1, 2, 3, 3), nil, 1, 0) }},
		{"channels", func() { NewTape().Conv2d(x, New(1, 3, 3, 3), nil, 1, 0) }},
		{"bias", func() { NewTape().Conv2d(x, New(1, 2, 3, 3), New(2), 1, 0) }},
		{"kernel too big", func() { NewTape().Conv2d(x, New(1, 2, 5, 5), nil, 1, 0) }},
		{"stride 0", func() { NewTape().MaxPool2d(x, 2, 0) }},
		{"bn channels", func() { NewTape().BatchNorm2d(x, New(3), nil, nil, nil, 0.1, 1e-5) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Catch(tt.fn); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConvConcurrentInference runs a small CNN (conv, batch norm in
// evaluation mode, pooling) from several goroutines on shared weights, each
// with a tape from the pool; with -race this proves the forward pass only
// reads the layers.
func TestConvConcurrentInference(t *testing.T) {
	rng := NewRand(8)
	conv, bn := NewConv2d(2, 4, 3, 1, 1, true, rng), NewBatchNorm2d(4)
	FillNormal(bn.RunningMean, rng, 0, 0.5)
	x := randParam(rng, 1, 2, 2, 8, 8)
	x.SetRequiresGrad(false)
	run := func() []float32 {
		tp := AcquireTape()
		defer tp.Release()
		h := tp.ReLU(bn.Forward(tp, conv.Forward(tp, x)))
		h = tp.AvgPool2d(tp.MaxPool2d(h, 2, 2), 2, 2, 0)
		return h.Clone().Data
	}
	want := run()
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			for range 20 {
				got := run()
				for i := range want {
					if got[i] != want[i] {
						errs <- "concurrent result differs"
						return
					}
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
