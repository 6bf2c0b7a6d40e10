#!/usr/bin/python3
"""Reference metrics for internal/eval, written independently of the Go code.

Reads the numpy forward-pass scores of each real sarcasm model on v1 rows [20000:]
(internal/e2e/testdata/<model>.scores.txt: a numpy forward pass of
each model's own tensors) and the labels from ../shared/fixtures, and writes
sarcasm_metrics.json: accuracy (score > 0.5 is class 1), confusion matrix, per-class
precision/recall/F1, ROC AUC by counting every (positive, negative) pair (ties 1/2), and the
expected calibration error over 10 equal-width bins of max(p, 1-p).

    /usr/bin/python3 internal/eval/testdata/sarcasm_metrics.py   # from the repository root
"""
import csv, json, os, sys
import numpy as np

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
fx = os.environ.get("EDGEWATT_FIXTURES") or os.path.join(os.path.dirname(root), "shared", "fixtures")
models = ["h5-keras2.4-sarcasm-k4u5h4l", "h5-keras2.15-sarcasm-vocab1000-rafimadani",
          "h5-keras3.8-sarcasm-nisthachauhan", "dotkeras-keras3.10-sarcasm-lumb3"]

with open(os.path.join(fx, "sarcasm-headlines-v1-csv", "Sarcasm_Headlines_Dataset.csv"), newline="") as f:
    y = np.array([int(r[0]) for r in csv.reader(f)][20000:])

out = {}
for m in models:
    s = np.loadtxt(os.path.join(root, "internal", "e2e", "testdata", m + ".scores.txt"))
    assert len(s) == len(y)
    pred = (s > 0.5).astype(int)
    conf = [[int(np.sum((y == t) & (pred == p))) for p in (0, 1)] for t in (0, 1)]
    cls = []
    for c in (0, 1):
        tp = conf[c][c]
        prec = tp / max(1, conf[0][c] + conf[1][c])
        rec = tp / max(1, sum(conf[c]))
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        cls.append({"precision": prec, "recall": rec, "f1": f1})
    pos, neg = s[y == 1], s[y == 0]
    gt = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    auc = float(gt) / (len(pos) * len(neg))
    c = np.where(pred == 1, s, 1 - s)
    ok = (pred == y).astype(float)
    ece = 0.0
    for b in range(10):
        lo, hi = b / 10, (b + 1) / 10
        sel = (c >= lo) & ((c < hi) if b < 9 else (c <= hi))
        if sel.sum():
            ece += sel.sum() / len(c) * abs(ok[sel].mean() - c[sel].mean())
    out[m] = {"rows": int(len(y)), "accuracy": float(ok.mean()), "confusion": conf,
              "classes": cls, "roc_auc": auc, "ece": ece}

json.dump(out, open(os.path.join(os.path.dirname(__file__), "sarcasm_metrics.json"), "w"), indent=1, sort_keys=True)
json.dump(out, sys.stdout, indent=1, sort_keys=True)
