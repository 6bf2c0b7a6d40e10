#!/usr/bin/python3
"""Writes tiny_gz.h5: tiny_k24.h5 with every weight dataset stored chunked and gzip-compressed
(one chunk per dataset, as h5py writes with compression="gzip"), so the same expected outputs
apply. Package convert's bomb tests patch its embedding chunk (see bomb_test.go).

    /usr/bin/python3 convert/testdata/gen_gzip_fixture.py
"""
import os

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))


def copy(src, dst):
    for k, v in src.attrs.items():
        dst.attrs[k] = v
    for name, obj in src.items():
        if isinstance(obj, h5py.Group):
            copy(obj, dst.create_group(name))
        else:
            data = obj[()]
            d = dst.create_dataset(name, data=data, chunks=data.shape, compression="gzip", compression_opts=6)
            for k, v in obj.attrs.items():
                d.attrs[k] = v


with h5py.File(os.path.join(HERE, "tiny_k24.h5"), "r") as src, h5py.File(os.path.join(HERE, "tiny_gz.h5"), "w") as dst:
    copy(src, dst)
