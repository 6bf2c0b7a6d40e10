package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// runInspect implements 'edgewatt inspect'.
func runInspect(env *Env) error {
	fs := newFlagSet(env, "inspect", "FILE [--json]")
	asJSON := fs.Bool("json", false, "print the same information as JSON")
	pos, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("inspect: want exactly one model file, got %d", len(pos))
	}
	path := pos[0]
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("inspect: %v", err)
	}
	f, err := modelfile.ReadFile(path)
	if err != nil {
		return err
	}
	info := describe(f, path, st.Size())
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(info)
	}
	printInfo(env.Stdout, info)
	return nil
}

// modelInfo is what inspect reports, also its --json form.
type modelInfo struct {
	File          string                  `json:"file"`
	FileBytes     int64                   `json:"file_bytes"`
	FormatVersion int                     `json:"format_version"`
	DataSHA256    string                  `json:"data_sha256"`
	SHA256        string                  `json:"sha256"`
	Summary       string                  `json:"summary"`
	Params        int                     `json:"params"`
	Arch          modelfile.Arch          `json:"arch"`
	Tensors       []tensorInfo            `json:"tensors"`
	TensorBytes   int                     `json:"tensor_bytes"`
	Tokenizer     modelfile.TokenizerSpec `json:"tokenizer"`
	Preprocess    modelfile.Preprocess    `json:"preprocess"`
	Labels        []string                `json:"labels"`
	Quant         modelfile.Quant         `json:"quant"`
	Provenance    modelfile.Provenance    `json:"provenance"`
	Report        modelfile.Report        `json:"report,omitempty"`
	Kernels       string                  `json:"runtime_kernels"` // what this binary's runtime uses on this CPU
}

type tensorInfo struct {
	Name  string          `json:"name"`
	DType modelfile.DType `json:"dtype"`
	Shape []int           `json:"shape"`
	Bytes int             `json:"bytes"`
}

func describe(f *modelfile.File, path string, size int64) modelInfo {
	m := f.Meta
	info := modelInfo{File: path, FileBytes: size, FormatVersion: modelfile.Version, DataSHA256: m.DataSHA256, SHA256: m.SHA256,
		Summary: summary(f), Params: params(f), Arch: m.Arch, Tokenizer: m.Tokenizer, Preprocess: m.Preprocess,
		Labels: m.Labels, Quant: m.Quant, Provenance: m.Provenance, Report: m.Report, Kernels: runtime.Kernels()}
	for _, t := range f.Tensors {
		info.Tensors = append(info.Tensors, tensorInfo{Name: t.Name, DType: t.DType, Shape: t.Shape, Bytes: len(t.Data)})
		info.TensorBytes += len(t.Data)
	}
	return info
}

// params counts the network's parameters (embedding table, kernels, biases).
func params(f *modelfile.File) int {
	a := f.Meta.Arch
	p := a.Embedding.InputDim * a.Embedding.OutputDim
	for _, d := range a.Dense {
		p += d.In*d.Out + d.Out
	}
	return p
}

// poolingLayer names the Keras layer of a modelfile pooling.
func poolingLayer(p string) string {
	switch p {
	case modelfile.PoolMax:
		return "GlobalMaxPooling1D"
	case modelfile.PoolFlatten:
		return "Flatten"
	}
	return "GlobalAveragePooling1D"
}

// summary is a one-line description of the network.
func summary(f *modelfile.File) string {
	a := f.Meta.Arch
	parts := []string{fmt.Sprintf("Embedding(%d,%d%s)", a.Embedding.InputDim, a.Embedding.OutputDim, map[bool]string{true: ",mask_zero"}[a.Embedding.MaskZero]), poolingLayer(a.Pooling)}
	for _, d := range a.Dense {
		parts = append(parts, fmt.Sprintf("Dense(%d,%s)", d.Out, d.Activation))
	}
	return fmt.Sprintf("%s, %d params", strings.Join(parts, " -> "), params(f))
}

