#!/usr/bin/python3
"""Numpy reference predictions for the real sarcasm models in ../shared/fixtures.

Run with Debian's python3 (python3-keras-preprocessing, python3-h5py, python3-numpy):

    /usr/bin/python3 testdata/gen_fixture_refs.py ../shared/fixtures internal/e2e/testdata

For each model it reads the Keras weights with h5py (directly, not through edgewatt), the
author's tokenizer with keras_preprocessing.text.tokenizer_from_json, tokenizes the held-out
rows v1[20000:] with the author's pad_sequences settings (PROVENANCE.md) and runs the forward
pass in numpy float32 (Embedding gather, mean over all maxlen positions, Dense relu, Dense
sigmoid). It writes one score per row (%.9g) to NAME.scores.txt and the accuracy to
NAME.accuracy.txt. The Go test internal/e2e compares edgewatt's predictions to these.
"""
import csv, io, json, os, sys, zipfile
import h5py, numpy as np
from keras_preprocessing.text import tokenizer_from_json
from keras_preprocessing.sequence import pad_sequences

MODELS = {
    # name: (model file, maxlen, padding, truncating)
    "h5-keras2.4-sarcasm-k4u5h4l": ("sarcasm_model.h5", 100, "post", "post"),
    "h5-keras2.15-sarcasm-vocab1000-rafimadani": ("sarcasm_model.h5", 120, "post", "post"),
    "h5-keras3.8-sarcasm-nisthachauhan": ("sarcasm_model.h5", 100, "post", "pre"),
    "dotkeras-keras3.10-sarcasm-lumb3": ("sarcasm_model.keras", 100, "post", "post"),
}

def weights_h5(path):
    f = h5py.File(path, "r")
    g = f["model_weights"]
    out = []
    for ln in g.attrs["layer_names"]:
        ln = ln.decode() if isinstance(ln, bytes) else ln
        names = g[ln].attrs["weight_names"]
        out.append([np.array(g[ln][n.decode() if isinstance(n, bytes) else n], dtype=np.float32) for n in names])
    return [w for w in out if w]

def weights_keras(path):
    z = zipfile.ZipFile(path)
    cfg = json.loads(z.read("config.json"))
    f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    out = []
    for layer in cfg["config"]["layers"]:
        name = layer["config"]["name"]
        if "layers/" + name + "/vars" in f and len(f["layers/" + name + "/vars"]):
            v = f["layers/" + name + "/vars"]
            out.append([np.array(v[str(i)], dtype=np.float32) for i in range(len(v))])
    return out

def main(fixtures, outdir):
    rows = list(csv.reader(open(os.path.join(fixtures, "sarcasm-headlines-v1-csv/Sarcasm_Headlines_Dataset.csv"), encoding="utf-8")))
    test = rows[20000:]
    texts = [r[1] for r in test]
    labels = np.array([int(r[0]) for r in test])
    for name, (mfile, maxlen, padding, trunc) in MODELS.items():
        d = os.path.join(fixtures, name)
        path = os.path.join(d, mfile)
        ws = weights_keras(path) if mfile.endswith(".keras") else weights_h5(path)
        emb, (k1, b1), (k2, b2) = ws[0][0], ws[1], ws[2]
        tok = tokenizer_from_json(open(os.path.join(d, "tokenizer.derived.json"), encoding="utf-8").read())
        seqs = tok.texts_to_sequences(texts)
        x = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=trunc)
        h = emb[x].mean(axis=1, dtype=np.float32)
        h = np.maximum(h @ k1 + b1, 0).astype(np.float32)
        z = (h @ k2 + b2).astype(np.float32)
        p = (1 / (1 + np.exp(-z.astype(np.float64)))).astype(np.float32)[:, 0]
        acc = float(((p > 0.5).astype(int) == labels).mean())
        with open(os.path.join(outdir, name + ".scores.txt"), "w") as o:
            o.write("".join("%.9g\n" % v for v in p))
        with open(os.path.join(outdir, name + ".accuracy.txt"), "w") as o:
            o.write("%.4f\n" % acc)
        print(name, "accuracy %.4f" % acc, "rows", len(p))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
