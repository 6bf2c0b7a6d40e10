package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/runtime"
)

type predictOptions struct {
	model string
	jsonl bool
	ids   bool
}

// runPredict implements 'edgewatt predict'.
func runPredict(env *Env) error {
	fs := newFlagSet(env, "predict", "-m MODEL [--jsonl | --ids] [TEXT ...]\n\nTexts come from the arguments, else one per line on stdin. Prints one JSON object per input.")
	var o predictOptions
	fs.StringVar(&o.model, "m", "", "model file written by 'edgewatt convert' (required)")
	fs.BoolVar(&o.jsonl, "jsonl", false, `read {"text": ...} JSON lines from stdin (any text, newlines included)`)
	fs.BoolVar(&o.ids, "ids", false, "inputs are comma-separated token ids instead of text")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if o.model == "" {
		return usagef("predict: -m MODEL is required (a .safetensors file from 'edgewatt convert')")
	}
	if o.jsonl && o.ids {
		return usagef("predict: --jsonl and --ids cannot be combined")
	}
	if o.jsonl && len(args) > 0 {
		return usagef("predict: --jsonl reads stdin; do not pass texts as arguments")
	}
	m, err := runtime.Load(o.model)
	if err != nil {
		return err
	}
	defer m.Close()
	p := m.NewPredictor()
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	do := func(in string) error {
		rec := predictRecord{}
		var r runtime.Result
		if o.ids {
			ids, err := parseIDs(in, m)
			if err != nil {
				return err
			}
			rec.IDs = ids
			r = p.PredictIDs(ids)
		} else {
			t := in
			rec.Text = &t
			r = p.PredictText(in)
		}
		rec.fill(m, r)
		return enc.Encode(rec)
	}
	return eachInput(env, args, o.jsonl, do)
}

type predictRecord struct {
	Text   *string   `json:"text,omitempty"`
	IDs    []int32   `json:"ids,omitempty"`
	Label  string    `json:"label"`
	Score  *float32  `json:"score,omitempty"`
	Scores []float32 `json:"scores"`
}

func (rec *predictRecord) fill(m *runtime.Model, r runtime.Result) {
	rec.Scores = append([]float32(nil), r.Scores...)
	if len(r.Scores) == 1 {
		s := r.Scores[0]
		rec.Score = &s
	}
	labels := m.Labels()
	if r.Label < len(labels) {
		rec.Label = labels[r.Label]
	} else {
		rec.Label = strconv.Itoa(r.Label)
	}
}

// parseIDs parses "3,14,15" and checks each id against the embedding.
func parseIDs(s string, m *runtime.Model) ([]int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []int32{}, nil
	}
	rows := m.Meta.Arch.Embedding.InputDim
	parts := strings.Split(s, ",")
	ids := make([]int32, 0, len(parts))
	for _, f := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("predict: --ids input %q: %q is not an integer (want comma-separated ids like 12,5,0)", s, f)
		}
		if v < 0 || v >= rows {
			return nil, fmt.Errorf("predict: token id %d is outside the embedding (0..%d)", v, rows-1)
		}
		ids = append(ids, int32(v))
	}
	return ids, nil
}

// eachInput calls do for each argument, or for each stdin line (or JSONL record).
func eachInput(env *Env, args []string, jsonl bool, do func(string) error) error {
	if len(args) > 0 {
		for _, a := range args {
			if err := do(a); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if jsonl {
			if strings.TrimSpace(s) == "" {
				continue
			}
			var rec struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal([]byte(s), &rec); err != nil || rec.Text == nil {
				return fmt.Errorf("stdin line %d: want a JSON object with a \"text\" string, like {\"text\": \"turn on the lights\"}", line)
			}
			s = *rec.Text
		} else {
			s = strings.TrimSuffix(s, "\r")
		}
		if err := do(s); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		return fmt.Errorf("reading stdin: %w", err)
	}
	return nil
}
