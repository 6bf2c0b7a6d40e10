package convert

import (
	"maps"
	"strings"
	"testing"
)

// Tokenizers pickled by Keras 3 (keras.src.legacy...) and tf_keras read like the JSON the
// same tokenizer writes (testdata/gen_keras3_pickles.py makes all of them).
func TestKeras3AndTFKerasPickles(t *testing.T) {
	want, _, err := ReadTokenizerFile(td("tok_keras3.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Index) < 10 || want.Spec.NumWords != 12 || want.Spec.OOVID != 1 {
		t.Fatalf("tok_keras3.json read as %+v with %d words", want.Spec, len(want.Index))
	}
	for _, name := range []string{"tok_keras3_p5.pickle", "tok_keras3_p2.pickle", "tok_tfkeras_p4.pickle", "tok_tfkeras_p0.pickle"} {
		got, _, err := ReadTokenizerFile(td(name), "")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.Format != "keras-pickle" || got.Spec != want.Spec || !maps.Equal(got.Index, want.Index) {
			t.Errorf("%s: %+v %v, want %+v %v", name, got.Spec, got.Index, want.Spec, want.Index)
		}
	}
	// The allow-list still refuses every other class, naming it.
	data := []byte("\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x0ftf_keras.layers\x94\x8c\x05Dense\x94\x93\x94.")
	if _, err := ReadPickle(data); err == nil || !strings.Contains(err.Error(), "tf_keras.layers.Dense") {
		t.Errorf("tf_keras.layers.Dense: %v", err)
	}
}
