//go:build !openblas

package blas

import (
	"sync"
)

// The pure-Go build multiplies with a packed, blocked GEMM in the style of
// GotoBLAS/BLIS: op(B) is cut into k×16 column panels and op(A) into 6×k row
// panels, and an AVX2/FMA assembly micro-kernel computes each 6×16 tile of C
// in registers. Panels are packed into contiguous buffers only where they
// must be: an untransposed B, and an untransposed A when alpha is 1, are read
// in place. Work is split between up to SetThreads goroutines along the
// larger of m and n. Without AVX2 and FMA, gonum's Sgemm is used.
const (
	kc    = 256   // depth of one packed block
	mc    = 96    // rows of A per packed block (multiple of mr)
	nc    = 2048  // columns of B per packed block (multiple of nr)
	small = 32768 // m·n·k below which packing does not pay
)

type packBufs struct{ a, b []float32 }

// bufPool holds packing buffers, each grown to the largest product it has
// served (at most mc·kc and kc·nc floats): small products, such as a
// recurrent network's over 48 steps, then allocate kilobytes instead of the
// 2 MB of a full block each time the pool is emptied by a GC.
var bufPool = sync.Pool{New: func() any { return new(packBufs) }}

// getPackBufs returns the pack buffers for an m×n×k product, grown if needed.
func getPackBufs(m, n, k int) *packBufs {
	bufs := bufPool.Get().(*packBufs)
	roundUp := func(x, to int) int { return (x + to - 1) / to * to }
	if need := roundUp(min(mc, m), mr) * min(kc, k); len(bufs.a) < need {
		bufs.a = make([]float32, need)
	}
	if need := min(kc, k) * roundUp(min(nc, n), nr); len(bufs.b) < need {
		bufs.b = make([]float32, need)
	}
	return bufs
}

// packedGemm computes C = alpha·op(A)·op(B) + beta·C with the micro-kernel.
func packedGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// With beta 0 the kernel writes C instead of clearing it and adding.
	overwrite := beta == 0
	if !overwrite {
		scaleC(m, n, beta, c, ldc)
	}
	splitGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, func(m, n int, a, b, c []float32) {
		if n < nr && m > n && m*n*k >= small {
			// Few columns would leave most of each 16-wide tile empty and
			// pack B slowly: compute Cᵀ = op(B)ᵀ·op(A)ᵀ instead, writing
			// tiles transposed (measured about 2× faster for 16×9×784).
			gemmSerial(!transB, !transA, n, m, k, alpha, b, ldb, a, lda, c, ldc, overwrite, true)
			return
		}
		gemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, overwrite, false)
	})
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

