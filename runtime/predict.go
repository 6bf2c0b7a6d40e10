package runtime

import (
	"math"
	"sync"
)

// Result is one prediction. The Scores of a Result from PredictText or PredictIDs alias the
// predictor's scratch: they are valid until the predictor's next call. To keep them, take
// r.Clone() (a copy) or r.AppendScores(buf) (into a buffer you reuse); PredictTexts returns
// Results that own their Scores.
type Result struct {
	Scores []float32 // one per output unit (a probability for sigmoid/softmax outputs)
	Label  int       // index into Model.Labels: argmax, or for one unit score > 0.5 (sigmoid) or > 0
}

// Predictor runs predictions with preallocated scratch. Make one per goroutine with
// Model.NewPredictor; it is not safe for concurrent use.
type Predictor struct {
	m      *Model
	k      *kernels  // kernel table, fixed at creation (tests pass others)
	ids    []int32   // raw token ids of the current text (grows once to the longest text)
	nz     []int32   // the nonzero ids of the current input, and room for the padding id
	coef   []float32 // 1/maxlen each between calls (f32 and f16 models without mask_zero)
	inv    float32   // 1/maxlen
	coefI  []int32
	acc    []float32
	acc32  []int32
	bufA   []float32
	bufB   []float32
	padded []int32   // for callers that want the padded ids (PaddedIDs)
	flat   []float32 // Flatten pooling: dense.0's maxlen*D input (pool.go)
	steps  []step    // the dense layers, kernels chosen once
}

// step is one dense layer as the predictor runs it, or two: with dot set, the layer (f's
// kind, denseT) and the next one-output layer in one denseTDot call.
type step struct {
	f       func(out, x, w, b []float32, relu bool) // k.dense ([out][in] w) or k.denseT ([in][out])
	out     []float32
	w, b    []float32
	relu    bool
	sigmoid bool // a single sigmoid output: sigmoid32 inline
	act     int
	dot     func(out, x, wT, b []float32, relu bool, w2 []float32, b2 float32) float32
	dotW    []float32 // the next layer's weights (one output) and
	dotB    float32   // bias; out2 receives its sum
	out2    []float32
}

// NewPredictor returns a predictor with its scratch allocated.
func (m *Model) NewPredictor() *Predictor { return m.newPredictorKernels(&kern) }

func (m *Model) newPredictorKernels(k *kernels) *Predictor {
	maxlen := m.pre.MaxLen
	p := &Predictor{
		m:      m,
		k:      k,
		ids:    make([]int32, 0, 64+maxlen),
		nz:     make([]int32, maxlen+1),
		coef:   make([]float32, maxlen+1),
		coefI:  make([]int32, maxlen+1),
		acc:    make([]float32, m.emb.dim),
		acc32:  make([]int32, m.emb.dim),
		bufA:   make([]float32, m.maxOut),
		bufB:   make([]float32, m.maxOut),
		padded: make([]int32, maxlen),
		flat:   make([]float32, m.flatLen()),
	}
	for i := 0; i < len(m.dense); i++ {
		l := &m.dense[i]
		out, out2 := p.bufA, p.bufB
		if i%2 == 1 {
			out, out2 = p.bufB, p.bufA
		}
		s := step{f: k.dense, out: out[:l.out:l.out], w: l.w, b: l.b, relu: l.act == actRelu, act: l.act,
			sigmoid: l.act == actSigmoid && l.out == 1}
		if l.wT != nil && k.denseT != nil {
			s.f, s.w = k.denseT, l.wT
			// A relu layer followed by a one-output layer: both in one call.
			if n := i + 1; n < len(m.dense) && k.denseTDot != nil && s.relu && m.dense[n].out == 1 {
				next := &m.dense[n]
				s.dot, s.dotW, s.dotB, s.out2 = k.denseTDot, next.w, next.b[0], out2[:1:1]
				s.act, s.sigmoid = next.act, next.act == actSigmoid
				i++
			}
		}
		p.steps = append(p.steps, s)
	}
	// Every id weighs 1/maxlen in the average (1 in an int32 sum); only the padding row's
	// coefficient changes per call, and pool puts it back.
	inv := 1 / float32(max(maxlen, 1))
	p.inv = inv
	for i := range p.coef {
		p.coef[i] = inv
		p.coefI[i] = 1
	}
	return p
}

// Model returns the predictor's model.
func (p *Predictor) Model() *Model { return p.m }

// PredictText tokenizes text as Keras does, pads it, and predicts.
func (p *Predictor) PredictText(text string) Result {
	p.ids = p.m.tok.AppendIDs(p.ids[:0], text)
	return p.PredictIDs(p.ids)
}

