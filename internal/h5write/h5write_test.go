package h5write

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/third_party/hdf5"
)

// sample builds a file using every feature: vlen UTF-8 and ASCII strings, fixed-length
// string arrays, an empty float64 attribute, nested groups, float32 datasets of rank 0-2,
// an int64 scalar, and a group with more members than one symbol-table node holds.
func sample() *File {
	f := New()
	r := f.Root()
	r.AttrVlenString("keras_version", "2.4.0", true)
	r.AttrVlenString("model_config", `{"class_name": "Sequential", "x": "`+strings.Repeat("y", 5000)+`"}`, false)
	mw := r.Group("model_weights")
	mw.AttrFixedStrings("layer_names", []string{"embedding", "global_average_pooling1d", "dense"})
	mw.Group("global_average_pooling1d").AttrEmptyFloat64("weight_names")
	e := mw.Group("embedding")
	e.AttrFixedStrings("weight_names", []string{"embedding/embeddings:0"})
	e.Group("embedding").DatasetFloat32("embeddings:0", []int{3, 2}, []float32{1, -2, 3.5, 4, 5, 6})
	big := mw.Group("dense")
	for i := 0; i < 20; i++ {
		big.DatasetFloat32(fmt.Sprintf("w%02d:0", i), []int{2}, []float32{float32(i), -float32(i)})
	}
	big.DatasetFloat32("scalar", nil, []float32{0.25})
	r.Group("optimizer_weights").Group("Adam").DatasetInt64Scalar("iter:0", 625)
	return f
}

func writeSample(t *testing.T) string {
	t.Helper()
	b, err := sample().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "s.h5")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDeterministic(t *testing.T) {
	a, _ := sample().Bytes()
	b, _ := sample().Bytes()
	if !bytes.Equal(a, b) {
		t.Fatal("the same content laid out twice differs")
	}
	if string(a[:8]) != "\x89HDF\r\n\x1a\n" || a[8] != 0 {
		t.Fatalf("not a version-0 superblock: % x", a[:16])
	}
	if eof := le.Uint64(a[40:]); eof != uint64(len(a)) {
		t.Errorf("end-of-file address %d, file is %d bytes", eof, len(a))
	}
}

// TestReadBackScigolib reads the file with github.com/scigolib/hdf5, the reader
// edgewatt convert uses.
func TestReadBackScigolib(t *testing.T) {
	f, err := hdf5.Open(writeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	attrs := func(g *hdf5.Group) map[string]any {
		as, err := g.Attributes()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for _, a := range as {
			v, err := a.ReadValue()
			if err != nil {
				t.Fatalf("attribute %s: %v", a.Name, err)
			}
			m[a.Name] = v
		}
		return m
	}
	child := func(g *hdf5.Group, name string) hdf5.Object {
		for _, c := range g.Children() {
			if c.Name() == name {
				return c
			}
		}
		t.Fatalf("%s has no %q", g.Name(), name)
		return nil
	}
	ra := attrs(f.Root())
	if ra["keras_version"] != "2.4.0" {
		t.Errorf("keras_version = %#v", ra["keras_version"])
	}
	if s, _ := ra["model_config"].(string); !strings.HasPrefix(s, `{"class_name"`) || len(s) < 5000 {
		t.Errorf("model_config = %.40q…", s)
	}
	mw := child(f.Root(), "model_weights").(*hdf5.Group)
	if got := attrs(mw)["layer_names"]; !reflect.DeepEqual(got, []string{"embedding", "global_average_pooling1d", "dense"}) {
		t.Errorf("layer_names = %#v", got)
	}
	if got := attrs(child(mw, "global_average_pooling1d").(*hdf5.Group))["weight_names"]; reflect.ValueOf(got).Len() != 0 {
		t.Errorf("empty weight_names = %#v", got)
	}
	ds := child(child(child(mw, "embedding").(*hdf5.Group), "embedding").(*hdf5.Group), "embeddings:0").(*hdf5.Dataset)
	vals, err := ds.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vals, []float64{1, -2, 3.5, 4, 5, 6}) {
		t.Errorf("embeddings = %v", vals)
	}
	dense := child(mw, "dense").(*hdf5.Group)
	if n := len(dense.Children()); n != 21 {
		t.Errorf("dense has %d members, want 21", n)
	}
	w := child(dense, "w17:0").(*hdf5.Dataset)
	if vals, err := w.Read(); err != nil || !reflect.DeepEqual(vals, []float64{17, -17}) {
		t.Errorf("w17:0 = %v, %v", vals, err)
	}
}

