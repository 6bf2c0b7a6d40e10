package h5write

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

const (
	undef          = math.MaxUint64 // the undefined address
	superblockSize = 96
	leafK          = 4  // group leaf node K: a symbol-table node holds up to 2*leafK entries
	internalK      = 16 // group internal node K: a B-tree node holds up to 2*internalK children
	snodEntries    = 2 * leafK
	snodSize       = 8 + snodEntries*40
	btreeChildren  = 2 * internalK
	btreeSize      = 24 + (2*internalK+1)*8 + 2*internalK*8
	gcolMinSize    = 4096
	ghObjHdr       = 16
)

var le = binary.LittleEndian

// File is an HDF5 file being assembled in memory. The zero value is not usable; call New.
type File struct {
	root    *Group
	vlen    []string // global heap objects; object index i+1
	problem error
}

// Group is an HDF5 group: attributes plus named child groups and datasets.
type Group struct {
	f        *File
	attrs    []attr
	children map[string]any // *Group or *dataset
}

type attr struct {
	name   string
	dtype  []byte
	dspace []byte
	data   []byte
}

type dataset struct {
	dtype  []byte
	dspace []byte
	raw    []byte
}

// New returns an empty file whose root group has no attributes.
func New() *File {
	f := &File{}
	f.root = &Group{f: f, children: map[string]any{}}
	return f
}

// Root returns the root group "/".
func (f *File) Root() *Group { return f.root }

func (f *File) fail(format string, a ...any) {
	if f.problem == nil {
		f.problem = fmt.Errorf("h5write: "+format, a...)
	}
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// Group returns the child group called name, creating it if needed. A name that is not a
// valid link name or already names a dataset makes Bytes fail.
func (g *Group) Group(name string) *Group {
	if !validName(name) {
		g.f.fail("invalid group name %q", name)
		return &Group{f: g.f, children: map[string]any{}}
	}
	if c, ok := g.children[name]; ok {
		if cg, ok := c.(*Group); ok {
			return cg
		}
		g.f.fail("%q is already a dataset", name)
		return &Group{f: g.f, children: map[string]any{}}
	}
	cg := &Group{f: g.f, children: map[string]any{}}
	g.children[name] = cg
	return cg
}

func (g *Group) addAttr(a attr) {
	if !validName(a.name) {
		g.f.fail("invalid attribute name %q", a.name)
		return
	}
	for _, o := range g.attrs {
		if o.name == a.name {
			g.f.fail("attribute %q set twice", a.name)
			return
		}
	}
	g.attrs = append(g.attrs, a)
}

// AttrVlenString sets a scalar variable-length string attribute (h5py's str), with UTF-8
// character set when utf8 is true and ASCII otherwise; the text lives in the global heap.
func (g *Group) AttrVlenString(name, value string, utf8 bool) {
	g.f.vlen = append(g.f.vlen, value)
	idx := uint32(len(g.f.vlen))
	cset := byte(0)
	if utf8 {
		cset = 1
	}
	// class 9 (variable-length) version 1; type 1 = string, padding 0 = null-terminated;
	// size 16 (length + global heap id); base type: 8-bit unsigned integer.
	dt := []byte{0x19, 0x01, cset, 0x00, 16, 0, 0, 0,
		0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0}
	data := make([]byte, 16)
	le.PutUint32(data[0:], uint32(len(value)))
	le.PutUint64(data[4:], superblockSize) // the one global heap collection follows the superblock
	le.PutUint32(data[12:], idx)
	g.addAttr(attr{name: name, dtype: dt, dspace: scalarSpace(), data: data})
}

// AttrFixedStrings sets a 1-D attribute of fixed-length NULL-padded ASCII strings whose
// length is that of the longest value (numpy's 'S<n>', what h5py 2.x writes for Keras's
// layer_names and weight_names).
func (g *Group) AttrFixedStrings(name string, values []string) {
	n := 1
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			g.f.fail("attribute %q: string %q contains NUL", name, v)
			return
		}
		n = max(n, len(v))
	}
	dt := make([]byte, 8)
	dt[0] = 0x13 // class 3 (string) version 1
	dt[1] = 0x01 // padding 1 = null pad, character set 0 = ASCII
	le.PutUint32(dt[4:], uint32(n))
	data := make([]byte, n*len(values))
	for i, v := range values {
		copy(data[i*n:], v)
	}
	g.addAttr(attr{name: name, dtype: dt, dspace: simpleSpace([]uint64{uint64(len(values))}), data: data})
}

