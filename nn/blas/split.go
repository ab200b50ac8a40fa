package blas

import "sync"

// mr×nr is the micro-tile of the packed kernel; splitGemm aligns its pieces
// to it.
const mr, nr = 6, 16

// parMin is the least m·n·k worth splitting across goroutines: measured,
// a 64×256×64 product (the LSTM step) ran 1.5× slower split in two.
const parMin = 1 << 22

// splitGemm calls part on up to SetThreads disjoint blocks of C, in
// parallel: the larger of m and n is cut into pieces aligned to the
// micro-tile, and part gets the matching views of A, B and C (row strides
// unchanged). Small products run as one part on the calling goroutine.
func splitGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, part func(m, n int, a, b, c []float32)) {
	w := int(threads.Load())
	if w <= 1 || m*n*k < parMin {
		part(m, n, a, b, c)
		return
	}
	var wg sync.WaitGroup
	if m >= n {
		// At least one micro-tile: m/w is 0 when m < w.
		step := max((m/w+mr-1)/mr*mr, mr)
		for i0 := 0; i0 < m; i0 += step {
			rows := min(step, m-i0)
			ao := i0 * lda
			if transA {
				ao = i0
			}
			wg.Go(func() { part(rows, n, a[ao:], b, c[i0*ldc:]) })
		}
	} else {
		step := max((n/w+nr-1)/nr*nr, nr)
		for j0 := 0; j0 < n; j0 += step {
			cols := min(step, n-j0)
			bo := j0
			if transB {
				bo = j0 * ldb
			}
			wg.Go(func() { part(m, cols, a, b[bo:], c[j0:]) })
		}
	}
	wg.Wait()
}
