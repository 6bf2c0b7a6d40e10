package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/edgewatt/edgewatt/internal/eval"
	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/runtime"
)

const evalSynopsis = `-m MODEL --data FILE [--rows A:B] [--json]

Measures a model file (float32, float16 or int8) on labelled texts with the runtime that runs
it: accuracy, per-class precision/recall/F1, confusion matrix, ROC AUC (binary models) and
expected calibration error. FILE is CSV label,text or JSON Lines, as 'edgewatt train' reads.
--rows takes Python slice bounds over the data rows (20000: is row 20000 to the end).`

// runEval implements 'edgewatt eval'.
func runEval(env *Env) error {
	fs := newFlagSet(env, "eval", evalSynopsis)
	var model, data, rows string
	var asJSON bool
	var bins int
	fs.StringVar(&model, "m", "", "model file written by 'edgewatt convert' (required)")
	fs.StringVar(&data, "data", "", "labelled texts: CSV label,text or JSON Lines (required)")
	fs.StringVar(&rows, "rows", "", "rows A:B of the data (Python slice; default all)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fs.IntVar(&bins, "bins", eval.DefaultBins, "equal-width calibration bins for the ECE")
	pos, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("eval: unexpected argument %q; usage: edgewatt eval -m MODEL --data FILE", pos[0])
	case model == "":
		return usagef("eval: -m MODEL is required (a .safetensors file from 'edgewatt convert')")
	case data == "":
		return usagef("eval: --data FILE is required (CSV label,text or JSON Lines)")
	}
	rg, err := eval.ParseRange(rows)
	if err != nil {
		return &UsageError{Msg: err.Error()}
	}
	m, err := runtime.Load(model)
	if err != nil {
		return err
	}
	defer m.Close()
	f, size, err := safeio.Open(data)
	if err != nil {
		return fmt.Errorf("eval: --data: %w", err)
	}
	if size > safeio.MaxTextFile {
		f.Close()
		return fmt.Errorf("eval: --data %s is %d bytes, more than the %d edgewatt reads; sample it", data, size, int64(safeio.MaxTextFile))
	}
	all, err := eval.ReadRows(io.LimitReader(f, safeio.MaxTextFile), data, m.Labels())
	f.Close()
	if err != nil {
		return err
	}
	sel, first, err := rg.Select(all)
	if err != nil {
		return err
	}
	res, err := eval.Evaluate(m, sel, eval.Options{Bins: bins})
	if err != nil {
		return err
	}
	if asJSON {
		out := struct {
			Model    string `json:"model"`
			Data     string `json:"data"`
			FirstRow int    `json:"first_row"`
			Quant    any    `json:"quant"`
			*eval.Result
		}{model, data, first, m.Meta.Quant, res}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(env.Stdout, "model        %s (embedding %s, dense %s)\n", model, m.Meta.Quant.Embedding, m.Meta.Quant.Dense)
	fmt.Fprintf(env.Stdout, "data         %s rows %d:%d (%d of %d)\n", data, first, first+len(sel), len(sel), len(all))
	res.Print(env.Stdout)
	return nil
}