// AttrEmptyFloat64 sets an empty 1-D float64 attribute: what Keras writes as the
// weight_names of a layer without weights.
func (g *Group) AttrEmptyFloat64(name string) {
	g.addAttr(attr{name: name, dtype: float64Type(), dspace: simpleSpace([]uint64{0})})
}

// DatasetFloat32 adds a contiguous little-endian float32 dataset of the given shape (an
// empty shape is a scalar). len(data) must be the product of shape.
func (g *Group) DatasetFloat32(name string, shape []int, data []float32) {
	n := 1
	dims := make([]uint64, len(shape))
	for i, d := range shape {
		if d < 0 {
			g.f.fail("dataset %q: negative dimension %d", name, d)
			return
		}
		n *= d
		dims[i] = uint64(d)
	}
	if n != len(data) {
		g.f.fail("dataset %q: shape %v holds %d values, got %d", name, shape, n, len(data))
		return
	}
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		le.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	sp := scalarSpace()
	if len(shape) > 0 {
		sp = simpleSpace(dims)
	}
	g.addDataset(name, &dataset{dtype: float32Type(), dspace: sp, raw: raw})
}

// DatasetInt64Scalar adds a scalar little-endian int64 dataset (Keras's optimizer
// iteration counter).
func (g *Group) DatasetInt64Scalar(name string, v int64) {
	raw := make([]byte, 8)
	le.PutUint64(raw, uint64(v))
	dt := []byte{0x10, 0x08, 0, 0, 8, 0, 0, 0, 0, 0, 64, 0}
	g.addDataset(name, &dataset{dtype: dt, dspace: scalarSpace(), raw: raw})
}

func (g *Group) addDataset(name string, d *dataset) {
	if !validName(name) {
		g.f.fail("invalid dataset name %q", name)
		return
	}
	if _, ok := g.children[name]; ok {
		g.f.fail("%q already exists", name)
		return
	}
	g.children[name] = d
}

func scalarSpace() []byte { return []byte{1, 0, 0, 0, 0, 0, 0, 0} }

// simpleSpace is a version-1 dataspace message with maximum dimensions equal to dims.
func simpleSpace(dims []uint64) []byte {
	b := make([]byte, 8+16*len(dims))
	b[0], b[1], b[2] = 1, byte(len(dims)), 1
	for i, d := range dims {
		le.PutUint64(b[8+8*i:], d)
		le.PutUint64(b[8+8*(len(dims)+i):], d)
	}
	return b
}

func float32Type() []byte {
	// class 1 (float) version 1; little-endian, implied mantissa msb, sign at bit 31;
	// size 4; offset 0, precision 32, exponent at 23 size 8, mantissa at 0 size 23, bias 127.
	return []byte{0x11, 0x20, 0x1f, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0}
}

func float64Type() []byte {
	return []byte{0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0}
}

func pad8(n int) int { return (n + 7) &^ 7 }

// Bytes lays the file out and returns its contents, or the first error recorded while
// building it.
func (f *File) Bytes() ([]byte, error) {
	if f.problem != nil {
		return nil, f.problem
	}
	w := &writer{buf: make([]byte, superblockSize)}
	if len(f.vlen) > 0 {
		w.globalHeap(f.vlen)
	}
	hdr, btree, heap, err := w.group(f.root)
	if err != nil {
		return nil, err
	}
	b := w.buf
	copy(b, "\x89HDF\r\n\x1a\n")
	// versions: superblock 0, free space 0, root symbol table entry 0, reserved, shared
	// header 0; offsets 8, lengths 8, reserved.
	copy(b[8:], []byte{0, 0, 0, 0, 0, 8, 8, 0})
	le.PutUint16(b[16:], leafK)
	le.PutUint16(b[18:], internalK)
	le.PutUint64(b[24:], 0)                  // base address
	le.PutUint64(b[32:], undef)              // free-space info
	le.PutUint64(b[40:], uint64(len(b)))     // end of file
	le.PutUint64(b[48:], undef)              // driver information block
	putEntry(b[56:], 0, hdr, 1, btree, heap) // root group symbol table entry
	return b, nil
}

