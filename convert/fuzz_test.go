package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(td(n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadTokenizerJSON(f *testing.F) {
	seed(f, "tok.json", "tok_string.json")
	f.Add([]byte(`{"class_name":"Tokenizer","config":{"num_words":3,"oov_token":"<OOV>","word_index":"{\"<OOV>\":1,\"a\":2,\"b\":3}"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ReadTokenizerJSON(data)
		if err != nil {
			return
		}
		checkTokenizer(t, tok)
	})
}

func FuzzReadVocab(f *testing.F) {
	seed(f, "vocab.txt")
	f.Add([]byte("<PAD> 0\n<START> 1\n<UNKNOWN> 2\nx 3\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ReadVocab(data, modelfile.ModeModelMaker)
		if err != nil {
			return
		}
		checkTokenizer(t, tok)
	})
}

func FuzzReadPickle(f *testing.F) {
	seed(f, "tok.pickle", "tok_p0.pickle", "tok_evil.pickle", "tok_keras3_p5.pickle", "tok_tfkeras_p0.pickle")
	f.Add([]byte("\x80\x02cbuiltins\nint\nV\\u00e9\n.garbage\xff"))
	f.Add([]byte(pickle0Dict))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ReadPickle(data)
		if err != nil {
			return
		}
		checkTokenizer(t, tok)
	})
}

// checkTokenizer checks what every accepted tokenizer must satisfy.
func checkTokenizer(t *testing.T, tok *Tokenizer) {
	for id := range tok.Index {
		if id <= 0 || id > maxTokenID {
			t.Fatalf("accepted id %d", id)
		}
	}
	spec, words, err := tok.ForModel(64)
	if err != nil {
		return
	}
	if spec.VocabWords != len(words)-1 || spec.OOVID >= 64 || spec.StartID >= 64 || spec.VocabWords >= 64 {
		t.Fatalf("ForModel(64) gave %+v with %d words", spec, len(words))
	}
	if _, err := modelfile.EncodeVocab(words); err != nil {
		t.Fatalf("ForModel words do not encode: %v", err)
	}
}

func FuzzParseModelFile(f *testing.F) {
	mf, err := Build(Options{Model: td("tiny_k24.h5"), Tokenizer: td("tok.json")})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := modelfile.Encode(&buf, mf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := modelfile.Parse(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a file that does not validate: %v", err)
		}
	})
}

func FuzzReadTFJS(f *testing.F) {
	j, err := os.ReadFile(td("tfjs/model.json"))
	if err != nil {
		f.Fatal(err)
	}
	shard, err := os.ReadFile(td("tfjs/group1-shard1of1.bin"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(j, shard)
	f.Fuzz(func(t *testing.T, modelJSON, shardData []byte) {
		m, err := parseTFJS(modelJSON, "model.json", func(_ string, max int) ([]byte, error) { return shardData[:min(len(shardData), max+1)], nil })
		if err != nil {
			return
		}
		if n, err := Validate(m); err == nil && n.Params() == 0 {
			t.Fatal("validated an empty network")
		}
	})
}

// fuzzFile writes data to a temporary file for readers that need a path.
func fuzzFile(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func FuzzReadH5(f *testing.F) {
	seed(f, "tiny_k24.h5", "tiny_gz.h5")
	f.Add(h5Bomb(f, 64<<20)) // a 320-byte chunk inflating to 64 MiB (TestH5GzipBombRefused has the 1 GiB one)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadH5(fuzzFile(t, "m.h5", data))
		if err == nil {
			Validate(m)
		}
	})
}

func FuzzReadKeras(f *testing.F) {
	seed(f, "tiny.keras")
	f.Add(kerasBomb(f, 64<<20, 4096))     // inflates past its declared size
	f.Add(kerasBomb(f, 64<<20, 1536<<20)) // declares more than edgewatt reads
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadKeras(fuzzFile(t, "m.keras", data))
		if err == nil {
			Validate(m)
		}
	})
}
