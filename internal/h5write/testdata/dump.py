#!/usr/bin/python3
"""Print an HDF5 file as JSON with h5py: every object, its attributes (value, numpy dtype,
shape, and for strings h5py's string_info) and dataset values. Used by h5write's tests.

Usage: dump.py FILE.h5
"""
import json
import sys

import h5py
import numpy as np


def conv(v):
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, np.ndarray):
        return [conv(x) for x in v.tolist()] if v.ndim else conv(v[()])
    if isinstance(v, list):
        return [conv(x) for x in v]
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def attrs(obj):
    out = {}
    for k in obj.attrs:
        aid = obj.attrs.get_id(k)
        info = h5py.check_string_dtype(aid.dtype)
        out[k] = {
            "value": conv(obj.attrs[k]),
            "dtype": aid.dtype.str if info is None else ("vlen-" + info.encoding if info.length is None else "S%d" % info.length),
            "shape": list(aid.shape),
        }
    return out


f = h5py.File(sys.argv[1], "r")
objs = {"/": {"kind": "group", "attrs": attrs(f)}}


def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        objs["/" + name] = {"kind": "dataset", "dtype": obj.dtype.str, "shape": list(obj.shape),
                            "value": conv(obj[()]), "contiguous": obj.chunks is None, "attrs": attrs(obj)}
    else:
        objs["/" + name] = {"kind": "group", "attrs": attrs(obj), "members": sorted(obj.keys())}


f.visititems(visit)
# every path must also resolve by direct lookup (B-tree keys), not only by iteration
for p in list(objs):
    assert p == "/" or f[p] is not None
print(json.dumps(objs, sort_keys=True))
