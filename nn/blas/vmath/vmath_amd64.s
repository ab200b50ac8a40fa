#include "textflag.h"

// Cephes expf constants, each repeated in 8 lanes.
DATA consts<>+0(SB)/4, $0x42b17217
DATA consts<>+4(SB)/4, $0x42b17217
DATA consts<>+8(SB)/4, $0x42b17217
DATA consts<>+12(SB)/4, $0x42b17217
DATA consts<>+16(SB)/4, $0x42b17217
DATA consts<>+20(SB)/4, $0x42b17217
DATA consts<>+24(SB)/4, $0x42b17217
DATA consts<>+28(SB)/4, $0x42b17217
DATA consts<>+32(SB)/4, $0xc2aeac4f
DATA consts<>+36(SB)/4, $0xc2aeac4f
DATA consts<>+40(SB)/4, $0xc2aeac4f
DATA consts<>+44(SB)/4, $0xc2aeac4f
DATA consts<>+48(SB)/4, $0xc2aeac4f
DATA consts<>+52(SB)/4, $0xc2aeac4f
DATA consts<>+56(SB)/4, $0xc2aeac4f
DATA consts<>+60(SB)/4, $0xc2aeac4f
DATA consts<>+64(SB)/4, $0x3fb8aa3b
DATA consts<>+68(SB)/4, $0x3fb8aa3b
DATA consts<>+72(SB)/4, $0x3fb8aa3b
DATA consts<>+76(SB)/4, $0x3fb8aa3b
DATA consts<>+80(SB)/4, $0x3fb8aa3b
DATA consts<>+84(SB)/4, $0x3fb8aa3b
DATA consts<>+88(SB)/4, $0x3fb8aa3b
DATA consts<>+92(SB)/4, $0x3fb8aa3b
DATA consts<>+96(SB)/4, $0x3f000000
DATA consts<>+100(SB)/4, $0x3f000000
DATA consts<>+104(SB)/4, $0x3f000000
DATA consts<>+108(SB)/4, $0x3f000000
DATA consts<>+112(SB)/4, $0x3f000000
DATA consts<>+116(SB)/4, $0x3f000000
DATA consts<>+120(SB)/4, $0x3f000000
DATA consts<>+124(SB)/4, $0x3f000000
DATA consts<>+128(SB)/4, $0x3f318000
DATA consts<>+132(SB)/4, $0x3f318000
DATA consts<>+136(SB)/4, $0x3f318000
DATA consts<>+140(SB)/4, $0x3f318000
DATA consts<>+144(SB)/4, $0x3f318000
DATA consts<>+148(SB)/4, $0x3f318000
DATA consts<>+152(SB)/4, $0x3f318000
DATA consts<>+156(SB)/4, $0x3f318000
DATA consts<>+160(SB)/4, $0xb95e8083
DATA consts<>+164(SB)/4, $0xb95e8083
DATA consts<>+168(SB)/4, $0xb95e8083
DATA consts<>+172(SB)/4, $0xb95e8083
DATA consts<>+176(SB)/4, $0xb95e8083
DATA consts<>+180(SB)/4, $0xb95e8083
DATA consts<>+184(SB)/4, $0xb95e8083
DATA consts<>+188(SB)/4, $0xb95e8083
DATA consts<>+192(SB)/4, $0x39506967
DATA consts<>+196(SB)/4, $0x39506967
DATA consts<>+200(SB)/4, $0x39506967
DATA consts<>+204(SB)/4, $0x39506967
DATA consts<>+208(SB)/4, $0x39506967
DATA consts<>+212(SB)/4, $0x39506967
DATA consts<>+216(SB)/4, $0x39506967
DATA consts<>+220(SB)/4, $0x39506967
DATA consts<>+224(SB)/4, $0x3ab743ce
DATA consts<>+228(SB)/4, $0x3ab743ce
DATA consts<>+232(SB)/4, $0x3ab743ce
DATA consts<>+236(SB)/4, $0x3ab743ce
DATA consts<>+240(SB)/4, $0x3ab743ce
DATA consts<>+244(SB)/4, $0x3ab743ce
DATA consts<>+248(SB)/4, $0x3ab743ce
DATA consts<>+252(SB)/4, $0x3ab743ce
DATA consts<>+256(SB)/4, $0x3c088908
DATA consts<>+260(SB)/4, $0x3c088908
DATA consts<>+264(SB)/4, $0x3c088908
DATA consts<>+268(SB)/4, $0x3c088908
DATA consts<>+272(SB)/4, $0x3c088908
DATA consts<>+276(SB)/4, $0x3c088908
DATA consts<>+280(SB)/4, $0x3c088908
DATA consts<>+284(SB)/4, $0x3c088908
DATA consts<>+288(SB)/4, $0x3d2aa9c1
DATA consts<>+292(SB)/4, $0x3d2aa9c1
DATA consts<>+296(SB)/4, $0x3d2aa9c1
DATA consts<>+300(SB)/4, $0x3d2aa9c1
DATA consts<>+304(SB)/4, $0x3d2aa9c1
DATA consts<>+308(SB)/4, $0x3d2aa9c1
DATA consts<>+312(SB)/4, $0x3d2aa9c1
DATA consts<>+316(SB)/4, $0x3d2aa9c1
DATA consts<>+320(SB)/4, $0x3e2aaaaa
DATA consts<>+324(SB)/4, $0x3e2aaaaa
DATA consts<>+328(SB)/4, $0x3e2aaaaa
DATA consts<>+332(SB)/4, $0x3e2aaaaa
DATA consts<>+336(SB)/4, $0x3e2aaaaa
DATA consts<>+340(SB)/4, $0x3e2aaaaa
DATA consts<>+344(SB)/4, $0x3e2aaaaa
DATA consts<>+348(SB)/4, $0x3e2aaaaa
DATA consts<>+352(SB)/4, $0x3f000000
DATA consts<>+356(SB)/4, $0x3f000000
DATA consts<>+360(SB)/4, $0x3f000000
DATA consts<>+364(SB)/4, $0x3f000000
DATA consts<>+368(SB)/4, $0x3f000000
DATA consts<>+372(SB)/4, $0x3f000000
DATA consts<>+376(SB)/4, $0x3f000000
DATA consts<>+380(SB)/4, $0x3f000000
DATA consts<>+384(SB)/4, $0x3f800000
DATA consts<>+388(SB)/4, $0x3f800000
DATA consts<>+392(SB)/4, $0x3f800000
DATA consts<>+396(SB)/4, $0x3f800000
DATA consts<>+400(SB)/4, $0x3f800000
DATA consts<>+404(SB)/4, $0x3f800000
DATA consts<>+408(SB)/4, $0x3f800000
DATA consts<>+412(SB)/4, $0x3f800000
DATA consts<>+416(SB)/4, $0x0000007f
DATA consts<>+420(SB)/4, $0x0000007f
DATA consts<>+424(SB)/4, $0x0000007f
DATA consts<>+428(SB)/4, $0x0000007f
DATA consts<>+432(SB)/4, $0x0000007f
DATA consts<>+436(SB)/4, $0x0000007f
DATA consts<>+440(SB)/4, $0x0000007f
DATA consts<>+444(SB)/4, $0x0000007f
DATA consts<>+448(SB)/4, $0x7f800000
DATA consts<>+452(SB)/4, $0x7f800000
DATA consts<>+456(SB)/4, $0x7f800000
DATA consts<>+460(SB)/4, $0x7f800000
DATA consts<>+464(SB)/4, $0x7f800000
DATA consts<>+468(SB)/4, $0x7f800000
DATA consts<>+472(SB)/4, $0x7f800000
DATA consts<>+476(SB)/4, $0x7f800000
DATA consts<>+480(SB)/4, $0x80000000
DATA consts<>+484(SB)/4, $0x80000000
DATA consts<>+488(SB)/4, $0x80000000
DATA consts<>+492(SB)/4, $0x80000000
DATA consts<>+496(SB)/4, $0x80000000
DATA consts<>+500(SB)/4, $0x80000000
DATA consts<>+504(SB)/4, $0x80000000
DATA consts<>+508(SB)/4, $0x80000000
DATA consts<>+512(SB)/4, $0x40000000
DATA consts<>+516(SB)/4, $0x40000000
DATA consts<>+520(SB)/4, $0x40000000
DATA consts<>+524(SB)/4, $0x40000000
DATA consts<>+528(SB)/4, $0x40000000
DATA consts<>+532(SB)/4, $0x40000000
DATA consts<>+536(SB)/4, $0x40000000
DATA consts<>+540(SB)/4, $0x40000000
DATA consts<>+544(SB)/4, $0xbbbaf0ea
DATA consts<>+548(SB)/4, $0xbbbaf0ea
DATA consts<>+552(SB)/4, $0xbbbaf0ea
DATA consts<>+556(SB)/4, $0xbbbaf0ea
DATA consts<>+560(SB)/4, $0xbbbaf0ea
DATA consts<>+564(SB)/4, $0xbbbaf0ea
DATA consts<>+568(SB)/4, $0xbbbaf0ea
DATA consts<>+572(SB)/4, $0xbbbaf0ea
DATA consts<>+576(SB)/4, $0x3ca9134e
DATA consts<>+580(SB)/4, $0x3ca9134e
DATA consts<>+584(SB)/4, $0x3ca9134e
DATA consts<>+588(SB)/4, $0x3ca9134e
DATA consts<>+592(SB)/4, $0x3ca9134e
DATA consts<>+596(SB)/4, $0x3ca9134e
DATA consts<>+600(SB)/4, $0x3ca9134e
DATA consts<>+604(SB)/4, $0x3ca9134e
DATA consts<>+608(SB)/4, $0xbd5c1e2d
DATA consts<>+612(SB)/4, $0xbd5c1e2d
DATA consts<>+616(SB)/4, $0xbd5c1e2d
DATA consts<>+620(SB)/4, $0xbd5c1e2d
DATA consts<>+624(SB)/4, $0xbd5c1e2d
DATA consts<>+628(SB)/4, $0xbd5c1e2d
DATA consts<>+632(SB)/4, $0xbd5c1e2d
DATA consts<>+636(SB)/4, $0xbd5c1e2d
DATA consts<>+640(SB)/4, $0x3e088393
DATA consts<>+644(SB)/4, $0x3e088393
DATA consts<>+648(SB)/4, $0x3e088393
DATA consts<>+652(SB)/4, $0x3e088393
DATA consts<>+656(SB)/4, $0x3e088393
DATA consts<>+660(SB)/4, $0x3e088393
DATA consts<>+664(SB)/4, $0x3e088393
DATA consts<>+668(SB)/4, $0x3e088393
DATA consts<>+672(SB)/4, $0xbeaaaa99
DATA consts<>+676(SB)/4, $0xbeaaaa99
DATA consts<>+680(SB)/4, $0xbeaaaa99
DATA consts<>+684(SB)/4, $0xbeaaaa99
DATA consts<>+688(SB)/4, $0xbeaaaa99
DATA consts<>+692(SB)/4, $0xbeaaaa99
DATA consts<>+696(SB)/4, $0xbeaaaa99
DATA consts<>+700(SB)/4, $0xbeaaaa99
DATA consts<>+704(SB)/4, $0x3f200000
DATA consts<>+708(SB)/4, $0x3f200000
DATA consts<>+712(SB)/4, $0x3f200000
DATA consts<>+716(SB)/4, $0x3f200000
DATA consts<>+720(SB)/4, $0x3f200000
DATA consts<>+724(SB)/4, $0x3f200000
DATA consts<>+728(SB)/4, $0x3f200000
DATA consts<>+732(SB)/4, $0x3f200000
GLOBL consts<>(SB), RODATA|NOPTR, $736

