package eval

import (
	"bytes"
	"testing"
)

// FuzzEvalInput: the data reader and the --rows parser never panic, and what they accept is
// coherent (classes in range, bounds inside the rows).
func FuzzEvalInput(f *testing.F) {
	f.Add([]byte("is_sarcastic,headline\n1,\"a, b\"\n0,c\n"), "20000:")
	f.Add([]byte(`{"headline":"a","is_sarcastic":true}`+"\n"), "-1:")
	f.Add([]byte("spam,x\nham,y\n"), ":3")
	f.Fuzz(func(t *testing.T, data []byte, rows string) {
		labels := []string{"ham", "spam", "eggs"}
		rs, err := ReadRows(bytes.NewReader(data), "fuzz", labels)
		if err == nil {
			for _, r := range rs {
				if r.Label < 0 || r.Label >= len(labels) {
					t.Fatalf("class %d accepted", r.Label)
				}
			}
		}
		rg, err := ParseRange(rows)
		if err != nil {
			return
		}
		for _, n := range []int{0, 1, 7, len(rs)} {
			lo, hi := rg.Bounds(n)
			if lo < 0 || hi > n || lo > hi {
				t.Fatalf("%q over %d rows: [%d:%d]", rows, n, lo, hi)
			}
		}
	})
}
