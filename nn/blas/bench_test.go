package blas

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSgemm covers the products of the transformer train step
// (B16 S128 d128 ffn512): forward x·Wᵀ, input grad dy·W and weight grad dyᵀ·x.
func BenchmarkSgemm(b *testing.B) { benchShapes(b, Sgemm) }

type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

func benchShapes(b *testing.B, sgemm sgemmFunc) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range benchCases {
		b.Run(fmt.Sprintf("%s_%dx%dx%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			ar, ac := s.m, s.k
			if s.transA {
				ar, ac = ac, ar
			}
			br, bc := s.k, s.n
			if s.transB {
				br, bc = bc, br
			}
			a := randSlice(rng, ar*ac)
			x := randSlice(rng, br*bc)
			c := make([]float32, s.m*s.n)
			b.SetBytes(int64(2 * s.m * s.n * s.k)) // "bytes"/s reads as flop/s
			cpu0 := cpuTime()
			for b.Loop() {
				sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, x, bc, 0, c, s.n)
			}
			// CPU time per op (all threads) is steadier than wall time on a
			// shared machine; GF/cpu-s compares kernels.
			cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
			b.ReportMetric(float64(2*s.m*s.n*s.k)/cpu/1e9, "GF/cpu-s")
		})
	}
}

var benchCases = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd_qkv", false, true, 2048, 384, 128},
	{"fwd_ffn1", false, true, 2048, 512, 128},
	{"fwd_ffn2", false, true, 2048, 128, 512},
	{"dx_qkv", false, false, 2048, 128, 384},
	{"dw_qkv", true, false, 384, 128, 2048},
	{"attn_scores", false, true, 128, 128, 32},
	{"lstm_gates", false, true, 64, 256, 64},
	{"infer_qkv", false, true, 128, 384, 128},
	// CNN train step, second conv: forward, weight grad, patch grad.
	{"conv2_fwd", false, false, 32, 6272, 144},
	{"conv2_dw", false, true, 32, 144, 6272},
	{"conv2_dcol", true, false, 144, 6272, 32},
	// The same per sample, as nn.Conv2d runs them, and conv1 per sample.
	{"conv2s_fwd", false, false, 32, 196, 144},
	{"conv2s_dw", false, true, 32, 144, 196},
	{"conv2s_dcol", true, false, 144, 196, 32},
	{"conv1s_fwd", false, false, 16, 784, 9},
	{"conv1s_dw", false, true, 16, 9, 784},
}

// cpuTime returns the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
