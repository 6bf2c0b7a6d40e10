package train

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Example is one labelled text.
type Example struct {
	Label string
	Text  string
}

// maxDataBytes bounds what ReadExamples accepts, so a wrong file fails fast instead of
// exhausting memory.
const maxDataBytes = 1 << 30

// ReadExamples reads labelled texts from CSV or JSON Lines; name is only used in messages.
//
// CSV (RFC 4180 quoting, as Python's csv module writes it) has two fields per record,
// label then text; a first record "label,text" (any case) is a header and is skipped.
// JSON Lines has one object per line with a "text" (or "headline" or "sentence") string
// and a "label" (or "is_sarcastic") string, number or boolean; blank lines are skipped.
// The format is chosen by the first non-blank byte: '{' means JSON Lines.
func ReadExamples(r io.Reader, name string) ([]Example, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("train: reading %s: %w", name, err)
	}
	if len(data) > maxDataBytes {
		return nil, fmt.Errorf("train: %s is larger than %d bytes; split it or sample it", name, maxDataBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	var ex []Example
	if len(trimmed) > 0 && trimmed[0] == '{' {
		ex, err = readJSONL(data, name)
	} else {
		ex, err = readCSV(data, name)
	}
	if err != nil {
		return nil, err
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("train: %s has no examples; expected CSV lines 'label,text' or JSON lines {\"label\":…,\"text\":…}", name)
	}
	return ex, nil
}

func readCSV(data []byte, name string) ([]Example, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var out []Example
	for rec := 0; ; rec++ {
		f, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("train: %s is not valid CSV: %w; quote fields that contain commas, quotes or newlines (\"...\" with \"\" for a quote)", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(f) != 2 {
			return nil, fmt.Errorf("train: %s line %d has %d fields, want 2 (label,text); quote the text if it contains commas", name, line, len(f))
		}
		if rec == 0 && strings.EqualFold(strings.TrimSpace(f[0]), "label") && strings.EqualFold(strings.TrimSpace(f[1]), "text") {
			continue
		}
		label := strings.TrimSpace(f[0])
		if label == "" {
			return nil, fmt.Errorf("train: %s line %d has an empty label", name, line)
		}
		out = append(out, Example{Label: label, Text: f[1]})
	}
}

func readJSONL(data []byte, name string) ([]Example, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), maxDataBytes)
	var out []Example
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, fmt.Errorf("train: %s line %d is not a JSON object: %v", name, line, err)
		}
		text, ok, err := jsonField(obj, false, "text", "headline", "sentence")
		if err != nil || !ok {
			return nil, fmt.Errorf("train: %s line %d: want a string field \"text\" (or \"headline\", \"sentence\")%s", name, line, errSuffix(err))
		}
		label, ok, err := jsonField(obj, true, "label", "is_sarcastic")
		if err != nil || !ok || label == "" {
			return nil, fmt.Errorf("train: %s line %d: want a non-empty \"label\" (or \"is_sarcastic\") string, number or boolean%s", name, line, errSuffix(err))
		}
		out = append(out, Example{Label: label, Text: text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("train: reading %s: %w", name, err)
	}
	return out, nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

// jsonField returns the first of keys present in obj as a string; labels may also be
// numbers (kept as written) or booleans (0/1).
func jsonField(obj map[string]json.RawMessage, label bool, keys ...string) (string, bool, error) {
	for _, k := range keys {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return strings.TrimSpace(s), true, nil
		}
		if !label {
			return "", false, fmt.Errorf("%q is not a string", k)
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			return n.String(), true, nil
		}
		var bl bool
		if err := json.Unmarshal(raw, &bl); err == nil {
			if bl {
				return "1", true, nil
			}
			return "0", true, nil
		}
		return "", false, fmt.Errorf("%q is neither a string, a number nor a boolean", k)
	}
	return "", false, nil
}

// SplitHeader returns ex without its first example when that is a CSV header read as data
// (is_sarcastic,headline; category,message): its label is not an integer and is the label
// of no other example, a class of one row that no dataset means. header is the dropped
// example, or nil.
func SplitHeader(ex []Example) (rest []Example, header *Example) {
	if len(ex) == 0 {
		return ex, nil
	}
	if _, err := strconv.Atoi(ex[0].Label); err == nil {
		return ex, nil
	}
	for _, e := range ex[1:] {
		if e.Label == ex[0].Label {
			return ex, nil
		}
	}
	return ex[1:], &ex[0]
}

// Labels maps label strings to class indices. When every label is an integer 0..K-1 the
// integers are the classes (what Keras would be given); otherwise the distinct labels in
// byte order are classes 0, 1, … .
type Labels struct {
	Names []string // Names[i] is the label of class i
	index map[string]int
}

