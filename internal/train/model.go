package train

import (
	"math"
	"math/rand/v2"
)

// Model is the course architecture Embedding(V, D) → GlobalAveragePooling1D →
// [Dropout] → Dense(H, relu) → Dense(K) with sigmoid (K = 1, two classes) or softmax
// (K ≥ 3). Weights are float32 in Keras's layouts: Emb [V][D], W1 [D][H], W2 [H][K].
type Model struct {
	V, D, H, K, L int // vocabulary, embedding width, hidden units, outputs, sequence length
	Emb           []float32
	W1, B1        []float32
	W2, B2        []float32
}

// params lists the trainable tensors in Keras variable order.
func (m *Model) params() [][]float32 { return [][]float32{m.Emb, m.W1, m.B1, m.W2, m.B2} }

// NewModel initialises weights as Keras does by default: embeddings uniform(-0.05, 0.05),
// kernels Glorot-uniform (limit sqrt(6/(fan_in+fan_out))), biases zero. The draws come from
// rng, not TensorFlow's generator, so they are not TensorFlow's numbers.
func NewModel(v, d, h, k, l int, rng *rand.Rand) *Model {
	m := &Model{V: v, D: d, H: h, K: k, L: l,
		Emb: make([]float32, v*d),
		W1:  make([]float32, d*h), B1: make([]float32, h),
		W2: make([]float32, h*k), B2: make([]float32, k)}
	uniform(m.Emb, 0.05, rng)
	uniform(m.W1, math.Sqrt(6/float64(d+h)), rng)
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
		w1: make([]float32, m.D*m.H), b1: make([]float32, m.H),
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

// scratch is per-example working memory.
type scratch struct {
	avg, pre, hid, out, dout, dhid, davg []float32
	mask                                 []float32 // dropout mask (scale or 0) per avg unit
}

func newScratch(m *Model) *scratch {
	return &scratch{avg: make([]float32, m.D), pre: make([]float32, m.H), hid: make([]float32, m.H),
		out: make([]float32, m.K), dout: make([]float32, m.K), dhid: make([]float32, m.H),
		davg: make([]float32, m.D), mask: make([]float32, m.D)}
}

// forward computes the output probabilities of one padded sequence into s.out. When
// s.mask is non-nil it multiplies the pooled vector (inverted dropout). Returns the logits'
// loss against class y (cross-entropy computed from logits, as TensorFlow does when the
// activation is the last op) and whether the prediction is right.
func (m *Model) forward(x []int32, y int, s *scratch, dropout bool) (loss float64, correct bool) {
	d, h, k := m.D, m.H, m.K
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
		if dropout {
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
		s.davg[i] /= float32(len(x))
	}
	for _, t := range x {
		if !g.rowSeen[t] {
			g.rowSeen[t] = true
			g.rows = append(g.rows, t)
		}
		row := g.emb[int(t)*d : int(t)*d+d]
		for j, v := range s.davg {
			row[j] += v
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
