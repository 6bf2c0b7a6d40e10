//go:build !noasm

#include "textflag.h"

// AVX2 + FMA + F16C kernels; contracts in kernels_generic.go. The Go wrappers in
// kernels_amd64.go check lengths and ids before calling them.

// Each gather takes (acc, d, table, ids, coef, n, rows): acc[0:d] += sum_k coef[k]*row(ids[k]),
// d a multiple of 8; it checks each id against rows before reading its row and returns false
// on a bad one. d == 16 (two YMM) runs with the ids split over two accumulator pairs.

// func gatherF32AVX2(acc *float32, d int, table *float32, ids *int32, coef *float32, n int, rows int) bool
TEXT ·gatherF32AVX2(SB), NOSPLIT, $0-57
	MOVQ acc+0(FP), DI
	MOVQ d+8(FP), DX
	MOVQ table+16(FP), SI
	MOVQ ids+24(FP), R8
	MOVQ coef+32(FP), R9
	MOVQ n+40(FP), CX
	XORQ BX, BX
	CMPQ DX, $16
	JNE  f32general
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	MOVQ    CX, R10
	ANDQ    $-2, R10
	JZ      f32tail16

f32loop16:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          f32bad
	MOVLQSX      4(R8)(BX*4), R11
	SHLQ         $6, AX
	SHLQ         $6, R11
	VBROADCASTSS (R9)(BX*4), Y4
	VBROADCASTSS 4(R9)(BX*4), Y5
	VFMADD231PS  (SI)(AX*1), Y4, Y0
	VFMADD231PS  32(SI)(AX*1), Y4, Y1
	VFMADD231PS  (SI)(R11*1), Y5, Y2
	VFMADD231PS  32(SI)(R11*1), Y5, Y3
	ADDQ         $2, BX
	CMPQ         BX, R10
	JLT          f32loop16

f32tail16:
	CMPQ         BX, CX
	JGE          f32done16
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          f32bad
	SHLQ         $6, AX
	VBROADCASTSS (R9)(BX*4), Y4
	VFMADD231PS  (SI)(AX*1), Y4, Y0
	VFMADD231PS  32(SI)(AX*1), Y4, Y1

f32done16:
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

f32general:
	MOVQ DX, R11
	SHLQ $2, R11 // row stride in bytes
	XORQ R12, R12 // column offset in bytes

f32col:
	VMOVUPS (DI)(R12*1), Y0
	XORQ    BX, BX
	TESTQ   CX, CX
	JZ      f32colstore

f32id:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          f32bad
	IMULQ        R11, AX
	ADDQ         R12, AX
	VBROADCASTSS (R9)(BX*4), Y4
	VFMADD231PS  (SI)(AX*1), Y4, Y0
	INCQ         BX
	CMPQ         BX, CX
	JLT          f32id

f32colstore:
	VMOVUPS Y0, (DI)(R12*1)
	ADDQ    $32, R12
	CMPQ    R12, R11
	JLT     f32col
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

f32bad:
	VZEROUPPER
	MOVB $0, ret+56(FP)
	RET

// func gatherF16AVX2(acc *float32, d int, table *uint16, ids *int32, coef *float32, n int, rows int) bool
TEXT ·gatherF16AVX2(SB), NOSPLIT, $0-57
	MOVQ acc+0(FP), DI
	MOVQ d+8(FP), DX
	MOVQ table+16(FP), SI
	MOVQ ids+24(FP), R8
	MOVQ coef+32(FP), R9
	MOVQ n+40(FP), CX
	XORQ BX, BX
	CMPQ DX, $16
	JNE  f16general
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	MOVQ    CX, R10
	ANDQ    $-2, R10
	JZ      f16tail16

f16loop16:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          f16bad
	MOVLQSX      4(R8)(BX*4), R11
	SHLQ         $5, AX
	SHLQ         $5, R11
	VBROADCASTSS (R9)(BX*4), Y4
	VBROADCASTSS 4(R9)(BX*4), Y5
	VCVTPH2PS    (SI)(AX*1), Y6
	VCVTPH2PS    16(SI)(AX*1), Y7
	VCVTPH2PS    (SI)(R11*1), Y8
	VCVTPH2PS    16(SI)(R11*1), Y9
	VFMADD231PS  Y6, Y4, Y0
	VFMADD231PS  Y7, Y4, Y1
	VFMADD231PS  Y8, Y5, Y2
	VFMADD231PS  Y9, Y5, Y3
	ADDQ         $2, BX
	CMPQ         BX, R10
	JLT          f16loop16

