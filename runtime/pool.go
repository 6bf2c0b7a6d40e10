package runtime

import (
	"fmt"
	"math"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Poolings (Model.pool).
const (
	poolAverage = iota // GlobalAveragePooling1D: predict.go's counting path
	poolMax            // GlobalMaxPooling1D
	poolFlatten        // Flatten
)

func poolKind(s string) (int, error) {
	switch s {
	case "", modelfile.PoolAverage:
		return poolAverage, nil
	case modelfile.PoolMax:
		return poolMax, nil
	case modelfile.PoolFlatten:
		return poolFlatten, nil
	}
	return 0, fmt.Errorf("runtime: unknown pooling %q; this edgewatt runs %s, %s and %s", s, modelfile.PoolAverage, modelfile.PoolMax, modelfile.PoolFlatten)
}

// flatLen is the length of the Flatten scratch: maxlen*D for Flatten models, else 0.
func (m *Model) flatLen() int {
	if m.pool != poolFlatten {
		return 0
	}
	return m.pre.MaxLen * m.emb.dim
}

// poolOther computes dense.0's input for GlobalMaxPooling1D and Flatten, which see every
// one of the maxlen positions, padding included: Keras masks neither (modelfile/doc.go).
//
// Max: the elementwise maximum over the rows of the padded input (the nonzero ids from
// compactIDs, repeats read again, and row 0 once when there is padding), so the cost is the
// number of ids, not maxlen. Flatten: the padded ids' rows side by side, which dense.0
// (maxlen*D wide) reads.
// Ids outside the embedding count as badID, as in PredictIDs.
func (p *Predictor) poolOther(seq []int32) []float32 {
	m := p.m
	e := &m.emb
	if m.pool == poolFlatten {
		ids := Pad(p.padded, seq, m.pre)
		for i, id := range ids {
			if uint(uint32(id)) >= uint(e.rows) {
				ids[i] = m.badID
			}
		}
		switch e.kind {
		case embF32:
			poolKern.rowsF32(p.flat, e.f32, ids, e.dim)
		case embF16:
			poolKern.rowsF16(p.flat, e.f16, ids, e.dim)
		default:
			poolKern.rowsI8(p.flat, e.i8, ids, p.rowScales(ids), e.dim)
		}
		return p.flat
	}
	// The nonzero ids (repeats included: the maximum does not mind), then row 0 once when
	// any position is padding or id 0; nz has room for maxlen+1.
	seq = truncate(seq, m.pre.MaxLen, m.pre.Truncating)
	n := p.k.compactIDs(p.nz, seq, int32(e.rows), m.badID)
	uniq := p.nz[:n]
	if n < m.pre.MaxLen {
		uniq = append(uniq, 0)
	}
	acc := p.acc
	for j := range acc {
		acc[j] = float32(math.Inf(-1))
	}
	switch e.kind {
	case embF32:
		poolKern.maxF32(acc, e.f32, uniq)
	case embF16:
		poolKern.maxF16(acc, e.f16, uniq)
	default:
		poolKern.maxI8(acc, e.i8, uniq, p.rowScales(uniq))
	}
	return acc
}

// rowScales returns each id's int8 scale (the row's, or the tensor's) in p.coef.
func (p *Predictor) rowScales(ids []int32) []float32 {
	e := &p.m.emb
	coef := p.coef[:len(ids)]
	for k, id := range ids {
		if e.kind == embI8Row {
			coef[k] = e.scale[id]
		} else {
			coef[k] = e.scale[0]
		}
	}
	return coef
}
