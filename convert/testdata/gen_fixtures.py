#!/usr/bin/python3
"""Writes the small Keras-layout fixtures of package convert's tests (checked in).

Run with Debian's python3 (python3-h5py, python3-numpy, python3-keras-preprocessing):

    /usr/bin/python3 convert/testdata/gen_fixtures.py    # or: go test ./convert -update

The files copy the layouts real Keras writes (see ../../../shared/fixtures/INDEX.md):
  tiny_k24.h5       Keras 2.4 / h5py 2: fixed-length NULL-padded string arrays, ":0" names,
                    session suffixes (embedding_3, dense_7), InputLayer batch_input_shape,
                    empty float64 weight_names, a Dropout between the Dense layers
  tiny_k3.h5        Keras 3 legacy h5: vlen string arrays, no ":0", the extra "sequential/"
                    scope, top_level_model_weights, batch_shape [32, 8], DTypePolicy dtypes
  tiny_mask.h5      Keras 2.15: vlen string arrays, top_level_model_weights, mask_zero=True,
                    linear output
  tiny_k22.h5       Keras 2.2.4: no InputLayer, config as a bare layer list, batch_input_shape
                    [null, null] (no input length: --maxlen is required), tanh + softmax
  tiny.keras        Keras 3 zip (STORED): config.json, metadata.json, model.weights.h5 with
                    unnamed layers/<class path>/vars/N; layer names differ from the paths
  tfjs/model.json   TF.js layers model, weights alphabetical (not layer order) in one shard
  neg_lstm.h5       Embedding -> LSTM -> Dense (unsupported)
  neg_noweights.h5  Keras 3 unbuilt model: config, no weights
  neg_nan.h5        tiny_k24 with a NaN in a kernel
  neg_shape.h5      config says units 6, kernel is [4, 5]
  tok.json          Tokenizer.to_json() (object form), num_words 12, oov "<OOV>"
  tok_string.json   json.dumps(Tokenizer.to_json()) (string form), no num_words, no oov
  tok.pickle        pickle.dump of the same Tokenizer as tok.json (protocol 4)
  tok_p0.pickle     the same, protocol 0 (text opcodes, copy_reg._reconstructor)
  tok_evil.pickle   a pickle that would call os.system: must be refused
  vocab.txt         Model Maker vocab with <PAD>/<START>/<UNKNOWN> and trailing blank lines
  expected.json     numpy forward passes on padded id rows, and the tokenizers' word_index
"""
import io
import json
import os
import pickle
import zipfile

import h5py
import numpy as np
from keras_preprocessing.text import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)

V, D, H = 20, 4, 5


def weights(v=V, d=D, h=H, out=1):
    e = rng.normal(0, 0.5, (v, d)).astype(np.float32)
    k1 = rng.normal(0, 0.5, (d, h)).astype(np.float32)  # Keras kernel [in, out]
    b1 = rng.normal(0, 0.1, (h,)).astype(np.float32)
    k2 = rng.normal(0, 0.5, (h, out)).astype(np.float32)
    b2 = rng.normal(0, 0.1, (out,)).astype(np.float32)
    return e, k1, b1, k2, b2


ACT = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "linear": lambda x: x,
    "softmax": lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(),
}


def forward(w, acts, ids, mask_zero=False):
    e, k1, b1, k2, b2 = [x.astype(np.float64) for x in w]
    if mask_zero:  # Keras: GlobalAveragePooling1D uses the Embedding's mask
        x = e[np.array([i for i in ids if i != 0])].mean(axis=0)
    else:  # mean over all maxlen positions, padding included
        x = e[np.array(ids)].mean(axis=0)
    x = ACT[acts[0]](x @ k1 + b1)
    return ACT[acts[1]](x @ k2 + b2)


def k2_layers(names, maxlen, act1, act2, out, input_layer=True, dropout=True, mask_zero=False):
    emb, gap, d1, drop, d2 = names
    layers = []
    if input_layer:
        layers.append({"class_name": "InputLayer", "config": {"batch_input_shape": [None, maxlen], "dtype": "float32", "sparse": False, "ragged": False, "name": emb + "_input"}})
    layers += [
        {"class_name": "Embedding", "config": {"name": emb, "trainable": True, "batch_input_shape": [None, maxlen], "dtype": "float32", "input_dim": V, "output_dim": D, "mask_zero": mask_zero, "input_length": maxlen}},
        {"class_name": "GlobalAveragePooling1D", "config": {"name": gap, "trainable": True, "dtype": "float32", "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": d1, "trainable": True, "dtype": "float32", "units": H, "activation": act1, "use_bias": True}},
    ]
    if dropout:
        layers.append({"class_name": "Dropout", "config": {"name": drop, "trainable": True, "dtype": "float32", "rate": 0.2}})
    layers.append({"class_name": "Dense", "config": {"name": d2, "trainable": True, "dtype": "float32", "units": out, "activation": act2, "use_bias": True}})
    return layers


