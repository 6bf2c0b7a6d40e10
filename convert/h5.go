package convert

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/internal/third_party/hdf5"
)

// h5Guard turns a panic inside the HDF5 library (it parses untrusted bytes) into an error.
func h5Guard(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("convert: %s: the HDF5 reader failed on this file (%v); the file is corrupt or truncated", what, r)
	}
}

// openH5 opens an HDF5 file held in memory (a file read with its size limit, or a .keras
// member), mapping the library's errors to one clear message.
func openH5(b []byte, what string) (f *hdf5.File, size int64, err error) {
	defer h5Guard(&err, what)
	if size, err = checkH5Size(b, what); err != nil {
		return nil, 0, err
	}
	f, err = hdf5.OpenReaderAt(bytes.NewReader(b), size)
	if err != nil {
		return nil, 0, fmt.Errorf("convert: %s is not a readable HDF5 file (%v); is it truncated or not a Keras .h5?", what, err)
	}
	return f, size, nil
}

// checkH5Size compares the file's size with the end-of-file address in its superblock and
// checks the sizes of the file's local (HEAP) and global (GCOL) heaps: scigolib/hdf5 checks
// neither, so a truncated file could read as zeros and a corrupt heap size makes it allocate
// without bound. It returns the file's size.
func checkH5Size(b []byte, what string) (int64, error) {
	size := uint64(len(b))
	if len(b) < 16 || string(b[:8]) != "\x89HDF\r\n\x1a\n" {
		return 0, fmt.Errorf("convert: %s is not an HDF5 file (no signature at byte 0); is it truncated or not a Keras .h5?", what)
	}
	var o, l, at, baseAt int
	switch b[8] {
	case 0, 1:
		o, l = int(b[13]), int(b[14])
		baseAt = 24
		if b[8] == 1 {
			baseAt = 28
		}
	case 2, 3:
		o, l = int(b[9]), int(b[10])
		baseAt = 12
	default:
		return 0, fmt.Errorf("convert: %s: HDF5 superblock version %d is not supported", what, b[8])
	}
	at = baseAt + 2*o
	if (o != 4 && o != 8) || (l != 4 && l != 8) {
		return 0, fmt.Errorf("convert: %s: HDF5 offset/length sizes %d/%d are invalid; the file is corrupt", what, o, l)
	}
	if at+o > len(b) {
		return 0, fmt.Errorf("convert: %s is truncated inside its HDF5 superblock", what)
	}
	base, eof := leUint(b[baseAt:], o), leUint(b[at:], o)
	if base > size || eof > size-base {
		return 0, fmt.Errorf("convert: %s is truncated: its HDF5 superblock says it is %d bytes long, but it has %d; copy it again", what, base+eof, len(b))
	}
	corrupt := func(kind string, off int) error {
		return fmt.Errorf("convert: %s: the %s heap at byte %d claims more bytes than the file has; the file is corrupt", what, kind, off)
	}
	for off := 0; ; {
		k := bytes.Index(b[off:], []byte("HEAP"))
		if k < 0 {
			break
		}
		off += k
		// scigolib/hdf5 checks only the signature, not the version: neither do we.
		if h := b[off:]; len(h) >= 8+2*l+o {
			n, addr := leUint(h[8:], l), leUint(h[8+2*l:], o)
			if n > size || addr > size-n {
				return 0, corrupt("local", off)
			}
		}
		off += 4
	}
	for off := 0; ; {
		k := bytes.Index(b[off:], []byte("GCOL"))
		if k < 0 {
			break
		}
		off += k
		if h := b[off:]; len(h) >= 8+l && h[4] == 1 {
			if n := leUint(h[8:], l); n > size-uint64(off) {
				return 0, corrupt("global", off)
			}
		}
		off += 4
	}
	return int64(size), nil
}

func leUint(b []byte, n int) uint64 {
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// h5Attrs returns the attributes of a group as Go values (string, []string, []float64, ...).
func h5Attrs(g *hdf5.Group) (map[string]any, error) {
	attrs, err := g.Attributes()
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(attrs))
	for _, a := range attrs {
		// The library allocates from the dataspace before it checks the stored bytes:
		// check them first so a corrupt dimension cannot exhaust memory.
		if a.Datatype == nil || a.Dataspace == nil {
			return nil, fmt.Errorf("attribute %q of %s has no type or shape", a.Name, g.Name())
		}
		if n := a.Dataspace.TotalElements(); n > 0 && (a.Datatype.Size == 0 || n > uint64(len(a.Data))/uint64(a.Datatype.Size)) {
			return nil, fmt.Errorf("attribute %q of %s claims %d elements of %d bytes in %d bytes; the file is corrupt", a.Name, g.Name(), n, a.Datatype.Size, len(a.Data))
		}
		v, err := a.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("attribute %q of %s: %v", a.Name, g.Name(), err)
		}
		out[a.Name] = v
	}
	return out, nil
}

