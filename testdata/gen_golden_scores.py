#!/usr/bin/python3
"""Golden predictions for runtime/golden_predict_test.go, from the real Keras preprocessing.

    /usr/bin/python3 testdata/gen_golden_scores.py     # rewrites runtime/testdata/golden/predict.json

Needs Debian's python3-keras-preprocessing and python3-numpy. For three small networks with
seeded random weights (sigmoid; softmax over 3 classes; mask_zero with tanh) it fits a Keras
Tokenizer on a fixed corpus, tokenizes the hostile texts of tokenizer.json with
texts_to_sequences, pads them with pad_sequences, and runs the forward pass in numpy float32
(GlobalAveragePooling1D over all maxlen positions, or over non-padding positions with
mask_zero). The Go test builds the same model file and compares ids exactly and scores
within 1e-6.
"""
import json, os
import numpy as np
from keras_preprocessing.text import Tokenizer
from keras_preprocessing.sequence import pad_sequences

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "runtime", "testdata", "golden", "predict.json")
texts = json.load(open(os.path.join(HERE, "..", "runtime", "testdata", "golden", "tokenizer.json"), encoding="utf-8"))["texts"]
corpus = [
    "the man who loves pizza finds a new friend in town",
    "local scientists say coffee is the best friend of the family",
    "son's car breaks down on the first day of the year",
    "area dog still not sure who is a good boy",
    "Σίσυφος ΟΔΥΣΣΕΥΣ İstanbul straße naïve café",
] + texts[:40]

def forward(emb, layers, padded, mask_zero):
    x = emb[padded]  # [n, maxlen, d]
    if mask_zero:
        m = (padded != 0).astype(np.float32)[:, :, None]
        cnt = m.sum(axis=1)
        h = np.where(cnt > 0, (x * m).sum(axis=1, dtype=np.float32) / np.maximum(cnt, 1), 0).astype(np.float32)
    else:
        h = x.mean(axis=1, dtype=np.float32)
    for k, b, act in layers:
        z = (h @ k + b).astype(np.float32)
        if act == "relu":
            h = np.maximum(z, 0)
        elif act == "tanh":
            h = np.tanh(z.astype(np.float64)).astype(np.float32)
        elif act == "sigmoid":
            h = (1 / (1 + np.exp(-z.astype(np.float64)))).astype(np.float32)
        elif act == "softmax":
            e = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
            h = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        else:
            h = z
    return h

def model(name, seed, num_words, oov, maxlen, padding, truncating, dims, acts, mask_zero):
    rng = np.random.default_rng(seed)
    tk = Tokenizer(num_words=num_words, oov_token=oov)
    tk.fit_on_texts(corpus)
    V = num_words
    emb = rng.uniform(-0.5, 0.5, size=(V, dims[0])).astype(np.float32)
    layers = []
    for i, act in enumerate(acts):
        k = rng.uniform(-0.6, 0.6, size=(dims[i], dims[i + 1])).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, size=(dims[i + 1],)).astype(np.float32)
        layers.append((k, b, act))
    seqs = tk.texts_to_sequences(texts)
    padded = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating)
    scores = forward(emb, layers, padded, mask_zero)
    words = [""] * V
    for w, i in tk.word_index.items():
        if i < V:
            words[i] = w
    return {
        "name": name, "num_words": num_words, "oov_id": tk.word_index.get(oov, -1) if oov else -1,
        "filters": tk.filters, "lower": tk.lower, "split": tk.split,
        "maxlen": maxlen, "padding": padding, "truncating": truncating, "mask_zero": mask_zero,
        "words": words, "embedding": emb.tolist(),
        "dense": [{"kernel": k.tolist(), "bias": b.tolist(), "activation": a} for k, b, a in layers],
        "cases": [{"text": t, "ids": s, "padded": p.tolist(), "scores": sc.astype(np.float64).tolist()}
                  for t, s, p, sc in zip(texts, seqs, padded, scores)],
    }

models = [
    model("sigmoid_oov_post_pre", 1, 40, "<OOV>", 12, "post", "pre", [8, 6, 1], ["relu", "sigmoid"], False),
    model("softmax_nooov_pre_post", 2, 60, None, 7, "pre", "post", [5, 4, 3], ["tanh", "softmax"], False),
    model("maskzero_oov_pre_pre", 3, 30, "<OOV>", 9, "pre", "pre", [16, 24, 1], ["relu", "sigmoid"], True),
]
with open(OUT, "w", encoding="utf-8") as f:
    json.dump({"generator": "testdata/gen_golden_scores.py", "models": models}, f, ensure_ascii=False)
print("wrote", OUT, sum(len(m["cases"]) for m in models), "cases")
