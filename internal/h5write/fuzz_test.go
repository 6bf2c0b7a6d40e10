package h5write

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/edgewatt/edgewatt/internal/third_party/hdf5"
)

// FuzzRoundTrip builds a group of float32 datasets and string attributes from fuzz input
// and reads it back with scigolib/hdf5: names, order-insensitive membership and values
// must survive. Invalid names must be refused by Bytes, never written.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("dense\x00kernel:0\x00bias:0"), []byte{1, 2, 3, 4, 5, 6, 7, 8}, "2.4.0")
	f.Add([]byte("a\x00b\x00c\x00d\x00e\x00f\x00g\x00h\x00i\x00j"), []byte{0, 0, 128, 63}, "")
	f.Fuzz(func(t *testing.T, names, raw []byte, text string) {
		var list []string
		start := 0
		for i := 0; i <= len(names); i++ {
			if i == len(names) || names[i] == 0 {
				list = append(list, string(names[start:i]))
				start = i + 1
			}
		}
		if len(list) > 40 {
			list = list[:40]
		}
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		fl := New()
		g := fl.Root().Group("g")
		g.AttrVlenString("text", text, true)
		seen := map[string]bool{}
		valid := true
		for _, n := range list {
			if !validName(n) || seen[n] {
				valid = false
			}
			seen[n] = true
			g.DatasetFloat32(n, []int{len(vals)}, vals)
		}
		b, err := fl.Bytes()
		if !valid {
			if err == nil {
				t.Fatalf("invalid or duplicate names %q accepted", list)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid input refused: %v", err)
		}
		p := filepath.Join(t.TempDir(), "f.h5")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := hdf5.Open(p)
		if err != nil {
			t.Fatalf("reader refuses our file: %v", err)
		}
		defer h.Close()
		grp := h.Root().Children()[0].(*hdf5.Group)
		var got []string
		for _, c := range grp.Children() {
			got = append(got, c.Name())
			ds := c.(*hdf5.Dataset)
			v, err := ds.Read()
			if err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
			for i := range vals {
				if math.Float32bits(float32(v[i])) != math.Float32bits(vals[i]) && !(math.IsNaN(v[i]) && vals[i] != vals[i]) {
					t.Fatalf("%s[%d] = %v, wrote %v", c.Name(), i, v[i], vals[i])
				}
			}
		}
		want := append([]string(nil), list...)
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("members %q, wrote %q", got, want)
		}
	})
}