// attrString returns a scalar string attribute (fixed-length or vlen), "" when absent.
func attrString(attrs map[string]any, name string) (string, error) {
	v, ok := attrs[name]
	if !ok {
		return "", nil
	}
	switch s := v.(type) {
	case string:
		return s, nil
	case []string:
		if len(s) == 1 {
			return s[0], nil
		}
	case []byte:
		return string(s), nil
	}
	return "", fmt.Errorf("attribute %q is %T, not a string", name, v)
}

// attrStrings returns a string-array attribute, also accepting a single string and the
// empty float64 array Keras writes for an empty list. Keras splits attributes larger than
// 64 KiB into name0, name1, ...; those are joined.
func attrStrings(attrs map[string]any, name string) ([]string, error) {
	if _, ok := attrs[name]; !ok {
		var all []string
		for i := 0; ; i++ {
			part := name + strconv.Itoa(i)
			if _, ok := attrs[part]; !ok {
				break
			}
			s, err := attrStrings(attrs, part)
			if err != nil {
				return nil, err
			}
			all = append(all, s...)
		}
		return all, nil
	}
	switch v := attrs[name].(type) {
	case string:
		return []string{v}, nil
	case []string:
		return v, nil
	case []any:
		if len(v) == 0 {
			return nil, nil
		}
	case []float64:
		if len(v) == 0 {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("attribute %q is %T, not a list of strings", name, attrs[name])
}

// h5Child returns the object at the slash-separated path below g.
func h5Child(g *hdf5.Group, path string) (hdf5.Object, error) {
	var obj hdf5.Object = g
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if part == "" {
			continue
		}
		cur, ok := obj.(*hdf5.Group)
		if !ok {
			return nil, fmt.Errorf("%q: %q is a dataset, not a group", path, obj.Name())
		}
		var next hdf5.Object
		for _, c := range cur.Children() {
			if c.Name() == part {
				next = c
				break
			}
		}
		if next == nil {
			return nil, fmt.Errorf("%q: no %q in group %q", path, part, cur.Name())
		}
		obj = next
	}
	return obj, nil
}

func h5Group(g *hdf5.Group, path string) (*hdf5.Group, error) {
	obj, err := h5Child(g, path)
	if err != nil {
		return nil, err
	}
	sub, ok := obj.(*hdf5.Group)
	if !ok {
		return nil, fmt.Errorf("%q is a dataset, not a group", path)
	}
	return sub, nil
}

// infoRE parses hdf5.Dataset.Info() of scigolib/hdf5 v0.14.1, the only place the library
// exposes a dataset's element type and dimensions:
// "Dataset: float (size=4 bytes), 2D array [16 x 24], contiguous (address=0x2510, size=1536)".
var infoRE = regexp.MustCompile(`^Dataset: (\w+) \(size=(\d+) bytes\), (scalar|1D array \[(\d+)\]|2D array \[(\d+) x (\d+)\]|\d+D array \[([\d ]*)\]), (.*)$`)

// contiguousRE parses the layout part of Info() for contiguous datasets.
var contiguousRE = regexp.MustCompile(`^contiguous \(address=0x([0-9A-F]+), size=(\d+)\)$`)

// chunkedRE parses the layout part of Info() for chunked datasets: "chunked (chunks=[20 4 4])"
// (the last dimension of a version 1-3 layout is the element size).
var chunkedRE = regexp.MustCompile(`^chunked \(chunks=\[([\d ]*)\]\)$`)

// h5Float32 reads a float dataset as float32 with its shape. fileSize bounds what the
// dataset may claim before the library allocates for it.
func h5Float32(ds *hdf5.Dataset, fileSize int64) (shape []int, data []float32, err error) {
	info, err := ds.Info()
	if err != nil {
		return nil, nil, err
	}
	m := infoRE.FindStringSubmatch(info)
	if m == nil {
		return nil, nil, fmt.Errorf("unrecognized dataset description %q", info)
	}
	if m[1] != "float" || (m[2] != "4" && m[2] != "8") {
		return nil, nil, fmt.Errorf("dataset %s holds %s of %s bytes, want float32 weights", ds.Name(), m[1], m[2])
	}
	var dims []string
	switch {
	case m[3] == "scalar":
	case m[4] != "":
		dims = []string{m[4]}
	case m[5] != "":
		dims = []string{m[5], m[6]}
	default:
		dims = strings.Fields(m[7])
	}
	for _, d := range dims {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 1<<30 {
			return nil, nil, fmt.Errorf("dataset %s: bad dimension %q", ds.Name(), d)
		}
		shape = append(shape, n)
	}
	elems, ok := shapeElems(shape)
	if !ok {
		return nil, nil, fmt.Errorf("dataset %s: shape %v too large", ds.Name(), shape)
	}
	esize, _ := strconv.Atoi(m[2])
	if int64(elems) > fileSize/int64(esize) {
		return nil, nil, fmt.Errorf("dataset %s: shape %v is larger than the file; the file is corrupt", ds.Name(), shape)
	}
	if c := contiguousRE.FindStringSubmatch(m[8]); c != nil {
		addr, err1 := strconv.ParseUint(c[1], 16, 64)
		size, err2 := strconv.ParseUint(c[2], 10, 64)
		if err1 != nil || err2 != nil || size != uint64(elems*esize) || addr > uint64(fileSize) || size > uint64(fileSize)-addr {
			return nil, nil, fmt.Errorf("dataset %s: stored data (%s) does not match shape %v or lies outside the file; the file is corrupt", ds.Name(), m[8], shape)
		}
	} else if c := chunkedRE.FindStringSubmatch(m[8]); c != nil {
		// A chunk larger than the dataset would let a compressed chunk inflate past the
		// dataset's own size (a decompression bomb); Keras and h5py never write one.
		cd := strings.Fields(c[1])
		if len(cd) < len(shape) {
			return nil, nil, fmt.Errorf("dataset %s: chunk dimensions %v do not match shape %v; the file is corrupt", ds.Name(), cd, shape)
		}
		for i, d := range shape {
			n, err := strconv.ParseUint(cd[i], 10, 64)
			if err != nil || n == 0 || n > uint64(max(d, 1)) {
				return nil, nil, fmt.Errorf("dataset %s: chunk dimensions %v are larger than its shape %v; the file is corrupt or hostile (a chunk could inflate past the dataset)", ds.Name(), cd, shape)
			}
		}
	} else if !strings.HasPrefix(m[8], "compact") {
		return nil, nil, fmt.Errorf("dataset %s: unsupported storage %q", ds.Name(), m[8])
	}
	vals, err := ds.Read()
	if err != nil {
		return nil, nil, err
	}
	if len(vals) != elems {
		return nil, nil, fmt.Errorf("dataset %s: read %d values for shape %v", ds.Name(), len(vals), shape)
	}
	data = make([]float32, len(vals))
	for i, v := range vals {
		data[i] = float32(v)
	}
	return shape, data, nil
}

// ReadH5 reads a legacy HDF5 full-model file written by model.save("x.h5") in Keras 2.2
// to 2.15 or Keras 3 (see doc.go for the layouts).
func ReadH5(path string) (m *Model, err error) {
	defer h5Guard(&err, path)
	b, err := readInput(path, "model", safeio.MaxModelFile)
	if err != nil {
		return nil, err
	}
	f, size, err := openH5(b, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	root := f.Root()
	rootAttrs, err := h5Attrs(root)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %v", path, err)
	}
	cfg, err := attrString(rootAttrs, "model_config")
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %v", path, err)
	}
	if cfg == "" {
		if _, ok := rootAttrs["layer_names"]; ok {
			return nil, fmt.Errorf("convert: %s holds only weights (model.save_weights), no model_config: save the whole model with model.save(\"model.h5\") or model.save(\"model.keras\")", path)
		}
		return nil, fmt.Errorf("convert: %s is an HDF5 file without a Keras model_config attribute: not a Keras model saved with model.save(\"model.h5\")", path)
	}
	m, err = parseModelConfig([]byte(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	m.Format = "h5"
	m.KerasVersion, _ = attrString(rootAttrs, "keras_version")
	m.Backend, _ = attrString(rootAttrs, "backend")

	wg, err := h5Group(root, "model_weights")
	if err != nil {
		return nil, fmt.Errorf("convert: %s: no model_weights group (%v): the model was saved without weights; %w", path, err, ErrNoWeights)
	}
	wAttrs, err := h5Attrs(wg)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: model_weights: %v", path, err)
	}
	names, err := attrStrings(wAttrs, "layer_names")
	if err != nil {
		return nil, fmt.Errorf("convert: %s: model_weights: %v", path, err)
	}
	for _, name := range names {
		l := m.layer(name)
		if l == nil {
			return nil, fmt.Errorf("convert: %s: weights for layer %q, which the model config does not list; the file is inconsistent", path, name)
		}
		lg, err := h5Group(wg, name)
		if err != nil {
			return nil, fmt.Errorf("convert: %s: layer %q: %v", path, name, err)
		}
		la, err := h5Attrs(lg)
		if err != nil {
			return nil, fmt.Errorf("convert: %s: layer %q: %v", path, name, err)
		}
		wnames, err := attrStrings(la, "weight_names")
		if err != nil {
			return nil, fmt.Errorf("convert: %s: layer %q: %v", path, name, err)
		}
		for _, wn := range wnames {
			obj, err := h5Child(lg, wn)
			if err != nil {
				return nil, fmt.Errorf("convert: %s: layer %q: weight %v", path, name, err)
			}
			ds, ok := obj.(*hdf5.Dataset)
			if !ok {
				return nil, fmt.Errorf("convert: %s: layer %q: weight %q is a group, not a dataset", path, name, wn)
			}
			shape, data, err := h5Float32(ds, size)
			if err != nil {
				return nil, fmt.Errorf("convert: %s: layer %q: weight %q: %v", path, name, wn, err)
			}
			l.Weights = append(l.Weights, Weight{Name: varName(wn), Shape: shape, Data: data})
		}
	}
	return m, nil
}

// readKerasWeightsH5 reads the model.weights.h5 of a Keras 3 .keras archive into m's layers.
// Keras 3 stores each layer's variables unnamed under layers/<path>/vars/0, 1, ... where
// <path> is the snake_case class name with a per-class counter in layer order (dense,
// dense_1, ...), not the layer's name; this is how Keras itself finds them on load.
func readKerasWeightsH5(b []byte, what string, m *Model) (err error) {
	defer h5Guard(&err, what)
	f, size, err := openH5(b, what)
	if err != nil {
		return err
	}
	defer f.Close()
	root := f.Root()
	used := map[string]int{}
	for i := range m.Layers {
		l := &m.Layers[i]
		if l.Class == "InputLayer" {
			continue
		}
		key := snakeCase(l.Class)
		if n, ok := used[key]; ok {
			used[key] = n + 1
			key = key + "_" + strconv.Itoa(n+1)
		} else {
			used[key] = 0
		}
		vg, err := h5Group(root, "layers/"+key+"/vars")
		if err != nil {
			continue // weightless layers may have no group at all
		}
		for j := 0; ; j++ {
			obj, err := h5Child(vg, strconv.Itoa(j))
			if err != nil {
				break
			}
			ds, ok := obj.(*hdf5.Dataset)
			if !ok {
				return fmt.Errorf("convert: %s: layers/%s/vars/%d is not a dataset", what, key, j)
			}
			shape, data, err := h5Float32(ds, size)
			if err != nil {
				return fmt.Errorf("convert: %s: layer %q (layers/%s/vars/%d): %v", what, l.Name, key, j, err)
			}
			l.Weights = append(l.Weights, Weight{Name: kerasVarName(l.Class, j), Shape: shape, Data: data})
		}
		if len(vg.Children()) != len(l.Weights) {
			return fmt.Errorf("convert: %s: layers/%s/vars has %d entries, not numbered 0..n-1", what, key, len(vg.Children()))
		}
	}
	return nil
}

// kerasVarName names the j-th variable of a Keras 3 layer.
func kerasVarName(class string, j int) string {
	switch {
	case class == "Embedding" && j == 0:
		return "embeddings"
	case class == "Dense" && j == 0:
		return "kernel"
	case class == "Dense" && j == 1:
		return "bias"
	}
	return strconv.Itoa(j)
}

// snakeCase is Keras's naming.to_snake_case: GlobalAveragePooling1D -> global_average_pooling1d.
func snakeCase(s string) string {
	var b strings.Builder
	r := []rune(s)
	isUpper := func(c rune) bool { return c >= 'A' && c <= 'Z' }
	isLower := func(c rune) bool { return c >= 'a' && c <= 'z' }
	for i, c := range r {
		if i > 0 && isUpper(c) {
			// (.)([A-Z][a-z]+) and ([a-z])([A-Z]) both insert an underscore here.
			if isLower(r[i-1]) || (i+1 < len(r) && isLower(r[i+1])) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(c)
	}
	return strings.ToLower(b.String())
}
