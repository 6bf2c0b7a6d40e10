#!/usr/bin/python3
"""Writes the fused 16-wide average kernels of kernels_sum_arm64.s (run from runtime/:
/usr/bin/python3 _asm/gen_sum_arm64.py > kernels_sum_arm64.s). The three kernels differ only
in how a row is loaded and widened to float32 and in its coefficient; the id loops are
unrolled, which is why they are generated. Encodings of instructions Go's assembler lacks are
computed here (checked against llvm-mc for one of each: see kernels_arm64.s)."""


def fmla_el(d, n, m, idx):  # FMLA Vd.4S, Vn.4S, Vm.S[idx]
    H, L, M = (idx >> 1) & 1, idx & 1, (m >> 4) & 1
    return 0x4F801000 | (L << 21) | (M << 20) | ((m & 15) << 16) | (H << 11) | (n << 5) | d


def umaxv(d, n):  # UMAXV Sd, Vn.4S
    return 0x6EB0A800 | (n << 5) | d


def tbl(d, n, m):  # TBL Vd.16B, {Vn.16B}, Vm.16B
    return 0x4E000000 | (m << 16) | (n << 5) | d


def scvtf24(d, n):  # SCVTF Vd.4S, Vn.4S, #24 (immh:immb = 64 - 24)
    return 0x4F28E400 | (n << 5) | d


def row(kind, creg):
    """Adds row R9 times lane 0 of V<creg> to V0-V3."""
    if kind == "f32":
        L = ["ADD  R9<<6, R1, R7 // row: table + id*64", "VLD1 (R7), [V20.S4, V21.S4, V22.S4, V23.S4]"]
        src = [20, 21, 22, 23]
    elif kind == "f16":
        L = ["ADD  R9<<5, R1, R7 // row: table + id*32", "VLD1 (R7), [V20.H8, V21.H8]",
             "WORD $0x0e217a98 // fcvtl v24.4s, v20.4h", "WORD $0x4e217a99 // fcvtl2 v25.4s, v20.8h",
             "WORD $0x0e217aba // fcvtl v26.4s, v21.4h", "WORD $0x4e217abb // fcvtl2 v27.4s, v21.8h"]
        src = [24, 25, 26, 27]
    else:
        # Each int8 to the top byte of a 32-bit lane (TBL with the indexes in V8-V11, 0xff
        # giving 0), then SCVTF with 24 fraction bits: exactly the int8 value as float32.
        L = ["ADD  R9<<4, R1, R7 // row: table + id*16", "VLD1 (R7), [V20.B16]"]
        for q in range(4):
            L.append("WORD $%#08x // tbl v%d.16b, {v20.16b}, v%d.16b" % (tbl(24 + q, 20, 8 + q), 24 + q, 8 + q))
        for q in range(4):
            L.append("WORD $%#08x // scvtf v%d.4s, v%d.4s, #24" % (scvtf24(24 + q, 24 + q), 24 + q, 24 + q))
        src = [24, 25, 26, 27]
    for k in range(4):
        L.append("WORD $%#08x // fmla v%d.4s, v%d.4s, v%d.s[0]" % (fmla_el(k, src[k], creg, 0), k, src[k], creg))
    return L


def one(kind, ptr, skip, checked):
    """One id from (ptr): mapped to bad when past the table (checked), skipped when 0."""
    L = ["MOVWU.P 4(%s), R9" % ptr]
    if checked:
        L += ["CMP     R4, R9", "CSEL    HS, R5, R9, R9"]
    L += ["CBZ     R9, %s" % skip, "ADD     $1, R6, R6"]
    c = 30
    if kind == "i8":
        L += ["FMOVS   (R11)(R9<<2), F17 // scale[id]"]
        c = 17
    return L + row(kind, c)


