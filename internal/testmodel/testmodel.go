// Package testmodel writes small, valid edgewatt model files for tests of the packages that
// serve models (internal/serve, the MQTT bridge): an Embedding of a few known words, mean
// pooling and one sigmoid unit, with labels and weights chosen by the caller so that two
// models give visibly different answers. The files go through modelfile's one writer, so
// they load exactly as converted models do.
package testmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Words is the vocabulary of every test model: ids 1..len(Words), id 0 is padding.
var Words = []string{"alarm", "fire", "smoke", "door", "open", "light", "kitchen", "warm", "quiet", "hello"}

// Options choose a model.
type Options struct {
	Seed   uint64   // weights are drawn from this seed; different seeds give different scores
	Labels []string // two labels for the sigmoid unit; default "routine", "urgent"
	MaxLen int      // default 8
}

// Build returns the model file for o.
func Build(o Options) *modelfile.File {
	if o.MaxLen == 0 {
		o.MaxLen = 8
	}
	if len(o.Labels) == 0 {
		o.Labels = []string{"routine", "urgent"}
	}
	r := rand.New(rand.NewPCG(o.Seed, 1))
	const d = 4
	v := len(Words) + 1
	emb := make([]float32, v*d)
	for i := range emb {
		emb[i] = float32(r.Float64()*4 - 2)
	}
	w := make([]float32, d)
	for i := range w {
		w[i] = float32(r.Float64()*4 - 2)
	}
	b := []float32{float32(r.Float64() - 0.5)}
	vocab, err := modelfile.EncodeVocab(append([]string{""}, Words...))
	if err != nil {
		panic(err) // the words above are fixed and valid
	}
	return &modelfile.File{
		Meta: modelfile.Meta{
			Arch: modelfile.Arch{
				Embedding: modelfile.EmbeddingSpec{Name: "embedding", InputDim: v, OutputDim: d},
				Dense:     []modelfile.DenseSpec{{Name: "dense", In: d, Out: 1, Activation: "sigmoid"}},
			},
			Tokenizer: modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Filters: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n",
				Lower: true, Split: " ", NumWords: v, OOVID: -1, StartID: -1, VocabWords: len(Words)},
			Preprocess: modelfile.Preprocess{MaxLen: o.MaxLen, Padding: modelfile.Post, Truncating: modelfile.Post},
			Labels:     o.Labels,
			Provenance: modelfile.Provenance{SourceFile: "testmodel-" + strconv.FormatUint(o.Seed, 10), SourceFormat: "edgewatt-train", ConverterVersion: "test"},
			Quant:      modelfile.Quant{Embedding: modelfile.SchemeF32, Dense: modelfile.SchemeF32},
			Report:     modelfile.Report{"float32_accuracy": 0.9},
		},
		Tensors: []modelfile.Tensor{
			{Name: modelfile.TensorEmbedding, DType: modelfile.F32, Shape: []int{v, d}, Data: f32(emb)},
			{Name: modelfile.DenseWeight(0), DType: modelfile.F32, Shape: []int{1, d}, Data: f32(w)},
			{Name: modelfile.DenseBias(0), DType: modelfile.F32, Shape: []int{1}, Data: f32(b)},
			{Name: modelfile.TensorVocab, DType: modelfile.U8, Shape: []int{len(vocab)}, Data: vocab},
		},
	}
}

// Write writes the model for o to path atomically (modelfile.WriteFile: temp file, rename).
func Write(path string, o Options) error {
	if err := modelfile.WriteFile(path, Build(o)); err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	return nil
}

func f32(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}