// TestH5py dumps the file with h5py (the HDF5 C library) through testdata/dump.py.
func TestH5py(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil || exec.Command(py, "-c", "import h5py").Run() != nil {
		t.Skip("SKIP: /usr/bin/python3 with h5py not found (apt-get install python3-h5py); HDF5 C library read-back not checked")
	}
	out, err := exec.Command(py, "testdata/dump.py", writeSample(t)).Output()
	if err != nil {
		t.Fatalf("dump.py: %v", err)
	}
	type attr struct {
		Value any
		Dtype string
		Shape []int
	}
	var objs map[string]struct {
		Kind       string
		Dtype      string
		Shape      []int
		Value      any
		Contiguous bool
		Attrs      map[string]attr
		Members    []string
	}
	if err := json.Unmarshal(out, &objs); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	root := objs["/"].Attrs
	check("keras_version", root["keras_version"], attr{"2.4.0", "vlen-utf-8", []int{}})
	check("model_config dtype", root["model_config"].Dtype, "vlen-ascii")
	ln := objs["/model_weights"].Attrs["layer_names"]
	check("layer_names", ln, attr{[]any{"embedding", "global_average_pooling1d", "dense"}, "S24", []int{3}})
	check("empty weight_names", objs["/model_weights/global_average_pooling1d"].Attrs["weight_names"], attr{[]any{}, "<f8", []int{0}})
	emb := objs["/model_weights/embedding/embedding/embeddings:0"]
	check("embeddings", emb.Value, []any{[]any{1.0, -2.0}, []any{3.5, 4.0}, []any{5.0, 6.0}})
	check("embeddings dtype", emb.Dtype, "<f4")
	check("embeddings contiguous", emb.Contiguous, true)
	check("scalar", objs["/model_weights/dense/scalar"].Value, 0.25)
	check("iter", objs["/optimizer_weights/Adam/iter:0"].Value, 625.0)
	check("iter dtype", objs["/optimizer_weights/Adam/iter:0"].Dtype, "<i8")
	if n := len(objs["/model_weights/dense"].Members); n != 21 {
		t.Errorf("dense has %d members in h5py, want 21", n)
	}
	check("w13:0", objs["/model_weights/dense/w13:0"].Value, []any{13.0, -13.0})
}

func TestBuildErrors(t *testing.T) {
	for name, build := range map[string]func(f *File){
		"slash in name":     func(f *File) { f.Root().Group("a/b") },
		"empty name":        func(f *File) { f.Root().DatasetFloat32("", []int{1}, []float32{1}) },
		"duplicate attr":    func(f *File) { f.Root().AttrVlenString("a", "x", true); f.Root().AttrVlenString("a", "y", true) },
		"group over data":   func(f *File) { f.Root().DatasetFloat32("d", []int{1}, []float32{1}); f.Root().Group("d") },
		"wrong data length": func(f *File) { f.Root().DatasetFloat32("d", []int{2, 2}, []float32{1}) },
		"NUL in string":     func(f *File) { f.Root().AttrFixedStrings("s", []string{"a\x00b"}) },
		"too many members": func(f *File) {
			for i := 0; i <= snodEntries*btreeChildren; i++ {
				f.Root().DatasetInt64Scalar(fmt.Sprint(i), 0)
			}
		},
	} {
		f := New()
		build(f)
		if _, err := f.Bytes(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
