package imaging

import (
	"context"
	"testing"
)

// BenchmarkPredict classifies one 28x28 test image with the built-in
// model, without and with the Grad-CAM map and its overlay PNG.
func BenchmarkPredict(b *testing.B) {
	m, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	px := readData(b).Test.Image(0)
	for _, saliency := range []bool{false, true} {
		name := "plain"
		if saliency {
			name = "saliency"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := m.Predict(context.Background(), px, saliency)
				if err != nil {
					b.Fatal(err)
				}
				if saliency {
					if _, err := p.Saliency.Overlay(px); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