type writer struct{ buf []byte }

func (w *writer) alloc(n int) (int, []byte) {
	off := len(w.buf)
	w.buf = append(w.buf, make([]byte, n)...)
	return off, w.buf[off : off+n]
}

// globalHeap writes one collection holding strs as objects 1..n, padded with a free-space
// object to at least 4096 bytes as the HDF5 library expects.
func (w *writer) globalHeap(strs []string) {
	size := 16
	for _, s := range strs {
		size += ghObjHdr + pad8(len(s))
	}
	total := size
	if gcolMinSize-size >= ghObjHdr {
		total = gcolMinSize
	} else if total < gcolMinSize {
		total = gcolMinSize + ghObjHdr // room for a free-space object
	}
	total = pad8(total)
	_, b := w.alloc(total)
	copy(b, "GCOL")
	b[4] = 1
	le.PutUint64(b[8:], uint64(total))
	p := 16
	for i, s := range strs {
		le.PutUint16(b[p:], uint16(i+1))
		le.PutUint16(b[p+2:], 1) // reference count
		le.PutUint64(b[p+8:], uint64(len(s)))
		copy(b[p+16:], s)
		p += ghObjHdr + pad8(len(s))
	}
	if total-p >= ghObjHdr {
		le.PutUint64(b[p+8:], uint64(total-p)) // free space object 0, size includes its header
	}
}

// putEntry encodes a 40-byte symbol table entry.
func putEntry(b []byte, nameOff, hdr uint64, cache uint32, btree, heap uint64) {
	le.PutUint64(b[0:], nameOff)
	le.PutUint64(b[8:], hdr)
	le.PutUint32(b[16:], cache)
	if cache == 1 {
		le.PutUint64(b[24:], btree)
		le.PutUint64(b[32:], heap)
	}
}

type message struct {
	typ   uint16
	flags byte
	data  []byte
}

// objectHeader writes a version-1 object header holding msgs and returns its address.
func (w *writer) objectHeader(msgs []message) (uint64, error) {
	size := 0
	for _, m := range msgs {
		if len(m.data) > math.MaxUint16-7 {
			return 0, fmt.Errorf("h5write: header message of %d bytes is too big for version 1", len(m.data))
		}
		size += 8 + pad8(len(m.data))
	}
	if len(msgs) > math.MaxUint16 {
		return 0, errors.New("h5write: too many header messages")
	}
	off, b := w.alloc(16 + size)
	b[0] = 1
	le.PutUint16(b[2:], uint16(len(msgs)))
	le.PutUint32(b[4:], 1) // reference count
	le.PutUint32(b[8:], uint32(size))
	p := 16
	for _, m := range msgs {
		le.PutUint16(b[p:], m.typ)
		le.PutUint16(b[p+2:], uint16(pad8(len(m.data))))
		b[p+4] = m.flags
		copy(b[p+8:], m.data)
		p += 8 + pad8(len(m.data))
	}
	return uint64(off), nil
}

func attrMessage(a attr) message {
	n := len(a.name) + 1
	d := make([]byte, 8+pad8(n)+pad8(len(a.dtype))+pad8(len(a.dspace))+len(a.data))
	d[0] = 1
	le.PutUint16(d[2:], uint16(n))
	le.PutUint16(d[4:], uint16(len(a.dtype)))
	le.PutUint16(d[6:], uint16(len(a.dspace)))
	p := 8
	copy(d[p:], a.name)
	p += pad8(n)
	copy(d[p:], a.dtype)
	p += pad8(len(a.dtype))
	copy(d[p:], a.dspace)
	p += pad8(len(a.dspace))
	copy(d[p:], a.data)
	return message{typ: 0x000C, flags: 0, data: d}
}

func (w *writer) dataset(d *dataset) (uint64, error) {
	dataAddr := uint64(undef)
	if len(d.raw) > 0 {
		// align raw data to 8 bytes so float32 arrays can be mapped directly
		if pad := pad8(len(w.buf)) - len(w.buf); pad > 0 {
			w.alloc(pad)
		}
		off, b := w.alloc(len(d.raw))
		copy(b, d.raw)
		dataAddr = uint64(off)
	}
	layout := make([]byte, 18)
	layout[0], layout[1] = 3, 1 // version 3, contiguous
	le.PutUint64(layout[2:], dataAddr)
	le.PutUint64(layout[10:], uint64(len(d.raw)))
	return w.objectHeader([]message{
		{typ: 0x0001, data: d.dspace},
		{typ: 0x0003, flags: 1, data: d.dtype},
		// fill value v2: allocation late, write if set, defined, size 0 (library default)
		{typ: 0x0005, flags: 1, data: []byte{2, 2, 2, 1, 0, 0, 0, 0}},
		{typ: 0x0008, data: layout},
	})
}