// func kernel(dst, src *float32, n, mode int)
//
// For n a multiple of 8, dst[i] = f(src[i]) with f by mode: 0 exp(x),
// 1 sigmoid(x) = 1/(1+exp(-x)), 2 tanh(x) = 2/(1+exp(-2x)) - 1 (for |x| < 0.625
// the Cephes tanhf polynomial instead). The exp is
// Cephes expf (range reduction by ln 2, degree-6 polynomial, 2^n built in two
// halves so it never overflows early): below -87.33654 it is 0, above
// 88.72283 +Inf, NaN stays NaN. Needs AVX2 and FMA.
TEXT ·kernel(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ mode+24(FP), DX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	CMPQ    DX, $1
	JB      exp
	JE      neg
	VADDPS  Y0, Y0, Y0          // tanh: x = 2x, then as sigmoid

neg:
	VXORPS consts<>+480(SB), Y0, Y0 // x = -x

exp:
	VMINPS       consts<>+0(SB), Y0, Y1
	VMAXPS       consts<>+32(SB), Y1, Y1
	VMOVUPS      consts<>+64(SB), Y2
	VFMADD213PS  consts<>+96(SB), Y1, Y2
	VROUNDPS     $1, Y2, Y2
	VFNMADD231PS consts<>+128(SB), Y2, Y1
	VFNMADD231PS consts<>+160(SB), Y2, Y1
	VMULPS       Y1, Y1, Y4
	VMOVUPS      consts<>+192(SB), Y3
	VFMADD213PS  consts<>+224(SB), Y1, Y3
	VFMADD213PS  consts<>+256(SB), Y1, Y3
	VFMADD213PS  consts<>+288(SB), Y1, Y3
	VFMADD213PS  consts<>+320(SB), Y1, Y3
	VFMADD213PS  consts<>+352(SB), Y1, Y3
	VFMADD213PS  Y1, Y4, Y3
	VADDPS       consts<>+384(SB), Y3, Y3
	VCVTTPS2DQ   Y2, Y5
	VPSRAD       $1, Y5, Y6
	VPSUBD       Y6, Y5, Y5
	VPADDD       consts<>+416(SB), Y6, Y6
	VPADDD       consts<>+416(SB), Y5, Y5
	VPSLLD       $23, Y6, Y6
	VPSLLD       $23, Y5, Y5
	VMULPS       Y6, Y3, Y3
	VMULPS       Y5, Y3, Y3
	VCMPPS       $1, consts<>+32(SB), Y0, Y7  // x < lo: 0
	VANDNPS      Y3, Y7, Y3
	VCMPPS       $14, consts<>+0(SB), Y0, Y7 // x > hi: +Inf
	VBLENDVPS    Y7, consts<>+448(SB), Y3, Y3
	VCMPPS       $3, Y0, Y0, Y7          // NaN stays NaN
	VBLENDVPS    Y7, Y0, Y3, Y3
	CMPQ         DX, $0
	JE           store
	VADDPS       consts<>+384(SB), Y3, Y3      // 1 + exp(-x)
	CMPQ         DX, $1
	JNE          tanh
	VMOVUPS      consts<>+384(SB), Y4
	VDIVPS       Y3, Y4, Y3              // sigmoid: 1 / (1 + exp(-x))
	JMP          store

tanh:
	VMOVUPS consts<>+512(SB), Y4
	VDIVPS  Y3, Y4, Y3                   // 2 / (1 + exp(-2x))
	VSUBPS  consts<>+384(SB), Y3, Y3           // ... - 1
	VMOVUPS      (SI), Y0                // |x| < 0.625: Cephes tanhf polynomial,
	VMULPS       Y0, Y0, Y1              // which keeps the relative error small near 0
	VMOVUPS      consts<>+544(SB), Y2
	VFMADD213PS  consts<>+576(SB), Y1, Y2
	VFMADD213PS  consts<>+608(SB), Y1, Y2
	VFMADD213PS  consts<>+640(SB), Y1, Y2
	VFMADD213PS  consts<>+672(SB), Y1, Y2
	VMULPS       Y1, Y2, Y2
	VFMADD213PS  Y0, Y0, Y2              // p·x²·x + x
	VMOVUPS      consts<>+480(SB), Y5
	VANDNPS      Y0, Y5, Y5              // |x|
	VCMPPS       $1, consts<>+704(SB), Y5, Y7
	VBLENDVPS    Y7, Y2, Y3, Y3

store:
	VMOVUPS Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop
	VZEROUPPER

done:
	RET
