package train

// SGD is Keras's SGD (tf.keras 2.x OptimizerV2 gradient_descent.py; Keras 3's SGD computes
// the same), default learning rate 0.01:
//
//	momentum 0:      w -= lr·g                      (ResourceApplyGradientDescent)
//	momentum μ > 0:  v = μ·v - lr·g;  w += v        (ResourceApplyKerasMomentum)
//	nesterov:        v = μ·v - lr·g;  w += μ·v - lr·g
//
// The embedding gradient is sparse (IndexedSlices): without momentum Keras scatter-adds
// -lr·g into the touched rows; with momentum it sums duplicate rows and applies
// ResourceSparseApplyKerasMomentum, which updates v and w of the rows in this batch only, so
// a row's velocity is frozen, not decayed, while the row is absent. step does exactly that.
type SGD struct {
	LR, Momentum float64
	Nesterov     bool
	t            int
	vel          [][]float32 // momentum slots in params() order (nil without momentum)
}

// DefaultSGDLR is Keras's default SGD learning rate.
const DefaultSGDLR = 0.01

// NewSGD returns SGD for model mod.
func NewSGD(lr, momentum float64, nesterov bool, mod *Model) *SGD {
	s := &SGD{LR: lr, Momentum: momentum, Nesterov: nesterov}
	if momentum > 0 {
		for _, p := range mod.params() {
			s.vel = append(s.vel, make([]float32, len(p)))
		}
	}
	return s
}

// Iterations is the number of steps taken (Keras's optimizer.iterations).
func (s *SGD) Iterations() int { return s.t }

// step applies one update with gradients g (regularization already added) to mod.
func (s *SGD) step(mod *Model, g *grads) {
	s.t++
	lr, mu := float32(s.LR), float32(s.Momentum)
	apply := func(w, gr, v []float32) {
		if v == nil {
			for j := range w {
				w[j] -= lr * gr[j]
			}
			return
		}
		for j := range w {
			v[j] = v[j]*mu - lr*gr[j]
			if s.Nesterov {
				w[j] += v[j]*mu - lr*gr[j]
			} else {
				w[j] += v[j]
			}
		}
	}
	slot := func(i, lo, hi int) []float32 {
		if s.vel == nil {
			return nil
		}
		return s.vel[i][lo:hi]
	}
	d := mod.D
	for _, r := range g.rows { // only the rows in this batch's sparse gradient
		lo, hi := int(r)*d, int(r)*d+d
		apply(mod.Emb[lo:hi], g.emb[lo:hi], slot(0, lo, hi))
	}
	for i, wg := range [][2][]float32{{mod.W1, g.w1}, {mod.B1, g.b1}, {mod.W2, g.w2}, {mod.B2, g.b2}} {
		apply(wg[0], wg[1], slot(i+1, 0, len(wg[0])))
	}
}