// Tokens returns the raw ids of the last PredictText call (valid until the next call).
func (p *Predictor) Tokens() []int32 { return p.ids }

// PredictIDs predicts from a token-id sequence of any length: it is padded or truncated to
// maxlen as pad_sequences would (so an already padded row of maxlen ids is used as is).
// Ids outside the embedding (negative, or past its rows: Keras would fail on them) count as
// the tokenizer's OOV id when it has one, else as padding (id 0); callers that must reject
// them check them against Meta.Arch.Embedding.InputDim first.
func (p *Predictor) PredictIDs(seq []int32) Result {
	m := p.m
	if m.pool != poolAverage {
		return p.head(p.poolOther(seq)) // GlobalMaxPooling1D, Flatten: pool.go
	}
	maxlen := m.pre.MaxLen
	seq = truncate(seq, maxlen, m.pre.Truncating)
	// The nonzero ids in order, repeats included (a repeated id's row is read again: cheaper
	// than counting in a vocabulary-sized table); padding and zeros only as a number.
	if m.emb.fused16 && p.k.sumF32x16 != nil {
		p.poolFused16(seq, maxlen)
	} else {
		n := p.k.compactIDs(p.nz, seq, int32(m.emb.rows), m.badID)
		p.pool(p.nz[:n], maxlen-n, maxlen)
	}
	return p.head(p.acc)
}

// head runs the dense layers on the pooled vector x and returns the result.
func (p *Predictor) head(x []float32) Result {
	m := p.m
	for i := range p.steps {
		s := &p.steps[i]
		if s.dot != nil {
			v := s.dot(s.out, x, s.w, s.b, true, s.dotW, s.dotB)
			if s.sigmoid {
				v = sigmoid32(v)
			}
			s.out2[0] = v
			if !s.sigmoid && s.act != actRelu {
				activate(s.out2, s.act)
			} else if s.act == actRelu && v < 0 {
				s.out2[0] = 0
			}
			x = s.out2
			continue
		}
		s.f(s.out, x, s.w, s.b, s.relu)
		if s.sigmoid {
			s.out[0] = sigmoid32(s.out[0])
		} else if !s.relu {
			activate(s.out, s.act)
		}
		x = s.out
	}
	r := Result{Scores: x}
	if len(x) == 1 {
		// Keras's binary_accuracy: a sigmoid score above 0.5 is class 1; other single
		// outputs (linear, tanh) are class 1 above 0.
		thr := float32(0)
		if m.dense[len(m.dense)-1].act == actSigmoid {
			thr = 0.5
		}
		if x[0] > thr {
			r.Label = 1
		}
	} else {
		best := 0
		for j := 1; j < len(x); j++ {
			if x[j] > x[best] {
				best = j
			}
		}
		r.Label = best
	}
	return r
}

// poolFused16 is pool for 16-wide float32, float16 and int8-row embeddings without
// mask_zero, from the truncated sequence in one kernel call (the table has the fused kernels).
func (p *Predictor) poolFused16(seq []int32, maxlen int) {
	e := &p.m.emb
	acc := p.acc
	*(*[16]float32)(acc) = [16]float32{}
	rows, pad := int32(e.rows), !e.row0Zero
	switch e.kind {
	case embF32:
		p.k.sumF32x16(acc, e.f32, seq, rows, p.m.badID, p.inv, maxlen, pad)
	case embF16:
		p.k.sumF16x16(acc, e.f16, seq, rows, p.m.badID, p.inv, maxlen, pad)
	case embI8Row:
		p.k.sumI8x16(acc, e.i8, e.scaleAvg, seq, rows, p.m.badID, maxlen, pad)
	}
}

