package blas

import (
	"sync"
)

// The pure-Go build multiplies with a packed, blocked GEMM in the style of
// GotoBLAS/BLIS: B is packed into k×16 column panels, A into 6×k row panels
// (scaled by alpha), and an AVX2/FMA assembly micro-kernel computes each 6×16
// tile of C in registers. Work is split between up to SetThreads goroutines
// along the larger of m and n. Without AVX2 and FMA, gonum's Sgemm is used.
const (
	mr, nr = 6, 16 // micro-tile
	kc     = 256   // depth of one packed block
	mc     = 96    // rows of A per packed block (multiple of mr)
	nc     = 2048  // columns of B per packed block (multiple of nr)
	small  = 32768 // m·n·k below which packing does not pay
)

type packBufs struct{ a, b []float32 }

var bufPool = sync.Pool{New: func() any {
	return &packBufs{a: make([]float32, mc*kc), b: make([]float32, kc*nc)}
}}

// packedGemm computes C = alpha·op(A)·op(B) + beta·C with the micro-kernel.
func packedGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if alpha == 0 {
		return
	}
	w := int(threads.Load())
	if flops := m * n * k; flops < 1<<20 {
		w = 1
	}
	if w <= 1 {
		gemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	var wg sync.WaitGroup
	// Split the larger dimension into w parts aligned to the micro-tile.
	if m >= n {
		step := (m/w + mr - 1) / mr * mr
		for i0 := 0; i0 < m; i0 += step {
			rows := min(step, m-i0)
			ao := i0 * lda
			if transA {
				ao = i0
			}
			wg.Go(func() {
				gemmSerial(transA, transB, rows, n, k, alpha, a[ao:], lda, b, ldb, c[i0*ldc:], ldc)
			})
		}
	} else {
		step := (n/w + nr - 1) / nr * nr
		for j0 := 0; j0 < n; j0 += step {
			cols := min(step, n-j0)
			bo := j0
			if transB {
				bo = j0 * ldb
			}
			wg.Go(func() {
				gemmSerial(transA, transB, m, cols, k, alpha, a, lda, b[bo:], ldb, c[j0:], ldc)
			})
		}
	}
	wg.Wait()
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row) // also clears NaN, as BLAS does
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmSerial adds alpha·op(A)·op(B) to C on one goroutine.
func gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m*n*k < small {
		naiveGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	bufs := bufPool.Get().(*packBufs)
	defer bufPool.Put(bufs)
	var tile [mr * nr]float32
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(bufs.b, b, ldb, transB, pc, jc, kb, nb)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(bufs.a, a, lda, transA, ic, pc, mb, kb, alpha)
				for jr := 0; jr < nb; jr += nr {
					bp := &bufs.b[jr*kb]
					cols := min(nr, nb-jr)
					for ir := 0; ir < mb; ir += mr {
						ap := &bufs.a[ir*kb]
						rows := min(mr, mb-ir)
						co := (ic+ir)*ldc + jc + jr
						if rows == mr && cols == nr {
							kernel6x16(kb, ap, bp, &c[co], ldc)
							continue
						}
						// Edge tile: compute into a full tile, add the part inside C.
						clear(tile[:])
						kernel6x16(kb, ap, bp, &tile[0], nr)
						for i := range rows {
							dst := c[co+i*ldc : co+i*ldc+cols]
							for j, v := range tile[i*nr : i*nr+cols] {
								dst[j] += v
							}
						}
					}
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into column panels of width nr:
// dst[(jr/nr)*kb*nr + p*nr + j], zero-padded past nb.
func packB(dst, b []float32, ldb int, trans bool, pc, jc, kb, nb int) {
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : jr*kb+kb*nr]
		cols := min(nr, nb-jr)
		if !trans {
			for p := range kb {
				src := b[(pc+p)*ldb+jc+jr:]
				d := panel[p*nr : p*nr+nr]
				copy(d[:cols], src[:cols])
				clear(d[cols:])
			}
			continue
		}
		if cols < nr {
			clear(panel)
		}
		for j := range cols {
			src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kb]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
	}
}

// packA copies alpha·op(A)[ic:ic+mb, pc:pc+kb] into row panels of height mr:
// dst[(ir/mr)*kb*mr + p*mr + i], zero-padded past mb.
func packA(dst, a []float32, lda int, trans bool, ic, pc, mb, kb int, alpha float32) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : ir*kb+kb*mr]
		rows := min(mr, mb-ir)
		if trans {
			for p := range kb {
				src := a[(pc+p)*lda+ic+ir:]
				d := panel[p*mr : p*mr+mr]
				for i := range rows {
					d[i] = alpha * src[i]
				}
				clear(d[rows:])
			}
			continue
		}
		if rows < mr {
			clear(panel)
		}
		for i := range rows {
			src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kb]
			for p, v := range src {
				panel[p*mr+i] = alpha * v
			}
		}
	}
}

// naiveGemm adds alpha·op(A)·op(B) to C with plain loops, for products too
// small to pack.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		crow := c[i*ldc : i*ldc+n]
		for p := range k {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if !transB {
				for j, bv := range b[p*ldb : p*ldb+n] {
					crow[j] += av * bv
				}
				continue
			}
			for j := range crow {
				crow[j] += av * b[j*ldb+p]
			}
		}
	}
}
