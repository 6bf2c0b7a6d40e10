package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// denseAdamEmbedding is TensorFlow's _resource_apply_sparse for Adam written densely: every
// row's m and v decay every step and every row moves; ε is the plain epsilon hyper-parameter.
func denseAdamEmbedding(w, m, v, g []float32, t int, lr, b1, b2, eps float64) {
	c2 := math.Sqrt(1 - math.Pow(b2, float64(t)))
	lrt := float32(lr * c2 / (1 - math.Pow(b1, float64(t))))
	epsf := float32(eps)
	b1f, b2f := float32(b1), float32(b2)
	for i := range w {
		m[i] = b1f*m[i] + (1-b1f)*g[i]
		v[i] = b2f*v[i] + (1-b2f)*g[i]*g[i]
		w[i] -= lrt * m[i] / (float32(math.Sqrt(float64(v[i]))) + epsf)
	}
}

// TestAdamSparseMatchesDense checks that updating only rows ever touched gives bit-for-bit
// the dense rule over all rows, over steps where different rows are touched.
func TestAdamSparseMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := NewModel(50, 3, 2, 1, 4, rng)
	ref := append([]float32(nil), m.Emb...)
	refM := make([]float32, len(ref))
	refV := make([]float32, len(ref))
	a := NewAdam(0.01, m)
	g := newGrads(m)
	dense := make([]float32, len(ref))
	for step := 1; step <= 30; step++ {
		g.reset(m.D)
		clear(dense)
		for k := 0; k < 4; k++ {
			r := int32(rng.IntN(m.V / 2)) // half the rows are never touched
			if !g.rowSeen[r] {
				g.rowSeen[r] = true
				g.rows = append(g.rows, r)
			}
			for j := 0; j < m.D; j++ {
				x := float32(rng.NormFloat64())
				g.emb[int(r)*m.D+j] += x
				dense[int(r)*m.D+j] += x
			}
		}
		a.step(m, g, 0)
		denseAdamEmbedding(ref, refM, refV, dense, step, 0.01, 0.9, 0.999, 1e-7)
		for i := range ref {
			if ref[i] != m.Emb[i] {
				t.Fatalf("step %d: emb[%d] = %v sparse, %v dense", step, i, m.Emb[i], ref[i])
			}
		}
	}
}

// TestAdamFirstStep: Adam's first step moves each weight by about lr against the sign of its
// gradient, whatever the gradient's size.
func TestAdamFirstStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := NewModel(4, 2, 3, 1, 2, rng)
	before := append([]float32(nil), m.W1...)
	a := NewAdam(0.001, m)
	g := newGrads(m)
	for i := range g.w1 {
		g.w1[i] = float32(rng.NormFloat64()) * float32(math.Pow(10, float64(i%5-2)))
	}
	a.step(m, g, 0)
	for i := range m.W1 {
		delta := float64(m.W1[i] - before[i])
		want := -0.001 * math.Copysign(1, float64(g.w1[i]))
		if math.Abs(delta-want) > 1e-5 {
			t.Errorf("w1[%d]: moved %g, want about %g (gradient %g)", i, delta, want, g.w1[i])
		}
	}
	if a.Iterations() != 1 {
		t.Errorf("iterations %d", a.Iterations())
	}
}

// TestAdamSparseSameEpsilonAsDense: TensorFlow's sparse and dense Adam use the same ε
// (coefficients['epsilon'], unscaled), so an embedding row and a bias fed the same
// gradients move alike. Gradients of 1e-8 make √v comparable to ε, where an ε scaled by
// √(1-β2^t) would move the row about 30 times farther on the first step.
func TestAdamSparseSameEpsilonAsDense(t *testing.T) {
	m := NewModel(4, 2, 2, 1, 2, rand.New(rand.NewPCG(5, 6)))
	a := NewAdam(0.001, m)
	g := newGrads(m)
	emb0 := append([]float32(nil), m.Emb[2:4]...)
	for step := 1; step <= 5; step++ {
		g.reset(m.D)
		g.rowSeen[1], g.rows = true, append(g.rows, 1)
		for j := 0; j < m.D; j++ {
			g.emb[m.D+j] = 1e-8
			g.b1[j] = 1e-8
		}
		a.step(m, g, 0)
		for j := 0; j < m.D; j++ {
			moved, want := float64(m.Emb[m.D+j]-emb0[j]), float64(m.B1[j])
			if math.Abs(moved-want) > 1e-3*math.Abs(want) {
				t.Fatalf("step %d: embedding moved %g, bias %g: the sparse update's ε differs from the dense one's", step, moved, want)
			}
		}
	}
}
