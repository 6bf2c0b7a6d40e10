#!/usr/bin/python3
"""Check that an .h5 written by `edgewatt train` has what a Keras 2 legacy .h5 has.

Usage: check_keras_h5.py MODEL.h5 [CASES.json]

Needs only Debian's python3-h5py and python3-numpy (no Keras, no TensorFlow). Checks the
groups, attributes (and their HDF5 string types) and datasets that Keras 2.4's
model.save("m.h5") writes and keras.models.load_model reads (see
../shared/fixtures/h5-keras2.4-sarcasm-k4u5h4l), then recomputes the model with numpy from
the file's weights on the padded sequences in CASES.json ({"x": [[ids…]…], "p": [[probs…]…]})
and compares with what Go computed (skipped without CASES.json, e.g. to check the checker on a
real Keras file). Prints OK or the problems and exits 1.
"""
import json
import sys

import h5py
import numpy as np

problems = []


def need(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


def vlen_str(obj, name, encoding):
    if not need(name in obj.attrs, "%s: missing attribute %s" % (obj.name, name)):
        return None
    aid = obj.attrs.get_id(name)
    info = h5py.check_string_dtype(aid.dtype)
    need(info is not None and info.length is None and aid.shape == (),
         "%s@%s: want a scalar variable-length string, got %s %s" % (obj.name, name, aid.dtype, aid.shape))
    if encoding and info is not None:
        need(info.encoding == encoding, "%s@%s: want %s, got %s" % (obj.name, name, encoding, info.encoding))
    v = obj.attrs[name]
    return v.decode() if isinstance(v, bytes) else v


def fixed_strs(obj, name):
    if not need(name in obj.attrs, "%s: missing attribute %s" % (obj.name, name)):
        return []
    v = obj.attrs[name]
    need(isinstance(v, np.ndarray) and v.dtype.kind == "S" and v.ndim == 1,
         "%s@%s: want a 1-D fixed-length byte-string array (numpy S<n>), got %r" % (obj.name, name, getattr(v, "dtype", type(v))))
    return [s.decode("ascii") for s in v]


def main():
    path = sys.argv[1]
    cases_path = sys.argv[2] if len(sys.argv) > 2 else None
    f = h5py.File(path, "r")
    need((vlen_str(f, "keras_version", "utf-8") or "").startswith("2."), "keras_version is not 2.x")
    need(vlen_str(f, "backend", "utf-8") == "tensorflow", "backend is not tensorflow")
    mc = json.loads(vlen_str(f, "model_config", "ascii") or "{}")
    tc = json.loads(vlen_str(f, "training_config", "ascii") or "{}")
    need(mc.get("class_name") == "Sequential", "model_config is not a Sequential model")
    layers = mc.get("config", {}).get("layers", [])
    need(layers and layers[0]["class_name"] == "InputLayer", "first layer is not InputLayer")
    opt = tc.get("optimizer_config", {}).get("class_name")
    need(opt in ("Adam", "SGD"), "training_config has neither Adam nor SGD")
    need(tc.get("loss") in ("binary_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error"), "unexpected loss %r" % tc.get("loss"))
    if opt == "SGD":
        oc = tc["optimizer_config"]["config"]
        need(set(oc) >= {"learning_rate", "momentum", "nesterov"}, "SGD config lacks learning_rate/momentum/nesterov: %r" % oc)

    mw = f["model_weights"]
    vlen_str(mw, "backend", "ascii")
    vlen_str(mw, "keras_version", "ascii")
    names = fixed_strs(mw, "layer_names")
    need(names == [l["config"]["name"] for l in layers[1:]], "layer_names %r do not match model_config" % names)
    weights = {}
    for n in names:
        g = mw[n]
        cls = [l["class_name"] for l in layers if l["config"]["name"] == n][0]
        if cls in ("GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten", "Dropout"):
            v = g.attrs.get("weight_names")
            need(isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == (0,),
                 "%s: weight_names of a weightless layer must be an empty float64 array, got %r" % (n, v))
            need(len(g) == 0, "%s: weightless layer group is not empty" % n)
            continue
        for wn in fixed_strs(g, "weight_names"):
            need(wn.startswith(n + "/") and wn.endswith(":0"), "%s: weight name %r" % (n, wn))
            ds = g[wn]
            need(isinstance(ds, h5py.Dataset) and ds.dtype == np.float32, "%s: %s is not a float32 dataset" % (n, wn))
            need(ds.chunks is None and ds.compression is None, "%s: %s is not contiguous" % (n, wn))
            weights[wn.split("/")[1].split(":")[0] + "@" + n] = ds[()]

    ow = f["optimizer_weights"]
    onames = fixed_strs(ow, "weight_names")
    it = "%s/iter:0" % opt
    need(onames and onames[0] == it, "optimizer weight_names do not start with %s" % it)
    for on in onames:
        need(on in ow, "optimizer_weights: %s listed but missing" % on)
    need(ow[it].dtype == np.int64 and ow[it].shape == (), "%s is not a scalar int64" % it)
    if opt == "SGD":
        mom = tc["optimizer_config"]["config"]["momentum"] > 0
        need(len(onames) == (1 + 5 if mom else 1), "SGD (momentum %s) has %d optimizer weights" % (mom, len(onames)))
    for l in layers:
        reg = l["config"].get("kernel_regularizer")
        if reg:
            need(reg["class_name"] == "L1L2" and set(reg["config"]) == {"l1", "l2"}, "kernel_regularizer %r" % reg)

    emb_layer = layers[1]["config"]
    need(emb_layer["input_length"] == layers[0]["config"]["batch_input_shape"][1], "input_length differs from InputLayer")
    E = weights.get("embeddings@" + names[0])
    dense = [n for n in names if n.startswith("dense")]
    W1, b1 = weights["kernel@" + dense[0]], weights["bias@" + dense[0]]
    W2, b2 = weights["kernel@" + dense[1]], weights["bias@" + dense[1]]
    need(E.shape == (emb_layer["input_dim"], emb_layer["output_dim"]), "embedding shape %s" % (E.shape,))

    err = 0.0
    x = []
    if cases_path is None:
        finish(names, weights, onames, x, err)
        return
    cases = json.load(open(cases_path))
    x = np.array(cases["x"], dtype=np.int64)
    pool = layers[2]["class_name"]
    if pool == "GlobalMaxPooling1D":  # every position, padding included (no mask)
        avg = E[x].max(axis=1)
    elif pool == "Flatten":
        avg = E[x].reshape(len(x), -1)
    else:
        avg = E[x].mean(axis=1)
    h = np.maximum(avg @ W1 + b1, 0)
    z = h @ W2 + b2
    if z.shape[1] == 1:
        p = 1 / (1 + np.exp(-z))
    else:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
    want = np.array(cases["p"], dtype=np.float64)
    err = np.abs(p - want).max()
    need(err < 1e-5, "numpy forward pass differs from Go's by %g" % err)
    finish(names, weights, onames, x, err)


def finish(names, weights, onames, x, err):
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    msg = "OK: %d layers, %d weights, %d optimizer weights" % (len(names), len(weights), len(onames))
    if len(x):
        msg += ", %d predictions agree with numpy within %.2g" % (len(x), err)
    print(msg)


main()