def fixed(strings):
    n = max([len(s) for s in strings] + [1])
    return np.array([s.encode() for s in strings], dtype="S%d" % n)


def write_k2(path, w, names, cfg, keras_version="2.4.0", vlen=False, scope=""):
    """Legacy h5 of Keras 2 (scope "") or Keras 3 (scope "sequential/", no ":0")."""
    emb, gap, d1, drop, d2 = names
    suffix = "" if scope else ":0"
    strs = (lambda xs: np.array(xs, dtype=h5py.string_dtype("ascii"))) if vlen else fixed
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = keras_version
        f.attrs["model_config"] = json.dumps(cfg)
        mw = f.create_group("model_weights")
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["keras_version"] = keras_version
        layer_names = [emb, gap, d1] + ([drop] if drop else []) + [d2]
        mw.attrs["layer_names"] = strs(layer_names)
        tensors = {emb: [("embeddings", w[0])], d1: [("kernel", w[1]), ("bias", w[2])], d2: [("kernel", w[3]), ("bias", w[4])]}
        for ln in layer_names:
            g = mw.create_group(ln)
            ts = tensors.get(ln, [])
            if not ts:
                g.attrs["weight_names"] = np.zeros(0, dtype=np.float64)
                continue
            wn = ["%s%s/%s%s" % (scope, ln, v, suffix) for v, _ in ts]
            g.attrs["weight_names"] = strs(wn)
            for n, (_, t) in zip(wn, ts):
                g.create_dataset(n, data=t)
        if scope or keras_version.startswith("2.1"):
            mw.create_group("top_level_model_weights").attrs["weight_names"] = np.zeros(0, dtype=np.float64)


def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def k3_config(names, batch_shape, out, act2):
    emb, gap, d1, _, d2 = names

    def layer(cls, cfg, build=None):
        cfg = dict(cfg, trainable=True, dtype=dtype_policy())
        return {"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None, "build_config": build}

    return {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": True, "dtype": dtype_policy(), "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": batch_shape, "dtype": "float32", "sparse": False, "name": "input_layer"}, "registered_name": None},
        layer("Embedding", {"name": emb, "input_dim": V, "output_dim": D, "mask_zero": False}, {"input_shape": batch_shape}),
        layer("GlobalAveragePooling1D", {"name": gap, "data_format": "channels_last", "keepdims": False}),
        layer("Dense", {"name": d1, "units": H, "activation": "relu", "use_bias": True}, {"input_shape": [batch_shape[0], D]}),
        layer("Dense", {"name": d2, "units": out, "activation": act2, "use_bias": True}, {"input_shape": [batch_shape[0], H]}),
    ], "build_input_shape": batch_shape}, "registered_name": None, "build_config": {"input_shape": batch_shape}}


