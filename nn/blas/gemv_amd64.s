//go:build !openblas

#include "textflag.h"

// func kernel1x32(k int, x, b, y *float32, ldb int)
//
// y[j] = Σp x[p]·b[p*ldb+j] for j < 32: one row of A times a k×32 panel of
// a row-major B read in place. Two rows of B per iteration into eight
// accumulators, so that the FMAs do not wait on each other. Needs AVX2 and
// FMA; k >= 1.
TEXT ·kernel1x32(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ y+24(FP), DX
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

	CMPQ CX, $2
	JLT  tail

pairs:
	VBROADCASTSS (SI), Y8
	VBROADCASTSS 4(SI), Y9
	VFMADD231PS  (DI), Y8, Y0
	VFMADD231PS  32(DI), Y8, Y1
	VFMADD231PS  64(DI), Y8, Y2
	VFMADD231PS  96(DI), Y8, Y3
	VFMADD231PS  (DI)(R9*1), Y9, Y4
	VFMADD231PS  32(DI)(R9*1), Y9, Y5
	VFMADD231PS  64(DI)(R9*1), Y9, Y6
	VFMADD231PS  96(DI)(R9*1), Y9, Y7
	ADDQ         $8, SI
	LEAQ         (DI)(R9*2), DI
	SUBQ         $2, CX
	CMPQ         CX, $2
	JGE          pairs

tail:
	TESTQ        CX, CX
	JZ           done
	VBROADCASTSS (SI), Y8
	VFMADD231PS  (DI), Y8, Y0
	VFMADD231PS  32(DI), Y8, Y1
	VFMADD231PS  64(DI), Y8, Y2
	VFMADD231PS  96(DI), Y8, Y3

done:
	VADDPS  Y4, Y0, Y0
	VADDPS  Y5, Y1, Y1
	VADDPS  Y6, Y2, Y2
	VADDPS  Y7, Y3, Y3
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VZEROUPPER
	RET
