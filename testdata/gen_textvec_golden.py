#!/usr/bin/python3
"""Golden token ids for Keras's TextVectorization as TensorFlow computes it.

TensorFlow is not installed here, so this is an independent transcription, in Python's
standard library only, of the definitions pinned in runtime/tokenizer_textvec.go (with their
TensorFlow/Keras sources). Each step works on UTF-8 bytes as the TF ops do:

  lower        absl::AsciiStrToLower (tf.strings.lower with its default encoding ""):
               bytes A-Z -> a-z, nothing else.  Here: bytes.translate with an A-Z table.
  strip        tf.strings.regex_replace(x, DEFAULT_STRIP_REGEX, ""): RE2 over UTF-8; the class
               holds the 32 ASCII characters of string.punctuation, so it deletes those bytes.
               Here: Python's re over bytes with the same class, written out.
  whitespace   tf.strings.split(x): runs of the ASCII whitespace bytes " \\t\\n\\v\\f\\r",
               no empty tokens.  Here: re.split(rb"[ \\t\\n\\v\\f\\r]+") minus empty strings.
  character    tf.strings.unicode_split(x, "UTF-8"), errors="replace": ill-formed UTF-8
               replaced by U+FFFD per maximal subpart (ICU).  Here: bytes.decode("utf-8",
               "replace"), which CPython documents as the same Unicode practice.
  ngrams       tf.strings.ngrams(tokens, widths, " "): width by width, in order.
  lookup       "" -> 0 (mask), vocabulary index, else 1 ("[UNK]").
  output_sequence_length   truncate, then pad with 0, at the end.

The hostile texts cover Unicode punctuation, combining marks, sharp s, Turkish dotted I,
emoji with ZWJ and skin tone, non-ASCII spaces, empty strings and ill-formed UTF-8 (stored
as hex). Run from the repository root:

    /usr/bin/python3 testdata/gen_textvec_golden.py -update

Without -update it exits 1 when runtime/testdata/golden/textvec.json differs from what it
would write.
"""

import json
import re
import sys