// pool writes into p.acc the average of the embedding rows of ids (the nonzero ids of the
// input, repeats included; len(ids) < cap(ids)) and of zeros padding rows, over maxlen
// positions (over the non-padding ones for mask_zero), in a single kernel call: each id
// weighs 1/n, the padding row zeros/n (one entry, skipped when the row is zero).
func (p *Predictor) pool(ids []int32, zeros, maxlen int) {
	e := &p.m.emb
	acc := p.acc
	if e.kind <= embF16 && !e.maskZero && len(acc) == 16 && maxlen > 0 {
		// The tutorials' case, first and short: coefficients preset to 1/maxlen, the
		// padding row's written and put back.
		k := len(ids)
		coef := p.coef[:k+1]
		if zeros > 0 && !e.row0Zero {
			ids = ids[:k+1]
			ids[k] = 0
			coef[k] = float32(zeros) * p.inv
		}
		*(*[16]float32)(acc) = [16]float32{}
		if e.kind == embF32 {
			p.k.gatherF32(acc, e.f32, ids, coef[:len(ids)])
		} else {
			p.k.gatherF16(acc, e.f16, ids, coef[:len(ids)])
		}
		coef[k] = p.inv
		return
	}
	n := maxlen
	if e.maskZero {
		n = maxlen - zeros
		zeros = 0
	}
	if n <= 0 {
		// Keras divides 0 by 0 here (an all-padding input to a mask_zero model gives NaN);
		// edgewatt returns the zero vector instead.
		clear(acc)
		return
	}
	k := len(ids)
	pad := zeros > 0 && !e.row0Zero
	if pad {
		ids = ids[:k+1]
		ids[k] = 0
	}
	if len(ids) == 0 {
		clear(acc)
		return
	}
	if e.kind == embI8Tensor {
		coef := p.coefI[:len(ids)] // all 1
		if pad {
			coef[k] = int32(zeros)
		}
		a32 := p.acc32[:len(acc)]
		clear(a32)
		p.k.gatherI8I32(a32, e.i8, ids, coef)
		if pad {
			coef[k] = 1
		}
		s := e.scale[0] / float32(n)
		j := 0
		for ; j+4 <= len(a32); j += 4 {
			a, v := (*[4]float32)(acc[j:]), (*[4]int32)(a32[j:])
			a[0], a[1], a[2], a[3] = float32(v[0])*s, float32(v[1])*s, float32(v[2])*s, float32(v[3])*s
		}
		for ; j < len(a32); j++ {
			acc[j] = float32(a32[j]) * s
		}
		return
	}
	if len(acc) == 16 { // the tutorials' width: four stores instead of a memclr call
		*(*[16]float32)(acc) = [16]float32{}
	} else {
		clear(acc)
	}
	inv := 1 / float32(n)
	coef := p.coef[:len(ids)] // 1/maxlen each for f32 and f16 without mask_zero
	switch {
	case e.kind == embI8Row:
		scale := e.scale
		for i, id := range ids[:k] {
			coef[i] = inv * scale[id]
		}
	case e.maskZero:
		for i := range coef {
			coef[i] = inv
		}
	}
	if pad {
		c := float32(zeros) * inv
		if e.kind == embI8Row {
			c *= e.scale[0]
		}
		coef[k] = c
	}
	switch e.kind {
	case embF32:
		p.k.gatherF32(acc, e.f32, ids, coef)
	case embF16:
		p.k.gatherF16(acc, e.f16, ids, coef)
	case embI8Row:
		p.k.gatherI8(acc, e.i8, ids, coef)
	}
	// Put back the coefficient the next call expects (int8-row and mask_zero models rewrite
	// theirs every call: a predictor's model, and so its path here, never changes).
	if pad {
		coef[k] = 1 / float32(max(maxlen, 1))
	}
}

func activate(x []float32, act int) {
	switch act {
	case actRelu:
		for i, v := range x {
			if v < 0 {
				x[i] = 0
			}
		}
	case actSigmoid:
		for i, v := range x {
			x[i] = sigmoid32(v)
		}
	case actTanh:
		for i, v := range x {
			x[i] = float32(math.Tanh(float64(v)))
		}
	case actSoftmax:
		mx := x[0]
		for _, v := range x {
			if v > mx {
				mx = v
			}
		}
		var s float64
		for i, v := range x {
			e := exp32(v - mx)
			x[i] = e
			s += float64(e)
		}
		for i := range x {
			x[i] = float32(float64(x[i]) / s)
		}
	}
}

// PaddedIDs returns the padded ids of seq as pad_sequences would produce (valid until the
// predictor's next call).
func (p *Predictor) PaddedIDs(seq []int32) []int32 {
	return Pad(p.padded, seq, p.m.pre)
}

// PredictBatch predicts every id sequence in inputs using up to threads goroutines, writing
// the scores of input i to out[i*Outputs():(i+1)*Outputs()]. It allocates one predictor per
// goroutine per call; long-running servers should keep their own predictors instead.
func (m *Model) PredictBatch(inputs [][]int32, out []float32, threads int) {
	k := m.Outputs()
	if len(out) < len(inputs)*k {
		panic("runtime: PredictBatch: out too short")
	}
	if threads < 1 {
		threads = 1
	}
	if threads > len(inputs) {
		threads = len(inputs)
	}
	if threads <= 1 {
		p := m.NewPredictor()
		for i, in := range inputs {
			copy(out[i*k:], p.PredictIDs(in).Scores)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (len(inputs) + threads - 1) / threads
	for t := 0; t < threads; t++ {
		lo, hi := t*chunk, min((t+1)*chunk, len(inputs))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := m.NewPredictor()
			for i := lo; i < hi; i++ {
				copy(out[i*k:], p.PredictIDs(inputs[i]).Scores)
			}
		}()
	}
	wg.Wait()
}
