// Package h5write writes the small subset of HDF5 that Keras 2 (h5py 2.x over HDF5 1.10)
// uses for a legacy .h5 model file, so that Keras, h5py and edgewatt's own reader can open
// what edgewatt train produces. It builds the whole file in memory and returns its bytes.
//
// # Subset
//
// Exactly what a Keras 2.4 model.save('m.h5') file contains (checked byte for byte against
// ../shared/fixtures/h5-keras2.4-sarcasm-k4u5h4l/sarcasm_model.h5):
//
//   - superblock version 0, 8-byte offsets and lengths, group leaf K 4, internal K 16;
//   - version-1 object headers, one chunk, messages 8-byte aligned;
//   - old-style groups: a Symbol Table message pointing at a version-1 B-tree (type 0, one
//     leaf level of at most 2K = 32 symbol-table nodes of at most 2*4 = 8 entries each) and a
//     local heap holding the link names (offset 0 is the empty string);
//   - contiguous datasets (Data Layout message version 3) of little-endian IEEE float32 or
//     int64, with the Fill Value message version 2 HDF5 1.10 writes;
//   - version-1 Attribute messages holding a scalar variable-length string (stored in one
//     global heap collection), a 1-D array of fixed-length NULL-padded ASCII strings
//     (numpy 'S<n>'), or an empty 1-D float64 array (what Keras writes as weight_names of a
//     weightless layer).
//
// There are no filters, chunking, compression, continuation chunks or modification times,
// so the output is a deterministic function of what was added.
//
// # Layout of the file produced
//
//	superblock (96 bytes) | global heap collection (>= 4096 bytes, if any vlen string) |
//	objects written depth first: each dataset's raw data then its header; each group's
//	children, then its local heap, symbol-table nodes, B-tree node and object header.
//
// # Why not the vendored HDF5 writer
//
// internal/third_party/hdf5 (github.com/scigolib/hdf5 v0.14.1) has a writer
// (CreateForWrite, CreateGroup, CreateDataset, WriteAttribute), and it writes superblock 0,
// groups and float32 datasets that h5py reads. Its attribute API cannot express three of the
// attribute encodings a Keras 2 legacy .h5 needs; checked by writing them with it and reading
// the file back with h5py 3.7 (2026-12-01):
//
//   - a scalar variable-length string (root keras_version, backend, model_config,
//     training_config): a Go string becomes a one-element array of fixed-length strings
//     (h5py: array([b'2.4.0'], dtype='|S6'), shape (1,)), and []string a 1-D vlen array.
//     Keras 2.4's load_model calls .decode on these attributes and json.loads on the
//     config, which fails on an array;
//   - a 1-D array of fixed-length NULL-padded strings (layer_names, weight_names as Keras
//     2.4 over h5py 2 writes them, numpy 'S<n>'): []string is written as variable-length
//     strings, which h5py returns as str objects, and Keras 2.4's
//     load_attributes_from_hdf5_group calls .decode('utf8') on each element (the
//     "'str' object has no attribute 'decode'" failure of Keras 2.4 with vlen names);
//     [][]byte is refused ("unsupported slice element type: slice");
//   - an empty float64 array (weight_names of a weightless layer): refused with "cannot
//     infer datatype from empty slice".
//
// It also writes only to a named file, while edgewatt builds the bytes in memory and writes
// them atomically. So h5write stays: it writes exactly the encodings above, and
// internal/train's testdata/check_keras_h5.py checks the result with h5py.
//
// Specification: https://support.hdfgroup.org/documentation/hdf5/latest/_f_m_t1.html (format
// version 0/1 structures: superblock, symbol table entry, B-tree v1, symbol table node,
// local heap, global heap, object header v1, dataspace, datatype, fill value, data layout,
// attribute messages).
package h5write
