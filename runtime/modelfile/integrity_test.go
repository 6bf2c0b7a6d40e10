package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// relayout rewrites an encoded file with its tensors in another order, as another
// safetensors writer would: the Hugging Face writer (safetensors' prepare()) sorts by dtype,
// widest first, then by name, writes "__metadata__" first and pads the header with spaces.
func relayout(t testing.TB, data []byte, less func(a, b string, da, db DType) bool) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint64(data)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		t.Fatal(err)
	}
	body := data[8+n:]
	type ent struct {
		name string
		th   tensorHeader
	}
	var ents []ent
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var th tensorHeader
		json.Unmarshal(v, &th)
		ents = append(ents, ent{k, th})
	}
	sort.Slice(ents, func(i, j int) bool { return less(ents[i].name, ents[j].name, ents[i].th.DType, ents[j].th.DType) })
	var hdr bytes.Buffer
	hdr.WriteString(`{"__metadata__":`)
	hdr.Write(raw["__metadata__"])
	var newBody []byte
	for _, e := range ents {
		d := body[e.th.DataOffsets[0]:e.th.DataOffsets[1]]
		e.th.DataOffsets = [2]int64{int64(len(newBody)), int64(len(newBody) + len(d))}
		newBody = append(newBody, d...)
		js, _ := json.Marshal(e.th)
		name, _ := json.Marshal(e.name)
		hdr.WriteString("," + string(name) + ":" + string(js))
	}
	hdr.WriteString("}")
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	return append(out, newBody...)
}

func sameContent(t *testing.T, a, b *File) {
	t.Helper()
	if !reflect.DeepEqual(a.Meta, b.Meta) {
		t.Fatalf("metadata differs:\n%+v\n%+v", a.Meta, b.Meta)
	}
	ta := map[string]Tensor{}
	for _, x := range a.Tensors {
		ta[x.Name] = x
	}
	if len(ta) != len(b.Tensors) {
		t.Fatalf("%d vs %d tensors", len(ta), len(b.Tensors))
	}
	for _, y := range b.Tensors {
		x := ta[y.Name]
		if x.DType != y.DType || !reflect.DeepEqual(x.Shape, y.Shape) || !bytes.Equal(x.Data, y.Data) {
			t.Fatalf("tensor %s differs", y.Name)
		}
	}
}

// Issue 11, item 4: the hash does not depend on tensor order, so a file re-saved by a
// standard safetensors writer (Hugging Face order) loads; with format 1 it was "corrupt".
func TestReorderedTensorsLoad(t *testing.T) {
	good := encode(t, tinyFile())
	orig, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	hf := func(a, b string, da, db DType) bool {
		if da.Size() != db.Size() {
			return da.Size() > db.Size()
		}
		return a < b
	}
	reverse := func(a, b string, da, db DType) bool {
		if da.Size() != db.Size() {
			return da.Size() > db.Size()
		}
		return a > b
	}
	for name, less := range map[string]func(a, b string, da, db DType) bool{"hugging face": hf, "reverse names": reverse} {
		re := relayout(t, good, less)
		if bytes.Equal(re[8:], good[8:]) {
			t.Fatalf("%s: the relayout did not change the file", name)
		}
		f, err := Parse(re)
		if err != nil {
			t.Fatalf("%s order: %v", name, err)
		}
		sameContent(t, orig, f)
	}
}

// Every single-bit flip in the header (metadata and tensor entries) is refused, or leaves
// the file meaning exactly the same (e.g. "\u003c" -> "\u003C" in a JSON escape). With
// format 1, flips in the tokenizer filters, maxlen and labels loaded and predicted
// differently.
func TestHeaderBitFlipsRejected(t *testing.T) {
	f := tinyFile()
	f.Meta.Tokenizer.Filters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"
	good := encode(t, f)
	orig, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint64(good))
	accepted, benign := 0, 0
	for i := 8; i < 8+n; i++ {
		for bit := 0; bit < 8; bit++ {
			b := bytes.Clone(good)
			b[i] ^= 1 << bit
			g, err := Parse(b)
			if err != nil {
				continue
			}
			accepted++
			if !reflect.DeepEqual(g.Meta, orig.Meta) {
				t.Fatalf("flip of bit %d of header byte %d (%q) loads with different metadata", bit, i-8, good[i])
			}
			sameContent(t, orig, g)
			benign++
		}
	}
	t.Logf("%d header bytes, %d flips: %d refused, %d accepted with identical content", n, 8*n, 8*n-accepted, benign)
}

func TestOldVersionMessage(t *testing.T) {
	good := encode(t, tinyFile())
	old := bytes.Replace(bytes.Clone(good), []byte(`"format_version":"2"`), []byte(`"format_version":"1"`), 1)
	_, err := Parse(old)
	if err == nil || !strings.Contains(err.Error(), "re-convert the model with 'edgewatt convert'") {
		t.Fatalf("version 1: %v", err)
	}
}

// Labels must match the output width: two for one unit, one per unit otherwise.
func TestLabelCount(t *testing.T) {
	for _, labels := range [][]string{{"only"}, {"a", "b", "c"}, nil} {
		f := tinyFile()
		f.Meta.Labels = labels
		var b bytes.Buffer
		if err := Encode(&b, f); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(b.Bytes()); err == nil || !strings.Contains(err.Error(), "want 2") {
			t.Errorf("%d labels on one sigmoid unit: %v", len(labels), err)
		}
	}
}

// Limits at load, with messages that say them.
func TestLoadLimits(t *testing.T) {
	long := strings.Repeat("w", MaxWordBytes+1)
	vocab, _ := EncodeVocab([]string{"", "<OOV>", long, "world"})
	f := tinyFile()
	f.Tensors[0] = Tensor{Name: TensorVocab, DType: U8, Shape: []int{len(vocab)}, Data: vocab}
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "4097 bytes long, more than the 4096") {
		t.Errorf("a 4097-byte word: %v", err)
	}
	f = tinyFile()
	f.Meta.Preprocess.MaxLen = MaxMaxLen + 1
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "1..65536") {
		t.Errorf("maxlen %d: %v", MaxMaxLen+1, err)
	}
	f = tinyFile()
	f.Meta.Tokenizer.VocabWords = MaxVocabWords + 1
	f.Meta.Tokenizer.NumWords = 5
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "more than the 2097152") {
		t.Errorf("vocabulary of %d words: %v", MaxVocabWords+1, err)
	}
}