// gemmSerial adds alpha·op(A)·op(B) to C on one goroutine, or writes it
// to C when overwrite is set. With ct, C is stored transposed: element
// (i, j) is c[j*ldc+i].
func gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, overwrite, ct bool) {
	if m*n*k < small && !ct {
		if overwrite {
			scaleC(m, n, 0, c, ldc)
		}
		naiveGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	bufs := getPackBufs(m, n, k)
	defer bufPool.Put(bufs)
	var tile [mr * nr]float32
	inPlace := func(k int, a, b, c *float32, ldb, ldc int, acc bool) {
		kernel6x16u(k, a, b, c, ldb, ldc, lda, acc)
	}
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			acc := pc > 0 || !overwrite // the first k block writes C
			packB(bufs.b, b, ldb, transB, pc, jc, kb, nb)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				// Full 6-row panels of an untransposed A with alpha 1 are read
				// in place (packing A cost a third of the kernel's time when
				// n is small, as in dy·W); the rest is packed.
				inPlaceA := !transA && alpha == 1
				packA(bufs.a, a, lda, transA, ic, pc, mb, kb, alpha, inPlaceA)
				for jr := 0; jr < nb; jr += nr {
					cols := min(nr, nb-jr)
					// Full panels of an untransposed B are read in place.
					bp, ldbp := &bufs.b[jr*kb], nr
					if !transB && cols == nr {
						bp, ldbp = &b[pc*ldb+jc+jr], ldb
					}
					for ir := 0; ir < mb; ir += mr {
						ap := &bufs.a[ir*kb]
						rows := min(mr, mb-ir)
						kern := kernel6x16
						if inPlaceA && rows == mr {
							ap, kern = &a[(ic+ir)*lda+pc], inPlace
						}
						if ct {
							kern(kb, ap, bp, &tile[0], ldbp, nr, false)
							for i := range rows {
								for j, v := range tile[i*nr : i*nr+cols] {
									p := &c[(jc+jr+j)*ldc+ic+ir+i]
									if acc {
										*p += v
									} else {
										*p = v
									}
								}
							}
							continue
						}
						co := (ic+ir)*ldc + jc + jr
						if rows == mr && cols == nr {
							kern(kb, ap, bp, &c[co], ldbp, ldc, acc)
							continue
						}
						// Edge tile: compute into a full tile, then add or copy
						// the part inside C.
						kern(kb, ap, bp, &tile[0], ldbp, nr, false)
						for i := range rows {
							dst := c[co+i*ldc : co+i*ldc+cols]
							if !acc {
								copy(dst, tile[i*nr:i*nr+cols])
								continue
							}
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
		switch {
		case !trans && cols == nr:
			// gemmSerial reads full panels of an untransposed B in place:
			// measured, this doubles the speed of products with few rows
			// (convolutions), where packing B costs as much as the kernel.
		case !trans:
			for p := range kb {
				src := b[(pc+p)*ldb+jc+jr:]
				d := panel[p*nr : p*nr+nr]
				copy(d[:cols], src[:cols])
				clear(d[cols:])
			}
		case cols == nr:
			packBTrans16(panel, b, ldb, pc, jc+jr, kb)
		default:
			clear(panel)
			for j := range cols {
				src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kb]
				for p, v := range src {
					panel[p*nr+j] = v
				}
			}
		}
	}
}

// packBTrans16 packs 16 rows j0.. of a row-major B (which op(B) transposes):
// panel[p*16+j] = b[(j0+j)*ldb+pc+p]. Reading 16 rows side by side writes
// each panel row in one go.
func packBTrans16(panel, b []float32, ldb, pc, j0, kb int) {
	var rows [nr][]float32
	for j := range rows {
		o := (j0+j)*ldb + pc
		rows[j] = b[o : o+kb : o+kb]
	}
	r0, r1, r2, r3, r4, r5, r6, r7 := rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6], rows[7]
	r8, r9, r10, r11, r12, r13, r14, r15 := rows[8], rows[9], rows[10], rows[11], rows[12], rows[13], rows[14], rows[15]
	for p := range kb {
		d := (*[nr]float32)(panel[p*nr:])
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]
		d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15] = r8[p], r9[p], r10[p], r11[p], r12[p], r13[p], r14[p], r15[p]
	}
}

// packA copies alpha·op(A)[ic:ic+mb, pc:pc+kb] into row panels of height mr:
// dst[(ir/mr)*kb*mr + p*mr + i], zero-padded past mb. With skipFull, full
// panels of an untransposed A are left out (gemmSerial reads them in place).
func packA(dst, a []float32, lda int, trans bool, ic, pc, mb, kb int, alpha float32, skipFull bool) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : ir*kb+kb*mr]
		rows := min(mr, mb-ir)
		switch {
		case trans && rows == mr:
			for p := range kb {
				o := (pc+p)*lda + ic + ir
				s := (*[mr]float32)(a[o : o+mr])
				d := (*[mr]float32)(panel[p*mr:])
				d[0], d[1], d[2], d[3], d[4], d[5] = alpha*s[0], alpha*s[1], alpha*s[2], alpha*s[3], alpha*s[4], alpha*s[5]
			}
		case trans:
			for p := range kb {
				src := a[(pc+p)*lda+ic+ir:]
				d := panel[p*mr : p*mr+mr]
				for i := range rows {
					d[i] = alpha * src[i]
				}
				clear(d[rows:])
			}
		case rows == mr && skipFull:
		case rows == mr:
			o := (ic+ir)*lda + pc
			r0 := a[o : o+kb : o+kb]
			r1 := a[o+lda : o+lda+kb : o+lda+kb]
			r2 := a[o+2*lda : o+2*lda+kb : o+2*lda+kb]
			r3 := a[o+3*lda : o+3*lda+kb : o+3*lda+kb]
			r4 := a[o+4*lda : o+4*lda+kb : o+4*lda+kb]
			r5 := a[o+5*lda : o+5*lda+kb : o+5*lda+kb]
			for p := range kb {
				d := (*[mr]float32)(panel[p*mr:])
				d[0], d[1], d[2], d[3], d[4], d[5] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p], alpha*r4[p], alpha*r5[p]
			}
		default:
			clear(panel)
			for i := range rows {
				src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kb]
				for p, v := range src {
					panel[p*mr+i] = alpha * v
				}
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
