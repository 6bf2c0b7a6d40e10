"""numpy reference for yahyafl/fake-news fake_news_model.h5 (Embedding -> Flatten -> Dense relu -> Dense sigmoid).

Tokenizes with keras_preprocessing (the pickle is a Keras 3 legacy Tokenizer; its state is loaded
into keras_preprocessing's Tokenizer), pads as the author's app.py does (maxlen=100, Keras
defaults padding='pre', truncating='pre'), and computes the forward pass from the h5 tensors.
Writes expected.json next to this script.
"""
import json, os, pickle, sys, types

import h5py
import numpy as np
from keras_preprocessing.sequence import pad_sequences
from keras_preprocessing.text import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
MAXLEN = 100

# The pickle names keras.src.legacy.preprocessing.text.Tokenizer; map it onto keras_preprocessing's.
for name in ("keras", "keras.src", "keras.src.legacy", "keras.src.legacy.preprocessing"):
    sys.modules.setdefault(name, types.ModuleType(name))
mod = types.ModuleType("keras.src.legacy.preprocessing.text")
mod.Tokenizer = Tokenizer
sys.modules["keras.src.legacy.preprocessing.text"] = mod

with open(os.path.join(HERE, "tokenizer.pkl"), "rb") as f:
    tok = pickle.load(f)

with h5py.File(os.path.join(HERE, "fake_news_model.h5"), "r") as f:
    w = f["model_weights"]
    emb = w["embedding/sequential/embedding/embeddings"][()]
    k1, b1 = w["dense/sequential/dense/kernel"][()], w["dense/sequential/dense/bias"][()]
    k2, b2 = w["dense_1/sequential/dense_1/kernel"][()], w["dense_1/sequential/dense_1/bias"][()]

texts = [
    "Trump makes early move on restricting abortions",
    "WATCH: Hillary Clinton Gets DESTROYED By Reporter After Lying About Emails",
    "Senate passes tax bill in early morning vote",
    "BREAKING: Obama Caught Red-Handed In Massive Scandal!",
    "U.S. House panel approves Russia sanctions bill",
    "Pope Francis shocks world, endorses candidate for president",
    "Factbox: Key facts on the North Korea missile test",
    "You Won't Believe What This Liberal Snowflake Said About Guns",
    "",
    "the quick brown fox jumps over the lazy dog zzzunseenword",
]
seqs = tok.texts_to_sequences(texts)
ids = pad_sequences(seqs, maxlen=MAXLEN, padding="pre", truncating="pre")


def forward(row):
    x = emb[row].astype(np.float32).reshape(-1)  # Flatten: (100, 16) -> 1600, row-major
    h = np.maximum(x @ k1 + b1, 0.0)
    z = h @ k2 + b2
    return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))


scores = [[float(v) for v in forward(r)] for r in ids]
out = {
    "source": "https://github.com/yahyafl/fake-news",
    "maxlen": MAXLEN, "padding": "pre", "truncating": "pre",
    "texts": texts,
    "ids": [[int(v) for v in r] for r in ids],
    "scores": scores,
}
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(out, f, indent=1)
for t, s in zip(texts, scores):
    print(f"{s[0]:.6f}  {t}")
