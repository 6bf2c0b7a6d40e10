package runtime

import (
	"fmt"
	"testing"
)

func TestVocabTable(t *testing.T) {
	words := headlineVocab()
	words = append(words, "", "dup", "dup", "ünïcödé", "a longer word of many bytes, past two blocks")
	v := newVocabTable(words)
	for id, w := range words {
		got := v.get([]byte(w))
		want := int32(id)
		switch {
		case w == "":
			want = 0
		case w == "dup":
			want = int32(len(words) - 4) // the first of the two
		}
		if got != want {
			t.Errorf("get(%q) = %d, want %d", w, got, want)
		}
	}
	for _, w := range []string{"", "W10x", "w10", "w10xx", "dupe", "du", "ünïcöde"} {
		if id := v.get([]byte(w)); id != 0 {
			t.Errorf("get(%q) = %d (%q), want 0 (absent)", w, id, v.word(id))
		}
	}
	// Lookups cost at most maxProbe slots; keep that short for a real-sized vocabulary.
	maxProbe := v.maxProbe()
	t.Logf("%d words, %d slots, longest probe %d", len(words), len(v.slots), maxProbe)
	if maxProbe > 64 {
		t.Errorf("longest probe sequence %d slots: the hash clusters", maxProbe)
	}
	if 2*len(words) > len(v.slots) {
		t.Errorf("%d words in %d slots: more than half full", len(words), len(v.slots))
	}
}

// maxProbe is the longest probe sequence of any lookup: the longest run of full slots,
// wrapping around, plus the empty slot that ends it.
func (v *vocabTable) maxProbe() int {
	n := len(v.slots)
	run, longest := 0, 0
	for k := 0; k < 2*n; k++ {
		if v.slots[k&(n-1)] != 0 {
			run++
			longest = max(longest, min(run, n))
		} else {
			run = 0
		}
	}
	return longest + 1
}

// TestHashStreaming checks that the ASCII fast path's in-register hash (hashBlock/hashEnd
// as appendASCII drives them) equals hashWord at every length around the 8-byte blocks.
func TestHashStreaming(t *testing.T) {
	seen := map[uint64]string{}
	for n := 0; n <= 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + (i*7+n)%26)
		}
		var h, acc uint64
		for i, c := range b {
			acc = acc<<8 | uint64(c)
			if i&7 == 7 {
				h, acc = hashBlock(h, acc), 0
			}
		}
		if got, want := hashEnd(h, acc, n), hashWord(b); got != want {
			t.Errorf("length %d: streaming hash %#x, hashWord %#x", n, got, want)
		}
		if prev, dup := seen[hashWord(b)]; dup {
			t.Errorf("hashWord(%q) == hashWord(%q)", b, prev)
		}
		seen[hashWord(b)] = string(b)
	}
	// Zero bytes must count: "a", "\x00a" and "a\x00" differ.
	for _, pair := range [][2]string{{"a", "\x00a"}, {"a", "a\x00"}, {"", "\x00"}, {"\x00\x00\x00\x00\x00\x00\x00\x00a", "\x00\x00\x00\x00\x00\x00\x00a"}} {
		if hashWord([]byte(pair[0])) == hashWord([]byte(pair[1])) {
			t.Errorf("hashWord(%q) == hashWord(%q)", pair[0], pair[1])
		}
	}
}

func BenchmarkVocabGet(b *testing.B) {
	v := newVocabTable(headlineVocab())
	keys := make([][]byte, 64)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("w%dx", 100+i*97)) // half hits, half misses below
		if i%2 == 1 {
			keys[i] = append(keys[i], 'q')
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v.get(keys[i&63])
		i++
	}
}
