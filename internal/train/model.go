package train

import (
	"math"
	"math/rand/v2"
)

// Model is the course architecture Embedding(V, D) → pooling → [Dropout] → Dense(H, relu)
// → Dense(K) with sigmoid (K = 1, two classes) or softmax (K ≥ 3). The pooling is
// GlobalAveragePooling1D (PoolAvg), GlobalMaxPooling1D (PoolMax) or Flatten (PoolFlatten),
// whose output has P = D or L·D units. Weights are float32 in Keras's layouts: Emb [V][D],
// W1 [P][H], W2 [H][K]. Loss is LossCrossEntropy or LossMSE.
type Model struct {
	V, D, H, K, L int // vocabulary, embedding width, hidden units, outputs, sequence length
	Pool          string
	Loss          string
	Emb           []float32
	W1, B1        []float32
	W2, B2        []float32
}

// Poolings (Config.Pool, Model.Pool, edgewatt train --pool).
const (
	PoolAvg     = "avg"     // GlobalAveragePooling1D: the mean of the L rows
	PoolMax     = "max"     // GlobalMaxPooling1D: the elementwise max of the L rows
	PoolFlatten = "flatten" // Flatten: the L rows side by side (L·D units)
)

// Losses (Config.Loss, Model.Loss, edgewatt train --loss).
const (
	// LossCrossEntropy is binary_crossentropy (one sigmoid output) or
	// sparse_categorical_crossentropy (softmax), computed from the logits.
	LossCrossEntropy = "crossentropy"
	// LossMSE is Keras's MeanSquaredError on the output probabilities: per example the mean
	// over the K outputs of (y - p)², y being the class as 0/1 (one sigmoid output) or one-hot.
	LossMSE = "mse"
)

// P is the width of the pooling's output, the first Dense layer's input.
func (m *Model) P() int {
	if m.Pool == PoolFlatten {
		return m.L * m.D
	}
	return m.D
}

// params lists the trainable tensors in Keras variable order.
func (m *Model) params() [][]float32 { return [][]float32{m.Emb, m.W1, m.B1, m.W2, m.B2} }

// NewModel initialises weights as Keras does by default: embeddings uniform(-0.05, 0.05),
// kernels Glorot-uniform (limit sqrt(6/(fan_in+fan_out))), biases zero. The draws come from
// rng, not TensorFlow's generator, so they are not TensorFlow's numbers.
func NewModel(v, d, h, k, l int, rng *rand.Rand) *Model {
	return NewPooledModel(v, d, h, k, l, PoolAvg, rng)
}

// NewPooledModel is NewModel with the pooling pool (PoolAvg, PoolMax or PoolFlatten) and
// cross-entropy loss.
func NewPooledModel(v, d, h, k, l int, pool string, rng *rand.Rand) *Model {
	m := &Model{V: v, D: d, H: h, K: k, L: l, Pool: pool, Loss: LossCrossEntropy}
	p := m.P()
	m.Emb = make([]float32, v*d)
	m.W1, m.B1 = make([]float32, p*h), make([]float32, h)
	m.W2, m.B2 = make([]float32, h*k), make([]float32, k)
	uniform(m.Emb, 0.05, rng)
	uniform(m.W1, math.Sqrt(6/float64(p+h)), rng)
	uniform(m.W2, math.Sqrt(6/float64(h+k)), rng)
	return m
}

func uniform(w []float32, limit float64, rng *rand.Rand) {
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * limit)
	}
}

// grads holds gradients for one batch: dense for the Dense layers, and for the embedding
// only the rows the batch touched (rows lists them, in first-touch order).
type grads struct {
	emb     []float32 // [V][D], nonzero only on rows
	rowSeen []bool
	rows    []int32
	w1, b1  []float32
	w2, b2  []float32
}

func newGrads(m *Model) *grads {
	return &grads{emb: make([]float32, m.V*m.D), rowSeen: make([]bool, m.V),
		w1: make([]float32, m.P()*m.H), b1: make([]float32, m.H),
		w2: make([]float32, m.H*m.K), b2: make([]float32, m.K)}
}