// NewLabels builds the label map from the training examples.
func NewLabels(ex []Example) (*Labels, error) {
	seen := map[string]bool{}
	for _, e := range ex {
		seen[e.Label] = true
	}
	if len(seen) < 2 {
		return nil, fmt.Errorf("train: the training data has %d distinct label(s); a classifier needs at least 2", len(seen))
	}
	l := &Labels{index: map[string]int{}}
	numeric := true
	maxN := -1
	for s := range seen {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			numeric = false
			break
		}
		maxN = max(maxN, n)
	}
	if numeric && maxN >= MaxClasses {
		// Do not allocate maxN+1 classes to say so.
		counts := map[string]int{}
		for _, e := range ex {
			counts[e.Label]++
		}
		var names []string
		for s := range counts {
			names = append(names, s)
		}
		slices.SortFunc(names, func(a, b string) int {
			if d := counts[a] - counts[b]; d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		var parts []string
		for i, s := range names {
			if i == 12 {
				parts = append(parts, fmt.Sprintf("... (%d labels)", len(names)))
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%d rows)", s, counts[s]))
		}
		return nil, fmt.Errorf("train: numeric label %d would make %d classes, more than the %d edgewatt trains (most of them empty); labels seen, rarest first: %s; fix the typo or number classes 0..K-1", maxN, maxN+1, MaxClasses, strings.Join(parts, ", "))
	}
	if numeric {
		l.Names = make([]string, maxN+1)
		for i := range l.Names {
			l.Names[i] = strconv.Itoa(i)
		}
		for s := range seen {
			n, _ := strconv.Atoi(s)
			l.index[s] = n // "01" and "1" are both class 1
		}
		if err := l.checkCounts(ex); err != nil {
			return nil, err
		}
		return l, nil
	}
	for s := range seen {
		l.Names = append(l.Names, s)
	}
	slices.Sort(l.Names)
	for i, s := range l.Names {
		l.index[s] = i
	}
	if err := l.checkCounts(ex); err != nil {
		return nil, err
	}
	return l, nil
}

// MaxClasses bounds the classes a training run makes: far more than any text classifier
// for a board needs, far fewer than a typo in a numeric label column makes.
const MaxClasses = 1000

// Counts returns the number of examples of each class (examples whose label is unknown
// are not counted).
func (l *Labels) Counts(ex []Example) []int {
	n := make([]int, len(l.Names))
	for _, e := range ex {
		if i, ok := l.index[e.Label]; ok {
			n[i]++
		}
	}
	return n
}

// checkCounts refuses classes without examples (numeric labels 1 and 2 made a class 0 with
// none; one typo 60000 made 60,001 classes) and more than MaxClasses classes, naming the
// labels and their row counts.
func (l *Labels) checkCounts(ex []Example) error {
	counts := l.Counts(ex)
	var empty []int
	for i, c := range counts {
		if c == 0 {
			empty = append(empty, i)
		}
	}
	seen := func() string {
		type lc struct {
			name string
			n    int
		}
		var all []lc
		for i, c := range counts {
			if c > 0 {
				all = append(all, lc{l.Names[i], c})
			}
		}
		// Rarest first: that is where typos are.
		slices.SortStableFunc(all, func(a, b lc) int { return a.n - b.n })
		var parts []string
		for i, x := range all {
			if i == 12 {
				parts = append(parts, fmt.Sprintf("... (%d labels)", len(all)))
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%d rows)", x.name, x.n))
		}
		return strings.Join(parts, ", ")
	}
	if len(empty) > 0 {
		return fmt.Errorf("train: numeric labels make classes 0..%d, and %d of them have no examples (%s); labels seen, rarest first: %s. Number classes 0..K-1 as Keras expects, fix the typo, or use label names", len(l.Names)-1, len(empty), ranges(empty), seen())
	}
	if len(l.Names) > MaxClasses {
		return fmt.Errorf("train: %d classes, more than the %d edgewatt trains; is the first column the label? labels seen, rarest first: %s", len(l.Names), MaxClasses, seen())
	}
	return nil
}

// ranges writes sorted ints as "0, 3..59999".
func ranges(xs []int) string {
	var parts []string
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d..%d", xs[i], xs[j]))
		} else {
			parts = append(parts, strconv.Itoa(xs[i]))
		}
		i = j + 1
	}
	return "class " + strings.Join(parts, ", ")
}

// Classes is the number of classes.
func (l *Labels) Classes() int { return len(l.Names) }

// Index returns the class of a label, or an error naming the known labels.
func (l *Labels) Index(label string) (int, error) {
	i, ok := l.index[label]
	if !ok {
		return 0, fmt.Errorf("label %q does not occur in the training data (labels: %s)", label, strings.Join(l.Names, ", "))
	}
	return i, nil
}
