package cli

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"

	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

type tokenizeOptions struct {
	model      string
	tokenizer  string
	split      string
	maxlen     int
	padding    string
	truncating string
	jsonl      bool
}

// maxTokenizeLen bounds --maxlen: far beyond any text classifier's input, small enough that
// the padded output of one text stays printable.
const maxTokenizeLen = 1 << 20

// runTokenize implements 'edgewatt tokenize'.
func runTokenize(env *Env) error {
	fs := newFlagSet(env, "tokenize", "(-m MODEL | --tokenizer FILE --maxlen N [--padding pre|post] [--truncating pre|post]) [--jsonl] [TEXT ...]\n\n"+
		"Prints, per input, the token ids exactly as Keras's texts_to_sequences gives them and the ids\n"+
		"pad_sequences makes of them: {\"text\": ..., \"ids\": [...], \"padded\": [...]}.\n"+
		"Texts come from the arguments, else one per line on stdin.")
	var o tokenizeOptions
	fs.StringVar(&o.model, "m", "", "model file written by 'edgewatt convert' (its tokenizer and preprocessing)")
	fs.StringVar(&o.tokenizer, "tokenizer", "", "tokenizer file instead of a model: Keras Tokenizer.to_json() JSON, pickle, or a vocab file (word id per line)")
	fs.StringVar(&o.split, "split", "", "with --tokenizer, vocab files only: modelmaker (split on [^\\w']+, default) or jsstrip (delete [^\\w\\s], split on ' ')")
	fs.IntVar(&o.maxlen, "maxlen", 0, "with --tokenizer: pad_sequences maxlen (required)")
	fs.StringVar(&o.padding, "padding", modelfile.Pre, "with --tokenizer: pad_sequences padding, pre or post")
	fs.StringVar(&o.truncating, "truncating", modelfile.Pre, "with --tokenizer: pad_sequences truncating, pre or post")
	fs.BoolVar(&o.jsonl, "jsonl", false, `read {"text": ...} JSON lines from stdin (any text, newlines included)`)
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if (o.model == "") == (o.tokenizer == "") {
		return usagef("tokenize: give either -m MODEL or --tokenizer FILE --maxlen N")
	}
	if o.jsonl && len(args) > 0 {
		return usagef("tokenize: --jsonl reads stdin; do not pass texts as arguments")
	}

	var (
		spec  modelfile.TokenizerSpec
		words []string
		pre   modelfile.Preprocess
	)
	if o.model != "" {
		for _, name := range []string{"maxlen", "padding", "truncating", "split"} {
			if set[name] {
				return usagef("tokenize: --%s goes with --tokenizer; a model file has its own preprocessing (see 'edgewatt inspect')", name)
			}
		}
		f, err := modelfile.ReadFile(o.model)
		if err != nil {
			return err
		}
		if words, err = f.Words(); err != nil {
			return err
		}
		spec, pre = f.Meta.Tokenizer, f.Meta.Preprocess
	} else {
		if !set["maxlen"] {
			return usagef("tokenize: --tokenizer needs --maxlen N (the model's input length; Keras never saves it)")
		}
		if o.maxlen < 1 || o.maxlen > maxTokenizeLen {
			return usagef("tokenize: --maxlen %d is out of range; give the model's input length, 1..%d", o.maxlen, maxTokenizeLen)
		}
		for name, v := range map[string]string{"padding": o.padding, "truncating": o.truncating} {
			if v != modelfile.Pre && v != modelfile.Post {
				return usagef("tokenize: --%s %q: want pre or post", name, v)
			}
		}
		tok, _, err := convert.ReadTokenizerFile(o.tokenizer, o.split)
		if err != nil {
			return fmt.Errorf("tokenize: %w", err)
		}
		// No model to check the ids against: allow every id an int32 holds.
		if spec, words, err = tok.ForModel(math.MaxInt32); err != nil {
			return err
		}
		pre = modelfile.Preprocess{MaxLen: o.maxlen, Padding: o.padding, Truncating: o.truncating}
	}
	if pre.MaxLen < 1 || pre.MaxLen > maxTokenizeLen {
		return fmt.Errorf("tokenize: the model's maxlen %d is out of range 1..%d; convert the model again with --maxlen", pre.MaxLen, maxTokenizeLen)
	}
	tok, err := runtime.NewTokenizer(spec, words)
	if err != nil {
		return err
	}

	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var rec struct {
		Text   string  `json:"text"`
		IDs    []int32 `json:"ids"`
		Padded []int32 `json:"padded"`
	}
	rec.IDs = make([]int32, 0, 64)
	rec.Padded = make([]int32, pre.MaxLen)
	stop := func(loc inputLoc, err error) error { return fmt.Errorf("tokenize: %s: %w", loc, err) }
	return eachInput(env, args, o.jsonl, w.Flush, func(text string) error {
		rec.Text = text
		rec.IDs = tok.AppendIDs(rec.IDs[:0], text)
		runtime.Pad(rec.Padded, rec.IDs, pre)
		return enc.Encode(&rec)
	}, stop)
}