func printInfo(w io.Writer, in modelInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format+"\n", a...) }
	p("file\t%s (%d bytes, edgewatt format %d)", in.File, in.FileBytes, in.FormatVersion)
	p("model\t%s", in.Summary)
	p("")
	p("layers (source model)")
	a := in.Arch
	dense := 0
	for _, l := range a.SourceLayers {
		detail := l.Note
		switch l.Class {
		case "Embedding":
			detail = fmt.Sprintf("[%d, %d] vocabulary %d, width %d, mask_zero %v", a.Embedding.InputDim, a.Embedding.OutputDim, a.Embedding.InputDim, a.Embedding.OutputDim, a.Embedding.MaskZero)
		case "GlobalMaxPooling1D":
			detail = "elementwise max over all maxlen positions (padding included, never masked)"
		case "Flatten":
			detail = fmt.Sprintf("%d positions x width %d side by side (padding included, never masked)", in.Preprocess.MaxLen, a.Embedding.OutputDim)
		case "GlobalAveragePooling1D":
			if a.Embedding.MaskZero {
				detail = "mean over non-padding positions"
			} else {
				detail = "mean over all maxlen positions (padding included)"
			}
		case "Dense":
			if dense < len(a.Dense) {
				d := a.Dense[dense]
				detail = fmt.Sprintf("%d -> %d, %s", d.In, d.Out, d.Activation)
				dense++
			}
		}
		p("  %s\t%s\t%s", l.Class, l.Name, detail)
	}
	p("")
	p("parameters\t%d", in.Params)
	p("")
	p("tensors")
	for _, t := range in.Tensors {
		p("  %s\t%s\t%v\t%d bytes", t.Name, t.DType, t.Shape, t.Bytes)
	}
	p("  total\t\t\t%d bytes", in.TensorBytes)
	p("")
	tk := in.Tokenizer
	p("tokenizer\tmode %s, lower %v, vocabulary ids 1..%d (the source tokenizer knew %d words)", tk.Mode, tk.Lower, tk.VocabWords, tk.SourceWords)
	if tk.Mode == modelfile.ModeTextVec {
		p("  textvec\tstandardize %s, split %s, ngrams %s", orNone(tk.Standardize), orNone(tk.Split), orNone(tk.NGrams))
	}
	if tk.Mode == modelfile.ModeKeras {
		p("  filters\t%q", tk.Filters)
		p("  split\t%q, char_level %v", tk.Split, tk.CharLevel)
	}
	numWords := "none"
	if tk.NumWords > 0 {
		numWords = fmt.Sprint(tk.NumWords)
	}
	p("  num_words\t%s", numWords)
	p("  oov id\t%s", idOrNone(tk.OOVID, "unknown words dropped"))
	p("  start id\t%s", idOrNone(tk.StartID, "none"))
	pr := in.Preprocess
	p("preprocess\tmaxlen %d, padding %s, truncating %s", pr.MaxLen, pr.Padding, pr.Truncating)
	p("labels\t%s", strings.Join(in.Labels, ", "))
	p("quant\tembedding %s, dense %s", in.Quant.Embedding, in.Quant.Dense)
	p("kernels\t%s (this binary's runtime on this CPU)", in.Kernels)
	p("")
	v := in.Provenance
	p("provenance")
	p("  source\t%s (%s)", v.SourceFile, v.SourceFormat)
	p("  sha256\t%s", v.SourceSHA256)
	if v.KerasVersion != "" || v.Backend != "" {
		p("  keras\t%s %s", v.KerasVersion, v.Backend)
	}
	if v.TokenizerFile != "" {
		p("  tokenizer\t%s", v.TokenizerFile)
		p("  sha256\t%s", v.TokenizerSHA256)
	}
	p("  converter\t%s", v.ConverterVersion)
	if v.Created != "" {
		p("  created\t%s", v.Created)
	}
	p("  data sha256\t%s", in.DataSHA256)
	p("  sha256\t%s (metadata and tensors)", in.SHA256)
	if len(in.Report) > 0 {
		p("")
		p("quantization report")
		printReport(p, in.Report)
	}
	tw.Flush()
}

func idOrNone(id int, none string) string {
	if id < 0 {
		return none
	}
	return fmt.Sprint(id)
}

