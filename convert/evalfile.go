package convert

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/edgewatt/edgewatt/internal/safeio"
)

// EvalRow is one labelled text of an --eval file.
type EvalRow struct {
	Label int // index into the model's labels
	Text  string
}

// MaxEvalRows bounds the rows read from an --eval or --calib file.
const MaxEvalRows = 1 << 22

// ReadEvalFile reads labelled rows for the accuracy report: a CSV (RFC 4180, as written by
// Python's csv module and pandas) with two fields per row, label then text, as in
// ../shared/fixtures/sarcasm-headlines-v1-csv, or JSON Lines as `edgewatt train` reads them
// (one object a line with a "text", "headline" or "sentence" string and a "label" or
// "is_sarcastic" string, number or boolean; chosen when the first non-blank byte is '{').
// A label is a class index (0, 1, ...) or one of the model's label names. A first CSV row
// whose label is neither is taken as a header and skipped (is_sarcastic,headline).
func ReadEvalFile(path string, labels []string) ([]EvalRow, error) {
	data, err := readInput(path, "--eval", safeio.MaxTextFile)
	if err != nil {
		return nil, err
	}
	rows, err := ParseEval(data, labels)
	if err != nil {
		return nil, fmt.Errorf("convert: --eval %s: %w", path, err)
	}
	return rows, nil
}

// ParseEval parses the contents of an --eval file (see ReadEvalFile). A label is checked
// against labels, or against 0 and 1 when there are fewer than two.
func ParseEval(data []byte, labels []string) ([]EvalRow, error) {
	n := max(len(labels), 2)
	if t := bytes.TrimLeft(trimBOM(data), " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return parseEvalJSONL(t, labels, n)
	}
	var rows []EvalRow
	err := readCSV(data, func(rec, line int, f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("line %d: %d fields, want 2 (label,text); quote texts that contain commas", line, len(f))
		}
		lab, ok := parseLabel(f[0], labels, n)
		if !ok {
			if _, numErr := strconv.ParseFloat(strings.TrimSpace(f[0]), 64); rec == 0 && numErr != nil {
				return nil // header: a first label that is not a number nor a label name
			}
			return fmt.Errorf("line %d: label %q is neither a class index in [0, %d) nor one of the model's labels %q", line, f[0], n, labels)
		}
		if !utf8.ValidString(f[1]) {
			return fmt.Errorf("line %d: text is not valid UTF-8", line)
		}
		if len(rows) >= MaxEvalRows {
			return fmt.Errorf("more than %d rows", MaxEvalRows)
		}
		rows = append(rows, EvalRow{Label: lab, Text: f[1]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no labelled rows (want CSV label,text)")
	}
	return rows, nil
}

// parseEvalJSONL parses JSON Lines eval rows (see ReadEvalFile).
func parseEvalJSONL(data []byte, labels []string, n int) ([]EvalRow, error) {
	var rows []EvalRow
	for line, b := range bytes.Split(data, []byte("\n")) {
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, fmt.Errorf("line %d: not a JSON object (%v); want {\"label\": 1, \"text\": \"...\"} per line", line+1, err)
		}
		var text *string
		for _, k := range []string{"text", "headline", "sentence"} {
			if raw, ok := obj[k]; ok {
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					return nil, fmt.Errorf("line %d: %q is not a string", line+1, k)
				}
				text = &s
				break
			}
		}
		if text == nil {
			return nil, fmt.Errorf("line %d: no \"text\" (or \"headline\", \"sentence\") string", line+1)
		}
		lab, found := "", false
		for _, k := range []string{"label", "is_sarcastic"} {
			raw, ok := obj[k]
			if !ok {
				continue
			}
			var s string
			var num json.Number
			var bl bool
			switch {
			case json.Unmarshal(raw, &s) == nil:
				lab = s
			case json.Unmarshal(raw, &num) == nil:
				lab = num.String()
			case json.Unmarshal(raw, &bl) == nil:
				lab = map[bool]string{false: "0", true: "1"}[bl]
			default:
				return nil, fmt.Errorf("line %d: %q is neither a string, a number nor a boolean", line+1, k)
			}
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("line %d: no \"label\" (or \"is_sarcastic\")", line+1)
		}
		c, ok := parseLabel(lab, labels, n)
		if !ok {
			return nil, fmt.Errorf("line %d: label %q is neither a class index in [0, %d) nor one of the model's labels %q", line+1, lab, n, labels)
		}
		if len(rows) >= MaxEvalRows {
			return nil, fmt.Errorf("more than %d rows", MaxEvalRows)
		}
		rows = append(rows, EvalRow{Label: c, Text: *text})
	}
	if len(rows) == 0 {
		return nil, errors.New("no labelled rows")
	}
	return rows, nil
}

