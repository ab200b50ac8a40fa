//go:build linux

package imaging

import (
	"syscall"
	"testing"
	"time"

	"github.com/galenhealth/galen/nn"
)

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainStep is one training step of the shipped network and
// recipe: augment a batch of 64 training images, forward, weighted
// cross-entropy, backward, AdamW. Besides wall time it reports CPU
// milliseconds per step (cpu-ms/op), which a loaded machine distorts less;
// bench/imaging_torch.py's peer step is the comparison.
func BenchmarkTrainStep(b *testing.B) {
	d := readData(b)
	const batch = 64
	net := NewNet(NetConfig{}, 1)
	params := net.Parameters()
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: 3e-3, WeightDecay: 1e-4})
	x := make([]float32, d.Train.N*784)
	Normalize(x, d.Train.Pixels)
	bx, by := make([]float32, batch*784), make([]int, batch)
	rng := nn.NewRand(1)
	tp := nn.NewTape()
	aug := DefaultAugment
	step := func(k int) {
		for i := range batch {
			j := (k*batch + i) % d.Train.N
			aug.apply(bx[i*784:(i+1)*784], x[j*784:(j+1)*784], 28, 28, rng)
			by[i] = d.Train.Labels[j]
		}
		tp.Reset()
		loss := tp.CrossEntropy(net.Forward(tp, nn.FromSlice(bx, batch, 1, 28, 28)), by, []float32{5, 0.56})
		tp.Backward(loss)
		opt.Step()
		opt.ZeroGrad()
	}
	step(0)
	step(1)
	b.ResetTimer()
	c0 := cpuTime()
	k := 2
	for b.Loop() {
		step(k)
		k++
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