// group writes g's children, local heap, symbol-table nodes, B-tree and object header and
// returns the header, B-tree and heap addresses.
func (w *writer) group(g *Group) (hdr, btree, heap uint64, err error) {
	names := make([]string, 0, len(g.children))
	for n := range g.children {
		names = append(names, n)
	}
	sort.Strings(names) // byte order, as strcmp
	if len(names) > snodEntries*btreeChildren {
		return 0, 0, 0, fmt.Errorf("h5write: group with %d members; at most %d supported", len(names), snodEntries*btreeChildren)
	}
	type ent struct {
		nameOff           uint64
		hdr, btree, heapA uint64
		cache             uint32
	}
	ents := make([]ent, len(names))
	for i, n := range names {
		switch c := g.children[n].(type) {
		case *Group:
			h, bt, hp, err := w.group(c)
			if err != nil {
				return 0, 0, 0, err
			}
			ents[i] = ent{hdr: h, btree: bt, heapA: hp, cache: 1}
		case *dataset:
			h, err := w.dataset(c)
			if err != nil {
				return 0, 0, 0, err
			}
			ents[i] = ent{hdr: h}
		}
	}

	// Local heap: "" at 0, then the names, then a free block (next = 1, the library's
	// end-of-list marker) as the HDF5 library leaves one.
	seg := []byte{0, 0, 0, 0, 0, 0, 0, 0}
	for i, n := range names {
		ents[i].nameOff = uint64(len(seg))
		seg = append(seg, n...)
		seg = append(seg, make([]byte, pad8(len(n)+1)-len(n))...)
	}
	freeOff := len(seg)
	free := make([]byte, 16)
	le.PutUint64(free[0:], 1)
	le.PutUint64(free[8:], 16)
	seg = append(seg, free...)
	heapOff, hb := w.alloc(32 + len(seg))
	copy(hb, "HEAP")
	le.PutUint64(hb[8:], uint64(len(seg)))
	le.PutUint64(hb[16:], uint64(freeOff))
	le.PutUint64(hb[24:], uint64(heapOff+32))
	copy(hb[32:], seg)

	// Symbol-table nodes of up to 8 entries.
	var snods []uint64
	var lastKey []uint64
	for start := 0; start < len(ents); start += snodEntries {
		end := min(start+snodEntries, len(ents))
		off, b := w.alloc(snodSize)
		copy(b, "SNOD")
		b[4] = 1
		le.PutUint16(b[6:], uint16(end-start))
		for i := start; i < end; i++ {
			e := ents[i]
			putEntry(b[8+40*(i-start):], e.nameOff, e.hdr, e.cache, e.btree, e.heapA)
		}
		snods = append(snods, uint64(off))
		lastKey = append(lastKey, ents[end-1].nameOff)
	}

	// One leaf B-tree node (type 0 = group) over the symbol-table nodes.
	btOff, bb := w.alloc(btreeSize)
	copy(bb, "TREE")
	le.PutUint16(bb[6:], uint16(len(snods)))
	le.PutUint64(bb[8:], undef)
	le.PutUint64(bb[16:], undef)
	p := 24
	le.PutUint64(bb[p:], 0) // key 0: the empty name
	p += 8
	for i, s := range snods {
		le.PutUint64(bb[p:], s)
		le.PutUint64(bb[p+8:], lastKey[i])
		p += 16
	}

	stab := make([]byte, 16)
	le.PutUint64(stab[0:], uint64(btOff))
	le.PutUint64(stab[8:], uint64(heapOff))
	msgs := []message{{typ: 0x0011, data: stab}}
	for _, a := range g.attrs {
		msgs = append(msgs, attrMessage(a))
	}
	h, err := w.objectHeader(msgs)
	return h, uint64(btOff), uint64(heapOff), err
}
