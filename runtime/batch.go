package runtime

import "sync"

// Clone returns a copy of r whose Scores no longer alias the predictor's scratch: keep it
// past the predictor's next call, store it, or send it to another goroutine.
func (r Result) Clone() Result {
	r.Scores = append([]float32(nil), r.Scores...)
	return r
}

// AppendScores appends r's scores to dst and returns it: the allocation-free way to keep
// them (reuse dst across calls).
func (r Result) AppendScores(dst []float32) []float32 { return append(dst, r.Scores...) }

// PredictTexts predicts every text of texts (as PredictText) and returns dst[:0] with one
// Result per text appended, in order. Unlike PredictText's, these Results own their Scores:
// each is stored in the Scores array of the dst element it overwrites (dst's elements up to
// cap(dst) are reused), so the results stay valid across later calls on the predictor until
// the same dst is passed again. When dst is reused (dst = p.PredictTexts(dst, texts)),
// PredictTexts allocates nothing; elements without room for the scores get theirs from one
// allocation per call.
func (p *Predictor) PredictTexts(dst []Result, texts []string) []Result {
	k := p.m.Outputs()
	if cap(dst) < len(texts) {
		// Keep the elements dst has (and their Scores arrays), add the rest.
		dst = append(dst[:cap(dst)], make([]Result, len(texts)-cap(dst))...)
	}
	dst = dst[:len(texts)]
	// One block for the elements whose Scores cannot hold k values.
	need := 0
	for i := range dst {
		if cap(dst[i].Scores) < k {
			need += k
		}
	}
	var block []float32
	if need > 0 {
		block = make([]float32, need)
	}
	for i, text := range texts {
		r := p.PredictText(text)
		s := dst[i].Scores
		if cap(s) < k {
			s, block = block[:0:k], block[k:]
		}
		dst[i] = Result{Scores: append(s[:0], r.Scores...), Label: r.Label}
	}
	return dst
}

// PredictorPool is a sync.Pool of predictors of one model: the pattern for servers, where
// requests run on goroutines that come and go. Each request takes a predictor with Get and
// returns it with Put once it no longer reads the Scores of its results; the pool grows to
// the number of requests in flight and the garbage collector trims it when idle. A
// PredictorPool is safe for concurrent use.
//
// A server that swaps models at run time keeps one pool per model beside the model (both
// behind one atomic.Pointer), so a request never mixes a predictor with another model.
type PredictorPool struct {
	m    *Model
	pool sync.Pool
}

// NewPredictorPool returns an empty pool of predictors of m.
func (m *Model) NewPredictorPool() *PredictorPool {
	pp := &PredictorPool{m: m}
	pp.pool.New = func() any { return m.NewPredictor() }
	return pp
}

// Model returns the pool's model.
func (pp *PredictorPool) Model() *Model { return pp.m }

// Get returns a predictor of the pool's model for the caller's exclusive use.
func (pp *PredictorPool) Get() *Predictor { return pp.pool.Get().(*Predictor) }

// Put returns p to the pool. p must come from Get (a predictor of another model panics: it
// is a programmer error that would otherwise predict with the wrong weights).
func (pp *PredictorPool) Put(p *Predictor) {
	if p.m != pp.m {
		panic("runtime: PredictorPool.Put: predictor of another model")
	}
	pp.pool.Put(p)
}
