package mqtt

import (
	"encoding/json"
	"math"
	"time"
)

// Result is the JSON published on .../<model>/result for every request: either a label
// with its scores, or an error.
type Result struct {
	ID        json.RawMessage    `json:"id,omitempty"`
	Model     string             `json:"model"`
	Label     string             `json:"label,omitempty"`
	Scores    map[string]float64 `json:"scores,omitempty"`
	LatencyMS float64            `json:"latency_ms,omitempty"`
	Error     string             `json:"error,omitempty"`
}

// newResult turns a prediction into a Result. Scores are keyed by label; a single sigmoid
// unit (two labels, one score s) becomes {labels[0]: 1-s, labels[1]: s}.
func newResult(id json.RawMessage, model string, p Prediction) Result {
	r := Result{ID: id, Model: model, Label: p.Label, LatencyMS: round6(float64(p.Latency) / float64(time.Millisecond))}
	r.Scores = make(map[string]float64, len(p.Labels))
	switch {
	case len(p.Scores) == 1 && len(p.Labels) == 2:
		s := float64(p.Scores[0])
		r.Scores[p.Labels[0]] = round6(1 - s)
		r.Scores[p.Labels[1]] = round6(s)
	default:
		for i, s := range p.Scores {
			name := ""
			if i < len(p.Labels) {
				name = p.Labels[i]
			}
			if name == "" {
				name = itoa(i)
			}
			r.Scores[name] = round6(float64(s))
		}
	}
	return r
}

func round6(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e6) / 1e6
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