f16tail16:
	CMPQ         BX, CX
	JGE          f16done16
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          f16bad
	SHLQ         $5, AX
	VBROADCASTSS (R9)(BX*4), Y4
	VCVTPH2PS    (SI)(AX*1), Y6
	VCVTPH2PS    16(SI)(AX*1), Y7
	VFMADD231PS  Y6, Y4, Y0
	VFMADD231PS  Y7, Y4, Y1

f16done16:
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

f16general:
	MOVQ DX, R11
	SHLQ $1, R11 // row stride in bytes
	XORQ R12, R12 // column offset in bytes (table)
	XORQ R13, R13 // column offset in bytes (acc)

f16col:
	VMOVUPS (DI)(R13*1), Y0
	XORQ    BX, BX
	TESTQ   CX, CX
	JZ      f16colstore

f16id:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          f16bad
	IMULQ        R11, AX
	ADDQ         R12, AX
	VBROADCASTSS (R9)(BX*4), Y4
	VCVTPH2PS    (SI)(AX*1), Y6
	VFMADD231PS  Y6, Y4, Y0
	INCQ         BX
	CMPQ         BX, CX
	JLT          f16id

f16colstore:
	VMOVUPS Y0, (DI)(R13*1)
	ADDQ    $16, R12
	ADDQ    $32, R13
	CMPQ    R12, R11
	JLT     f16col
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

f16bad:
	VZEROUPPER
	MOVB $0, ret+56(FP)
	RET

// func gatherI8AVX2(acc *float32, d int, table *int8, ids *int32, coef *float32, n int, rows int) bool
TEXT ·gatherI8AVX2(SB), NOSPLIT, $0-57
	MOVQ acc+0(FP), DI
	MOVQ d+8(FP), DX
	MOVQ table+16(FP), SI
	MOVQ ids+24(FP), R8
	MOVQ coef+32(FP), R9
	MOVQ n+40(FP), CX
	XORQ BX, BX
	CMPQ DX, $16
	JNE  i8general
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	MOVQ    CX, R10
	ANDQ    $-2, R10
	JZ      i8tail16

i8loop16:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          i8bad
	MOVLQSX      4(R8)(BX*4), R11
	SHLQ         $4, AX
	SHLQ         $4, R11
	VBROADCASTSS (R9)(BX*4), Y4
	VBROADCASTSS 4(R9)(BX*4), Y5
	VPMOVSXBD    (SI)(AX*1), Y6
	VPMOVSXBD    8(SI)(AX*1), Y7
	VPMOVSXBD    (SI)(R11*1), Y8
	VPMOVSXBD    8(SI)(R11*1), Y9
	VCVTDQ2PS    Y6, Y6
	VCVTDQ2PS    Y7, Y7
	VCVTDQ2PS    Y8, Y8
	VCVTDQ2PS    Y9, Y9
	VFMADD231PS  Y6, Y4, Y0
	VFMADD231PS  Y7, Y4, Y1
	VFMADD231PS  Y8, Y5, Y2
	VFMADD231PS  Y9, Y5, Y3
	ADDQ         $2, BX
	CMPQ         BX, R10
	JLT          i8loop16

i8tail16:
	CMPQ         BX, CX
	JGE          i8done16
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          i8bad
	SHLQ         $4, AX
	VBROADCASTSS (R9)(BX*4), Y4
	VPMOVSXBD    (SI)(AX*1), Y6
	VPMOVSXBD    8(SI)(AX*1), Y7
	VCVTDQ2PS    Y6, Y6
	VCVTDQ2PS    Y7, Y7
	VFMADD231PS  Y6, Y4, Y0
	VFMADD231PS  Y7, Y4, Y1

i8done16:
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

i8general:
	XORQ R12, R12 // column offset in bytes (table)
	XORQ R13, R13 // column offset in bytes (acc)

i8col:
	VMOVUPS (DI)(R13*1), Y0
	XORQ    BX, BX
	TESTQ   CX, CX
	JZ      i8colstore

i8id:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          i8bad
	IMULQ        DX, AX
	ADDQ         R12, AX
	VBROADCASTSS (R9)(BX*4), Y4
	VPMOVSXBD    (SI)(AX*1), Y6
	VCVTDQ2PS    Y6, Y6
	VFMADD231PS  Y6, Y4, Y0
	INCQ         BX
	CMPQ         BX, CX
	JLT          i8id

i8colstore:
	VMOVUPS Y0, (DI)(R13*1)
	ADDQ    $8, R12
	ADDQ    $32, R13
	CMPQ    R12, DX
	JLT     i8col
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

