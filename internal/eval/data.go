package eval

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/internal/train"
)

// Row is one labelled text.
type Row struct {
	Label int // class index
	Text  string
}

// ReadRows reads labelled rows with train.ReadExamples and maps each label to a class of a
// model with the given labels (see the package doc); name is used in messages.
func ReadRows(r io.Reader, name string, labels []string) ([]Row, error) {
	ex, err := train.ReadExamples(r, name)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	n := max(len(labels), 2)
	// A header (is_sarcastic,headline): a first row whose label is no class of the model and,
	// as train.SplitHeader decides, the label of no other row.
	if rest, h := train.SplitHeader(ex); h != nil {
		if _, ok := classOf(h.Label, labels, n); !ok {
			ex = rest
		}
	}
	rows := make([]Row, 0, len(ex))
	for i, e := range ex {
		c, ok := classOf(e.Label, labels, n)
		if !ok {
			return nil, fmt.Errorf("eval: %s record %d: label %q is neither a class index in [0, %d) nor one of the model's labels %q; check that the data belongs to this model", name, i+1, e.Label, n, labels)
		}
		rows = append(rows, Row{Label: c, Text: e.Text})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("eval: %s has no labelled rows", name)
	}
	return rows, nil
}

func classOf(s string, labels []string, n int) (int, bool) {
	s = strings.TrimSpace(s)
	if v, err := strconv.Atoi(s); err == nil {
		return v, v >= 0 && v < n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < float64(n) && f == float64(int(f)) {
		return int(f), true // 1.0 as pandas writes it
	}
	for i, l := range labels {
		if l != "" && s == l {
			return i, true
		}
	}
	return 0, false
}

// Range is a Python-style slice [Lo:Hi] of the data rows; HasLo/HasHi false mean an omitted
// bound.
type Range struct {
	Lo, Hi       int
	HasLo, HasHi bool
	spec         string
}

// ParseRange parses "A:B", "A:", ":B" or ":" (see the package doc). The empty string selects
// every row.
func ParseRange(s string) (Range, error) {
	r := Range{spec: s}
	if s == "" {
		return r, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return r, fmt.Errorf("eval: --rows %q: want A:B (Python slice bounds, e.g. 20000: or 0:500)", s)
	}
	var err error
	if a = strings.TrimSpace(a); a != "" {
		if r.Lo, err = strconv.Atoi(a); err != nil {
			return r, fmt.Errorf("eval: --rows %q: %q is not an integer; want A:B, e.g. 20000:", s, a)
		}
		r.HasLo = true
	}
	if b = strings.TrimSpace(b); b != "" {
		if r.Hi, err = strconv.Atoi(b); err != nil {
			return r, fmt.Errorf("eval: --rows %q: %q is not an integer; want A:B, e.g. 0:500", s, b)
		}
		r.HasHi = true
	}
	return r, nil
}

// Bounds resolves the range over n rows as Python's slice.indices does (step 1).
func (r Range) Bounds(n int) (lo, hi int) {
	norm := func(v, def int, has bool) int {
		if !has {
			return def
		}
		if v < 0 {
			v += n
		}
		return min(max(v, 0), n)
	}
	lo, hi = norm(r.Lo, 0, r.HasLo), norm(r.Hi, n, r.HasHi)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Select returns rows[r], or an error when the selection is empty.
func (r Range) Select(rows []Row) ([]Row, int, error) {
	lo, hi := r.Bounds(len(rows))
	if lo == hi {
		return nil, 0, fmt.Errorf("eval: --rows %s selects no rows of the %d in the data", r.spec, len(rows))
	}
	return rows[lo:hi], lo, nil
}
