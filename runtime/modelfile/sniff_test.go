package modelfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Keras, TF.js or TFLite model given where an edgewatt file belongs is named, and Parse
// says to convert it first.
func TestSniffAndParseRefusesSourceModels(t *testing.T) {
	td := filepath.Join("..", "..", "convert", "testdata")
	for file, want := range map[string]string{
		"tiny_k24.h5":        "Keras legacy .h5",
		"tiny.keras":         ".keras",
		"tfjs/model.json":    "TF.js model.json",
		"pool_flatten.keras": ".keras",
	} {
		data, err := os.ReadFile(filepath.Join(td, file))
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(data); !strings.Contains(got, want) {
			t.Errorf("%s: Sniff = %q, want %q", file, got, want)
		}
		_, err = Parse(data)
		var nc *NotConvertedError
		if !errors.As(err, &nc) || !strings.Contains(err.Error(), "edgewatt convert") {
			t.Errorf("%s: Parse error %v, want a NotConvertedError saying to run edgewatt convert", file, err)
		}
	}
	tfl := append([]byte{0x1c, 0, 0, 0}, "TFL3\x00\x00\x12\x00"...)
	if got := Sniff(tfl); got != "a TFLite flatbuffer" {
		t.Errorf("tflite: %q", got)
	}
	for _, other := range [][]byte{nil, []byte("{\"class_name\": \"Tokenizer\"}"), []byte("hello\nworld\n"), {0x80, 4, 0x95}} {
		if got := Sniff(other); got != "" {
			t.Errorf("%q sniffed as %q", other, got)
		}
	}
}
