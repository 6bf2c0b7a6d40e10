package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// batchLoss is the mean loss of the batch at the current weights (mask fixed when dropout).
func batchLoss(m *Model, xs [][]int32, ys []int, s *scratch, dropout bool) float64 {
	var sum float64
	for i, x := range xs {
		l, _ := m.forward(x, ys[i], s, dropout)
		sum += l
	}
	return sum / float64(len(xs))
}

// TestGradientCheck compares backward's analytic gradients with central finite differences
// of the loss for every parameter of a small model, binary and 3-class, with and without a
// (fixed) dropout mask.
func TestGradientCheck(t *testing.T) {
	for _, tc := range []struct {
		name       string
		k          int
		dropout    bool
		pool, loss string
	}{{"sigmoid", 1, false, PoolAvg, LossCrossEntropy}, {"softmax3", 3, false, PoolAvg, LossCrossEntropy}, {"sigmoid+dropout", 1, true, PoolAvg, LossCrossEntropy},
		{"max sigmoid", 1, false, PoolMax, LossCrossEntropy}, {"max softmax3+dropout", 3, true, PoolMax, LossCrossEntropy},
		{"flatten sigmoid", 1, false, PoolFlatten, LossCrossEntropy}, {"flatten softmax3+dropout", 3, true, PoolFlatten, LossCrossEntropy},
		{"mse sigmoid", 1, false, PoolAvg, LossMSE}, {"mse softmax3", 3, false, PoolAvg, LossMSE}, {"mse max sigmoid+dropout", 1, true, PoolMax, LossMSE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 11))
			const v, d, h, l = 12, 4, 5, 6
			m := NewPooledModel(v, d, h, tc.k, l, tc.pool, rng)
			m.Loss = tc.loss
			// larger embeddings and non-zero biases make every path matter
			uniform(m.Emb, 1, rng)
			uniform(m.B1, 0.3, rng)
			uniform(m.B2, 0.3, rng)
			xs := make([][]int32, 5)
			ys := make([]int, len(xs))
			for i := range xs {
				xs[i] = make([]int32, l)
				for j := range xs[i] {
					xs[i][j] = int32(rng.IntN(v))
				}
				xs[i][l-1] = 0 // padding shares row 0, as in Keras without masking
				ys[i] = rng.IntN(max(tc.k, 2))
			}
			s := newScratch(m)
			if tc.dropout {
				for j := range s.mask {
					s.mask[j] = 2
				}
				s.mask[1] = 0
			}
			g := newGrads(m)
			for i, x := range xs {
				m.forward(x, ys[i], s, tc.dropout)
				m.backward(x, ys[i], s, g, 1/float32(len(xs)), tc.dropout)
			}
			analytic := [][]float32{g.emb, g.w1, g.b1, g.w2, g.b2}
			names := []string{"emb", "w1", "b1", "w2", "b2"}
			const eps = 1e-3
			checked := 0
			for pi, p := range m.params() {
				for i := range p {
					orig := p[i]
					p[i] = orig + eps
					lp := batchLoss(m, xs, ys, s, tc.dropout)
					p[i] = orig - eps
					lm := batchLoss(m, xs, ys, s, tc.dropout)
					p[i] = orig
					num := (lp - lm) / (2 * eps)
					an := float64(analytic[pi][i])
					if math.Abs(num-an) > 1e-3+1e-2*math.Abs(num) {
						t.Errorf("%s[%d]: analytic %.6g, finite difference %.6g", names[pi], i, an, num)
					}
					checked++
				}
			}
			if tc.dropout {
				// the dropped unit gets no gradient into W1
				for j := 0; j < h; j++ {
					if g.w1[1*h+j] != 0 {
						t.Errorf("w1 row of a dropped unit has gradient %g", g.w1[1*h+j])
					}
				}
			}
			t.Logf("%d parameters checked", checked)
		})
	}
}
