package runtime

// Traffic is the memory one prediction reads beyond the predictor's own scratch: the
// embedding rows it gathers and the dense weights. On a Pi the rows are the part that can miss
// the caches (a 10,000-word float32 table is 640 KB); the weights are small and stay hot.
type Traffic struct {
	Rows        int // embedding rows gathered: one per nonzero id (repeats read again), the padding row once
	RowBytes    int // bytes per row, its scale included (int8 rows)
	WeightBytes int // dense weights and biases, float32 in memory (quantized ones are dequantized at load)
}

// Bytes is the total: Rows*RowBytes + WeightBytes.
func (t Traffic) Bytes() int { return t.Rows*t.RowBytes + t.WeightBytes }

// Traffic returns what PredictIDs(seq) reads (PredictText reads the same for the text's ids,
// plus the tokenizer's vocabulary lookups).
func (m *Model) Traffic(seq []int32) Traffic {
	e := &m.emb
	t := Traffic{RowBytes: e.dim * 4}
	switch e.kind {
	case embF16:
		t.RowBytes = e.dim * 2
	case embI8Row:
		t.RowBytes = e.dim + 4
	case embI8Tensor:
		t.RowBytes = e.dim
	}
	for _, l := range m.dense {
		t.WeightBytes += (l.in*l.out + l.out) * 4
	}
	maxlen := m.pre.MaxLen
	if m.pool == poolFlatten {
		t.Rows = maxlen
		return t
	}
	seq = truncate(seq, maxlen, m.pre.Truncating)
	n := 0
	for _, id := range seq {
		if mapID(id, int32(e.rows), m.badID) != 0 {
			n++
		}
	}
	t.Rows = n
	switch {
	case m.pool == poolMax:
		if n < maxlen {
			t.Rows++
		}
	case !e.maskZero && n < maxlen && !e.row0Zero:
		t.Rows++
	}
	return t
}
