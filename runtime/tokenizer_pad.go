package runtime

import "github.com/edgewatt/edgewatt/runtime/modelfile"

// Pad writes seq into dst as Keras's pad_sequences(maxlen=len(dst), value=0) does with
// p.Padding and p.Truncating, and returns dst:
//
//	truncating "pre":  keep seq[len(seq)-maxlen:]   "post": keep seq[:maxlen]
//	padding    "pre":  zeros first, then the ids     "post": the ids, then zeros
//
// Anything other than "post" is taken as "pre", Keras's default (the model file's reader
// rejects other values). len(dst) must equal p.MaxLen; Pad panics otherwise, as that is a
// programming error.
func Pad(dst, seq []int32, p modelfile.Preprocess) []int32 {
	if len(dst) != p.MaxLen {
		panic("runtime: Pad: len(dst) != Preprocess.MaxLen")
	}
	maxlen := len(dst)
	seq = truncate(seq, maxlen, p.Truncating)
	if p.Padding == modelfile.Post {
		n := copy(dst, seq)
		clear(dst[n:])
	} else {
		k := maxlen - len(seq)
		clear(dst[:k])
		copy(dst[k:], seq)
	}
	return dst
}

// truncate returns the ids of seq that pad_sequences keeps for maxlen: the last maxlen
// ("pre", and anything other than "post") or the first maxlen ("post").
func truncate(seq []int32, maxlen int, truncating string) []int32 {
	if len(seq) <= maxlen {
		return seq
	}
	if truncating == modelfile.Post {
		return seq[:maxlen]
	}
	return seq[len(seq)-maxlen:]
}
