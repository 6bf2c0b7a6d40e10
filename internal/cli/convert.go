package cli

import (
	"errors"
	"fmt"

	"github.com/edgewatt/edgewatt/convert"
)

const convertSynopsis = `MODEL --tokenizer FILE -o OUT.safetensors [flags]

MODEL is a Keras legacy .h5, a Keras 3 .keras, a TF.js model.json (shards beside it) or a
.tflite of the average-word-vector family (its metadata vocabulary and labels are used).
FILE is a Tokenizer.to_json() file, a tokenizer pickle, a "word id" vocab file or a
TextVectorization get_config() JSON (vocabulary in it or in vocabulary.json beside it); a
.keras model with a TextVectorization layer carries its own and takes no --tokenizer.
Keras never saves pad_sequences' settings: give the ones used in training.`

// runConvert implements 'edgewatt convert'.
func runConvert(env *Env) error {
	fs := newFlagSet(env, "convert", convertSynopsis)
	var o convert.Options
	var out string
	fs.StringVar(&o.Tokenizer, "tokenizer", "", "tokenizer file: Tokenizer.to_json() output, tokenizer pickle, vocab file or TextVectorization config JSON (required unless the model carries its tokenizer)")
	fs.StringVar(&out, "o", "", "output model file (required)")
	fs.IntVar(&o.MaxLen, "maxlen", 0, "pad_sequences maxlen (default: the model's input length)")
	fs.StringVar(&o.Padding, "padding", "", "pad_sequences padding: pre or post (default pre; post for a TextVectorization)")
	fs.StringVar(&o.Truncating, "truncating", "", "pad_sequences truncating: pre or post (default pre; post for a TextVectorization)")
	fs.StringVar(&o.Labels, "labels", "", `output labels "a,b" or a labels file (default: labels.txt beside the model, else 0..n-1)`)
	fs.StringVar(&o.Split, "split", "", "vocab files only: modelmaker (split on [^\\w']+, default) or jsstrip (delete [^\\w\\s], split on ' ')")
	fs.StringVar(&o.Quant.Scheme, "quant", "", "weight storage: f32, f16 or int8 (default f32; a .tflite keeps the storage it has where the runtime can hold it)")
	fs.BoolVar(&o.KeepCase, "keep-case", false, ".tflite vocab tokenizers: do not lower-case (as the TFLite Task Library runs Model Maker models)")
	fs.StringVar(&o.Quant.CalibFile, "calib", "", "int8: calibration texts (one per line, or a label,text CSV)")
	fs.Float64Var(&o.Quant.Percentile, "percentile", 0, "int8: calibration range percentile (0 = min/max)")
	fs.StringVar(&o.Quant.EvalFile, "eval", "", "labelled rows (CSV label,text or JSON Lines) for the accuracy report: float32 alone, or float32 vs quantized with --quant")
	fs.Float64Var(&o.Quant.MaxDrop, "max-drop", -1, "fail when quantized accuracy drops by more than this many points (<0: no limit)")
	fs.BoolVar(&o.Quant.EmbeddingPerTensor, "emb-per-tensor", false, "int8: one scale for the whole embedding instead of one per row")
	pos, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("convert: want exactly one MODEL argument, got %d; usage: edgewatt convert %s", len(pos), "MODEL --tokenizer FILE -o OUT.safetensors")
	case out == "":
		return usagef("convert: -o OUT.safetensors is required")
	}
	o.Model = pos[0]
	o.Log = env.Stderr
	f, err := convert.Convert(o, out)
	if errors.Is(err, convert.ErrNoTokenizer) {
		return usagef("convert: --tokenizer FILE is required (the tokenizer saved with the model); only a .keras with a TextVectorization layer or a .tflite with metadata carries its own")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%s, quant embedding %s / dense %s)\n", out, summary(f), f.Meta.Quant.Embedding, f.Meta.Quant.Dense)
	return nil
}
