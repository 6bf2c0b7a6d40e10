// Package train is the Keras text-classification tutorial's pipeline in Go: read labelled
// texts, fit a Keras Tokenizer, pad, train Embedding → GlobalAveragePooling1D (or
// GlobalMaxPooling1D, Flatten) → Dense(relu) → Dense(sigmoid or softmax) with Adam (or SGD)
// and early stopping, and write what Keras 2.4 would:
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
//   - Pooling (--pool): GlobalAveragePooling1D (avg, the course model), GlobalMaxPooling1D
//     (max: the gradient goes to the positions reaching each maximum, split evenly among ties,
//     as tf.reduce_max's gradient does) or Flatten (flatten: maxlen·D units into the first
//     Dense). None is masked (Keras masks none of them without mask_zero).
//   - Loss (--loss): cross-entropy computed from the logits, as TensorFlow does when
//     sigmoid/softmax is the last op; or mse, Keras's MeanSquaredError on the probabilities
//     (per example the mean over the outputs of (y - p)², y as 0/1 or one-hot). Batch mean.
//     --l2 adds l2·Σw² and --l1 adds l1·Σ|w| over the Dense kernels (Keras's L1L2
//     kernel_regularizer; the gradient of |w| is sign(w), 0 at 0, as TensorFlow's).
//   - Adam with beta1 0.9, beta2 0.999, epsilon 1e-7; the embedding's sparse update follows
//     TensorFlow's _resource_apply_sparse (see Adam). Or SGD (--optimizer sgd, Keras's
//     default learning rate 0.01) with --momentum and --nesterov as Keras's SGD, the
//     embedding updated sparsely as ResourceSparseApplyKerasMomentum does (see SGD).
//   - The .h5's training_config names the loss (binary_crossentropy,
//     sparse_categorical_crossentropy or mean_squared_error) and the optimizer with its
//     settings; model_config holds the pooling layer and the kernel_regularizer.
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
// pooling and dropout layers); optimizer_weights with Adam/iter:0 and the m and v slots (or SGD/iter:0 and its momentum slots).
// testdata/check_keras_h5.py checks this with h5py against what Keras reads.
package train
