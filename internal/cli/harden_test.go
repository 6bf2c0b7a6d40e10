package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustBeUnchanged fails when the file at p no longer holds want.
func mustBeUnchanged(t *testing.T, p string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s was changed (%d bytes, was %d; %v)", p, len(got), len(want), err)
	}
}

// Issue 11, item 2: outputs that are inputs (or special files) are refused, naming both,
// and nothing is written.
func TestConvertRefusesOutputOverInput(t *testing.T) {
	dir := t.TempDir()
	h5 := filepath.Join(dir, "m.h5")
	tok := filepath.Join(dir, "tok.pickle")
	csv := filepath.Join(dir, "test.csv")
	copyFile(t, testdata("tiny_k24.h5"), h5)
	copyFile(t, testdata("tok.pickle"), tok)
	os.WriteFile(csv, []byte("1,hello world\n0,bye\n"), 0o644)
	tfjs := filepath.Join(dir, "tfjs")
	os.Mkdir(tfjs, 0o755)
	for _, n := range []string{"model.json", "group1-shard1of1.bin", "labels.txt"} {
		copyFile(t, testdata("tfjs/"+n), filepath.Join(tfjs, n))
	}
	sub := filepath.Join(dir, "adir")
	os.Mkdir(sub, 0o755)
	base := []string{"convert", h5, "--tokenizer", tok, "--labels", "a,b"}
	for _, c := range []struct {
		name string
		args []string
		out  string
		want []string
	}{
		{"eval", []string{"--quant", "int8", "--eval", csv}, csv, []string{"-o " + csv, "--eval " + csv}},
		{"calib", []string{"--quant", "int8", "--calib", csv}, csv, []string{"--calib " + csv}},
		{"model", nil, h5, []string{"model " + h5}},
		{"tokenizer", nil, tok, []string{"--tokenizer " + tok}},
		{"directory", nil, sub, []string{"-o " + sub, "is a directory"}},
		{"device", nil, "/dev/null", []string{"-o /dev/null", "character device"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before []byte
			if st, err := os.Stat(c.out); err == nil && st.Mode().IsRegular() {
				before, _ = os.ReadFile(c.out)
			}
			args := append(append(append([]string(nil), base...), c.args...), "-o", c.out)
			_, _, err := run(args...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v lacks %q", err, w)
				}
			}
			if before != nil {
				mustBeUnchanged(t, c.out, before)
			}
		})
	}
	// TF.js: the shard and labels.txt beside model.json.
	for _, victim := range []string{"group1-shard1of1.bin", "labels.txt"} {
		p := filepath.Join(tfjs, victim)
		before, _ := os.ReadFile(p)
		_, _, err := run("convert", filepath.Join(tfjs, "model.json"), "--tokenizer", testdata("vocab.txt"), "-o", p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("-o %s: %v", victim, err)
		}
		mustBeUnchanged(t, p, before)
	}
	// No temporary files anywhere.
	for _, d := range []string{dir, tfjs} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left %s in %s", e.Name(), d)
			}
		}
	}
}

func TestTrainRefusesOutputOverInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "train.csv")
	copyFile(t, smarthome+"train.csv", data)
	before, _ := os.ReadFile(data)
	m := filepath.Join(dir, "m.h5")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", data}, "--data " + data},
		{[]string{"-o", m, "--tokenizer", m}, "--tokenizer " + m},
		{[]string{"-o", m, "--labels", data}, "--labels " + data},
		{[]string{"-o", dir}, "is a directory"},
	} {
		args := append([]string{"train", "--data", data, "--epochs", "1", "--quiet"}, c.args...)
		_, _, err := run(args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
	mustBeUnchanged(t, data, before)
}

func TestInputsMustBeRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("SKIP: mkfifo: %v", err)
	}
	m := smallModel(t)
	tfjs := filepath.Join(dir, "tfjs")
	os.Mkdir(tfjs, 0o755)
	copyFile(t, testdata("tfjs/model.json"), filepath.Join(tfjs, "model.json"))
	syscall.Mkfifo(filepath.Join(tfjs, "group1-shard1of1.bin"), 0o600)
	for _, args := range [][]string{
		{"inspect", "/dev/zero"},
		{"inspect", fifo},
		{"tokenize", "-m", "/dev/zero", "hello"},
		{"tokenize", "--tokenizer", "/dev/zero", "--maxlen", "5", "hello"},
		{"predict", "-m", "/dev/zero", "hello"},
		{"convert", testdata("tiny_k24.h5"), "--tokenizer", "/dev/zero", "-o", filepath.Join(dir, "x.safetensors")},
		{"convert", "/dev/zero", "--tokenizer", testdata("tok.json"), "-o", filepath.Join(dir, "x.safetensors")},
		{"convert", filepath.Join(tfjs, "model.json"), "--tokenizer", testdata("vocab.txt"), "-o", filepath.Join(dir, "x.safetensors")},
		{"train", "--data", "/dev/zero", "-o", filepath.Join(dir, "t.h5")},
		{"train", "--data", fifo, "-o", filepath.Join(dir, "t.h5")},
		{"bench", "-m", m, "--texts", fifo},
	} {
		_, _, err := run(args...)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%v: got %v, want a 'not a regular file' refusal", args, err)
		}
	}
}

// Issue 11, item 5: bench made its synthetic headlines from whatever words the vocabulary
// had; a model whose words are all huge built gigabytes of text. Words over 64 bytes are
// skipped, and a vocabulary of only such words is refused with a message.
func TestBenchSkipsHugeWords(t *testing.T) {
	f, err := modelfile.ReadFile(smallModel(t))
	if err != nil {
		t.Fatal(err)
	}
	words, _ := f.Words()
	for i := 1; i < len(words); i++ {
		words[i] = strings.Repeat("w", 3000) + strconv.Itoa(i)
	}
	vocab, _ := modelfile.EncodeVocab(words)
	v := f.Tensor(modelfile.TensorVocab)
	v.Data, v.Shape = vocab, []int{len(vocab)}
	p := filepath.Join(t.TempDir(), "huge.safetensors")
	if err := modelfile.WriteFile(p, f); err != nil {
		t.Fatal(err)
	}
	_, _, err = run("bench", "-m", p, "--duration", "100ms")
	if err == nil || !strings.Contains(err.Error(), "no vocabulary words of at most 64 bytes") {
		t.Fatalf("got %v", err)
	}
}

func TestTrainPrintsRowsPerClass(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	os.WriteFile(data, []byte("is_sarcastic,headline\n0,turn on the lights\n1,smoke in the kitchen\n0,good night\n1,water leak detected\n0,door closed\n"), 0o644)
	out, _, err := run("train", "--data", data, "--epochs", "1", "--quiet", "--maxlen", "5", "-o", filepath.Join(dir, "m.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "training rows per class: 0 3, 1 2") || !strings.Contains(out, "2 classes") {
		t.Errorf("output:\n%s", out)
	}
}
