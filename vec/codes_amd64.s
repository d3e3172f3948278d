#include "textflag.h"

// func Prefetch(p *byte)
TEXT ·Prefetch(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), AX
	PREFETCHT0 (AX)
	RET

// func l2sqI8AVX512asm(a, b *byte, n int) uint32
// Squared L2 of signed bytes: as the unsigned kernel, sign-extending.
TEXT ·l2sqI8AVX512asm(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z2, Z2, Z2
	VPXORD Z5, Z5, Z5

i8loop64:
	CMPQ CX, $64
	JLT  i8loop32
	VPMOVSXBW (SI), Z0
	VPMOVSXBW (DI), Z1
	VPSUBW    Z1, Z0, Z0
	VPMADDWD  Z0, Z0, Z0
	VPADDD    Z0, Z2, Z2
	VPMOVSXBW 32(SI), Z3
	VPMOVSXBW 32(DI), Z4
	VPSUBW    Z4, Z3, Z3
	VPMADDWD  Z3, Z3, Z3
	VPADDD    Z3, Z5, Z5
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $64, CX
	JMP  i8loop64

i8loop32:
	CMPQ CX, $32
	JLT  i8done
	VPMOVSXBW (SI), Z0
	VPMOVSXBW (DI), Z1
	VPSUBW    Z1, Z0, Z0
	VPMADDWD  Z0, Z0, Z0
	VPADDD    Z0, Z2, Z2

i8done:
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

// func l2sqI8AVX2asm(a, b *byte, n int) uint32
// n must be a positive multiple of 32.
TEXT ·l2sqI8AVX2asm(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y2, Y2, Y2
	VPXOR Y5, Y5, Y5

i8loop2:
	VPMOVSXBW (SI), Y0
	VPMOVSXBW (DI), Y1
	VPSUBW    Y1, Y0, Y0
	VPMADDWD  Y0, Y0, Y0
	VPADDD    Y0, Y2, Y2
	VPMOVSXBW 16(SI), Y3
	VPMOVSXBW 16(DI), Y4
	VPSUBW    Y4, Y3, Y3
	VPMADDWD  Y3, Y3, Y3
	VPADDD    Y3, Y5, Y5
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $32, CX
	JNZ  i8loop2

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

// func dotU8I8VNNIasm(a, b *byte, n int) int32
// Σ a[i]·b[i] with a unsigned and b signed bytes; n must be a positive
// multiple of 64. VPDPBUSD multiplies 64 byte pairs and adds groups of four
// into sixteen int32 lanes in one instruction; two accumulators overlap
// its latency.
TEXT ·dotU8I8VNNIasm(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

vnniloop128:
	CMPQ CX, $128
	JLT  vnniloop64
	VMOVDQU8 (SI), Z2
	VMOVDQU8 64(SI), Z3
	VPDPBUSD (DI), Z2, Z0
	VPDPBUSD 64(DI), Z3, Z1
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $128, CX
	JMP  vnniloop128

vnniloop64:
	CMPQ CX, $64
	JLT  vnnidone
	VMOVDQU8 (SI), Z2
	VPDPBUSD (DI), Z2, Z0

vnnidone:
	VPADDD        Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y3
	VPADDD        Y3, Y0, Y0
	VEXTRACTI128  $1, Y0, X3
	VPADDD        X3, X0, X0
	VPSHUFD       $0x4E, X0, X3
	VPADDD        X3, X0, X0
	VPSHUFD       $0xB1, X0, X3
	VPADDD        X3, X0, X0
	VMOVD         X0, AX
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// func PrefetchRange(p *byte, n int)
// Prefetches every 64-byte line of [p, p+n).
TEXT ·PrefetchRange(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ n+8(FP), CX
	ADDQ AX, CX

pfloop:
	CMPQ AX, CX
	JGE  pfdone
	PREFETCHT0 (AX)
	ADDQ $64, AX
	JMP  pfloop

pfdone:
	RET
