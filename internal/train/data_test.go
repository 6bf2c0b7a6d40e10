package train

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
)

func TestReadExamplesCSV(t *testing.T) {
	in := "label,text\n" +
		"0,former versace store clerk sues over secret 'black code' for minority shoppers\n" +
		"1,\"boehner just wants wife to listen, not come up with alternative debt-reduction ideas\"\n" +
		"1,\"a \"\"quoted\"\" word\nand a newline\"\r\n" +
		"urgent,plain\n"
	got, err := ReadExamples(strings.NewReader(in), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{
		{"0", "former versace store clerk sues over secret 'black code' for minority shoppers"},
		{"1", "boehner just wants wife to listen, not come up with alternative debt-reduction ideas"},
		{"1", "a \"quoted\" word\nand a newline"},
		{"urgent", "plain"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestReadExamplesJSONL(t *testing.T) {
	in := `{"label": 1, "text": "a"}

{"is_sarcastic": 0, "headline": "b", "article_link": "x"}
{"label": true, "sentence": "c"}
{"label": "urgent", "text": " d "}
`
	got, err := ReadExamples(strings.NewReader(in), "t.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{{"1", "a"}, {"0", "b"}, {"1", "c"}, {"urgent", "d"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadExamplesErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":           "",
		"three fields":    "0,a,b\n",
		"one field":       "0\n",
		"empty label":     " ,text\n",
		"bad quote":       "0,\"unterminated\n",
		"jsonl no text":   `{"label": 1}`,
		"jsonl no label":  `{"text": "a"}`,
		"jsonl bad label": `{"label": [1], "text": "a"}`,
		"jsonl not json":  "{nope\n",
		"header only":     "label,text\n",
	} {
		if _, err := ReadExamples(strings.NewReader(in), name); err == nil {
			t.Errorf("%s: no error for %q", name, in)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the input", name, err)
		}
	}
}

func TestLabels(t *testing.T) {
	l, err := NewLabels([]Example{{"1", ""}, {"0", ""}, {"2", ""}})
	if err != nil || l.Classes() != 3 {
		t.Fatalf("numeric labels: %v %v", l, err)
	}
	if i, _ := l.Index("2"); i != 2 {
		t.Errorf("label 2 -> %d", i)
	}
	l, err = NewLabels([]Example{{"urgent", ""}, {"routine", ""}})
	if err != nil || !reflect.DeepEqual(l.Names, []string{"routine", "urgent"}) {
		t.Fatalf("named labels: %v %v", l, err)
	}
	if _, err := l.Index("other"); err == nil {
		t.Error("unknown label accepted")
	}
	if _, err := NewLabels([]Example{{"1", ""}, {"1", ""}}); err == nil {
		t.Error("a single class accepted")
	}
}

// FuzzReadExamples: the reader never panics, and what it accepts as CSV survives being
// written back with encoding/csv and read again.
func FuzzReadExamples(f *testing.F) {
	for _, s := range []string{
		"0,hello\n1,\"a, b\"\n",
		"label,text\n1,x\n",
		`{"label":1,"text":"a"}` + "\n",
		`{"is_sarcastic":true,"headline":"h"}`,
		"1,\"a \"\"b\"\"\"\r\n",
		"\xef\xbb\xbf0,bom\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := ReadExamples(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if len(ex) == 0 {
			t.Fatal("no examples and no error")
		}
		for _, e := range ex {
			if e.Label == "" {
				t.Fatal("empty label accepted")
			}
		}
		trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
		if len(trimmed) > 0 && trimmed[0] == '{' {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		for _, e := range ex {
			w.Write([]string{e.Label, e.Text})
		}
		w.Flush()
		if strings.EqualFold(ex[0].Label, "label") && strings.EqualFold(ex[0].Text, "text") {
			return // would now read as a header
		}
		if b := bytes.TrimLeft(buf.Bytes(), " \t\r\n"); len(b) > 0 && b[0] == '{' {
			return // would now read as JSON Lines
		}
		again, err := ReadExamples(&buf, "again")
		if err != nil {
			t.Fatalf("re-reading written CSV: %v", err)
		}
		if len(again) != len(ex) {
			t.Fatalf("round trip: %d examples, then %d", len(ex), len(again))
		}
		for i := range ex {
			// encoding/csv normalises \r\n inside quoted fields to \n
			if again[i].Label != ex[i].Label || strings.ReplaceAll(again[i].Text, "\r\n", "\n") != strings.ReplaceAll(ex[i].Text, "\r\n", "\n") {
				t.Fatalf("round trip %d: %q then %q", i, ex[i], again[i])
			}
		}
	})
}
