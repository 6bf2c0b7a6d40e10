//go:build !noasm

#include "textflag.h"

// NEON kernels (ARMv8.0 Advanced SIMD: every 64-bit Pi) and an SDOT variant of the int8 to
// int32 gather (ARMv8.2 dot product: Pi 5); contracts in kernels_generic.go. The Go wrappers
// in kernels_arm64.go check lengths before calling them. Instructions Go's assembler lacks are
// encoded with WORD, the instruction beside each in a comment; the encodings come from
// `echo 'sdot v0.4s, v28.16b, v16.4b[0]' | llvm-mc -triple=aarch64 -mattr=+dotprod -show-encoding`
// (bytes little-endian: [0x80,0xe3,0x90,0x4f] is WORD $0x4f90e380).
//
// Each gather takes (acc, d, table, ids, coef, n, rows), n >= 1, d a multiple of 16: it walks
// the row in blocks of 16 columns (four 4-lane accumulators), adding every id's scaled block.
// It checks each id against rows before reading its row and returns false on a bad one.

// func gatherF32NEON(acc *float32, d int, table *float32, ids *int32, coef *float32, n int, rows int) bool
TEXT ·gatherF32NEON(SB), NOSPLIT, $0-57
	MOVD acc+0(FP), R0
	MOVD d+8(FP), R1
	MOVD table+16(FP), R2
	MOVD ids+24(FP), R3
	MOVD coef+32(FP), R4
	MOVD n+40(FP), R5
	MOVD rows+48(FP), R11
	LSL  $2, R1, R9 // row stride in bytes
	MOVD R2, R8     // table + block offset

f32block:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R3, R12
	MOVD R4, R13
	MOVD R5, R14

f32id:
	MOVW.P  4(R12), R6
	CMP     R11, R6
	BHS     f32bad
	VLD1R.P 4(R13), [V16.S4]
	MADD    R9, R8, R6, R7 // R7 = table + id*stride
	VLD1    (R7), [V20.S4, V21.S4, V22.S4, V23.S4]
	VFMLA   V16.S4, V20.S4, V0.S4
	VFMLA   V16.S4, V21.S4, V1.S4
	VFMLA   V16.S4, V22.S4, V2.S4
	VFMLA   V16.S4, V23.S4, V3.S4
	SUBS    $1, R14, R14
	BNE     f32id
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	ADD     $64, R8, R8
	SUBS    $16, R1, R1
	BNE     f32block
	MOVD $1, R0
	MOVB R0, ret+56(FP)
	RET

f32bad:
	MOVB ZR, ret+56(FP)
	RET

// func gatherF16NEON(acc *float32, d int, table *uint16, ids *int32, coef *float32, n int, rows int) bool
TEXT ·gatherF16NEON(SB), NOSPLIT, $0-57
	MOVD acc+0(FP), R0
	MOVD d+8(FP), R1
	MOVD table+16(FP), R2
	MOVD ids+24(FP), R3
	MOVD coef+32(FP), R4
	MOVD n+40(FP), R5
	MOVD rows+48(FP), R11
	LSL  $1, R1, R9
	MOVD R2, R8

f16block:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R3, R12
	MOVD R4, R13
	MOVD R5, R14

f16id:
	MOVW.P  4(R12), R6
	CMP     R11, R6
	BHS     f16bad
	VLD1R.P 4(R13), [V16.S4]
	MADD    R9, R8, R6, R7 // R7 = table + id*stride
	VLD1    (R7), [V20.H8, V21.H8]
	WORD $0x0e217a98 // fcvtl v24.4s, v20.4h
	WORD $0x4e217a99 // fcvtl2 v25.4s, v20.8h
	WORD $0x0e217aba // fcvtl v26.4s, v21.4h
	WORD $0x4e217abb // fcvtl2 v27.4s, v21.8h
	VFMLA   V16.S4, V24.S4, V0.S4
	VFMLA   V16.S4, V25.S4, V1.S4
	VFMLA   V16.S4, V26.S4, V2.S4
	VFMLA   V16.S4, V27.S4, V3.S4
	SUBS    $1, R14, R14
	BNE     f16id
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	ADD     $32, R8, R8
	SUBS    $16, R1, R1
	BNE     f16block
	MOVD $1, R0
	MOVB R0, ret+56(FP)
	RET

