// Package convert reads what Keras and TensorFlow really write (legacy HDF5 .h5, Keras 3
// .keras zips, TF.js layers models) and their tokenizers (Tokenizer.to_json, pickles, vocab
// files), validates the architecture, optionally quantizes, and writes one verified edgewatt
// model file (package runtime/modelfile).
//
// Convert (or Build, then Quantize and modelfile.WriteFile) is the whole pipeline; ReadModel,
// Validate and ReadTokenizerFile are its steps. Every quirk below was seen in real files
// (../shared/fixtures/INDEX.md); testdata/gen_fixtures.py rebuilds small files with the same
// layouts for the tests (go test -update reruns it).
//
// # Models
//
// The format is recognised by content, not by file name.
//
// Legacy HDF5 (model.save("m.h5"), Keras 2.2 to 2.15 and Keras 3), read with
// github.com/scigolib/hdf5: the root attribute model_config holds the architecture as JSON,
// keras_version and backend the provenance. Weights live under model_weights: its attribute
// layer_names lists the layers that own weights, each layer group's weight_names lists its
// variables, and each is the dataset model_weights/<layer>/<weight name>. Nothing is
// hard-coded: layer names carry session suffixes (embedding_2, dense_4); Keras 2 names end in
// ":0" (dense_4/kernel:0), Keras 3 names add the model scope and drop ":0"
// (sequential/dense/kernel); Keras 2.12+ adds a top_level_model_weights group that is not in
// layer_names and is skipped. The string attributes are fixed-length NULL-padded arrays
// (h5py 2, Keras <= 2.4) or variable-length strings in the global heap (h5py 3); an empty
// weight_names is an empty float64 array. Attributes split by Keras into name0, name1, ... are
// joined. A file with only weights (save_weights) is refused: it has no architecture.
//
// Keras 3 .keras: a zip with config.json (the model config), metadata.json (keras_version)
// and model.weights.h5. There the variables are unnamed, layers/<path>/vars/0, 1, ... where
// <path> is the layer's snake_case class name with a per-class counter in layer order
// (dense, dense_1, ...), not the layer's name: this is how Keras's saving_lib addresses them,
// so that is how they are matched. Embedding var 0 is the table, Dense var 0 the kernel and
// 1 the bias. Sharded weights (model.weights.json) are refused.
//
// TF.js layers model: model.json with modelTopology (the Keras model config, possibly wrapped
// with keras_version) and weightsManifest; the shards it names must sit beside it. Weights
// are listed alphabetically, not in layer order, so each is matched by its name
// (layer/variable, no ":0"); the shard bytes are little-endian float32 concatenated in
// manifest order, and their total must equal what the manifest needs. Quantized TF.js
// weights are refused.
//
// Model configs: Sequential (or the bare layer list of Keras <= 2.2), Functional or Model,
// layers in listed order. The input length is the second dimension of the first
// batch_input_shape (Keras 2) or batch_shape (Keras 3, whose first dimension may hold the
// training batch size, e.g. [32, 100]: it is ignored), else the Embedding's input_length or
// build_config. Keras 2.2.4 writes no InputLayer and may leave the length null: then --maxlen
// is required.
//
// TFLite flatbuffers (.tflite, "TFL3" at byte 4), read with github.com/google/flatbuffers
// through code flatc generated from TFLite's own schema.fbs (internal/tflite, with
// generate.sh and the schema's provenance) and tflite-support's metadata_schema.fbs
// (internal/tflmeta). The accessors trust the buffer, so every vector length is checked
// against the file first and the library's out-of-range panics become errors. The graph
// must be the average-word-vector family, walked op by op in execution order (tflite.go):
// [CAST] [LESS+ADD+SELECT_V2, Keras 3's negative-index wrap] GATHER or EMBEDDING_LOOKUP,
// MEAN over axis 1, FULLY_CONNECTED layers (weights [out, in], fused NONE/RELU/TANH), then
// SOFTMAX or LOGISTIC; DEQUANTIZE on constants (float16, int8 storage) and QUANTIZE /
// DEQUANTIZE on activations (run in float) are allowed. Any other operator (LSTM, CONV_2D,
// WHILE, ...) is refused naming it and its position. The id input may be int32 or float32
// (TOCO models CAST it). TFLite Metadata (TFLITE_METADATA, "M001"): the vocabulary and
// labels files it names are read from the zip appended to the flatbuffer, and a
// RegexTokenizerOptions must be Model Maker's [^\w']+; without metadata --tokenizer gives
// the vocab file. Weights are kept as stored where a runtime scheme holds them exactly:
// FLOAT16 -> f16, INT8 per-tensor symmetric embedding -> int8-tensor, INT8 per-channel
// (output axis) or per-tensor symmetric dense -> int8-channel. Int8 storage no scheme holds
// exactly (zero points, per-row embedding scales, int8 dense next to float dense) is
// requantized to the nearest scheme (int8-tensor, int8-row, int8-channel) with each tensor's
// max |w - w'| in the log and the file's report; float storage stays exact (f16 and f32
// dense layers together are f32). --quant f32|f16|int8 instead dequantizes and requantizes with
// the usual report. Model Maker lower-cased its training text, but the TFLite Task Library
// does not lower-case at inference: convert lower-cases ("as trained") unless --keep-case
// ("as the Task Library runs it"); the Task Library's RE2 \w is also ASCII-only while
// Model Maker's Python \w is Unicode, and edgewatt follows Model Maker.
//
// # Architectures
//
// Validate accepts [InputLayer] -> Embedding -> [Dropout] -> GlobalAveragePooling1D |
// GlobalMaxPooling1D | Flatten -> Dense+ (Dropout allowed between them), with Dense
// activations relu, sigmoid, tanh, linear or softmax (channels_last, keepdims false).
// Dropout and InputLayer are identity at inference. mask_zero=true on the Embedding is kept
// (Arch.Embedding.MaskZero): GlobalAveragePooling1D then averages only non-padding
// positions, as Keras does; GlobalMaxPooling1D and Flatten ignore the mask, as Keras 2 and 3
// do (runtime/modelfile/doc.go has the evidence). Flatten's first Dense is maxlen x width
// wide, so Flatten fixes maxlen: from the config's input length, else from that kernel. Everything else is refused with an error wrapping
// ErrUnsupportedLayer that names each offending layer (class and name) and lists the
// supported set; a model saved before it was built has no weight tensors and gets
// ErrNoWeights (wrapped together with ErrUnsupportedLayer when its layers are unsupported
// too). The config must agree with the weights (input_dim x output_dim table, [in, units]
// kernels chained from the embedding width, [units] bias, use_bias), and every weight must
// be finite. Dense kernels are transposed from Keras's [in, out] to [out, in].
//
// # Tokenizers
//
// Keras Tokenizer.to_json(): a JSON object {"class_name": "Tokenizer", "config": {...}}
// whose word_index (like word_counts, index_word, ...) is JSON text again; files hold either
// that object or a JSON string containing it. num_words and oov_token may be null.
//
// Pickled keras Tokenizer: read with github.com/nlpodyssey/gopickle behind a strict
// allow-list. A first pass walks the opcodes, refuses persistent ids, the extension registry,
// INST/OBJ/NEWOBJ_EX, out-of-band buffers and integers beyond 32 bits (which the unpickler
// would truncate on GOARCH=arm), and checks every length field against the bytes left, so a
// hostile length cannot allocate; then only the Tokenizer class of
// keras_preprocessing.text, keras.preprocessing.text, keras.src.preprocessing.text or
// keras.src.legacy.preprocessing.text, collections.OrderedDict, collections.defaultdict
// (with int) and builtins.int (__builtin__.int/long in protocol 0-2 pickles) resolve. Any
// other global is refused with its name. (gopickle itself resolves copy_reg._reconstructor
// and __builtin__.object, the plumbing of protocol 0-1 pickles; they can only instantiate
// an allowed class.) Nothing Python ever runs.
//
// tf_keras (tf_keras.src.preprocessing.text, tf_keras.preprocessing.text) and the Keras 3
// legacy path keras.legacy.preprocessing.text are allowed too: their Tokenizer is the same
// code under another module name (testdata/gen_keras3_pickles.py makes such pickles).
//
// TextVectorization (textvec.go): a .keras model may start with the layer (after its string
// InputLayer); its config gives standardize, split, ngrams, max_tokens and
// output_sequence_length, and its vocabulary is the config's "vocabulary" list or the
// archive's assets/layers/text_vectorization/vocabulary.txt, read as Keras's load_assets
// does (Python's splitlines, trailing empty lines dropped). A vocabulary starting with ""
// and "[UNK]" keeps them as ids 0 and 1, otherwise they are prepended (StringLookup's
// rule); repeats, a misplaced "", or more entries than max_tokens or vocabulary_size are
// refused. The layer is removed from the model and becomes modelfile.ModeTextVec;
// output_sequence_length is maxlen with post padding and truncation (a contrary --padding
// is refused). A get_config() saved as JSON beside a model without the layer is accepted as
// --tokenizer, with its vocabulary in the config or in vocabulary.json / vocabulary.txt
// beside it. A legacy .h5 or TF.js model may start with the layer only when its config holds
// the vocabulary (those formats keep no assets; otherwise the refusal says to save as .keras).
// Custom Python callables (standardize or split), output modes other than "int",
// ragged or sparse outputs and idf weights are refused saying why.
//
// Both give modelfile.ModeKeras with filters, lower, split and char_level stored exactly as
// saved, the OOV id (word_index[oov_token], or -1: unknown words are dropped) and num_words.
//
// Vocab files (TFLite Model Maker vocab.txt, the TF.js comment-spam vocab): "word id" lines,
// "<PAD> 0", "<START> 1" (prepended to every sequence: TokenizerSpec.StartID), "<UNKNOWN> 2"
// (the OOV id); trailing blank lines are ignored. They carry no splitting rule, so
// --split gives it: modelmaker (Model Maker's regex [^\w']+, the default) or jsstrip (the
// comment-spam codelab's JavaScript: delete [^\w\s], split on ' ').
//
// Only the ids the runtime can produce are stored (ids < num_words when num_words is set; the
// special words are stored as empty lines), and all of them, with the OOV and start ids, must
// be rows of the embedding: a tokenizer that does not belong to the model is refused.
//
// # Preprocessing and labels
//
// Keras never saves pad_sequences' settings: --maxlen (default: the model's input length; a
// different value is refused because GlobalAveragePooling1D averages over maxlen positions,
// padding included), --padding and --truncating (pre or post, default pre as in Keras).
// Labels come from --labels "a,b" or a labels file given there (lines, a JSON array, or
// {"label": index}), else labels.txt beside the model, else "0".."n-1" ("0","1" for a single
// sigmoid unit).
//
// # Robustness
//
// Bad input returns an error and writes nothing (modelfile.WriteFile is atomic). The HDF5
// library trusts sizes in the file, so before it runs the superblock's end-of-file address is
// checked against the file size (truncation), local and global heap sizes against the file,
// attribute element counts against their stored bytes, and dataset extents against the file;
// a panic inside the library is recovered into an error. Fuzz targets cover every reader.
//
// Every input is a regular file (a FIFO or device is refused before it is opened) under a
// size limit (internal/safeio: 1 GiB for models, 256 MiB for text files). Decompression is
// bounded by the size the container declares: an HDF5 chunk must decode to exactly the size
// its layout declares and no decoder writes past it (the vendored library's patch,
// internal/third_party/hdf5/PATCHED.md), a chunk may not be larger than its dataset, and a
// zip member (.keras weights, a .tflite's associated files) is streamed into a buffer of its
// declared size and refused as soon as it inflates past it; .keras weights are read from the
// zip in memory, with no temporary file. The output (-o) may not be one of the inputs (the
// model, TF.js shards, tokenizer, labels file or labels.txt beside the model, --eval,
// --calib; compared by device and inode) nor an existing directory, device or FIFO.
package convert