func (g *grads) reset(d int) {
	for _, r := range g.rows {
		clear(g.emb[int(r)*d : int(r)*d+d])
		g.rowSeen[r] = false
	}
	g.rows = g.rows[:0]
	clear(g.w1)
	clear(g.b1)
	clear(g.w2)
	clear(g.b2)
}

// scratch is per-example working memory. avg is the pooling's output (P units, after
// dropout); for PoolMax, maxv holds the maxima before dropout and ties how many positions
// reach each.
type scratch struct {
	avg, pre, hid, out, dout, dhid, davg []float32
	mask                                 []float32 // dropout mask (scale or 0) per pooled unit
	maxv, ties                           []float32
}

func newScratch(m *Model) *scratch {
	p := m.P()
	return &scratch{avg: make([]float32, p), pre: make([]float32, m.H), hid: make([]float32, m.H),
		out: make([]float32, m.K), dout: make([]float32, m.K), dhid: make([]float32, m.H),
		davg: make([]float32, p), mask: make([]float32, p), maxv: make([]float32, m.D), ties: make([]float32, m.D)}
}

// poolMax is GlobalMaxPooling1D over the rows of x into s.avg and s.maxv, counting in s.ties
// the positions that reach each maximum (TensorFlow splits the gradient evenly among them).
func (m *Model) poolMax(x []int32, s *scratch) {
	d := m.D
	for j := range s.maxv {
		s.maxv[j] = float32(math.Inf(-1))
	}
	for _, t := range x {
		for j, v := range m.Emb[int(t)*d : int(t)*d+d] {
			if v > s.maxv[j] {
				s.maxv[j] = v
			}
		}
	}
	clear(s.ties)
	for _, t := range x {
		for j, v := range m.Emb[int(t)*d : int(t)*d+d] {
			if v == s.maxv[j] {
				s.ties[j]++
			}
		}
	}
	copy(s.avg, s.maxv)
}

// forward computes the output probabilities of one padded sequence into s.out. When
// s.mask is non-nil it multiplies the pooled vector (inverted dropout). Returns the logits'
// loss against class y (cross-entropy computed from logits, as TensorFlow does when the
// activation is the last op) and whether the prediction is right.
func (m *Model) forward(x []int32, y int, s *scratch, dropout bool) (loss float64, correct bool) {
	d, h, k := m.D, m.H, m.K
	switch m.Pool {
	case PoolMax:
		m.poolMax(x, s)
	case PoolFlatten:
		for p, t := range x {
			copy(s.avg[p*d:p*d+d], m.Emb[int(t)*d:int(t)*d+d])
		}
	default:
		clear(s.avg)
		for _, t := range x {
			row := m.Emb[int(t)*d : int(t)*d+d]
			for j, v := range row {
				s.avg[j] += v
			}
		}
		inv := 1 / float32(len(x))
		for j := range s.avg {
			s.avg[j] *= inv
		}
	}
	if dropout {
		for j := range s.avg {
			s.avg[j] *= s.mask[j]
		}
	}
	copy(s.pre, m.B1)
	for i, a := range s.avg {
		if a == 0 {
			continue
		}
		w := m.W1[i*h : i*h+h]
		for j, v := range w {
			s.pre[j] += a * v
		}
	}
	for j, v := range s.pre {
		s.hid[j] = max(v, 0)
	}
	copy(s.out, m.B2)
	for i, a := range s.hid {
		if a == 0 {
			continue
		}
		w := m.W2[i*k : i*k+k]
		for j, v := range w {
			s.out[j] += a * v
		}
	}
	if k == 1 {
		z := float64(s.out[0])
		// sigmoid cross-entropy with logits: max(z,0) - z*y + log(1+exp(-|z|))
		loss = math.Max(z, 0) - z*float64(y) + math.Log1p(math.Exp(-math.Abs(z)))
		p := 1 / (1 + math.Exp(-z))
		s.out[0] = float32(p)
		if m.Loss == LossMSE {
			loss = (float64(y) - float64(s.out[0])) * (float64(y) - float64(s.out[0]))
		}
		return loss, (p > 0.5) == (y == 1)
	}
	// softmax cross-entropy with logits
	zmax := s.out[0]
	arg := 0
	for j, v := range s.out {
		if v > zmax {
			zmax, arg = v, j
		}
	}
	var sum float64
	for _, v := range s.out {
		sum += math.Exp(float64(v - zmax))
	}
	loss = math.Log(sum) - float64(s.out[y]-zmax)
	for j, v := range s.out {
		s.out[j] = float32(math.Exp(float64(v-zmax)) / sum)
	}
	if m.Loss == LossMSE {
		loss = 0
		for j, p := range s.out {
			e := float64(p)
			if j == y {
				e--
			}
			loss += e * e / float64(k)
		}
	}
	return loss, arg == y
}

