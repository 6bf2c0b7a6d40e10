#!/usr/bin/python3
"""Reference forward passes of the shared .tflite fixtures, independent of the Go code.

TensorFlow is not installed here. This script reads each .tflite with its own small
FlatBuffer reader (field ids from TFLite's schema.fbs: Model, SubGraph, Tensor, Buffer,
Operator, OperatorCode, QuantizationParameters, FullyConnectedOptions), dequantizes the
constants with numpy (FLOAT16 -> float, INT8 -> scale * (q - zero_point) per channel) and
interprets the graph op by op in float64 with TFLite's reference semantics for the ops of
the average-word-vector family (CAST, LESS, ADD, SELECT_V2, GATHER, DEQUANTIZE, MEAN,
FULLY_CONNECTED with its fused activation, SOFTMAX, LOGISTIC). It writes the scores of a few
fixed id sequences per model to convert/testdata/tflite_refs.json, which
convert/tflite_fixtures_test.go compares with what edgewatt computes from its converted
file. (Dynamic-range int8 models also quantize activations inside TFLite's hybrid kernels;
this reference, like edgewatt, computes in float: it is the model "as its weights say".)

Run from the repository root with ../shared present:

    /usr/bin/python3 testdata/gen_tflite_refs.py
"""

import json
import os
import struct
import sys

import numpy as np

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "fixtures")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "convert", "testdata", "tflite_refs.json")

MODELS = [
    "dotkeras-keras3.9-int8tflite-multiclass-houjou/text_classifier.tflite",
    "tflite-float32-imdb-avgwordvec-afzaalsatti/text_classification.tflite",
    "tflite-float32-imdb-avgwordvec-afzaalsatti/movie_review_classifier.tflite",
    "tflite-fp16-modelmaker-allocine-julien/model.tflite",
    "tflite-modelmaker-f32-commentspam-seq20-jasonwee/model.tflite",
    "tflite-modelmaker-fp16-f32-headlines-curatednews/headlinesclassifier.tflite",
    "tflite-modelmaker-fp16-f32-headlines-curatednews/headlinesclassifier2.tflite",
    "tflite-toco-f32-metadata-imdb-google-example-architj71/text_classification.tflite",
]


