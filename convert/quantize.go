package convert

import (
	"fmt"
	"io"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// QuantOptions selects how a converted float32 model is stored and how the result is checked.
type QuantOptions struct {
	Scheme             string  // "f32", "f16" or "int8" ("" means the default)
	EmbeddingPerTensor bool    // int8: one scale for the whole embedding instead of one per row
	CalibFile          string  // texts (one per line, or the text column of a CSV) for activation ranges
	Percentile         float64 // calibration range percentile (0 = min/max)
	EvalFile           string  // labelled rows (CSV label,text) for the accuracy report
	MaxDrop            float64 // fail when accuracy drops by more than this many points (<0: no limit)
}

// Quantize returns f32 stored with opts.Scheme and, when opts.EvalFile is set, with the
// accuracy report in Meta.Report; a human-readable report goes to log.
// (Stub until the quant work lands: float32 only.)
func Quantize(f32 *modelfile.File, opts QuantOptions, log io.Writer) (*modelfile.File, error) {
	if opts.Scheme == "" || opts.Scheme == "f32" {
		return f32, nil
	}
	return nil, fmt.Errorf("convert: --quant %s is not implemented yet", opts.Scheme)
}