// backward adds scale × the gradient of the loss of the last forward(x, y) to g.
func (m *Model) backward(x []int32, y int, s *scratch, g *grads, scale float32, dropout bool) {
	d, k := m.D, m.K
	for j := range s.dout {
		t := float32(0)
		if (k == 1 && y == 1) || (k > 1 && j == y) {
			t = 1
		}
		s.dout[j] = (s.out[j] - t) * scale
	}
	if m.Loss == LossMSE {
		m.mseLogitGrad(s.dout, s.out, y, scale)
	}
	for j, v := range s.dout {
		g.b2[j] += v
	}
	denseBackward(g.w2, m.W2, s.hid, s.dout, s.dhid)
	for i := range s.dhid {
		if s.pre[i] <= 0 { // relu
			s.dhid[i] = 0
		}
	}
	for j, v := range s.dhid {
		g.b1[j] += v
	}
	denseBackward(g.w1, m.W1, s.avg, s.dhid, s.davg)
	for i := range s.davg {
		if dropout {
			s.davg[i] *= s.mask[i]
		}
		if m.Pool == PoolAvg || m.Pool == "" {
			s.davg[i] /= float32(len(x))
		}
	}
	for p, t := range x {
		if !g.rowSeen[t] {
			g.rowSeen[t] = true
			g.rows = append(g.rows, t)
		}
		row := g.emb[int(t)*d : int(t)*d+d]
		switch m.Pool {
		case PoolMax: // to every position reaching the max, split evenly (tf.reduce_max's gradient)
			for j, v := range m.Emb[int(t)*d : int(t)*d+d] {
				if v == s.maxv[j] {
					row[j] += s.davg[j] / s.ties[j]
				}
			}
		case PoolFlatten:
			for j, v := range s.davg[p*d : p*d+d] {
				row[j] += v
			}
		default:
			for j, v := range s.davg {
				row[j] += v
			}
		}
	}
}

// mseLogitGrad sets dout to scale × the gradient of the mean squared error with respect to
// the logits: dL/dp_j = 2(p_j - y_j)/K, through the sigmoid (p(1-p)) or the softmax
// (p_i (g_i - Σ_j g_j p_j)).
func (m *Model) mseLogitGrad(dout, p []float32, y int, scale float32) {
	k := len(p)
	var dot float32
	for j := range dout {
		t := float32(0)
		if (k == 1 && y == 1) || (k > 1 && j == y) {
			t = 1
		}
		dout[j] = 2 * (p[j] - t) / float32(k)
		dot += dout[j] * p[j]
	}
	for j := range dout {
		if k == 1 {
			dout[j] *= p[j] * (1 - p[j]) * scale
		} else {
			dout[j] = p[j] * (dout[j] - dot) * scale
		}
	}
}

// Predict returns the output probabilities of one padded sequence (length m.L) into out
// (length m.K): P(class 1) for binary models, the softmax otherwise.
func (m *Model) Predict(x []int32, out []float32) {
	s := newScratch(m)
	m.forward(x, 0, s, false)
	copy(out, s.out)
}

// denseBackward backpropagates through a Dense layer y = in·w (w is [len(in)][len(dout)],
// Keras's layout): it adds the kernel gradient in ⊗ dout to gw and writes the gradient with
// respect to the input, w·dout, to din.
func denseBackward(gw, w, in, dout, din []float32) {
	n := len(dout)
	for i, a := range in {
		gwi := gw[i*n : i*n+n]
		wi := w[i*n : i*n+n]
		var d float32
		for j, v := range dout {
			gwi[j] += a * v
			d += wi[j] * v
		}
		din[i] = d
	}
}
