package runtime

import "math/bits"

// vocabTable maps words to ids without allocating on lookup: an open-addressing hash table
// with linear probing over the words, which are kept in one string. A slot holds the
// hash's high 32 bits (a tag that rejects most mismatches without touching the word) and
// the id; 0 is an empty slot, since id 0 (padding) is never stored.
//
// The hash is unseeded. Text cannot flood the table: lookups never insert, so a lookup
// costs at most the longest run of occupied slots, which the vocabulary alone fixes
// (TestVocabTable pins it for a real vocabulary), and the table is at most half full.
type vocabTable struct {
	slots   []uint64
	mask    uint32
	arena   string   // all words, concatenated
	offs    []uint32 // word of id i is arena[offs[i]:offs[i+1]]
	maxWord int      // longest word in bytes
}

// newVocabTable indexes words[1:]; empty words are skipped and, of equal words, the lower id
// is kept.
func newVocabTable(words []string) *vocabTable {
	v := &vocabTable{offs: make([]uint32, len(words)+1)}
	size := 0
	for _, w := range words {
		size += len(w)
	}
	arena := make([]byte, 0, size)
	for i, w := range words {
		v.offs[i] = uint32(len(arena))
		arena = append(arena, w...)
	}
	v.offs[len(words)] = uint32(len(arena))
	v.arena = string(arena)

	n := 8
	for n < 2*len(words) {
		n <<= 1
	}
	v.slots = make([]uint64, n)
	v.mask = uint32(n - 1)
	for id := 1; id < len(words); id++ {
		w := words[id]
		if w == "" {
			continue
		}
		h := hashWord([]byte(w))
		i := uint32(h) & v.mask
		dup := false
		for s := v.slots[i]; s != 0; s = v.slots[i] {
			if s>>32 == h>>32 && v.word(int32(uint32(s))) == w {
				dup = true
				break
			}
			i = (i + 1) & v.mask
		}
		if dup {
			continue
		}
		v.slots[i] = h>>32<<32 | uint64(id)
		v.maxWord = max(v.maxWord, len(w))
	}
	return v
}

func (v *vocabTable) word(id int32) string { return v.arena[v.offs[id]:v.offs[id+1]] }

// get returns the id of w, or 0 when w is not a word of the vocabulary.
func (v *vocabTable) get(w []byte) int32 {
	h := hashWord(w)
	tag := h >> 32
	i := uint32(h) & v.mask
	for {
		s := v.slots[i]
		if s == 0 {
			return 0
		}
		if s>>32 == tag {
			id := int32(uint32(s))
			if string(w) == v.word(id) {
				return id
			}
		}
		i = (i + 1) & v.mask
	}
}

// getMapped is get for the word made of the bytes of seg mapped through ascii, without
// those that map to asciiDrop: n of them, hashing to h. seg is ASCII.
func (v *vocabTable) getMapped(seg string, n int, h uint64, ascii *[128]uint8) int32 {
	tag := h >> 32
	i := uint32(h) & v.mask
	for {
		s := v.slots[i]
		if s == 0 {
			return 0
		}
		if s>>32 == tag {
			id := int32(uint32(s))
			if w := v.word(id); len(w) == n && eqMapped(w, seg, ascii) {
				return id
			}
		}
		i = (i + 1) & v.mask
	}
}

// eqMapped reports whether w, of the length of the mapped seg, equals it. It reads the
// text rather than a copy of it, which a wide load could read only after the narrow stores
// that made the copy had been retired (a store-forwarding stall).
func eqMapped(w, seg string, ascii *[128]uint8) bool {
	j := 0
	for i := 0; i < len(seg); i++ {
		m := ascii[seg[i]&0x7F]
		if m == asciiDrop {
			continue
		}
		if j >= len(w) || w[j] != m {
			return false
		}
		j++
	}
	return j == len(w)
}

const (
	hashK0 = 0x9E3779B97F4A7C15
	hashK1 = 0xBF58476D1CE4E5B9
	hashK2 = 0x94D049BB133111EB
)

// The hash works a byte at a time so that the ASCII fast path can compute it while it
// scans, in registers: bytes are shifted into acc, and every 8 bytes acc is mixed into h
// (hashBlock); hashEnd mixes in the rest and the length with splitmix64's finalizer.
// hashWord is the same over a byte slice.

func hashBlock(h, acc uint64) uint64 {
	return bits.RotateLeft64((h^acc)*hashK1, 31)
}

func hashEnd(h, acc uint64, n int) uint64 {
	h = (h ^ acc ^ uint64(n)*hashK0) * hashK1
	h ^= h >> 31
	h *= hashK2
	h ^= h >> 29
	return h
}

func hashWord(b []byte) uint64 {
	var h, acc uint64
	for i, c := range b {
		acc = acc<<8 | uint64(c)
		if i&7 == 7 {
			h, acc = hashBlock(h, acc), 0
		}
	}
	return hashEnd(h, acc, len(b))
}
