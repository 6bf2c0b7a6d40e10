package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near32(a float32, b float64, tol float64) bool { return math.Abs(float64(a)-b) <= tol }

// tinyModel is a model whose output logits are its last bias: every other weight zero.
func tinyModel(k int) *Model {
	m := NewPooledModel(4, 2, 3, k, 3, PoolAvg, rand.New(rand.NewPCG(1, 1)))
	for _, p := range m.params() {
		clear(p)
	}
	return m
}

// Keras's SGD docstring example: var = 1, loss var²/2 (gradient var), lr 0.1, momentum 0.9:
// the first step moves var by 0.1, the second by 0.18. Nesterov by hand: v1 = -0.1, step 1
// = 0.9·v1 - 0.1 = -0.19 (var 0.81); v2 = 0.9·v1 - 0.1·0.81 = -0.171, step 2 = 0.9·v2 -
// 0.081 = -0.2349 (var 0.5751). Plain SGD: 1 → 0.9 → 0.81.
func TestSGDSteps(t *testing.T) {
	for _, c := range []struct {
		name     string
		mu       float64
		nesterov bool
		want     [2]float64
	}{{"momentum", 0.9, false, [2]float64{0.9, 0.72}}, {"nesterov", 0.9, true, [2]float64{0.81, 0.5751}}, {"plain", 0, false, [2]float64{0.9, 0.81}}} {
		m := tinyModel(1)
		s := NewSGD(0.1, c.mu, c.nesterov, m)
		g := newGrads(m)
		m.B2[0] = 1
		for step := 0; step < 2; step++ {
			g.reset(m.D)
			g.b2[0] = m.B2[0] // d(var²/2)/dvar
			s.step(m, g)
			if !near32(m.B2[0], c.want[step], 1e-6) {
				t.Errorf("%s step %d: var %v, want %v", c.name, step+1, m.B2[0], c.want[step])
			}
		}
		if s.Iterations() != 2 {
			t.Errorf("%s: %d iterations", c.name, s.Iterations())
		}
	}
}

// With momentum the embedding is updated as ResourceSparseApplyKerasMomentum does: only rows
// in the batch's gradient; an absent row keeps its velocity and does not move.
func TestSGDSparseMomentum(t *testing.T) {
	m := tinyModel(1)
	s := NewSGD(0.1, 0.5, false, m)
	g := newGrads(m)
	touch := func(row int32, v float32) {
		g.reset(m.D)
		g.rows = append(g.rows, row)
		g.rowSeen[row] = true
		g.emb[int(row)*m.D] = v
	}
	touch(2, 1) // row 2: v = -0.1, w = -0.1
	s.step(m, g)
	touch(3, 1) // row 2 absent: stays at -0.1 with velocity -0.1
	s.step(m, g)
	if m.Emb[2*m.D] != -0.1 || s.vel[0][2*m.D] != -0.1 {
		t.Errorf("absent row moved: w %v v %v", m.Emb[2*m.D], s.vel[0][2*m.D])
	}
	touch(2, 0) // row 2 again with a zero gradient: v = 0.5·-0.1 = -0.05, w = -0.15
	s.step(m, g)
	if !near32(m.Emb[2*m.D], -0.15, 1e-7) {
		t.Errorf("row 2 after its second step: %v, want -0.15", m.Emb[2*m.D])
	}
}

// L1L2 on the kernels, by hand: w = [0.5, -0.2, 0], l1 0.01, l2 0.1: gradient += 2·0.1·w +
// 0.01·sign(w) = [0.11, -0.05, 0]; penalty 0.01·0.7 + 0.1·0.29 = 0.036.
func TestRegularize(t *testing.T) {
	m := tinyModel(1)
	m.W1[0], m.W1[1], m.W1[2] = 0.5, -0.2, 0
	g := newGrads(m)
	regularize(g, m, 0.01, 0.1)
	for i, want := range []float64{0.11, -0.05, 0} {
		if !near32(g.w1[i], want, 1e-7) {
			t.Errorf("w1 gradient %d = %v, want %v", i, g.w1[i], want)
		}
	}
	if p := penalty(m, 0.01, 0.1); math.Abs(p-0.036) > 1e-7 {
		t.Errorf("penalty %v, want 0.036", p)
	}
}

// MeanSquaredError by hand (numbers from numpy): one sigmoid output with logit 0.5 and class
// 1: p = 0.622459, loss (1-p)² = 0.1425370, dL/dz = 2(p-1)p(1-p) = -0.1774469. Softmax over
// logits [0.1, 0.2, 0.3], class 2: loss mean((p - onehot)²) = 0.2004064, dL/dz =
// [0.0665800, 0.0805846, -0.1471646]. One SGD step (lr 1) then moves the biases by -dL/dz.
func TestMSEStep(t *testing.T) {
	for _, c := range []struct {
		k     int
		z     []float32
		y     int
		loss  float64
		dz    []float64
		right bool
	}{{1, []float32{0.5}, 1, 0.1425369566, []float64{-0.1774469173}, true},
		{3, []float32{0.1, 0.2, 0.3}, 2, 0.2004064036, []float64{0.0665800161, 0.0805845790, -0.1471645951}, true}} {
		m := tinyModel(c.k)
		m.Loss = LossMSE
		copy(m.B2, c.z)
		x := []int32{1, 2, 0}
		s := newScratch(m)
		loss, ok := m.forward(x, c.y, s, false)
		if math.Abs(loss-c.loss) > 1e-6 || ok != c.right {
			t.Errorf("k=%d: loss %v (right %v), want %v", c.k, loss, ok, c.loss)
		}
		g := newGrads(m)
		m.backward(x, c.y, s, g, 1, false)
		sgd := NewSGD(1, 0, false, m)
		sgd.step(m, g)
		for j, want := range c.dz {
			if !near32(g.b2[j], want, 1e-6) {
				t.Errorf("k=%d: dL/dz[%d] = %v, want %v", c.k, j, g.b2[j], want)
			}
			if !near32(m.B2[j], float64(c.z[j])-want, 1e-6) {
				t.Errorf("k=%d: bias %d after one step %v, want %v", c.k, j, m.B2[j], float64(c.z[j])-want)
			}
		}
	}
}

func TestOptimizerConfigCheck(t *testing.T) {
	for _, mut := range []func(*Config){
		func(c *Config) { c.Pool = "median" },
		func(c *Config) { c.Loss = "hinge" },
		func(c *Config) { c.Optimizer = "rmsprop" },
		func(c *Config) { c.Optimizer, c.Momentum = "sgd", 1.5 },
		func(c *Config) { c.Momentum = 0.9 }, // Adam
		func(c *Config) { c.Optimizer, c.Nesterov = "sgd", true },
		func(c *Config) { c.L1 = -1 },
		func(c *Config) { c.Pool, c.MaxLen, c.Dim, c.Hidden = PoolFlatten, 60000, 4096, 24 },
	} {
		c := DefaultConfig()
		mut(&c)
		if err := c.Check(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
