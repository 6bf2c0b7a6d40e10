package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/runtime"
)

type predictOptions struct {
	model   string
	jsonl   bool
	ids     bool
	onError string
}

// runPredict implements 'edgewatt predict'.
func runPredict(env *Env) error {
	fs := newFlagSet(env, "predict", "-m MODEL [--jsonl | --ids] [--on-error continue|stop] [TEXT ...]\n\n"+
		"Texts come from the arguments, else one per line on stdin. Prints one JSON object per input, flushed as soon as it\n"+
		"is computed; an input that fails gives {\"line\": N, \"error\": ...} and the stream goes on (--on-error stop ends it).")
	var o predictOptions
	fs.StringVar(&o.model, "m", "", "model file written by 'edgewatt convert' (required)")
	fs.BoolVar(&o.jsonl, "jsonl", false, `read {"text": ...} JSON lines from stdin (any text, newlines included)`)
	fs.BoolVar(&o.ids, "ids", false, "inputs are comma-separated token ids instead of text")
	fs.StringVar(&o.onError, "on-error", "continue", "an input that fails: continue (print an error record, go on, exit 1 at the end) or stop (exit 1 at once)")
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
	if o.onError != "continue" && o.onError != "stop" {
		return usagef("predict: --on-error %q: want continue or stop", o.onError)
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
		what := "text " + quoteShort(in)
		if o.ids {
			ids, err := parseIDs(in, m)
			if err != nil {
				return &inputError{err}
			}
			rec.IDs = ids
			r = p.PredictIDs(ids)
			what = "ids " + quoteShort(in)
		} else {
			t := in
			rec.Text = &t
			r = p.PredictText(in)
		}
		for _, v := range r.Scores {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return &inputError{fmt.Errorf("predict: the scores for %s are not finite (%v): the model's weights overflow float32 on this input (check it with 'edgewatt inspect'; re-convert from the source model, or retrain with smaller weights)", what, r.Scores)}
			}
		}
		rec.fill(m, r)
		return enc.Encode(rec)
	}
	failed, ok := 0, 0
	onErr := func(loc inputLoc, err error) error {
		failed++
		if o.onError == "stop" {
			return fmt.Errorf("%s: %w", loc, err)
		}
		return enc.Encode(loc.record(err))
	}
	err = eachInput(env, args, o.jsonl, w.Flush, func(s string) error {
		err := do(s)
		if err == nil {
			ok++
		}
		return err
	}, onErr)
	if err == nil && failed > 0 {
		err = fmt.Errorf("predict: %d of %d inputs failed (see their error records)", failed, failed+ok)
	}
	return err
}

// quoteShort quotes s for a message, cut to 60 bytes.
func quoteShort(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "..."
	}
	return strconv.Quote(s)
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
			return nil, fmt.Errorf("predict: --ids input %s: %q is not an integer (want comma-separated ids like 12,5,0)", quoteShort(s), f)
		}
		if v < 0 || v >= rows {
			return nil, fmt.Errorf("predict: --ids input %s: token id %d is outside the embedding (0..%d)", quoteShort(s), v, rows-1)
		}
		ids = append(ids, int32(v))
	}
	return ids, nil
}

// inputError is an error of one input (a bad line, a non-finite score), as opposed to an
// error of the stream (writing stdout): eachInput hands it to its onErr.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// inputLoc says where an input came from: stdin line Line, or argument Arg (1-based).
type inputLoc struct{ Line, Arg int }

func (l inputLoc) String() string {
	if l.Arg > 0 {
		return fmt.Sprintf("argument %d", l.Arg)
	}
	return fmt.Sprintf("stdin line %d", l.Line)
}

// errorRecord is the record printed for an input that failed.
type errorRecord struct {
	Line  int    `json:"line,omitempty"`
	Arg   int    `json:"arg,omitempty"`
	Error string `json:"error"`
}

func (l inputLoc) record(err error) errorRecord {
	return errorRecord{Line: l.Line, Arg: l.Arg, Error: err.Error()}
}

// maxLineBytes bounds one stdin line (or JSONL record); a longer one is an input error of
// its own line, skipped without being held in memory, and the stream goes on.
const maxLineBytes = 4 << 20

// eachInput calls do for each argument, or for each stdin line (or JSONL record). An error
// of one input (*inputError from do, a line longer than maxLineBytes, a bad JSONL record) is
// given to onErr with its location: onErr returns nil to go on, an error to stop. Any
// other error from do stops. flush is called after each stdin input unless a whole next
// line is already buffered, so a pipe gets every answer as soon as it is computed and a
// file is still written in large blocks. A UTF-8 byte order mark before the first line is
// ignored.
func eachInput(env *Env, args []string, jsonl bool, flush func() error, do func(string) error, onErr func(inputLoc, error) error) error {
	handle := func(loc inputLoc, err error) error {
		var ie *inputError
		if errors.As(err, &ie) {
			return onErr(loc, ie.err)
		}
		return err
	}
	if len(args) > 0 {
		for i, a := range args {
			if err := do(a); err != nil {
				if err := handle(inputLoc{Arg: i + 1}, err); err != nil {
					return err
				}
			}
		}
		return nil
	}
	br := bufio.NewReaderSize(env.Stdin, 64<<10)
	var long []byte
	for line := 1; ; line++ {
		b, size, err := readLine(br, &long)
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading stdin line %d: %w", line, err)
		}
		if size == 0 && err == io.EOF {
			return nil
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		b = bytes.TrimSuffix(b, []byte("\r"))
		loc := inputLoc{Line: line}
		var derr error
		switch {
		case size > maxLineBytes:
			derr = &inputError{fmt.Errorf("the line is %d bytes, longer than the %d (4 MiB) read per input; it was skipped", size, maxLineBytes)}
		case jsonl && len(bytes.TrimSpace(b)) == 0:
		case jsonl:
			var rec struct {
				Text *string `json:"text"`
			}
			if jerr := json.Unmarshal(b, &rec); jerr != nil || rec.Text == nil {
				why := "no \"text\" string"
				if jerr != nil {
					why = jerr.Error()
				}
				derr = &inputError{fmt.Errorf("want a JSON object with a \"text\" string, like {\"text\": \"turn on the lights\"} (%s)", why)}
			} else {
				derr = do(*rec.Text)
			}
		default:
			derr = do(string(b))
		}
		if derr != nil {
			if herr := handle(loc, derr); herr != nil {
				return herr
			}
		}
		if n := br.Buffered(); n == 0 || !hasNewline(br, n) {
			if ferr := flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

func hasNewline(br *bufio.Reader, n int) bool {
	b, _ := br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

// readLine returns the next line without its '\n' and its length in bytes. A line longer
// than maxLineBytes is consumed to its end but not kept (size says how long it was). long
// is scratch reused between calls. At the end of the input it returns io.EOF, with the last
// line if it had no newline.
func readLine(br *bufio.Reader, long *[]byte) (line []byte, size int, err error) {
	*long = (*long)[:0]
	for {
		frag, err := br.ReadSlice('\n')
		size += len(frag)
		if size <= maxLineBytes+1 {
			if need := len(*long) + len(frag); need > cap(*long) {
				// Double (append grows large slices by 1.25x: 5x the line in garbage).
				grown := make([]byte, len(*long), min(max(2*cap(*long), need), maxLineBytes+1))
				copy(grown, *long)
				*long = grown
			}
			*long = append(*long, frag...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return bytes.TrimSuffix(*long, []byte("\n")), size - 1, nil
		default:
			return *long, size, err
		}
	}
}
