#!/usr/bin/python3
"""Writes the GlobalMaxPooling1D and Flatten fixtures of package convert's tests (checked in),
in the layouts gen_fixtures.py copies from real Keras files, with numpy forward passes.

    /usr/bin/python3 convert/testdata/gen_pool_fixtures.py

  pool_max_k24.h5        Keras 2.4 legacy h5: Embedding(mask_zero=True, input_length 8) ->
                         GlobalMaxPooling1D -> Dense relu -> Dropout -> Dense sigmoid. Keras
                         does not mask GlobalMaxPooling1D (its call() takes no mask, in Keras 2
                         and 3), so the reference takes the max over all 8 positions.
  pool_flatten.keras     Keras 3 .keras zip: InputLayer batch_shape [None, 8] -> Embedding (no
                         input_length, as Keras 3 writes it) -> Flatten -> Dense(5, relu) on
                         8 x 4 = 32 inputs -> Dense(3, softmax).
  tfjs_max/model.json    TF.js layers model of Embedding -> GlobalMaxPooling1D -> Dense ->
                         Dense(2, softmax), weights alphabetical in one shard.
  pool_expected.json     numpy forward passes (float64) on padded id rows.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

from gen_fixtures import ACT, HERE, V, D, H, dtype_policy, fixed, write_k2

rng = np.random.default_rng(11)
MAXLEN = 8


def weights(inp, out):
    e = rng.normal(0, 0.5, (V, D)).astype(np.float32)
    k1 = rng.normal(0, 0.3, (inp, H)).astype(np.float32)
    b1 = rng.normal(0, 0.1, (H,)).astype(np.float32)
    k2 = rng.normal(0, 0.5, (H, out)).astype(np.float32)
    b2 = rng.normal(0, 0.1, (out,)).astype(np.float32)
    return e, k1, b1, k2, b2


def forward(w, pool, acts, ids):
    e, k1, b1, k2, b2 = [x.astype(np.float64) for x in w]
    rows = e[np.array(ids)]  # every position, padding row 0 included: neither layer masks
    x = rows.max(axis=0) if pool == "max" else rows.reshape(-1)
    x = ACT[acts[0]](x @ k1 + b1)
    return ACT[acts[1]](x @ k2 + b2)


def main():
    expected = {}
    rows = [[3, 5, 7, 0, 0, 0, 0, 0], [0, 0, 0, 0, 19, 1, 2, 2], [4] * 8, [0] * 8, [9, 0, 9, 0, 12, 0, 0, 1]]

    # Keras 2.4 h5, GlobalMaxPooling1D after a mask_zero Embedding.
    w = weights(D, 1)
    names = ("embedding_2", "global_max_pooling1d_2", "dense_4", "dropout_2", "dense_5")
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, MAXLEN], "dtype": "float32", "sparse": False, "ragged": False, "name": "embedding_2_input"}},
        {"class_name": "Embedding", "config": {"name": names[0], "trainable": True, "batch_input_shape": [None, MAXLEN], "dtype": "float32", "input_dim": V, "output_dim": D, "mask_zero": True, "input_length": MAXLEN}},
        {"class_name": "GlobalMaxPooling1D", "config": {"name": names[1], "trainable": True, "dtype": "float32", "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": names[2], "trainable": True, "dtype": "float32", "units": H, "activation": "relu", "use_bias": True}},
        {"class_name": "Dropout", "config": {"name": names[3], "trainable": True, "dtype": "float32", "rate": 0.2}},
        {"class_name": "Dense", "config": {"name": names[4], "trainable": True, "dtype": "float32", "units": 1, "activation": "sigmoid", "use_bias": True}},
    ]
    write_k2(os.path.join(HERE, "pool_max_k24.h5"), w, names, {"class_name": "Sequential", "config": {"name": "sequential_2", "layers": layers}})
    expected["pool_max_k24.h5"] = {"maxlen": MAXLEN, "rows": rows, "outputs": [forward(w, "max", ("relu", "sigmoid"), r).tolist() for r in rows]}

    # Keras 3 .keras with Flatten.
    w = weights(MAXLEN * D, 3)
    bs = [None, MAXLEN]

    def layer(cls, cfg, build=None):
        cfg = dict(cfg, trainable=True, dtype=dtype_policy())
        return {"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None, "build_config": build}

    cfg = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": True, "dtype": dtype_policy(), "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": bs, "dtype": "float32", "sparse": False, "name": "input_layer"}, "registered_name": None},
        layer("Embedding", {"name": "embedding", "input_dim": V, "output_dim": D, "mask_zero": False}, {"input_shape": bs}),
        layer("Flatten", {"name": "flatten", "data_format": "channels_last"}, {"input_shape": [None, MAXLEN, D]}),
        layer("Dense", {"name": "dense", "units": H, "activation": "relu", "use_bias": True}, {"input_shape": [None, MAXLEN * D]}),
        layer("Dense", {"name": "dense_1", "units": 3, "activation": "softmax", "use_bias": True}, {"input_shape": [None, H]}),
    ], "build_input_shape": bs}, "registered_name": None, "build_config": {"input_shape": bs}}
    h5buf = io.BytesIO()
    with h5py.File(h5buf, "w") as f:
        for path, name, ts in [("layers/embedding", "embedding", [w[0]]), ("layers/flatten", "flatten", []),
                               ("layers/dense", "dense", [w[1], w[2]]), ("layers/dense_1", "dense_1", [w[3], w[4]])]:
            g = f.create_group(path).create_group("vars")
            g.attrs["name"] = name
            for i, t in enumerate(ts):
                g.create_dataset(str(i), data=t)
        f.create_group("vars").attrs["name"] = "sequential"
    with zipfile.ZipFile(os.path.join(HERE, "pool_flatten.keras"), "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in [("metadata.json", json.dumps({"keras_version": "3.10.0", "date_saved": "2025-01-01@00:00:00"})),
                           ("config.json", json.dumps(cfg)), ("model.weights.h5", h5buf.getvalue())]:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    expected["pool_flatten.keras"] = {"maxlen": MAXLEN, "rows": rows, "outputs": [forward(w, "flatten", ("relu", "softmax"), r).tolist() for r in rows]}

    # TF.js with GlobalMaxPooling1D.
    w = weights(D, 2)
    layers = [
        {"class_name": "Embedding", "config": {"name": "embedding", "trainable": True, "batch_input_shape": [None, MAXLEN], "dtype": "float32", "input_dim": V, "output_dim": D, "mask_zero": False, "input_length": MAXLEN}},
        {"class_name": "GlobalMaxPooling1D", "config": {"name": "global_max_pooling1d", "trainable": True, "dtype": "float32", "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": H, "activation": "relu", "use_bias": True}},
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": True, "dtype": "float32", "units": 2, "activation": "softmax", "use_bias": True}},
    ]
    manifest = sorted([("dense/kernel", w[1]), ("dense/bias", w[2]), ("dense_1/kernel", w[3]), ("dense_1/bias", w[4]), ("embedding/embeddings", w[0])], key=lambda t: t[0])
    os.makedirs(os.path.join(HERE, "tfjs_max"), exist_ok=True)
    with open(os.path.join(HERE, "tfjs_max", "group1-shard1of1.bin"), "wb") as f:
        for _, t in manifest:
            f.write(t.astype("<f4").tobytes())
    model = {"format": "layers-model", "generatedBy": "keras v2.4.0", "convertedBy": "TensorFlow.js Converter v1.7.0",
             "modelTopology": {"keras_version": "2.4.0", "backend": "tensorflow", "model_config": {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}},
             "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [{"name": n, "shape": list(t.shape), "dtype": "float32"} for n, t in manifest]}]}
    with open(os.path.join(HERE, "tfjs_max", "model.json"), "w") as f:
        json.dump(model, f)
    expected["tfjs_max/model.json"] = {"maxlen": MAXLEN, "rows": rows, "outputs": [forward(w, "max", ("relu", "softmax"), r).tolist() for r in rows]}

    with open(os.path.join(HERE, "pool_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
