// Package convert reads what Keras and TensorFlow really write (legacy HDF5 .h5, Keras 3
// .keras zips, TF.js layers models) and their tokenizers (Tokenizer.to_json, pickles, vocab
// files), validates the architecture, optionally quantizes, and writes one verified edgewatt
// model file (package runtime/modelfile).
package convert
