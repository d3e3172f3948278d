#include "textflag.h"

// func l2sqU8AVX2asm(a, b *byte, n int) uint32
// n must be a positive multiple of 32. Bytes are widened to 16-bit words,
// subtracted, and VPMADDWD squares and adds adjacent pairs into int32
// lanes; two accumulators overlap the two halves of each 32-byte block.
TEXT ·l2sqU8AVX2asm(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y2, Y2, Y2
	VPXOR Y5, Y5, Y5

u8loop2:
	VPMOVZXBW (SI), Y0
	VPMOVZXBW (DI), Y1
	VPSUBW    Y1, Y0, Y0
	VPMADDWD  Y0, Y0, Y0
	VPADDD    Y0, Y2, Y2
	VPMOVZXBW 16(SI), Y3
	VPMOVZXBW 16(DI), Y4
	VPSUBW    Y4, Y3, Y3
	VPMADDWD  Y3, Y3, Y3
	VPADDD    Y3, Y5, Y5
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $32, CX
	JNZ  u8loop2

	VPADDD       Y5, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0x4E, X2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0xB1, X2, X3
	VPADDD       X3, X2, X2
	VMOVD        X2, AX
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// func l2sqU8AVX512asm(a, b *byte, n int) uint32
// Same contract; 32 bytes widen into one 512-bit register per step.
TEXT ·l2sqU8AVX512asm(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z2, Z2, Z2
	VPXORD Z5, Z5, Z5

u8loop64:
	CMPQ CX, $64
	JLT  u8loop32
	VPMOVZXBW (SI), Z0
	VPMOVZXBW (DI), Z1
	VPSUBW    Z1, Z0, Z0
	VPMADDWD  Z0, Z0, Z0
	VPADDD    Z0, Z2, Z2
	VPMOVZXBW 32(SI), Z3
	VPMOVZXBW 32(DI), Z4
	VPSUBW    Z4, Z3, Z3
	VPMADDWD  Z3, Z3, Z3
	VPADDD    Z3, Z5, Z5
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $64, CX
	JMP  u8loop64

u8loop32:
	CMPQ CX, $32
	JLT  u8done
	VPMOVZXBW (SI), Z0
	VPMOVZXBW (DI), Z1
	VPSUBW    Z1, Z0, Z0
	VPMADDWD  Z0, Z0, Z0
	VPADDD    Z0, Z2, Z2

u8done:
	VPADDD        Z5, Z2, Z2
	VEXTRACTI64X4 $1, Z2, Y3
	VPADDD        Y3, Y2, Y2
	VEXTRACTI128  $1, Y2, X3
	VPADDD        X3, X2, X2
	VPSHUFD       $0x4E, X2, X3
	VPADDD        X3, X2, X2
	VPSHUFD       $0xB1, X2, X3
	VPADDD        X3, X2, X2
	VMOVD         X2, AX
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// func Prefetch(p *byte)
TEXT ·Prefetch(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), AX
	PREFETCHT0 (AX)
	RET
