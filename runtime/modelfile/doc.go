// Package modelfile reads and writes the edgewatt model file: one safetensors container that
// carries a converted text classifier, its tokenizer vocabulary, its preprocessing settings,
// labels, provenance and accuracy report. convert writes it; runtime reads it. It depends on
// the standard library only, so the device binary never links the converter.
//
// # Layout
//
// The file is a standard safetensors container (https://github.com/huggingface/safetensors):
//
//	[8 bytes]  N, little-endian uint64: length of the JSON header
//	[N bytes]  JSON header, UTF-8, padded with spaces so that the data starts on an 8-byte boundary
//	[...]      tensor data: every tensor's bytes, contiguous, in header order, no gaps
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the start of the data) and holds "__metadata__", a map of string to string.
// Tensors are ordered by element alignment, widest first (F32, I32, then F16, then I8 and U8),
// so that every tensor starts at a multiple of its element size and can be used in place from
// the bytes read (runtime.Load reads the file into private memory; it does not map it).
//
// # Tensors
//
//	embedding.weight      [V, D]   F32 | F16 | I8   the Embedding table, row = token id
//	embedding.scale       [V] F16 (int8 per row) or [1] F32 (int8 per tensor)
//	dense.N.weight        [out, in] F32 | F16 | I8  Dense layer N's kernel, transposed from
//	                                                Keras's [in, out] so each output is a row
//	dense.N.scale         [out] F32 (int8 per output channel)
//	dense.N.bias          [out] F32
//	tokenizer.vocab       [bytes] U8  the words of ids 1..VocabWords, one per line ('\n'),
//	                                  an empty line for an id without a word
//
// Quantized tensors are dequantized as float32(q) * scale (symmetric, see package quant).
//
// Padding-row folding: in int8 files of models without mask_zero, convert stores every
// embedding row minus row 0 (the padding row, which fills most positions of a padded input)
// and adds dense.0.weight x row0 to dense.0.bias. GlobalAveragePooling1D over all maxlen
// positions then computes exactly the same function, while row 0's rounding error, which
// would otherwise be added to every input almost whole, is gone. Such a file's
// embedding.weight is therefore not Keras's raw table; the report's scheme.padding_row_folded records the fold.
// The identity holds for the other poolings too: max_i(e[id_i] - r) = max_i e[id_i] - r
// elementwise, and a flattened input shifted by r at every position adds
// sum_p W0[:, pD:(p+1)D] r to dense.0, which convert folds into the bias the same way.
//
// # Pooling
//
// arch.pooling says how the maxlen rows e[id_1..id_maxlen] of a padded input become dense.0's
// input (absent in older files: average):
//
//	average   GlobalAveragePooling1D: (1/n) sum_i e[id_i], n = maxlen, or the number of
//	          non-padding ids when the Embedding has mask_zero (Keras masks the mean)
//	max       GlobalMaxPooling1D: max_i e[id_i][k] for each k, over all maxlen positions:
//	          Keras does not mask it (see below); dense.0 input width D
//	flatten   Flatten: e[id_1] | e[id_2] | ... | e[id_maxlen] concatenated in sequence order;
//	          dense.0 input width maxlen*D, so padding side and maxlen both matter
//
// Masking: GlobalMaxPooling1D.call(inputs) and Flatten.call(inputs) take no mask argument in
// Keras 2 (keras/layers/pooling/global_max_pooling1d.py; the base Layer only calls
// compute_mask, which would raise, when supports_masking is set, and these layers do not set
// it) nor in Keras 3 (keras/src/layers/pooling/global_max_pooling1d.py,
// keras/src/layers/reshaping/flatten.py; Keras 3 warns "does not support masking and will
// therefore destroy the mask information" and drops it). So with mask_zero=True the padding
// rows still take part in the max and the flatten, exactly as without it.
//
// # Metadata
//
// Every value of __metadata__ is a string; structured values are JSON text:
//
//	format          "edgewatt"
//	format_version  "2"
//	arch            Arch as JSON: embedding, pooling and dense layers with shapes and activations
//	tokenizer       TokenizerSpec as JSON (settings only; the words are tokenizer.vocab)
//	preprocess      Preprocess as JSON: maxlen, padding, truncating
//	labels          JSON array of strings, one per output unit (or two for one sigmoid unit)
//	provenance      Provenance as JSON: source file and sha256, Keras version, converter
//	quant           Quant as JSON: the scheme of each tensor group
//	report          optional Report as JSON: float vs quantized accuracy and error statistics
//	data_sha256     lower-case hex sha256 of the tensors (below)
//	sha256          lower-case hex sha256 of the metadata (below), data_sha256 included
//
// # Integrity
//
// The two hashes cover the whole file and do not depend on the order or offsets of the
// tensors, so a file re-saved by another safetensors writer (the Hugging Face one sorts by
// dtype, then name) still verifies, and no bit of the metadata can change unnoticed:
//
//	data_sha256 = sha256("edgewatt tensors v2\n" ||
//	                     for each tensor in name order (byte-wise):
//	                     u64(len(name)) name u64(len(dtype)) dtype u64(rank) u64(dim)... u64(len(data)) data)
//	sha256      = sha256("edgewatt metadata v2\n" ||
//	                     for each __metadata__ entry except "sha256", in key order:
//	                     u64(len(key)) key u64(len(value)) value)
//
// u64 is a little-endian uint64. The metadata is hashed as its decoded strings, so JSON
// escapes that decode to the same text (\u003c, \u003C) are the same file.
//
// Version 1 (edgewatt wave 1) hashed only the data section as laid out, so
// metadata (tokenizer filters, maxlen, labels) could change unnoticed and re-ordering the
// tensors looked like corruption. Version 1 files are refused with a message to re-convert
// them with 'edgewatt convert' (the source model and tokenizer are needed; there is no
// reader for version 1).
//
// # Limits
//
// A reader refuses, with a message naming the limit: a file over 1 GiB (MaxFileBytes) or
// that is not a regular file, a header over 16 MiB, maxlen outside 1..65536 (MaxMaxLen), a
// vocabulary of more than 2,097,152 words (MaxVocabWords) or with a word longer than 4096
// bytes (MaxWordBytes), and labels whose count is not the output width (LabelCount: one per
// unit, two for a single unit: the class of 0, then the class of 1).
//
// A reader verifies, before anything is used: the header length against the file size, the
// JSON, that offsets are in range, contiguous and aligned, that each tensor's byte length is
// its shape's product times its element size, the format name and version, both sha256s,
// the limits, and that the tensors agree with the arch (see File.Validate).
package modelfile