OUT = "runtime/testdata/golden/textvec.json"

ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# string.punctuation, each escaped for a character class.
STRIP = re.compile(rb"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
WHITESPACE = re.compile(rb"[ \t\n\v\f\r]+")


def standardize(b, mode):
    if mode in ("lower", "lower_and_strip_punctuation"):
        b = b.translate(ASCII_LOWER)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        b = STRIP.sub(b"", b)
    return b


def split(b, mode):
    if mode == "whitespace":
        return [t for t in WHITESPACE.split(b) if t]
    if mode == "character":
        return [c.encode("utf-8") for c in b.decode("utf-8", "replace")]
    return [b]


def ngrams(tokens, widths):
    if not widths:
        return tokens
    out = []
    for w in widths:
        out += [b" ".join(tokens[i:i + w]) for i in range(len(tokens) - w + 1)]
    return out


def vectorize(text, cfg, vocab):
    index = {w.encode("utf-8"): i for i, w in enumerate(vocab) if i >= 2}
    toks = ngrams(split(standardize(text, cfg["standardize"]), cfg["split"]), cfg["ngrams"])
    ids = [0 if t == b"" else index.get(t, 1) for t in toks]
    n = cfg["output_sequence_length"]
    if n is not None:
        ids = (ids + [0] * n)[:n]
    return ids


TEXTS = [
    "",
    " ",
    "\t\n\v\f\r",
    "Hello, World!",
    "HELLO world hello",
    "don't stop-believing",
    "son's web series",
    "[UNK] unk [unk]",
    "“Quoted” ‘words’ — dash – dash … ellipsis",
    "¿Qué? ¡Sí! «guillemets» 「括弧」",
    "Café CAFÉ café",  # composed é
    "Cafe\u0301 cafe\u0301",  # e + combining acute
    "Straße STRASSE straße ẞ",
    "İstanbul ISTANBUL istanbul ıstanbul",
    "ΣΊΣΥΦΟΣ σίσυφος",
    "emoji 👍 👍🏽 👨‍👩‍👧 🇫🇷!",
    "a\u00a0b c\u3000d e\u2028f g\u200ah",
    "tab\tsep\nnew\rline\vvt\fff",
    "new york new york city",
    "a--b ... c",
    "x" * 40,
    "...",
    "!!! ???",
    "Üñíçødé ÀÉÎÕÜ",
    "\u0000nul\u0000",
    "mixed 'quotes' and \"double\"",
    "one two three four five six seven eight nine ten eleven twelve",
]
BAD_UTF8 = [  # raw bytes: ill-formed UTF-8
    b"caf\xe9",  # Latin-1 e-acute
    b"a\xe2\x82b",  # truncated 3-byte sequence
    b"\xed\xa0\x80x",  # surrogate
    b"\xf0\x9f\x91",  # truncated emoji
    b"\xe2!\x82\xac",  # strip joins a euro sign
    b"\xc0\xaf\xff\xfe",  # never valid
    b"ok \x80 ok",
]

VOCAB_WORDS = [
    "", "[UNK]", "hello", "world", "dont", "stopbelieving", "sons", "web", "series", "unk",
    "café", "cafe\u0301", "straße", "strasse", "ẞ", "i̇stanbul", "istanbul", "ıstanbul",
    "İstanbul", "σίσυφος", "ΣΊΣΥΦΟΣ", "👍", "emoji", "new", "york", "new york", "york new",
    "york city", "new york city", "ab", "c", "“quoted”", "—", "…", "a\u00a0b", "tab", "sep",
    "new\rline", "\u0000nul\u0000", "quotes", "double", "mixed", "and", "one", "two", "three",
    "one two", "two three", "Hello", "don't", "\ufffd", "€", "ok", "x" * 40, "a", "b",
    "h", "e", "l", "o", " ", "é", "ü", "t", "r", "s", "dash", "ellipsis", "words",
]

CONFIGS = [
    {"name": "default", "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": None, "output_sequence_length": 8},
    {"name": "lower", "standardize": "lower", "split": "whitespace", "ngrams": None, "output_sequence_length": 8},
    {"name": "strip", "standardize": "strip_punctuation", "split": "whitespace", "ngrams": None, "output_sequence_length": 8},
    {"name": "none", "standardize": None, "split": "whitespace", "ngrams": None, "output_sequence_length": None},
    {"name": "bigrams", "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": [1, 2], "output_sequence_length": 12},
    {"name": "widths-3-2", "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": [3, 2], "output_sequence_length": None},
    {"name": "character", "standardize": "lower_and_strip_punctuation", "split": "character", "ngrams": None, "output_sequence_length": 16},
    {"name": "character-none", "standardize": None, "split": "character", "ngrams": None, "output_sequence_length": None},
    {"name": "character-bigrams", "standardize": "lower", "split": "character", "ngrams": [2], "output_sequence_length": None},
    {"name": "split-none", "standardize": "lower_and_strip_punctuation", "split": None, "ngrams": None, "output_sequence_length": 1},
]


def main():
    texts = [t.encode("utf-8") for t in TEXTS] + BAD_UTF8
    out = {
        "comment": "written by testdata/gen_textvec_golden.py; do not edit",
        "vocab": VOCAB_WORDS,
        "texts_hex": [t.hex() for t in texts],
        "configs": [],
    }
    for cfg in CONFIGS:
        c = dict(cfg)
        c["ids"] = [vectorize(t, cfg, VOCAB_WORDS) for t in texts]
        out["configs"].append(c)
    text = json.dumps(out, ensure_ascii=True, indent=1) + "\n"
    if "-update" in sys.argv:
        with open(OUT, "w") as f:
            f.write(text)
        return 0
    with open(OUT) as f:
        if f.read() != text:
            print(OUT + " differs from what this script writes; run it with -update", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
