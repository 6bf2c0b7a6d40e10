package modelfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// MaxHeader bounds the JSON header a reader accepts (a 10000-word model's is ~2 KiB).
const MaxHeader = 16 << 20

// Tensor is one named tensor. Data is little-endian; for a parsed file it aliases the
// file's bytes and must not be modified.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Elements returns the product of the shape.
func (t *Tensor) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Meta is the typed form of __metadata__.
type Meta struct {
	Arch       Arch
	Tokenizer  TokenizerSpec
	Preprocess Preprocess
	Labels     []string
	Provenance Provenance
	Quant      Quant
	Report     Report // nil when absent
	// DataSHA256 is filled by Encode and checked by Parse.
	DataSHA256 string
}

// File is a whole model file in memory.
type File struct {
	Meta    Meta
	Tensors []Tensor
}

// Tensor returns the named tensor or nil.
func (f *File) Tensor(name string) *Tensor {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i]
		}
	}
	return nil
}

// Words splits tokenizer.vocab into the words of ids 1..n (index 0 is "" for padding).
func (f *File) Words() ([]string, error) {
	t := f.Tensor(TensorVocab)
	if t == nil {
		return nil, errors.New("modelfile: no tokenizer.vocab tensor")
	}
	// Count the lines before allocating: VocabWords is a header field, not yet known to
	// match the tensor.
	data := t.Data
	n := 0
	if len(data) > 0 {
		n = bytes.Count(data, []byte{'\n'}) + 1
	}
	if n != f.Meta.Tokenizer.VocabWords {
		return nil, fmt.Errorf("modelfile: tokenizer.vocab has %d words, metadata says %d", n, f.Meta.Tokenizer.VocabWords)
	}
	words := make([]string, 1, n+1)
	if n > 0 {
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			words = append(words, string(line))
		}
	}
	return words, nil
}

// EncodeVocab joins words (index 0 = padding, ignored) into tokenizer.vocab bytes.
func EncodeVocab(words []string) ([]byte, error) {
	var b bytes.Buffer
	for i := 1; i < len(words); i++ {
		if bytes.IndexByte([]byte(words[i]), '\n') >= 0 {
			return nil, fmt.Errorf("modelfile: word %d (%q) contains a newline, which the vocabulary encoding cannot hold; add '\\n' to the tokenizer filters", i, words[i])
		}
		if i > 1 {
			b.WriteByte('\n')
		}
		b.WriteString(words[i])
	}
	return b.Bytes(), nil
}

type tensorHeader struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

func rank(d DType) int {
	switch d.Size() {
	case 4:
		return 0
	case 2:
		return 1
	}
	return 2
}