i8bad:
	VZEROUPPER
	MOVB $0, ret+56(FP)
	RET

// func gatherI8I32AVX2(acc *int32, d int, table *int8, ids *int32, coef *int32, n int, rows int) bool
TEXT ·gatherI8I32AVX2(SB), NOSPLIT, $0-57
	MOVQ acc+0(FP), DI
	MOVQ d+8(FP), DX
	MOVQ table+16(FP), SI
	MOVQ ids+24(FP), R8
	MOVQ coef+32(FP), R9
	MOVQ n+40(FP), CX
	XORQ BX, BX
	CMPQ DX, $16
	JNE  i32general
	VMOVDQU (DI), Y0
	VMOVDQU 32(DI), Y1
	VPXOR   Y2, Y2, Y2
	VPXOR   Y3, Y3, Y3
	MOVQ    CX, R10
	ANDQ    $-2, R10
	JZ      i32tail16

i32loop16:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          i32bad
	MOVLQSX      4(R8)(BX*4), R11
	SHLQ         $4, AX
	SHLQ         $4, R11
	VPBROADCASTD (R9)(BX*4), Y4
	VPBROADCASTD 4(R9)(BX*4), Y5
	VPMOVSXBD    (SI)(AX*1), Y6
	VPMOVSXBD    8(SI)(AX*1), Y7
	VPMOVSXBD    (SI)(R11*1), Y8
	VPMOVSXBD    8(SI)(R11*1), Y9
	VPMULLD      Y4, Y6, Y6
	VPMULLD      Y4, Y7, Y7
	VPMULLD      Y5, Y8, Y8
	VPMULLD      Y5, Y9, Y9
	VPADDD       Y6, Y0, Y0
	VPADDD       Y7, Y1, Y1
	VPADDD       Y8, Y2, Y2
	VPADDD       Y9, Y3, Y3
	ADDQ         $2, BX
	CMPQ         BX, R10
	JLT          i32loop16

i32tail16:
	CMPQ         BX, CX
	JGE          i32done16
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          i32bad
	SHLQ         $4, AX
	VPBROADCASTD (R9)(BX*4), Y4
	VPMOVSXBD    (SI)(AX*1), Y6
	VPMOVSXBD    8(SI)(AX*1), Y7
	VPMULLD      Y4, Y6, Y6
	VPMULLD      Y4, Y7, Y7
	VPADDD       Y6, Y0, Y0
	VPADDD       Y7, Y1, Y1

i32done16:
	VPADDD  Y2, Y0, Y0
	VPADDD  Y3, Y1, Y1
	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

i32general:
	XORQ R12, R12 // column offset in bytes (table)
	XORQ R13, R13 // column offset in bytes (acc)

i32col:
	VMOVDQU (DI)(R13*1), Y0
	XORQ    BX, BX
	TESTQ   CX, CX
	JZ      i32colstore

i32id:
	MOVLQSX      (R8)(BX*4), AX
	CMPQ         AX, rows+48(FP)
	JAE          i32bad
	IMULQ        DX, AX
	ADDQ         R12, AX
	VPBROADCASTD (R9)(BX*4), Y4
	VPMOVSXBD    (SI)(AX*1), Y6
	VPMULLD      Y4, Y6, Y6
	VPADDD       Y6, Y0, Y0
	INCQ         BX
	CMPQ         BX, CX
	JLT          i32id

i32colstore:
	VMOVDQU Y0, (DI)(R13*1)
	ADDQ    $8, R12
	ADDQ    $32, R13
	CMPQ    R12, DX
	JLT     i32col
	VZEROUPPER
	MOVB $1, ret+56(FP)
	RET

i32bad:
	VZEROUPPER
	MOVB $0, ret+56(FP)
	RET

// func denseAVX2(out *float32, nout int, x *float32, nin int, w *float32, b *float32, relu int)
// nin is a multiple of 8; w is [nout][nin]; relu != 0 clamps the outputs at 0. Eight outputs
// at a time: eight accumulators reduced to one vector of eight dot products by a VHADDPS
// tree; the nout%8 others one at a time.
TEXT ·denseAVX2(SB), NOSPLIT, $0-56
	MOVQ   out+0(FP), DI
	MOVQ   nout+8(FP), CX
	MOVQ   x+16(FP), SI
	MOVQ   nin+24(FP), DX
	MOVQ   w+32(FP), R8
	MOVQ   b+40(FP), R9
	MOVQ   relu+48(FP), R13
	VXORPS X14, X14, X14
	SHLQ   $2, DX           // row bytes
	LEAQ   (DX)(DX*2), R11  // three rows
	XORQ   BX, BX
	MOVQ   CX, AX
	ANDQ   $-8, AX          // outputs done eight at a time
	JZ     dout

