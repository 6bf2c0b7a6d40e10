#!/usr/bin/python3
"""Tokenizer pickles and JSON as Keras 3 and tf_keras write them, for convert's tests.

Keras 3 keeps the deprecated Tokenizer as keras.src.legacy.preprocessing.text.Tokenizer and
tf_keras (Keras 2 for TF >= 2.16) as tf_keras.src.preprocessing.text.Tokenizer. Neither is
installed here, and neither is needed: a pickle names the class by module and qualified name
and then holds the instance's __dict__. This script fits the real keras_preprocessing
Tokenizer (Debian's python3-keras-preprocessing, whose Tokenizer is the code both copied) on
the texts gen_fixtures.py uses, moves its __dict__ into a stub class registered under each
module name, and pickles it. The __dict__ is the one Keras 3's Tokenizer.__init__ builds
(keras/src/legacy/preprocessing/text.py: word_counts OrderedDict, word_docs and index_docs
defaultdict(int), filters, split, lower, num_words, document_count, char_level, oov_token,
word_index, index_word, analyzer). Their to_json() is keras_preprocessing's (same get_config
keys), written here from the fitted tokenizer.

Run from the repository root:  /usr/bin/python3 convert/testdata/gen_keras3_pickles.py

  tok_keras3_p5.pickle   keras.src.legacy.preprocessing.text.Tokenizer, protocol 5 (Python 3.8+ default)
  tok_keras3_p2.pickle   the same, protocol 2
  tok_tfkeras_p4.pickle  tf_keras.src.preprocessing.text.Tokenizer, protocol 4
  tok_tfkeras_p0.pickle  the same, protocol 0 (copy_reg._reconstructor)
  tok_keras3.json        Tokenizer.to_json() of the same tokenizer
"""

import os
import pickle
import sys
import types

from keras_preprocessing.text import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
TEXTS = ["The cat sat on the mat", "the dog ate my homework!", "Mom's cat, the dog and THE bird",
         "a bird in the hand"]


def stub(module):
    mod = types.ModuleType(module)
    cls = type("Tokenizer", (object,), {"__module__": module})
    mod.Tokenizer = cls
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    sys.modules[module] = mod
    return cls


def main():
    tok = Tokenizer(num_words=12, oov_token="<OOV>")
    tok.fit_on_texts(TEXTS)
    state = dict(tok.__dict__)
    state.setdefault("analyzer", None)
    for module, name, protocols in [("keras.src.legacy.preprocessing.text", "keras3", (5, 2)),
                                    ("tf_keras.src.preprocessing.text", "tfkeras", (4, 0))]:
        cls = stub(module)
        obj = cls.__new__(cls)
        obj.__dict__.update(state)
        for p in protocols:
            with open(os.path.join(HERE, "tok_%s_p%d.pickle" % (name, p)), "wb") as f:
                pickle.dump(obj, f, protocol=p)
    with open(os.path.join(HERE, "tok_keras3.json"), "w") as f:
        f.write(tok.to_json())


if __name__ == "__main__":
    main()
