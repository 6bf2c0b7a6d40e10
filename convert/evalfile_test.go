package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEval(t *testing.T) {
	data := "is_sarcastic,headline\n1,\"a, quoted \"\"headline\"\"\"\n0,plain one\n\n1.0,pandas float label\nyes,by name\n"
	rows, err := ParseEval([]byte(data), []string{"no", "yes"})
	if err != nil {
		t.Fatal(err)
	}
	want := []EvalRow{{1, `a, quoted "headline"`}, {0, "plain one"}, {1, "pandas float label"}, {1, "by name"}}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Fatalf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	for _, bad := range []string{
		"",                   // no rows
		"0,a\n2,b\n",         // label out of range (not the first row, so not a header)
		"0,a\nmaybe,b\n",     // unknown label
		"0,a,b\n",            // three fields
		"0,\"unterminated\n", // bad quoting
		"0,\xff\xfe\n",       // not UTF-8
		"label,text\n",       // header only
		"2,a\n0,b\n",         // a first row with a bad numeric label is data, not a header
	} {
		if _, err := ParseEval([]byte(bad), []string{"no", "yes"}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseCalib(t *testing.T) {
	lines, err := ParseCalib([]byte("first text\r\n\n  \nsecond, with comma\n"), false)
	if err != nil || len(lines) != 2 || lines[0] != "first text" || lines[1] != "second, with comma" {
		t.Fatalf("lines %q %v", lines, err)
	}
	// CSV with a header naming the text column.
	c, err := ParseCalib([]byte("headline,is_sarcastic\n\"x, y\",1\nz,0\n"), true)
	if err != nil || len(c) != 2 || c[0] != "x, y" || c[1] != "z" {
		t.Fatalf("csv header %q %v", c, err)
	}
	// Headerless label,text: the last column.
	c, err = ParseCalib([]byte("0,former versace store clerk\n1,\"mom, son\"\n"), true)
	if err != nil || len(c) != 2 || c[1] != "mom, son" {
		t.Fatalf("csv label,text %q %v", c, err)
	}
	for _, bad := range []struct {
		s   string
		csv bool
	}{{"", false}, {"\n\n", false}, {"a\xff\n", false}, {"0,\"open\n", true}, {"text,label\n", true}} {
		if _, err := ParseCalib([]byte(bad.s), bad.csv); err == nil {
			t.Errorf("%q (csv %v) accepted", bad.s, bad.csv)
		}
	}
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	ev := filepath.Join(dir, "eval.csv")
	cal := filepath.Join(dir, "calib.CSV")
	txt := filepath.Join(dir, "calib.txt")
	os.WriteFile(ev, []byte("0,a\n1,b\n"), 0o644)
	os.WriteFile(cal, []byte("0,a\n1,b\n"), 0o644)
	os.WriteFile(txt, []byte("0,a\n1,b\n"), 0o644)
	if rows, err := ReadEvalFile(ev, []string{"0", "1"}); err != nil || len(rows) != 2 {
		t.Fatalf("eval %v %v", rows, err)
	}
	if c, err := ReadCalibFile(cal); err != nil || strings.Join(c, "|") != "a|b" {
		t.Fatalf("csv calib %q %v", c, err)
	}
	if c, err := ReadCalibFile(txt); err != nil || strings.Join(c, "|") != "0,a|1,b" {
		t.Fatalf("text calib %q %v", c, err)
	}
	if _, err := ReadEvalFile(filepath.Join(dir, "none"), nil); err == nil {
		t.Fatal("missing file accepted")
	}
}

func FuzzParseEval(f *testing.F) {
	f.Add([]byte("0,a\n1,\"b, c\"\n"))
	f.Add([]byte("is_sarcastic,headline\n1,x\n"))
	f.Add([]byte("yes,\"q\"\"q\"\n"))
	f.Add([]byte(`{"headline":"a","is_sarcastic":true}` + "\n" + `{"text":"b","label":"no"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseEval(data, []string{"no", "yes"})
		if err != nil {
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows without an error")
		}
		for _, r := range rows {
			if r.Label < 0 || r.Label > 1 {
				t.Fatalf("label %d out of range", r.Label)
			}
		}
	})
}

func FuzzParseCalib(f *testing.F) {
	f.Add([]byte("a text\nanother\n"), false)
	f.Add([]byte("headline,label\n\"x,y\",1\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, isCSV bool) {
		texts, err := ParseCalib(data, isCSV)
		if err != nil {
			return
		}
		if len(texts) == 0 {
			t.Fatal("no texts without an error")
		}
		for _, s := range texts {
			if strings.TrimSpace(s) == "" {
				t.Fatal("empty text kept")
			}
		}
	})
}

// Files saved by Excel or pandas' to_csv(encoding="utf-8-sig") start with a byte-order mark.
// It used to stick to the first field: a headerless --eval file lost its first row (taken as
// a header), a --calib header was not recognised, a labels file got "\ufeffham".
func TestByteOrderMark(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	rows, err := ParseEval([]byte(bom+"1,first\n0,second\n"), []string{"no", "yes"})
	if err != nil || len(rows) != 2 || rows[0] != (EvalRow{1, "first"}) {
		t.Errorf("eval with BOM: %+v %v", rows, err)
	}
	texts, err := ParseCalib([]byte(bom+"headline,is_sarcastic\nx,1\n"), true)
	if err != nil || len(texts) != 1 || texts[0] != "x" {
		t.Errorf("calib CSV with BOM: %q %v", texts, err)
	}
	texts, err = ParseCalib([]byte(bom+"first\nsecond\n"), false)
	if err != nil || len(texts) != 2 || texts[0] != "first" {
		t.Errorf("calib lines with BOM: %q %v", texts, err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"l.txt": bom + "ham\nspam\n", "l.json": bom + `["ham","spam"]`} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if l, err := readLabelsFile(p); err != nil || len(l) != 2 || l[0] != "ham" {
			t.Errorf("%s with BOM: %q %v", name, l, err)
		}
	}
}

func TestCalibLineTooLong(t *testing.T) {
	_, err := ParseCalib([]byte("ok\n"+strings.Repeat("x", 2<<20)+"\n"), false)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

// convert --eval reads JSON Lines as train does: text/headline/sentence, label/is_sarcastic
// as string, number or boolean, labels by index or name.
func TestParseEvalJSONL(t *testing.T) {
	data := "\xef\xbb\xbf" + `{"headline":"a, b","is_sarcastic":1,"article_link":"x"}` + "\n\n" +
		`{"text":"c","label":"yes"}` + "\r\n" + `{"sentence":"d","label":false}` + "\n" + `{"text":"e","label":1.0}`
	rows, err := ParseEval([]byte(data), []string{"no", "yes"})
	if err != nil {
		t.Fatal(err)
	}
	want := []EvalRow{{1, "a, b"}, {1, "c"}, {0, "d"}, {1, "e"}}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d %+v, want %+v", i, rows[i], want[i])
		}
	}
	for _, bad := range []string{`{"text":"a"}`, `{"label":1}`, `{"text":1,"label":1}`, `{"text":"a","label":2}`, `{"text":"a","label":[1]}`, "{\"text\":\"a\",\"label\":1}\n{oops"} {
		if _, err := ParseEval([]byte(bad), []string{"no", "yes"}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
