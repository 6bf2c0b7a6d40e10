package runtime

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// goldenPredict is runtime/testdata/golden/predict.json, written by
// testdata/gen_golden_scores.py from keras_preprocessing and a numpy forward pass.
type goldenPredict struct {
	Models []struct {
		Name       string      `json:"name"`
		NumWords   int         `json:"num_words"`
		OOVID      int         `json:"oov_id"`
		Filters    string      `json:"filters"`
		Lower      bool        `json:"lower"`
		Split      string      `json:"split"`
		MaxLen     int         `json:"maxlen"`
		Padding    string      `json:"padding"`
		Truncating string      `json:"truncating"`
		MaskZero   bool        `json:"mask_zero"`
		Words      []string    `json:"words"`
		Embedding  [][]float32 `json:"embedding"`
		Dense      []struct {
			Kernel     [][]float32 `json:"kernel"` // Keras [in][out]
			Bias       []float32   `json:"bias"`
			Activation string      `json:"activation"`
		} `json:"dense"`
		Cases []struct {
			Text   string    `json:"text"`
			IDs    []int32   `json:"ids"`
			Padded []int32   `json:"padded"`
			Scores []float64 `json:"scores"`
		} `json:"cases"`
	} `json:"models"`
}

func TestGoldenPredictions(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/predict.json")
	if err != nil {
		t.Fatalf("golden predictions missing (regenerate with /usr/bin/python3 testdata/gen_golden_scores.py): %v", err)
	}
	var g goldenPredict
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Models) == 0 {
		t.Fatal("no models in golden file")
	}
	for _, gm := range g.Models {
		t.Run(gm.Name, func(t *testing.T) {
			V, D := len(gm.Embedding), len(gm.Embedding[0])
			var emb []float32
			for _, r := range gm.Embedding {
				emb = append(emb, r...)
			}
			f := &modelfile.File{}
			f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbedding, DType: modelfile.F32, Shape: []int{V, D}, Data: f32bytes(emb)})
			arch := modelfile.Arch{Embedding: modelfile.EmbeddingSpec{InputDim: V, OutputDim: D, MaskZero: gm.MaskZero}}
			in := D
			for i, l := range gm.Dense {
				out := len(l.Bias)
				w := make([]float32, out*in) // transposed to [out][in]
				for k := 0; k < in; k++ {
					for o := 0; o < out; o++ {
						w[o*in+k] = l.Kernel[k][o]
					}
				}
				f.Tensors = append(f.Tensors,
					modelfile.Tensor{Name: modelfile.DenseWeight(i), DType: modelfile.F32, Shape: []int{out, in}, Data: f32bytes(w)},
					modelfile.Tensor{Name: modelfile.DenseBias(i), DType: modelfile.F32, Shape: []int{out}, Data: f32bytes(l.Bias)})
				arch.Dense = append(arch.Dense, modelfile.DenseSpec{In: in, Out: out, Activation: l.Activation})
				in = out
			}
			vocab, err := modelfile.EncodeVocab(gm.Words)
			if err != nil {
				t.Fatal(err)
			}
			f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorVocab, DType: modelfile.U8, Shape: []int{len(vocab)}, Data: vocab})
			f.Meta = modelfile.Meta{
				Arch: arch,
				Tokenizer: modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Filters: gm.Filters, Lower: gm.Lower, Split: gm.Split,
					NumWords: gm.NumWords, OOVID: gm.OOVID, StartID: -1, VocabWords: len(gm.Words) - 1},
				Preprocess: modelfile.Preprocess{MaxLen: gm.MaxLen, Padding: gm.Padding, Truncating: gm.Truncating},
				Quant:      modelfile.Quant{Embedding: modelfile.SchemeF32, Dense: modelfile.SchemeF32},
			}
			for i := 0; i < modelfile.LabelCount(in); i++ {
				f.Meta.Labels = append(f.Meta.Labels, "c"+strconv.Itoa(i))
			}
			m, err := New(f)
			if err != nil {
				t.Fatal(err)
			}
			p := m.NewPredictor()
			var worst float64
			for ci, c := range gm.Cases {
				r := p.PredictText(c.Text)
				toks := p.Tokens()
				if len(toks) != len(c.IDs) {
					t.Fatalf("case %d %q: ids %v, keras %v", ci, c.Text, toks, c.IDs)
				}
				for i := range toks {
					if toks[i] != c.IDs[i] {
						t.Fatalf("case %d %q: ids %v, keras %v", ci, c.Text, toks, c.IDs)
					}
				}
				padded := p.PaddedIDs(toks)
				for i := range padded {
					if padded[i] != c.Padded[i] {
						t.Fatalf("case %d %q: padded %v, pad_sequences %v", ci, c.Text, padded, c.Padded)
					}
				}
				for j, want := range c.Scores {
					d := math.Abs(float64(r.Scores[j]) - want)
					worst = max(worst, d)
					if d > 1e-6 {
						t.Fatalf("case %d %q: score %d = %v, numpy %v (diff %.2g)", ci, c.Text, j, r.Scores[j], want, d)
					}
				}
			}
			t.Logf("%d texts: ids equal, max |score - numpy| %.2g", len(gm.Cases), worst)
		})
	}
}