class Table:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt = vt
        self.vtsize = struct.unpack_from("<H", buf, vt)[0]

    def off(self, field):
        o = 4 + 2 * field
        if o >= self.vtsize:
            return 0
        return struct.unpack_from("<H", self.buf, self.vt + o)[0]

    def scalar(self, field, fmt, default=0):
        o = self.off(field)
        return default if o == 0 else struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0]

    def _target(self, field):
        o = self.off(field)
        if o == 0:
            return None
        p = self.pos + o
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, field):
        t = self._target(field)
        return None if t is None else Table(self.buf, t)

    def vector(self, field, fmt):
        t = self._target(field)
        if t is None:
            return []
        n = struct.unpack_from("<I", self.buf, t)[0]
        size = struct.calcsize("<" + fmt)
        return [struct.unpack_from("<" + fmt, self.buf, t + 4 + size * i)[0] for i in range(n)]

    def tables(self, field):
        t = self._target(field)
        if t is None:
            return []
        n = struct.unpack_from("<I", self.buf, t)[0]
        out = []
        for i in range(n):
            p = t + 4 + 4 * i
            out.append(Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out

    def bytes(self, field):
        t = self._target(field)
        if t is None:
            return b""
        n = struct.unpack_from("<I", self.buf, t)[0]
        return bytes(self.buf[t + 4:t + 4 + n])


DT = {0: np.float32, 1: np.float16, 2: np.int32, 4: np.int64, 9: np.int8}
OPS = {0: "ADD", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC", 19: "RELU", 25: "SOFTMAX",
       36: "GATHER", 40: "MEAN", 53: "CAST", 58: "LESS", 123: "SELECT_V2"}


def load(path):
    buf = open(path, "rb").read()
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    buffers = [b.bytes(0) for b in model.tables(4)]
    codes = [max(c.scalar(0, "b"), c.scalar(3, "i")) for c in model.tables(1)]
    sg = model.tables(2)[0]
    tensors = []
    for t in sg.tables(0):
        shape = t.vector(0, "i")
        typ = t.scalar(1, "b")
        data = buffers[t.scalar(2, "I")]
        val = None
        if data:
            a = np.frombuffer(data, dtype=DT[typ]).reshape(shape).astype(np.float64)
            q = t.table(4)
            if typ == 9 and q is not None:
                scale = np.array(q.vector(2, "f"), dtype=np.float64)
                zero = np.array(q.vector(3, "q") or [0] * len(scale), dtype=np.float64)
                dim = q.scalar(6, "i")
                bshape = [1] * a.ndim
                if len(scale) > 1:
                    bshape[dim] = len(scale)
                a = (a - zero.reshape(bshape)) * scale.reshape(bshape)
            val = a
        tensors.append({"shape": shape, "type": typ, "val": val})
    ops = []
    for op in sg.tables(3):
        opts = op.table(4)
        ops.append({"op": OPS.get(codes[op.scalar(0, "I")], "?%d" % codes[op.scalar(0, "I")]),
                    "in": op.vector(1, "i"), "out": op.vector(2, "i"),
                    "act": opts.scalar(0, "b") if opts is not None else 0})
    return tensors, ops, sg.vector(1, "i")[0], sg.vector(2, "i")[0]


def run(model, ids):
    tensors, ops, inp, outp = model
    v = {i: t["val"] for i, t in enumerate(tensors) if t["val"] is not None}
    v[inp] = np.array([ids], dtype=np.float64)
    for o in ops:
        x = [v.get(i) for i in o["in"]]
        name = o["op"]
        if name in ("CAST", "DEQUANTIZE"):
            y = x[0]
        elif name == "LESS":
            y = x[0] < x[1]
        elif name == "ADD":
            y = x[0] + x[1]
        elif name == "SELECT_V2":
            y = np.where(x[0], x[1], x[2])
        elif name == "GATHER":
            y = x[0][x[1].astype(np.int64)]
        elif name == "MEAN":
            y = x[0].mean(axis=int(np.ravel(x[1])[0]))
        elif name == "FULLY_CONNECTED":
            y = x[0] @ x[1].T
            if len(x) > 2 and x[2] is not None:
                y = y + x[2]
            if o["act"] == 1:
                y = np.maximum(y, 0)
            elif o["act"] == 4:
                y = np.tanh(y)
        elif name == "SOFTMAX":
            e = np.exp(x[0] - x[0].max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        elif name == "LOGISTIC":
            y = 1 / (1 + np.exp(-x[0]))
        else:
            raise SystemExit("unexpected op %s" % name)
        v[o["out"][0]] = y
    return [float(s) for s in np.ravel(v[outp])]


def main():
    rng = np.random.default_rng(15)
    out = {}
    for rel in MODELS:
        path = os.path.join(FIX, rel)
        model = load(path)
        tensors, ops, inp, _ = model
        maxlen = tensors[inp]["shape"][1]
        rows = next(tensors[o["in"][0]]["shape"][0] for o in ops if o["op"] == "GATHER")
        seqs = [[1, 5, 10, 2, 3], [0] * 0, [1] + [int(i) for i in rng.integers(3, rows, size=maxlen + 7)]]
        seqs += [[int(i) for i in rng.integers(0, rows, size=int(rng.integers(1, maxlen)))] for _ in range(3)]
        cases = []
        for s in seqs:
            padded = (s + [0] * maxlen)[:maxlen]  # post padding, post truncation
            cases.append({"ids": padded, "scores": run(model, padded)})
        out[rel] = {"rows": rows, "maxlen": maxlen, "ops": [o["op"] for o in ops], "cases": cases}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
