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
	if len(seq) > maxlen {
		if p.Truncating == modelfile.Post {
			seq = seq[:maxlen]
		} else {
			seq = seq[len(seq)-maxlen:]
		}
	}
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
