// Package train is the Keras text-classification tutorial's pipeline in Go: read labelled
// texts, fit a Keras Tokenizer, pad, train Embedding → GlobalAveragePooling1D → Dense(relu)
// → Dense(sigmoid or softmax) with Adam and early stopping, and write what Keras 2.4 would:
// a legacy .h5 (through internal/h5write) and a Tokenizer.to_json() file. The result goes
// through edgewatt convert like any model trained on a desktop.
//
// # Data
//
// CSV with two fields, label then text (RFC 4180 quoting; an optional "label,text" header),
// or JSON Lines with "text"/"headline"/"sentence" and "label"/"is_sarcastic" fields. Labels
// that are all integers 0..K-1 are the classes; otherwise the distinct labels in byte order
// are. Two classes give one sigmoid output and binary cross-entropy, more give a softmax
// and sparse categorical cross-entropy.
//
// # Keras semantics kept
//
//   - Tokenizer: lower-case, default filters replaced by spaces, split on ' '; words indexed
//     by count, ties in order of first appearance, OOV token at 1; ids >= num_words become
//     the OOV id. Checked against python3-keras-preprocessing (testdata/tokenizer_golden.py).
//   - pad_sequences with value 0, "pre" or "post" padding and truncation.
//   - No masking: GlobalAveragePooling1D averages all maxlen positions, padding included
//     (row 0 of the embedding is trained like any other), as the course model does.
//   - Initialisers: embeddings uniform(-0.05, 0.05); kernels Glorot-uniform; biases zero.
//   - Loss: cross-entropy computed from the logits, as TensorFlow does when sigmoid/softmax
//     is the last op; batch mean; L2 adds l2·Σw² over the Dense kernels.
//   - Adam with beta1 0.9, beta2 0.999, epsilon 1e-7; the embedding's sparse update follows
//     TensorFlow's _resource_apply_sparse (see Adam).
//   - Shuffled each epoch; validation_split takes the last rows before shuffling.
//   - Early stopping on val_loss with Keras's patience counting; the weights of the best
//     epoch are kept (Keras's restore_best_weights, here also when no early stop happened).
//   - Dropout (optional, after the pooling) is inverted dropout, rate r, scale 1/(1-r).
//
// # Not the same numbers as Keras
//
// Random draws (initial weights, shuffling, dropout masks) come from Go's PCG seeded with
// Config.Seed, not TensorFlow's generators, and float32 sums run in a different order, so
// a run is reproducible bit for bit in Go (on any number of cores) but not equal to a
// Keras run with the same seed; accuracy is what matches (see examples/README.md).
//
// # Output layout
//
// The .h5 holds the root attributes keras_version "2.4.0", backend "tensorflow" (vlen
// UTF-8), model_config and training_config (vlen ASCII JSON); model_weights with
// layer_names (fixed-length strings), backend, keras_version and one group per layer with
// weight_names and datasets <layer>/<layer>/<var>:0 (empty float64 weight_names for the
// pooling and dropout layers); optimizer_weights with Adam/iter:0 and the m and v slots.
// testdata/check_keras_h5.py checks this with h5py against what Keras reads.
package train
