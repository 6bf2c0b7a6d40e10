package convert_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/edgewatt/edgewatt/convert"
	edgewatt "github.com/edgewatt/edgewatt/runtime"
)

// Convert a Keras model and its tokenizer from Go (what 'edgewatt convert' does), then load
// the model file with the runtime and classify a text. testdata/tiny_k24.h5 is a Keras 2.4
// Embedding -> GlobalAveragePooling1D -> Dense(relu) -> Dense(sigmoid) model and
// testdata/tok.json its Tokenizer.to_json().
func Example() {
	dir, err := os.MkdirTemp("", "edgewatt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "tiny.safetensors")

	f, err := convert.Convert(convert.Options{
		Model:     "testdata/tiny_k24.h5",
		Tokenizer: "testdata/tok.json",
		MaxLen:    8, // pad_sequences' settings are not in the .h5: give the ones used in training
		Padding:   "pre",
		Labels:    "negative,positive",
		Quant:     convert.QuantOptions{Scheme: "int8"},
	}, out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("embedding:", f.Meta.Quant.Embedding, "dense:", f.Meta.Quant.Dense)

	m, err := edgewatt.Load(out)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	r := m.NewPredictor().PredictText("the cat sat on the mat")
	fmt.Printf("%s %.3f\n", m.Labels()[r.Label], r.Scores[0])
	// Output:
	// embedding: int8-row dense: int8-channel
	// positive 0.512
}