// Encode writes f to w. Tensors are reordered by alignment (stable otherwise) and the data
// sha256 is computed and stored in f.Meta.DataSHA256.
func Encode(w io.Writer, f *File) error {
	ts := make([]Tensor, len(f.Tensors))
	copy(ts, f.Tensors)
	sort.SliceStable(ts, func(i, j int) bool { return rank(ts[i].DType) < rank(ts[j].DType) })
	hdr := make(map[string]any, len(ts)+1)
	h := sha256.New()
	var off int64
	for i := range ts {
		t := &ts[i]
		if t.DType.Size() == 0 {
			return fmt.Errorf("modelfile: tensor %s: unknown dtype %q", t.Name, t.DType)
		}
		if want := t.Elements() * t.DType.Size(); want != len(t.Data) {
			return fmt.Errorf("modelfile: tensor %s: shape %v of %s needs %d bytes, have %d", t.Name, t.Shape, t.DType, want, len(t.Data))
		}
		if _, dup := hdr[t.Name]; dup || t.Name == "__metadata__" {
			return fmt.Errorf("modelfile: duplicate or reserved tensor name %q", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = tensorHeader{DType: t.DType, Shape: shape, DataOffsets: [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
		h.Write(t.Data)
	}
	f.Meta.DataSHA256 = hex.EncodeToString(h.Sum(nil))
	md, err := f.Meta.encode()
	if err != nil {
		return err
	}
	hdr["__metadata__"] = md
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("modelfile: encoding header: %w", err)
	}
	for (8+len(js))%8 != 0 {
		js = append(js, ' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(js)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for i := range ts {
		if _, err := w.Write(ts[i].Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes f to path atomically: a temporary file in the same directory, fsync,
// rename. On any error no file is left at path (an existing one is untouched).
func WriteFile(path string, f *File) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("modelfile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var buf bytes.Buffer
	if err = Encode(&buf, f); err != nil {
		return err
	}
	// Verify what we are about to write with the same reader the device uses.
	if _, err = Parse(buf.Bytes()); err != nil {
		return fmt.Errorf("modelfile: self-check of the written file failed: %w", err)
	}
	if _, err = tmp.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("modelfile: writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("modelfile: sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("modelfile: close %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("modelfile: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("modelfile: %w", err)
	}
	if d, e := os.Open(dir); e == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Parse verifies data as a model file and returns it; tensors alias data.
func Parse(data []byte) (*File, error) {
	if what := Sniff(data); what != "" && what != "an edgewatt model file" {
		return nil, notConverted(what)
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("modelfile: file is %d bytes, too short for a safetensors header; is it an edgewatt model file?", len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n == 0 || n > MaxHeader || n > uint64(len(data)-8) {
		return nil, fmt.Errorf("modelfile: header length %d does not fit a %d-byte file; the file is truncated or not a safetensors file", n, len(data))
	}
	hdrBytes := data[8 : 8+n]
	body := data[8+n:]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdrBytes, &raw); err != nil {
		return nil, fmt.Errorf("modelfile: header is not valid JSON (%w); the file is corrupt", err)
	}
	f := &File{}
	mdRaw, ok := raw["__metadata__"]
	if !ok {
		return nil, errors.New("modelfile: no __metadata__ in header: a safetensors file, but not one edgewatt wrote (convert the model with 'edgewatt convert')")
	}
	var md map[string]string
	if err := json.Unmarshal(mdRaw, &md); err != nil {
		return nil, fmt.Errorf("modelfile: __metadata__ is not a string map: %w", err)
	}
	if err := f.Meta.decode(md); err != nil {
		return nil, err
	}
	delete(raw, "__metadata__")
	var offs []int64
	for name, r := range raw {
		var th tensorHeader
		if err := json.Unmarshal(r, &th); err != nil {
			return nil, fmt.Errorf("modelfile: tensor %q: bad header entry: %w", name, err)
		}
		es := th.DType.Size()
		if es == 0 {
			return nil, fmt.Errorf("modelfile: tensor %q: unsupported dtype %q", name, th.DType)
		}
		elems := int64(1)
		for _, d := range th.Shape {
			if d < 0 || int64(d) > 1<<31-1 {
				return nil, fmt.Errorf("modelfile: tensor %q: bad dimension %d", name, d)
			}
			elems *= int64(d)
			if elems > int64(len(body)) {
				return nil, fmt.Errorf("modelfile: tensor %q: shape %v is larger than the file", name, th.Shape)
			}
		}
		b, e := th.DataOffsets[0], th.DataOffsets[1]
		if b < 0 || e < b || e > int64(len(body)) {
			return nil, fmt.Errorf("modelfile: tensor %q: data offsets [%d, %d] outside the %d data bytes; the file is truncated or corrupt", name, b, e, len(body))
		}
		if e-b != elems*int64(es) {
			return nil, fmt.Errorf("modelfile: tensor %q: %d bytes for shape %v of %s (want %d)", name, e-b, th.Shape, th.DType, elems*int64(es))
		}
		if (8+int64(n)+b)%int64(es) != 0 {
			return nil, fmt.Errorf("modelfile: tensor %q: data at offset %d is not aligned for %s", name, b, th.DType)
		}
		f.Tensors = append(f.Tensors, Tensor{Name: name, DType: th.DType, Shape: th.Shape, Data: body[b:e:e]})
		offs = append(offs, b)
	}
	idx := make([]int, len(f.Tensors))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool {
		if offs[idx[i]] != offs[idx[j]] {
			return offs[idx[i]] < offs[idx[j]]
		}
		return len(f.Tensors[idx[i]].Data) < len(f.Tensors[idx[j]].Data)
	})
	sorted := make([]Tensor, len(idx))
	// Contiguous, no gaps, no overlap, covering all the data.
	var pos int64
	for k, i := range idx {
		t := f.Tensors[i]
		if offs[i] != pos {
			return nil, fmt.Errorf("modelfile: tensor %q starts at %d, expected %d: tensors overlap or leave gaps", t.Name, offs[i], pos)
		}
		pos += int64(len(t.Data))
		sorted[k] = t
	}
	f.Tensors = sorted
	if pos != int64(len(body)) {
		return nil, fmt.Errorf("modelfile: %d trailing bytes after the last tensor; the file is corrupt", int64(len(body))-pos)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != f.Meta.DataSHA256 {
		return nil, fmt.Errorf("modelfile: tensor data sha256 is %s, header says %s: the file is corrupt (re-copy or re-convert it)", got, f.Meta.DataSHA256)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// ReadFile reads and parses the model file at path (without mmap; runtime.Load maps it).
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func (m *Meta) encode() (map[string]string, error) {
	md := map[string]string{
		"format":         Format,
		"format_version": strconv.Itoa(Version),
		"data_sha256":    m.DataSHA256,
	}
	put := func(k string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("modelfile: encoding %s: %w", k, err)
		}
		md[k] = string(b)
		return nil
	}
	labels := m.Labels
	if labels == nil {
		labels = []string{}
	}
	for k, v := range map[string]any{"arch": m.Arch, "tokenizer": m.Tokenizer, "preprocess": m.Preprocess,
		"labels": labels, "provenance": m.Provenance, "quant": m.Quant} {
		if err := put(k, v); err != nil {
			return nil, err
		}
	}
	if m.Report != nil {
		if err := put("report", m.Report); err != nil {
			return nil, err
		}
	}
	return md, nil
}

func (m *Meta) decode(md map[string]string) error {
	if md["format"] != Format {
		return fmt.Errorf("modelfile: metadata format is %q, want %q: not an edgewatt model file (convert it with 'edgewatt convert')", md["format"], Format)
	}
	if v := md["format_version"]; v != strconv.Itoa(Version) {
		return fmt.Errorf("modelfile: format version %q is not supported by this edgewatt (reads version %d); upgrade edgewatt or re-convert the model", v, Version)
	}
	m.DataSHA256 = md["data_sha256"]
	get := func(k string, v any, required bool) error {
		s, ok := md[k]
		if !ok {
			if required {
				return fmt.Errorf("modelfile: metadata has no %q", k)
			}
			return nil
		}
		if err := json.Unmarshal([]byte(s), v); err != nil {
			return fmt.Errorf("modelfile: metadata %q: %w", k, err)
		}
		return nil
	}
	for _, g := range []struct {
		k   string
		v   any
		req bool
	}{{"arch", &m.Arch, true}, {"tokenizer", &m.Tokenizer, true}, {"preprocess", &m.Preprocess, true},
		{"labels", &m.Labels, true}, {"provenance", &m.Provenance, false}, {"quant", &m.Quant, true}, {"report", &m.Report, false}} {
		if err := get(g.k, g.v, g.req); err != nil {
			return err
		}
	}
	return nil
}
