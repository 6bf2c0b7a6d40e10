package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenizeWithTokenizerJSON(t *testing.T) {
	dir := t.TempDir()
	// A Keras Tokenizer.to_json() document: inner fields are JSON text again.
	wi, _ := json.Marshal(map[string]int{"<OOV>": 1, "lights": 2, "on": 3, "turn": 4})
	cfg := map[string]any{
		"num_words": 4, "filters": "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", "lower": true, "split": " ",
		"char_level": false, "oov_token": "<OOV>", "document_count": 1,
		"word_counts": "{}", "word_docs": "{}", "index_docs": "{}", "index_word": "{}", "word_index": string(wi),
	}
	doc, _ := json.Marshal(map[string]any{"class_name": "Tokenizer", "config": cfg})
	tok := filepath.Join(dir, "tok.json")
	if err := os.WriteFile(tok, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := Run([]string{"tokenize", "--tokenizer", tok, "--maxlen", "5", "--padding", "post", "Turn ON the lights!"}, strings.NewReader(""), &out, &errb)
	if err != nil {
		t.Fatalf("tokenize: %v (%s)", err, errb.String())
	}
	var rec struct {
		IDs    []int `json:"ids"`
		Padded []int `json:"padded"`
	}
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	// turn=4 >= num_words 4 -> OOV 1; on=3; the unknown -> 1; lights=2.
	want := []int{1, 3, 1, 2}
	if len(rec.IDs) != len(want) {
		t.Fatalf("ids %v, want %v", rec.IDs, want)
	}
	for i := range want {
		if rec.IDs[i] != want[i] {
			t.Fatalf("ids %v, want %v", rec.IDs, want)
		}
	}
	if len(rec.Padded) != 5 || rec.Padded[4] != 0 || rec.Padded[0] != 1 {
		t.Fatalf("padded %v, want post-padded to 5", rec.Padded)
	}
	// Usage errors exit 2.
	if code := Main([]string{"tokenize", "--maxlen", "5", "x"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Fatalf("tokenize without -m or --tokenizer exited %d, want 2", code)
	}
}