dgroup:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ   (R8)(DX*4), R12  // row o+4
	XORQ   R10, R10

dgin:
	VMOVUPS     (SI)(R10*1), Y8
	VFMADD231PS (R8), Y8, Y0
	VFMADD231PS (R8)(DX*1), Y8, Y1
	VFMADD231PS (R8)(DX*2), Y8, Y2
	VFMADD231PS (R8)(R11*1), Y8, Y3
	VFMADD231PS (R12), Y8, Y4
	VFMADD231PS (R12)(DX*1), Y8, Y5
	VFMADD231PS (R12)(DX*2), Y8, Y6
	VFMADD231PS (R12)(R11*1), Y8, Y7
	ADDQ        $32, R8
	ADDQ        $32, R12
	ADDQ        $32, R10
	CMPQ        R10, DX
	JLT         dgin
	LEAQ        (R12)(R11*1), R8 // row o+8
	VHADDPS     Y1, Y0, Y0
	VHADDPS     Y3, Y2, Y2
	VHADDPS     Y5, Y4, Y4
	VHADDPS     Y7, Y6, Y6
	VHADDPS     Y2, Y0, Y0       // per 128-bit lane: outputs o..o+3
	VHADDPS     Y6, Y4, Y4       // outputs o+4..o+7
	VPERM2F128  $0x20, Y4, Y0, Y1
	VPERM2F128  $0x31, Y4, Y0, Y2
	VADDPS      Y2, Y1, Y1
	VADDPS      (R9)(BX*4), Y1, Y1
	TESTQ       R13, R13
	JZ          dgstore
	VMAXPS      Y14, Y1, Y1

dgstore:
	VMOVUPS Y1, (DI)(BX*4)
	ADDQ    $8, BX
	CMPQ    BX, AX
	JLT     dgroup

dout:
	CMPQ BX, CX
	JGE  ddone
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	XORQ   R10, R10
	MOVQ   DX, R12
	ANDQ   $-64, R12
	JZ     din8

din16:
	VMOVUPS     (R8)(R10*1), Y1
	VMOVUPS     32(R8)(R10*1), Y3
	VFMADD231PS (SI)(R10*1), Y1, Y0
	VFMADD231PS 32(SI)(R10*1), Y3, Y2
	ADDQ        $64, R10
	CMPQ        R10, R12
	JLT         din16

din8:
	CMPQ        R10, DX
	JGE         dsum
	VMOVUPS     (R8)(R10*1), Y1
	VFMADD231PS (SI)(R10*1), Y1, Y0

dsum:
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0
	VADDSS       (R9)(BX*4), X0, X0
	TESTQ        R13, R13
	JZ           dstore
	VMAXSS       X14, X0, X0

dstore:
	VMOVSS X0, (DI)(BX*4)
	ADDQ   DX, R8
	INCQ   BX
	JMP    dout

ddone:
	VZEROUPPER
	RET

// func zeroPrefixAVX2(ids *int32, n int) int
// 32 ids per step while they are all zero, then 8, then the first nonzero lane by its mask.
TEXT ·zeroPrefixAVX2(SB), NOSPLIT, $0-24
	MOVQ ids+0(FP), SI
	MOVQ n+8(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-32, DX

z32:
	CMPQ    AX, DX
	JGE     z8
	VMOVDQU (SI)(AX*4), Y0
	VPOR    32(SI)(AX*4), Y0, Y0
	VPOR    64(SI)(AX*4), Y0, Y0
	VPOR    96(SI)(AX*4), Y0, Y0
	VPTEST  Y0, Y0
	JNZ     z8
	ADDQ    $32, AX
	JMP     z32

z8:
	MOVQ CX, DX
	ANDQ $-8, DX

zloop:
	CMPQ    AX, DX
	JGE     ztail
	VMOVDQU (SI)(AX*4), Y0
	VPTEST  Y0, Y0
	JNZ     zfound
	ADDQ    $8, AX
	JMP     zloop

zfound:
	VPXOR     Y1, Y1, Y1
	VPCMPEQD  Y1, Y0, Y0
	VMOVMSKPS Y0, BX
	NOTL      BX
	BSFL      BX, BX
	ADDQ      BX, AX
	JMP       zdone

ztail:
	CMPQ  AX, CX
	JGE   zdone
	MOVL  (SI)(AX*4), BX
	TESTL BX, BX
	JNZ   zdone
	INCQ  AX
	JMP   ztail

zdone:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET
