// Package runtime is edgewatt's inference engine: it loads an edgewatt model file (package
// runtime/modelfile), tokenizes text exactly as Keras does, and predicts with zero
// allocations per call.
//
// # Model and predictors
//
// Load reads the model file into private memory (no mmap: replacing or truncating the file
// cannot change or crash a running process), verifies it completely and returns an
// immutable Model that is safe for concurrent use. Each goroutine makes its own
// Predictor, which owns preallocated scratch; a Predictor is not safe for concurrent use.
//
// The Scores of a Result alias the predictor's scratch until its next call (Result.Clone
// keeps a copy); PredictTexts classifies a batch of texts into Results that own their
// Scores, allocation-free when its destination is reused.
//
// # Servers
//
// A server loads each model once and keeps, beside it, a PredictorPool (a sync.Pool of
// predictors of that model, Model.NewPredictorPool). A request Gets a predictor, predicts,
// reads or copies the scores, and Puts it back; no lock is taken on the prediction path and
// the pool holds as many predictors as requests were in flight. A server that reloads models
// swaps the model and its pool together (one atomic.Pointer to both). ExamplePredictorPool
// shows the pattern.
//
// # Importing
//
// This package is named runtime, like the standard library's. A program that needs both
// gives this one another name in its import:
//
//	import (
//		"runtime"
//
//		edgewatt "github.com/edgewatt/edgewatt/runtime"
//	)
//
// and writes edgewatt.Load, edgewatt.Predictor and runtime.GOMAXPROCS; the examples do the
// same. A file that imports only this one may use the plain name.
//
// # Tokenizer
//
// Tokenizer reproduces keras_preprocessing's text_to_word_sequence + texts_to_sequences:
// Python's str.lower() (full Unicode mapping from generated tables, final sigma included),
// every filters character replaced by the split string, split on that string only, empty
// words dropped, ids at or past num_words mapped to the OOV id or dropped; Pad is
// pad_sequences. ASCII text takes a byte-loop fast path with a hash lookup that never
// converts to string; other text takes the exact path. Both allocate nothing when the
// destination has capacity. Model Maker ([^\w']+) and TF.js codelab (strip [^\w\s], split
// on ' ') vocabularies are modes of the same type. testdata/gen_golden.py writes the goldens
// from the real keras_preprocessing.
//
// # TextVectorization
//
// modelfile.ModeTextVec is Keras 3's TextVectorization layer (output_mode "int") as
// TensorFlow computes it, which is not what Python does. The definitions, pinned in
// TensorFlow's and Keras's source (tokenizer_textvec.go cites each file):
//
//   - lower: tf.strings.lower with its default encoding "", i.e. absl::AsciiStrToLower
//     (tensorflow/core/kernels/string_lower_op.cc): only the bytes A-Z change. "É", "ß",
//     Turkish "İ" and Greek capitals stay as they are (Python's str.lower would change them).
//   - strip_punctuation: tf.strings.regex_replace with Keras's
//     [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'] (keras/src/layers/preprocessing/
//     text_vectorization.py), an RE2 class of the 32 ASCII characters of string.punctuation
//     (apostrophe included: "son's" -> "sons"); Unicode punctuation (“ ” — … ¿) is kept.
//   - split "whitespace": tf.strings.split, StringSplitV2 with an empty separator, which
//     splits on runs of the six ASCII whitespace bytes " \t\n\v\f\r" only (U+00A0, U+3000
//     are part of words) and drops empty tokens; "character": tf.strings.unicode_split(text,
//     "UTF-8"), one token per code point, ill-formed UTF-8 replaced by U+FFFD per maximal
//     subpart (ICU); None: the whole standardized text is one token.
//   - ngrams: tf.strings.ngrams(tokens, widths, separator " "): all n-grams of the first
//     width, then of the next (ngrams=2 means widths 1, 2).
//   - lookup: "" -> 0 (the mask), the vocabulary's index (line 0 "", line 1 "[UNK]"),
//     anything else -> 1 ("[UNK]"); output_sequence_length pads and truncates at the end.
//
// Since standardization only touches ASCII bytes it runs as a byte map, without allocating.
// testdata/gen_textvec_golden.py, an independent transcription in Python's standard
// library (bytes.translate, re over bytes, bytes.decode("utf-8", "replace")), writes the
// golden ids for a hostile text set (Unicode punctuation, combining marks, ß, İ, emoji with
// ZWJ, non-ASCII spaces, empty strings, ill-formed UTF-8); FuzzTextVec compares the
// tokenizer with a plain Go transcription.
//
// # The math
//
// Keras's GlobalAveragePooling1D without a mask averages all maxlen positions, padding rows
// included. The predictor never materializes the padded sequence: it adds the row of each
// nonzero id, weighted 1/maxlen (a repeated id's row is read again), and the padding row once,
// weighted by the number of padding positions (skipped when that row is zero), so the work
// follows the number of real ids, not maxlen; with mask_zero it divides by the number of
// non-padding positions instead. Dense layers and their activations follow in float32 (the
// sigmoid and softmax with a float32 exp within 1 ulp). Quantized embeddings are summed in their
// stored type (int8 rows in int32 for a per-tensor scale) and scaled once. Quantized dense
// kernels are dequantized once at load: they are under 1% of the bytes and float32 keeps them
// exact to the reference. Model.Traffic says how many rows and bytes a prediction reads.
//
// # Kernels
//
// The hot loops live behind a small dispatch table (kernels.go) with a pure-Go reference twin
// of each (kernels_generic.go), an unrolled bounds-check-free pure-Go version
// (kernels_unrolled.go: armv6/armv7, -tags noasm), AVX2 on amd64 and NEON on arm64 (SDOT for
// the int8 sum when the CPU has the dot product; for 16-wide embeddings, one fused kernel that
// scans the ids and sums their rows; dense layers computed side by side from transposed
// weights), chosen once at init; Kernels reports what runs. Integer paths are bit-identical to
// their twins; float paths agree within 2(n+1)*2^-24*sum|terms|. BENCH.md has the
// measurements and how to reproduce them.
package runtime
