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
	// DataSHA256 is the sha256 of the tensors (names, dtypes, shapes and bytes, in name
	// order; see doc.go), SHA256 the sha256 of the metadata, DataSHA256 included: together
	// they cover the whole file independently of tensor order. Encode fills both, Parse
	// checks both.
	DataSHA256 string
	SHA256     string
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
	}
	f.Meta.DataSHA256 = TensorsSHA256(ts)
	md, err := f.Meta.encode()
	if err != nil {
		return err
	}
	f.Meta.SHA256 = MetadataSHA256(md)
	md["sha256"] = f.Meta.SHA256
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

// Marshal encodes f (see Encode) and verifies the result with Parse, the reader the device
// uses, so that a file that would not load is never written.
func Marshal(f *File) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		return nil, err
	}
	if _, err := Parse(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("modelfile: self-check of the encoded file failed: %w", err)
	}
	return buf.Bytes(), nil
}

// TempMarker is in the name of the temporary file WriteFile writes beside its target:
// ".NAME.edgewatt-tmp-PID-RANDOM" (as internal/safeio names its own), so that the files a
// killed process leaves behind can be recognised and removed.
const TempMarker = ".edgewatt-tmp-"

// WriteFile writes f to path atomically: a temporary file in the same directory, fsync,
// rename. path must not exist or be a regular file (not a directory, device or FIFO). On
// any error no file is left at path (an existing one is untouched), the temporary file is
// removed and the error names path. A process killed (SIGKILL) while writing leaves its
// temporary file, named with TempMarker and its PID.
func WriteFile(path string, f *File) (err error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("modelfile: output %s is %s, not a regular file; give a file path", path, fileKind(st.Mode()))
	}
	b, err := Marshal(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+TempMarker+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("modelfile: cannot write %s: %w", path, pathErr(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("modelfile: writing %s: %w", path, pathErr(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("modelfile: sync %s: %w", path, pathErr(err))
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("modelfile: writing %s: %w", path, pathErr(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("modelfile: close %s: %w", path, pathErr(err))
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("modelfile: writing %s: %w", path, pathErr(err))
	}
	if d, e := os.Open(dir); e == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// pathErr drops the temporary file's name from a *PathError or *LinkError.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
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
	if got := TensorsSHA256(f.Tensors); got != f.Meta.DataSHA256 {
		return nil, fmt.Errorf("modelfile: tensor sha256 is %s, metadata says %s: the file is corrupt (re-copy or re-convert it)", got, f.Meta.DataSHA256)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// MaxFileBytes bounds the model files ReadBytes reads (a 10000-word model is ~0.3-0.7 MB).
const MaxFileBytes = 1 << 30

// ReadBytes reads the model file at path into private memory. path must be a regular file
// (a FIFO, device or directory is refused without being opened: /dev/zero would never end)
// of at most MaxFileBytes; a file that changes size while it is read is refused.
func ReadBytes(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file; give a model file written by 'edgewatt convert'", path, fileKind(st.Mode()))
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if st, err = fh.Stat(); err != nil {
		return nil, err
	}
	size := st.Size()
	switch {
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s is %s, not a regular file; give a model file written by 'edgewatt convert'", path, fileKind(st.Mode()))
	case size == 0:
		return nil, fmt.Errorf("%s is empty, not a model file", path)
	case size > MaxFileBytes:
		return nil, fmt.Errorf("%s is %d bytes, more than the %d of a model file edgewatt loads", path, size, MaxFileBytes)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(fh, data); err != nil {
		return nil, fmt.Errorf("%s shrank while it was read (%v); it is being rewritten, try again", path, err)
	}
	var one [1]byte
	if n, _ := fh.Read(one[:]); n != 0 {
		return nil, fmt.Errorf("%s grew while it was read; it is being rewritten, try again", path)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// ReadFile reads (ReadBytes) and parses the model file at path.
func ReadFile(path string) (*File, error) {
	data, err := ReadBytes(path)
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
	switch v := md["format_version"]; v {
	case strconv.Itoa(Version):
	case "1":
		return fmt.Errorf("modelfile: format version 1 (written by an older edgewatt, whose integrity hash did not cover the metadata) is no longer read; re-convert the model with 'edgewatt convert' (version %d)", Version)
	default:
		return fmt.Errorf("modelfile: format version %q is not supported by this edgewatt (reads version %d); upgrade edgewatt or re-convert the model", v, Version)
	}
	m.SHA256 = md["sha256"]
	if got := MetadataSHA256(md); got != m.SHA256 {
		return fmt.Errorf("modelfile: metadata sha256 is %s, the file says %q: the metadata (tokenizer, preprocessing, labels, ...) is corrupt or was edited; re-copy or re-convert the model", got, m.SHA256)
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

// TensorsSHA256 is the lower-case hex sha256 of the tensors in name order, each as
// len(name) name len(dtype) dtype rank dims... len(data) data (lengths and dims as
// little-endian uint64) after the line "edgewatt tensors v2\n": it does not depend on the
// order or offsets of the tensors in the file.
func TensorsSHA256(ts []Tensor) string {
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ts[idx[a]].Name < ts[idx[b]].Name })
	h := sha256.New()
	h.Write([]byte("edgewatt tensors v2\n"))
	var n [8]byte
	num := func(v uint64) { binary.LittleEndian.PutUint64(n[:], v); h.Write(n[:]) }
	for _, i := range idx {
		t := &ts[i]
		num(uint64(len(t.Name)))
		h.Write([]byte(t.Name))
		num(uint64(len(t.DType)))
		h.Write([]byte(t.DType))
		num(uint64(len(t.Shape)))
		for _, d := range t.Shape {
			num(uint64(d))
		}
		num(uint64(len(t.Data)))
		h.Write(t.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MetadataSHA256 is the lower-case hex sha256 of the metadata without its "sha256" entry:
// the entries in key order, each as len(key) key len(value) value (lengths as little-endian
// uint64), after the line "edgewatt metadata v2\n".
func MetadataSHA256(md map[string]string) string {
	keys := make([]string, 0, len(md))
	for k := range md {
		if k != "sha256" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte("edgewatt metadata v2\n"))
	var n [8]byte
	for _, k := range keys {
		for _, s := range []string{k, md[k]} {
			binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
			h.Write(n[:])
			h.Write([]byte(s))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
