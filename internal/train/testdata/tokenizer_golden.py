#!/usr/bin/python3
"""Golden tokenizer outputs from the real Keras Tokenizer (Debian python3-keras-preprocessing).

Usage: tokenizer_golden.py TEXTS.txt OUT.json    (go test ./internal/train -run Golden -update)

Fits Tokenizer(num_words=NUM_WORDS, oov_token="<OOV>") on the lines of TEXTS.txt and writes
word_index, word_counts (in order), document_count, and the sequences and post-padded,
post-truncated ids (maxlen MAXLEN) of every line.
"""
import json
import sys

from keras_preprocessing.sequence import pad_sequences
from keras_preprocessing.text import Tokenizer

NUM_WORDS, MAXLEN = 20, 8

texts = open(sys.argv[1], encoding="utf-8").read().split("\n")
texts = [t for t in texts if t != ""]
tok = Tokenizer(num_words=NUM_WORDS, oov_token="<OOV>")
tok.fit_on_texts(texts)
seqs = tok.texts_to_sequences(texts)
out = {
    "num_words": NUM_WORDS,
    "maxlen": MAXLEN,
    "document_count": tok.document_count,
    "word_counts": list(tok.word_counts.items()),
    "word_index": tok.word_index,
    "sequences": seqs,
    "padded_post": pad_sequences(seqs, maxlen=MAXLEN, padding="post", truncating="post").tolist(),
    "padded_pre": pad_sequences(seqs, maxlen=MAXLEN).tolist(),
}
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=True)
    f.write("\n")
