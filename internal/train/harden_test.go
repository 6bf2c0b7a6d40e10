package train

import (
	"fmt"
	"strings"
	"testing"
)

func csvRows(header string, labels ...string) string {
	var b strings.Builder
	if header != "" {
		b.WriteString(header + "\n")
	}
	for i, l := range labels {
		fmt.Fprintf(&b, "%s,text number %d\n", l, i)
	}
	return b.String()
}

// Issue 11, item 6: the v2 CSV header is_sarcastic,headline became a third class.
func TestNonNumericFirstRowIsHeader(t *testing.T) {
	for _, header := range []string{"is_sarcastic,headline", "label,text", "category,message"} {
		ex, err := ReadExamples(strings.NewReader(csvRows(header, "0", "1", "1", "0")), "d.csv")
		if err != nil {
			t.Fatal(err)
		}
		ex, h := SplitHeader(ex)
		if h == nil && header != "label,text" {
			t.Errorf("header %q not recognised", header)
		}
		if len(ex) != 4 || ex[0].Label != "0" {
			t.Errorf("header %q: %d examples, first %+v", header, len(ex), ex[0])
		}
		l, err := NewLabels(ex)
		if err != nil || l.Classes() != 2 {
			t.Errorf("header %q: %v classes, %v", header, l, err)
		}
	}
	// Named labels: a first row whose label occurs again is data.
	ex, _ := ReadExamples(strings.NewReader(csvRows("", "spam", "ham", "spam")), "d.csv")
	if ex, h := SplitHeader(ex); len(ex) != 3 || h != nil {
		t.Errorf("named labels: %d examples, want 3", len(ex))
	}
}

func TestEmptyAndAbsurdClassesRefused(t *testing.T) {
	mk := func(labels ...string) []Example {
		var ex []Example
		for _, l := range labels {
			ex = append(ex, Example{Label: l, Text: "x"})
		}
		return ex
	}
	rows := func(n int, l string) []string { return strings.Split(strings.Repeat(l+" ", n)[:2*n-1], " ") }
	for _, c := range []struct {
		name string
		ex   []Example
		want []string
	}{
		{"labels 1 and 2", mk("1", "2", "1", "2"), []string{"class 0", "no examples", "1 (2 rows)", "2 (2 rows)"}},
		{"one typo 60000 in 1000 rows", mk(append(append(rows(500, "0"), rows(499, "1")...), "60000")...), []string{"60000 (1 rows)", "60001 classes", "more than the 1000"}},
		{"typo 5 among 0/1", mk("0", "1", "0", "1", "5"), []string{"class 2..4", "5 (1 rows)"}},
	} {
		_, err := NewLabels(c.ex)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v lacks %q", c.name, err, w)
			}
		}
	}
	var many []string
	for i := 0; i < 1001; i++ {
		many = append(many, fmt.Sprintf("w%d", i))
	}
	if _, err := NewLabels(mk(many...)); err == nil || !strings.Contains(err.Error(), "1001 classes") {
		t.Errorf("1001 named classes: %v", err)
	}
}