// readCSV calls fn for each record of RFC 4180 CSV data with its index among the
// non-blank records (0 is the header, if there is one) and its line number. A UTF-8
// byte-order mark (Excel, pandas' encoding="utf-8-sig") is skipped, and so are records
// that are a single blank field.
func readCSV(data []byte, fn func(rec, line int, f []string) error) error {
	r := csv.NewReader(bytes.NewReader(trimBOM(data)))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	for rec := 0; ; {
		f, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w (quote texts that contain commas or quotes)", err)
		}
		if len(f) == 1 && strings.TrimSpace(f[0]) == "" {
			continue
		}
		line, _ := r.FieldPos(0)
		if err := fn(rec, line, f); err != nil {
			return err
		}
		rec++
	}
}

// trimBOM drops a leading UTF-8 byte-order mark.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

func parseLabel(s string, labels []string, n int) (int, bool) {
	s = strings.TrimSpace(s)
	if v, err := strconv.Atoi(s); err == nil {
		return v, v >= 0 && v < n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) && f >= 0 && int(f) < n {
		return int(f), true // 1.0 from pandas
	}
	for i, l := range labels {
		if l != "" && s == l {
			return i, true
		}
	}
	return 0, false
}

// textColumns are header names taken as the text column of a --calib CSV.
var textColumns = []string{"text", "headline", "sentence", "review", "comment", "content", "message", "title"}

// ReadCalibFile reads calibration texts: a file ending in .csv is CSV (RFC 4180) and its text
// column is used (the column whose header is text, headline, sentence, ... when the first row
// is a header, else the last column, so label,text rows work); any other file holds one text
// per line. Empty texts are skipped.
func ReadCalibFile(path string) ([]string, error) {
	data, err := readInput(path, "--calib", safeio.MaxTextFile)
	if err != nil {
		return nil, err
	}
	texts, err := ParseCalib(data, strings.HasSuffix(strings.ToLower(path), ".csv"))
	if err != nil {
		return nil, fmt.Errorf("convert: --calib %s: %w", path, err)
	}
	return texts, nil
}

// ParseCalib parses the contents of a --calib file (see ReadCalibFile).
func ParseCalib(data []byte, isCSV bool) ([]string, error) {
	var texts []string
	add := func(s string, line int) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("line %d: text is not valid UTF-8", line)
		}
		if len(texts) >= MaxEvalRows {
			return fmt.Errorf("more than %d texts", MaxEvalRows)
		}
		texts = append(texts, s)
		return nil
	}
	if !isCSV {
		sc := bufio.NewScanner(bytes.NewReader(trimBOM(data)))
		sc.Buffer(nil, 1<<20)
		line := 1
		for ; sc.Scan(); line++ {
			if err := add(strings.TrimSuffix(sc.Text(), "\r"), line); err != nil {
				return nil, err
			}
		}
		if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d is longer than 1 MiB; give one text per line (or a .csv file)", line)
		} else if err != nil {
			return nil, err
		}
	} else {
		col := -1
		err := readCSV(data, func(rec, line int, f []string) error {
			if rec == 0 {
				for i, h := range f {
					for _, name := range textColumns {
						if strings.EqualFold(strings.TrimSpace(h), name) {
							col = i
						}
					}
				}
				if col >= 0 {
					return nil // header
				}
			}
			c := col
			if c < 0 {
				c = len(f) - 1
			}
			if c >= len(f) {
				return fmt.Errorf("line %d: %d fields, no text column %d", line, len(f), c+1)
			}
			return add(f[c], line)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(texts) == 0 {
		return nil, errors.New("no texts")
	}
	return texts, nil
}