// printReport renders the accuracy report convert stores in the metadata: the known sections
// readably, anything else as JSON so that no field is hidden.
func printReport(p func(string, ...any), r modelfile.Report) {
	get := func(m any, k string) any {
		if mm, ok := m.(map[string]any); ok {
			return mm[k]
		}
		return nil
	}
	num := func(v any) float64 { f, _ := v.(float64); return f }
	// convert stores an exact SQNR (+Inf) as the string "inf".
	sqnr := func(v any) string {
		if s, ok := v.(string); ok {
			if s == "inf" {
				return "exact"
			}
			return s
		}
		return fmt.Sprintf("%.1f dB", num(v))
	}
	done := map[string]bool{}
	if sc, ok := r["scheme"].(map[string]any); ok {
		done["scheme"] = true
		line := fmt.Sprintf("embedding %v, dense %v (%v)", sc["embedding"], sc["dense"], sc["dense_compute"])
		if b, _ := sc["padding_row_folded"].(bool); b {
			line += "; padding row folded into dense.0's bias"
		}
		p("  scheme\t%s", line)
	}
	if tb, ok := r["tensor_bytes"].(map[string]any); ok {
		done["tensor_bytes"] = true
		p("  tensor bytes\t%.0f -> %.0f (%.1f%% of float32, scales included); vocabulary %.0f bytes",
			num(tb["float32"]), num(tb["quantized"]), 100*num(tb["ratio"]), num(tb["vocab"]))
	}
	if ev, ok := r["eval"].(map[string]any); ok {
		done["eval"] = true
		if _, quantized := ev["accuracy_quantized"]; !quantized {
			p("  accuracy\tfloat32 %.2f%% on %.0f rows of %v", 100*num(ev["accuracy_float32"]), num(ev["rows"]), ev["file"])
		} else {
			p("  accuracy\tfloat32 %.2f%%, quantized %.2f%% (%+.2f points) on %.0f rows of %v",
				100*num(ev["accuracy_float32"]), 100*num(ev["accuracy_quantized"]),
				-num(ev["drop_points"]), num(ev["rows"]), ev["file"])
			p("  agreement\t%.2f%% of decisions (%.0f differ); |score diff| max %.3g, mean %.3g",
				100*num(ev["agreement"]), num(ev["disagreements"]), num(ev["max_abs_score_diff"]), num(ev["mean_abs_score_diff"]))
		}
		if fi := ev["full_integer_simulated"]; fi != nil {
			p("  full-integer\t(simulated, not stored) accuracy %.2f%%, agreement %.2f%%, max |score diff| %.3g",
				100*num(get(fi, "accuracy")), 100*num(get(fi, "agreement")), num(get(fi, "max_abs_score_diff")))
		}
	}
	if ws, ok := r["weights"].([]any); ok {
		done["weights"] = true
		for _, w := range ws {
			p("  weights\t%-18v %-13v SQNR %-8s  max|err| %.3g  mean|err| %.3g",
				get(w, "tensor"), get(w, "scheme"), sqnr(get(w, "sqnr_db")), num(get(w, "max_abs_err")), num(get(w, "mean_abs_err")))
		}
	}
	if ls, ok := r["layers"].([]any); ok {
		done["layers"] = true
		src := ""
		if li := r["layer_inputs"]; li != nil {
			done["layer_inputs"] = true
			src = fmt.Sprintf(" (over %v %v)", get(li, "count"), get(li, "source"))
		}
		p("  layer outputs%s", src)
		for _, l := range ls {
			rg, _ := get(l, "range").([]any)
			if len(rg) != 2 {
				rg = []any{nil, nil}
			}
			p("  \t%-28v SQNR %-8s  max|err| %.3g  range [%.4g, %.4g] (seen [%.4g, %.4g], %.3g%% outside)",
				get(l, "layer"), sqnr(get(l, "sqnr_db")), num(get(l, "max_abs_err")), num(rg[0]), num(rg[1]),
				num(get(l, "min")), num(get(l, "max")), 100*num(get(l, "saturation")))
		}
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		if !done[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := json.Marshal(r[k])
		if err != nil {
			b = []byte(fmt.Sprint(r[k]))
		}
		p("  %s\t%s", k, b)
	}
}

// orNone prints an empty TextVectorization setting as Python's None.
func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}