def gen(kind, name, table):
    k = kind
    out = ["// func %s(acc *float32, table *%s, scale *float32, seq *int32, n int, rows int, bad int, c float32, maxlen int, pad int) int" % (name, table),
           "TEXT ·%s(SB), NOSPLIT, $0-88" % name]
    L = ["MOVD acc+0(FP), R0", "MOVD table+8(FP), R1", "MOVD scale+16(FP), R11", "MOVD seq+24(FP), R2",
         "MOVD n+32(FP), R3", "MOVD rows+40(FP), R4", "MOVD bad+48(FP), R5", "FMOVS c+56(FP), F30",
         "VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]", "MOVD $0, R6 // ids summed"]
    if kind == "i8":
        L += ["MOVD $i8lanes<>(SB), R14", "VLD1 (R14), [V8.B16, V9.B16, V10.B16, V11.B16]"]
    lab = []
    for blk, nregs in ((16, 4), (4, 1)):
        regs = ", ".join("V%d.S4" % (4 + i) for i in range(nregs))
        nxt = "%ss4pre" % k if blk == 16 else "%ss1pre" % k
        lab += ["%ss%d:" % (k, blk), "SUBS   $%d, R3, R3" % blk, "BLT    %s" % nxt,
                "VLD1.P %d(R2), [%s]" % (blk * 4, regs)]
        if blk == 16:
            lab += ["VUMAX  V4.S4, V5.S4, V16.S4", "VUMAX  V6.S4, V7.S4, V18.S4", "VUMAX  V16.S4, V18.S4, V16.S4",
                    "WORD   $%#08x // umaxv s16, v16.4s" % umaxv(16, 16)]
        else:
            lab += ["WORD   $%#08x // umaxv s16, v4.4s" % umaxv(16, 4)]
        lab += ["FMOVS  F16, R9", "CBZ    R9, %ss%d // all zero" % (k, blk), "SUB    $%d, R2, R8" % (blk * 4),
                "CMP    R4, R9", "BHS    %sc%d // an id past the table" % (k, blk)]
        # valid block: every id < rows, unrolled
        for i in range(blk):
            lab += ["%sv%d_%d:" % (k, blk, i)] if i else []
            lab += one(kind, "R8", "%sv%d_%d" % (k, blk, i + 1), False)
        lab += ["%sv%d_%d:" % (k, blk, blk), "B      %ss%d" % (k, blk)]
        # checked block
        lab += ["%sc%d:" % (k, blk), "MOVD   $%d, R10" % blk, "%sci%d:" % (k, blk)]
        lab += one(kind, "R8", "%scn%d" % (k, blk), True)
        lab += ["%scn%d:" % (k, blk), "SUBS   $1, R10, R10", "BNE    %sci%d" % (k, blk), "B      %ss%d" % (k, blk)]
        if blk == 16:
            lab += ["%ss4pre:" % k, "ADD    $16, R3, R3"]
    lab += ["%ss1pre:" % k, "ADDS   $4, R3, R3", "BEQ    %spad" % k, "%si1:" % k]
    lab += one(kind, "R2", "%sn1" % k, True)
    lab += ["%sn1:" % k, "SUBS   $1, R3, R3", "BNE    %si1" % k,
            "%spad: // the padding row, (maxlen - ids summed) times" % k, "MOVD   maxlen+64(FP), R12",
            "MOVD   pad+72(FP), R13", "CBZ    R13, %sdone" % k, "SUBS   R6, R12, R12", "BLE    %sdone" % k,
            "SCVTFS R12, F17"]
    if kind == "i8":
        lab += ["FMOVS  (R11), F18", "FMULS  F18, F17, F17 // (maxlen-n) * scale[0]"]
    else:
        lab += ["FMULS  F30, F17, F17 // (maxlen-n) * c"]
    lab += ["MOVD   $0, R9"] + row(kind, 17)
    lab += ["%sdone:" % k, "VST1   [V0.S4, V1.S4, V2.S4, V3.S4], (R0)", "MOVD   R6, ret+80(FP)", "RET"]
    body = ["\t" + x for x in L] + [""]
    for x in lab:
        body.append(x if x.endswith(":") or ": //" in x else "\t" + x)
    return "\n".join(out + body) + "\n\n"


print("""// Code generated by _asm/gen_sum_arm64.py; DO NOT EDIT.

//go:build !noasm

#include "textflag.h"

// The fused average of 16-wide embeddings (the tutorials' width): compactIDs and a gather in
// one pass, contracts in kernels_generic.go (sumF32x16Generic and its siblings). Blocks of 16
// ids, then 4, are tested at once by their unsigned maximum (three UMAX and a UMAXV): 0 skips
// a block of padding; below rows, every id of the block is valid and takes a load, a test for
// zero and a count besides its row (one load, the widening to float32, four FMLA by element);
// otherwise each id past the table (negative ones read as large) becomes bad first. The last
// ids one at a time. Then the padding row 0, (maxlen - count) times, unless pad is 0.
// sumI8x16NEON ignores c: each row's coefficient is scale[id] (the caller folds 1/maxlen into
// the scales).
""")
# i8lanes: TBL indexes putting byte 4q+j of a row in the top byte of lane j of vector q.
words = []
for q in range(4):
    for j in (0, 2):
        words.append(((4 * q + j + 1) << 56) | (0xFFFFFF << 32) | ((4 * q + j) << 24) | 0xFFFFFF)
for i, w in enumerate(words):
    print("DATA i8lanes<>+%d(SB)/8, $%#016x" % (8 * i, w))
print("GLOBL i8lanes<>(SB), RODATA|NOPTR, $64\n")
print(gen("f32", "sumF32x16NEON", "float32") + gen("f16", "sumF16x16NEON", "uint16") + gen("i8", "sumI8x16NEON", "int8"), end="")