f16bad:
	MOVB ZR, ret+56(FP)
	RET

// func gatherI8NEON(acc *float32, d int, table *int8, ids *int32, coef *float32, n int, rows int) bool
TEXT ·gatherI8NEON(SB), NOSPLIT, $0-57
	MOVD acc+0(FP), R0
	MOVD d+8(FP), R1
	MOVD table+16(FP), R2
	MOVD ids+24(FP), R3
	MOVD coef+32(FP), R4
	MOVD n+40(FP), R5
	MOVD rows+48(FP), R11
	MOVD R1, R9
	MOVD R2, R8

i8block:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R3, R12
	MOVD R4, R13
	MOVD R5, R14

i8id:
	MOVW.P  4(R12), R6
	CMP     R11, R6
	BHS     i8bad
	VLD1R.P 4(R13), [V16.S4]
	MADD    R9, R8, R6, R7 // R7 = table + id*stride
	VLD1    (R7), [V20.B16]
	WORD $0x0f08a695 // sxtl v21.8h, v20.8b
	WORD $0x4f08a696 // sxtl2 v22.8h, v20.16b
	WORD $0x0f10a6b8 // sxtl v24.4s, v21.4h
	WORD $0x4f10a6b9 // sxtl2 v25.4s, v21.8h
	WORD $0x0f10a6da // sxtl v26.4s, v22.4h
	WORD $0x4f10a6db // sxtl2 v27.4s, v22.8h
	WORD $0x4e21db18 // scvtf v24.4s, v24.4s
	WORD $0x4e21db39 // scvtf v25.4s, v25.4s
	WORD $0x4e21db5a // scvtf v26.4s, v26.4s
	WORD $0x4e21db7b // scvtf v27.4s, v27.4s
	VFMLA   V16.S4, V24.S4, V0.S4
	VFMLA   V16.S4, V25.S4, V1.S4
	VFMLA   V16.S4, V26.S4, V2.S4
	VFMLA   V16.S4, V27.S4, V3.S4
	SUBS    $1, R14, R14
	BNE     i8id
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	ADD     $16, R8, R8
	SUBS    $16, R1, R1
	BNE     i8block
	MOVD $1, R0
	MOVB R0, ret+56(FP)
	RET

i8bad:
	MOVB ZR, ret+56(FP)
	RET

// func gatherI8I32NEON(acc *int32, d int, table *int8, ids *int32, coef *int32, n int, rows int) bool
TEXT ·gatherI8I32NEON(SB), NOSPLIT, $0-57
	MOVD acc+0(FP), R0
	MOVD d+8(FP), R1
	MOVD table+16(FP), R2
	MOVD ids+24(FP), R3
	MOVD coef+32(FP), R4
	MOVD n+40(FP), R5
	MOVD rows+48(FP), R11
	MOVD R1, R9
	MOVD R2, R8

i32block:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R3, R12
	MOVD R4, R13
	MOVD R5, R14

i32id:
	MOVW.P  4(R12), R6
	CMP     R11, R6
	BHS     i32bad
	VLD1R.P 4(R13), [V16.S4]
	MADD    R9, R8, R6, R7 // R7 = table + id*stride
	VLD1    (R7), [V20.B16]
	WORD $0x0f08a695 // sxtl v21.8h, v20.8b
	WORD $0x4f08a696 // sxtl2 v22.8h, v20.16b
	WORD $0x0f10a6b8 // sxtl v24.4s, v21.4h
	WORD $0x4f10a6b9 // sxtl2 v25.4s, v21.8h
	WORD $0x0f10a6da // sxtl v26.4s, v22.4h
	WORD $0x4f10a6db // sxtl2 v27.4s, v22.8h
	WORD $0x4eb09700 // mla v0.4s, v24.4s, v16.4s
	WORD $0x4eb09721 // mla v1.4s, v25.4s, v16.4s
	WORD $0x4eb09742 // mla v2.4s, v26.4s, v16.4s
	WORD $0x4eb09763 // mla v3.4s, v27.4s, v16.4s
	SUBS    $1, R14, R14
	BNE     i32id
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	ADD     $16, R8, R8
	SUBS    $16, R1, R1
	BNE     i32block
	MOVD $1, R0
	MOVB R0, ret+56(FP)
	RET

i32bad:
	MOVB ZR, ret+56(FP)
	RET

// func gatherI8I32SDOT(acc *int32, d int, table *int8, ids *int32, coef *int32, n int, rows int) bool
// Every coef must fit in int8. Four ids at a time: their rows are interleaved byte by byte
// (two rounds of ZIP) so that each 32-bit lane holds one column of the four rows, and one
// SDOT by element multiplies it with the four coefficients and adds to the column's sum.
// The n%4 remaining ids take the widening multiply-add of gatherI8I32NEON.
TEXT ·gatherI8I32SDOT(SB), NOSPLIT, $0-57
	MOVD acc+0(FP), R0
	MOVD d+8(FP), R1
	MOVD table+16(FP), R2
	MOVD ids+24(FP), R3
	MOVD coef+32(FP), R4
	MOVD n+40(FP), R5
	MOVD rows+48(FP), R11
	MOVD R1, R9
	MOVD R2, R8

sdblock:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R3, R12
	MOVD R4, R13
	LSR  $2, R5, R15 // groups of four ids
	AND  $3, R5, R14 // ids left over
	CBZ  R15, sdtail

sdgroup:
	MOVW.P 4(R12), R6
	CMP     R11, R6
	BHS     sdbad
	MADD   R9, R8, R6, R7 // R7 = table + id*stride
	VLD1   (R7), [V20.B16]
	MOVW.P 4(R12), R6
	CMP     R11, R6
	BHS     sdbad
	MADD   R9, R8, R6, R7 // R7 = table + id*stride
	VLD1   (R7), [V21.B16]
	MOVW.P 4(R12), R6
	CMP     R11, R6
	BHS     sdbad
	MADD   R9, R8, R6, R7 // R7 = table + id*stride
	VLD1   (R7), [V22.B16]
	MOVW.P 4(R12), R6
	CMP     R11, R6
	BHS     sdbad
	MADD   R9, R8, R6, R7 // R7 = table + id*stride
	VLD1   (R7), [V23.B16]
	VLD1.P 16(R13), [V16.S4]
	WORD $0x0e612a10 // xtn v16.4h, v16.4s
	WORD $0x0e212a10 // xtn v16.8b, v16.8h
	VZIP1  V21.B16, V20.B16, V24.B16 // rows 0,1 interleaved, columns 0-7
	VZIP2  V21.B16, V20.B16, V25.B16 // columns 8-15
	VZIP1  V23.B16, V22.B16, V26.B16 // rows 2,3
	VZIP2  V23.B16, V22.B16, V27.B16
	VZIP1  V26.H8, V24.H8, V28.H8    // rows 0-3 of columns 0-3
	VZIP2  V26.H8, V24.H8, V29.H8    // columns 4-7
	VZIP1  V27.H8, V25.H8, V30.H8    // columns 8-11
	VZIP2  V27.H8, V25.H8, V31.H8    // columns 12-15
	WORD $0x4f90e380 // sdot v0.4s, v28.16b, v16.4b[0]
	WORD $0x4f90e3a1 // sdot v1.4s, v29.16b, v16.4b[0]
	WORD $0x4f90e3c2 // sdot v2.4s, v30.16b, v16.4b[0]
	WORD $0x4f90e3e3 // sdot v3.4s, v31.16b, v16.4b[0]
	SUBS   $1, R15, R15
	BNE    sdgroup

sdtail:
	CBZ R14, sdstore

sdid:
	MOVW.P  4(R12), R6
	CMP     R11, R6
	BHS     sdbad
	VLD1R.P 4(R13), [V16.S4]
	MADD    R9, R8, R6, R7 // R7 = table + id*stride
	VLD1    (R7), [V20.B16]
	WORD $0x0f08a695 // sxtl v21.8h, v20.8b
	WORD $0x4f08a696 // sxtl2 v22.8h, v20.16b
	WORD $0x0f10a6b8 // sxtl v24.4s, v21.4h
	WORD $0x4f10a6b9 // sxtl2 v25.4s, v21.8h
	WORD $0x0f10a6da // sxtl v26.4s, v22.4h
	WORD $0x4f10a6db // sxtl2 v27.4s, v22.8h
	WORD $0x4eb09700 // mla v0.4s, v24.4s, v16.4s
	WORD $0x4eb09721 // mla v1.4s, v25.4s, v16.4s
	WORD $0x4eb09742 // mla v2.4s, v26.4s, v16.4s
	WORD $0x4eb09763 // mla v3.4s, v27.4s, v16.4s
	SUBS    $1, R14, R14
	BNE     sdid

sdstore:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	ADD    $16, R8, R8
	SUBS   $16, R1, R1
	BNE    sdblock
	MOVD $1, R0
	MOVB R0, ret+56(FP)
	RET

sdbad:
	MOVB ZR, ret+56(FP)
	RET

// func denseNEON(out *float32, nout int, x *float32, nin int, w *float32, b *float32, relu int)
// nin is a multiple of 4; w is [nout][nin]. Four outputs at a time: four accumulators, each
// reduced by three pairwise adds to one vector of the four dot products; relu != 0 clamps
// the outputs at 0 with FMAX.
TEXT ·denseNEON(SB), NOSPLIT, $0-56
	MOVD out+0(FP), R0
	MOVD nout+8(FP), R1
	MOVD x+16(FP), R2
	MOVD nin+24(FP), R3
	MOVD w+32(FP), R4
	MOVD b+40(FP), R5
	MOVD relu+48(FP), R6
	VEOR V8.B16, V8.B16, V8.B16
	LSL  $2, R3, R9 // row stride in bytes
	MOVD R4, R10    // row o
	LSR  $2, R1, R16 // groups of four outputs
	AND  $3, R1, R17 // outputs left over
	CBZ  R16, dsingle

dgroup:
	ADD  R9, R10, R11
	ADD  R9, R11, R12
	ADD  R9, R12, R13
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD R2, R14
	MOVD R3, R15

dg16:
	CMP    $16, R15
	BLT    dg4
	VLD1.P 64(R14), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 64(R11), [V24.S4, V25.S4, V26.S4, V27.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	VFMLA  V16.S4, V24.S4, V1.S4
	VFMLA  V17.S4, V21.S4, V0.S4
	VFMLA  V17.S4, V25.S4, V1.S4
	VFMLA  V18.S4, V22.S4, V0.S4
	VFMLA  V18.S4, V26.S4, V1.S4
	VFMLA  V19.S4, V23.S4, V0.S4
	VFMLA  V19.S4, V27.S4, V1.S4
	VLD1.P 64(R12), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 64(R13), [V24.S4, V25.S4, V26.S4, V27.S4]
	VFMLA  V16.S4, V20.S4, V2.S4
	VFMLA  V16.S4, V24.S4, V3.S4
	VFMLA  V17.S4, V21.S4, V2.S4
	VFMLA  V17.S4, V25.S4, V3.S4
	VFMLA  V18.S4, V22.S4, V2.S4
	VFMLA  V18.S4, V26.S4, V3.S4
	VFMLA  V19.S4, V23.S4, V2.S4
	VFMLA  V19.S4, V27.S4, V3.S4
	SUB    $16, R15, R15
	B      dg16

dg4:
	CBZ    R15, dgsum
	VLD1.P 16(R14), [V16.S4]
	VLD1.P 16(R10), [V20.S4]
	VLD1.P 16(R11), [V21.S4]
	VLD1.P 16(R12), [V22.S4]
	VLD1.P 16(R13), [V23.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	VFMLA  V16.S4, V21.S4, V1.S4
	VFMLA  V16.S4, V22.S4, V2.S4
	VFMLA  V16.S4, V23.S4, V3.S4
	SUB    $4, R15, R15
	B      dg4

dgsum:
	WORD $0x6e21d404 // faddp v4.4s, v0.4s, v1.4s
	WORD $0x6e23d445 // faddp v5.4s, v2.4s, v3.4s
	WORD $0x6e25d486 // faddp v6.4s, v4.4s, v5.4s
	VLD1.P 16(R5), [V7.S4]
	WORD $0x4e27d4c6 // fadd v6.4s, v6.4s, v7.4s
	CBZ    R6, dgstore
	WORD $0x4e28f4c6 // fmax v6.4s, v6.4s, v8.4s

dgstore:
	VST1.P [V6.S4], 16(R0)
	MOVD   R13, R10 // row o+4
	SUBS   $1, R16, R16
	BNE    dgroup

dsingle:
	CBZ R17, ddone

dsone:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD R2, R14
	MOVD R3, R15

ds16:
	CMP    $16, R15
	BLT    ds4
	VLD1.P 64(R14), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	VFMLA  V17.S4, V21.S4, V1.S4
	VFMLA  V18.S4, V22.S4, V2.S4
	VFMLA  V19.S4, V23.S4, V3.S4
	SUB    $16, R15, R15
	B      ds16

ds4:
	CBZ    R15, dssum
	VLD1.P 16(R14), [V16.S4]
	VLD1.P 16(R10), [V20.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	SUB    $4, R15, R15
	B      ds4

dssum:
	WORD $0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD $0x4e23d442 // fadd v2.4s, v2.4s, v3.4s
	WORD $0x4e22d400 // fadd v0.4s, v0.4s, v2.4s
	WORD $0x6e20d400 // faddp v0.4s, v0.4s, v0.4s
	WORD $0x7e30d800 // faddp s0, v0.2s
	FMOVS.P 4(R5), F1
	FADDS   F1, F0, F0
	CBZ     R6, dsstore
	WORD $0x1e284800 // fmax s0, s0, s8

dsstore:
	FMOVS.P F0, 4(R0)
	SUBS    $1, R17, R17
	BNE     dsone

ddone:
	RET

// func compactIDsNEON(dst *int32, seq *int32, n int, rows int, bad int) int
// compactIDsGeneric, 16 ids per step: the unsigned maximum of the 16 (three UMAX and a UMAXV)
// is 0 for a block of padding, skipped at once; when it is below rows every id is valid and
// each takes four instructions (store it, count it if nonzero); otherwise ids past the table
// (negative ones read as large) become bad first. Then blocks of 4, then single ids.
TEXT ·compactIDsNEON(SB), NOSPLIT, $0-48
	MOVD dst+0(FP), R0
	MOVD seq+8(FP), R1
	MOVD n+16(FP), R2
	MOVD rows+24(FP), R3
	MOVD bad+32(FP), R4
	MOVD $0, R5 // ids written

k16:
	SUBS   $16, R2, R2
	BLT    k4pre
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VUMAX  V0.S4, V1.S4, V4.S4
	VUMAX  V2.S4, V3.S4, V5.S4
	VUMAX  V4.S4, V5.S4, V4.S4
	WORD   $0x6eb0a884 // umaxv s4, v4.4s
	FMOVS  F4, R6
	CBZ    R6, k16
	SUB    $64, R1, R8
	MOVD   $16, R10
	CMP    R3, R6
	BHS    kslow
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	B k16

k4pre:
	ADD $16, R2, R2

k4:
	SUBS   $4, R2, R2
	BLT    k1pre
	VLD1.P 16(R1), [V0.S4]
	WORD   $0x6eb0a804 // umaxv s4, v0.4s
	FMOVS  F4, R6
	CBZ    R6, k4
	SUB    $16, R1, R8
	MOVD   $4, R10
	CMP    R3, R6
	BHS    kslow4
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	MOVWU.P 4(R8), R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	B k4

kslow: // R10 ids at R8, some past the table; back to k16
	MOVWU.P 4(R8), R9
	CMP     R3, R9
	CSEL    HS, R4, R9, R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	SUBS    $1, R10, R10
	BNE     kslow
	B       k16

kslow4: // the same, back to k4
	MOVWU.P 4(R8), R9
	CMP     R3, R9
	CSEL    HS, R4, R9, R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	SUBS    $1, R10, R10
	BNE     kslow4
	B       k4

k1pre:
	ADDS $4, R2, R2
	BEQ  kdone

k1:
	MOVWU.P 4(R1), R9
	CMP     R3, R9
	CSEL    HS, R4, R9, R9
	MOVW    R9, (R0)(R5<<2)
	CMP     $0, R9
	CINC    NE, R5, R5
	SUBS    $1, R2, R2
	BNE     k1

kdone:
	MOVD R5, ret+40(FP)
	RET