def main():
    expected = {"models": {}, "tokenizers": {}}
    rows8 = [[3, 5, 7, 0, 0, 0, 0, 0], [0, 0, 0, 0, 19, 1, 2, 2], [4] * 8, [0] * 8]

    # Keras 2.4 legacy h5.
    w = weights()
    names = ("embedding_3", "global_average_pooling1d_3", "dense_6", "dropout_1", "dense_7")
    cfg = {"class_name": "Sequential", "config": {"name": "sequential_3", "layers": k2_layers(names, 8, "relu", "sigmoid", 1)}}
    write_k2(os.path.join(HERE, "tiny_k24.h5"), w, names, cfg)
    expected["models"]["tiny_k24.h5"] = {"maxlen": 8, "rows": rows8, "outputs": [forward(w, ("relu", "sigmoid"), r).tolist() for r in rows8]}

    # NaN and shape-mismatch variants of it.
    wn = [x.copy() for x in w]
    wn[3][2, 0] = np.nan
    write_k2(os.path.join(HERE, "neg_nan.h5"), wn, names, cfg)
    bad = json.loads(json.dumps(cfg))
    bad["config"]["layers"][3]["config"]["units"] = 6
    write_k2(os.path.join(HERE, "neg_shape.h5"), w, names, bad)

    # Keras 3 legacy h5.
    w = weights()
    names = ("embedding", "global_average_pooling1d", "dense", None, "dense_1")
    cfg = k3_config(names, [32, 8], 1, "sigmoid")
    write_k2(os.path.join(HERE, "tiny_k3.h5"), w, names, cfg, keras_version="3.8.0", vlen=True, scope="sequential/")
    expected["models"]["tiny_k3.h5"] = {"maxlen": 8, "rows": rows8, "outputs": [forward(w, ("relu", "sigmoid"), r).tolist() for r in rows8]}

    # Keras 2.15 with mask_zero=True: vlen strings, top_level_model_weights.
    w = weights()
    names = ("embedding", "global_average_pooling1d", "dense", None, "dense_1")
    cfg = {"class_name": "Sequential", "config": {"name": "sequential", "layers": k2_layers(names, 8, "relu", "linear", 1, dropout=False, mask_zero=True)}}
    write_k2(os.path.join(HERE, "tiny_mask.h5"), w, names, cfg, keras_version="2.15.0", vlen=True)
    rowsm = rows8[:3]  # an all-padding row has no mean under a mask
    expected["models"]["tiny_mask.h5"] = {"maxlen": 8, "rows": rowsm, "outputs": [forward(w, ("relu", "linear"), r, mask_zero=True).tolist() for r in rowsm]}

    # Keras 2.2.4: bare layer list, no InputLayer, no input length.
    w = weights(out=3)
    names = ("embedding_1", "global_average_pooling1d_1", "dense_1", None, "dense_2")
    layers = k2_layers(names, None, "tanh", "softmax", 3, input_layer=False, dropout=False)
    cfg = {"class_name": "Sequential", "config": layers}
    write_k2(os.path.join(HERE, "tiny_k22.h5"), w, names, cfg, keras_version="2.2.4-tf")
    rows6 = [[1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 9]]
    expected["models"]["tiny_k22.h5"] = {"maxlen": 6, "rows": rows6, "outputs": [forward(w, ("tanh", "softmax"), r).tolist() for r in rows6]}

    # Keras 3 .keras: layer names differ from the class-derived weight paths.
    w = weights(out=3)
    names = ("emb", "pool", "hidden", None, "out")
    cfg = k3_config(names, [None, 8], 3, "softmax")
    h5buf = io.BytesIO()
    with h5py.File(h5buf, "w") as f:
        for path, name, ts in [("layers/embedding", "emb", [w[0]]), ("layers/global_average_pooling1d", "pool", []),
                               ("layers/dense", "hidden", [w[1], w[2]]), ("layers/dense_1", "out", [w[3], w[4]])]:
            g = f.create_group(path).create_group("vars")
            g.attrs["name"] = name
            for i, t in enumerate(ts):
                g.create_dataset(str(i), data=t)
        f.create_group("vars").attrs["name"] = "sequential"
        f.create_group("optimizer").create_group("vars").create_dataset("0", data=np.int64(3))
    with zipfile.ZipFile(os.path.join(HERE, "tiny.keras"), "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in [("metadata.json", json.dumps({"keras_version": "3.10.0", "date_saved": "2025-01-01@00:00:00"})),
                           ("config.json", json.dumps(cfg)), ("model.weights.h5", h5buf.getvalue())]:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    expected["models"]["tiny.keras"] = {"maxlen": 8, "rows": rows8, "outputs": [forward(w, ("relu", "softmax"), r).tolist() for r in rows8]}

    # TF.js layers model: manifest sorted by name, one shard.
    w = weights(out=2)
    names = ("embedding", "global_average_pooling1d", "dense", "dropout", "dense_1")
    cfg = {"class_name": "Sequential", "config": {"name": "sequential", "layers": k2_layers(names, 8, "relu", "softmax", 2)}}
    manifest = sorted([("dense/kernel", w[1]), ("dense/bias", w[2]), ("dense_1/kernel", w[3]), ("dense_1/bias", w[4]), ("embedding/embeddings", w[0])], key=lambda t: t[0])
    os.makedirs(os.path.join(HERE, "tfjs"), exist_ok=True)
    with open(os.path.join(HERE, "tfjs", "group1-shard1of1.bin"), "wb") as f:
        for _, t in manifest:
            f.write(t.astype("<f4").tobytes())
    model = {"format": "layers-model", "generatedBy": "keras v2.4.0", "convertedBy": "TensorFlow.js Converter v1.7.0",
             "modelTopology": {"keras_version": "2.4.0", "backend": "tensorflow", "model_config": cfg},
             "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [{"name": n, "shape": list(t.shape), "dtype": "float32"} for n, t in manifest]}]}
    with open(os.path.join(HERE, "tfjs", "model.json"), "w") as f:
        json.dump(model, f)
    with open(os.path.join(HERE, "tfjs", "labels.txt"), "w") as f:
        f.write("ham\nspam\n")
    expected["models"]["tfjs/model.json"] = {"maxlen": 8, "rows": rows8, "outputs": [forward(w, ("relu", "softmax"), r).tolist() for r in rows8]}

    # Negatives.
    with h5py.File(os.path.join(HERE, "neg_lstm.h5"), "w") as f:
        layers = [{"class_name": "Embedding", "config": {"name": "embedding", "batch_input_shape": [None, None], "input_dim": V, "output_dim": D, "mask_zero": False, "input_length": None, "dtype": "float32"}},
                  {"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "dtype": "float32"}},
                  {"class_name": "Dense", "config": {"name": "dense", "units": 1, "activation": "sigmoid", "use_bias": True, "dtype": "float32"}}]
        f.attrs["keras_version"] = "2.3.0-tf"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}})
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = fixed(["embedding", "lstm", "dense"])
        for ln, ts in [("embedding", [("embeddings", (V, D))]), ("lstm", [("lstm_cell/kernel", (D, 12)), ("lstm_cell/recurrent_kernel", (3, 12)), ("lstm_cell/bias", (12,))]), ("dense", [("kernel", (3, 1)), ("bias", (1,))])]:
            g = mw.create_group(ln)
            wn = ["%s/%s:0" % (ln, v) for v, _ in ts]
            g.attrs["weight_names"] = fixed(wn)
            for n, (_, s) in zip(wn, ts):
                g.create_dataset(n, data=np.zeros(s, np.float32))
    with h5py.File(os.path.join(HERE, "neg_noweights.h5"), "w") as f:
        names = ("embedding", "global_average_pooling1d", "dense", None, "dense_1")
        cfg = k3_config(names, [None, 8], 1, "sigmoid")
        f.attrs["keras_version"] = "3.8.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(cfg)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array(["embedding", "global_average_pooling1d", "dense", "dense_1"], dtype=h5py.string_dtype("ascii"))
        for ln in ["embedding", "global_average_pooling1d", "dense", "dense_1", "top_level_model_weights"]:
            mw.create_group(ln).attrs["weight_names"] = np.zeros(0, dtype=np.float64)

    # Tokenizers.
    texts = ["The cat sat on the mat", "the dog ate my homework!", "Mom's cat, the dog and THE bird",
             "a b c d e f g h i j k l m n o p", "Tabs\tand new\nlines", "Café naïve 東京 back\\slash"]
    tok = Tokenizer(num_words=12, oov_token="<OOV>")
    tok.fit_on_texts(texts)
    with open(os.path.join(HERE, "tok.json"), "w") as f:
        f.write(tok.to_json())
    with open(os.path.join(HERE, "tok.pickle"), "wb") as f:
        pickle.dump(tok, f, protocol=4)
    with open(os.path.join(HERE, "tok_p0.pickle"), "wb") as f:
        pickle.dump(tok, f, protocol=0)  # copy_reg._reconstructor, __builtin__.long
    expected["tokenizers"]["tok.json"] = {"num_words": 12, "oov_id": tok.word_index["<OOV>"], "word_index": tok.word_index}
    tok2 = Tokenizer()
    tok2.fit_on_texts(texts[:3])
    with open(os.path.join(HERE, "tok_string.json"), "w") as f:
        json.dump(tok2.to_json(), f)
    expected["tokenizers"]["tok_string.json"] = {"num_words": 0, "oov_id": -1, "word_index": tok2.word_index}

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    with open(os.path.join(HERE, "tok_evil.pickle"), "wb") as f:
        pickle.dump({"word_index": Evil()}, f, protocol=4)

    with open(os.path.join(HERE, "vocab.txt"), "w") as f:
        f.write("<PAD> 0\n<START> 1\n<UNKNOWN> 2\n")
        for i, wd in enumerate(["movie", "great", "bad", "it's", "the"]):
            f.write("%s %d\n" % (wd, i + 3))
        f.write("\n\n")

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
