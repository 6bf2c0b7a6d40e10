package train

import (
	"math"
	"runtime"
	"sync"
)

// minParallelElems is the embedding update size below which one goroutine is faster.
const minParallelElems = 16384

// Adam is Keras's Adam (TensorFlow 2.3's OptimizerV2) with its defaults beta1 0.9,
// beta2 0.999, epsilon 1e-7, no amsgrad, no decay.
//
// Dense layers use ResourceApplyAdam:
//
//	m = b1·m + (1-b1)·g;  v = b2·v + (1-b2)·g²;  w -= lr_t·m / (√v + ε)
//	lr_t = lr·√(1-b2^t) / (1-b1^t)
//
// The embedding gradient is sparse (IndexedSlices); Keras sums duplicate rows and applies
// _resource_apply_sparse, which still decays m and v of every row and moves every row by
// the same rule with the same lr_t and ε (TensorFlow's ε is already the paper's ε̂; both
// paths use it unscaled). Rows never touched keep m = v = 0 and so never move, so
// updating only rows touched at least once is exactly the dense rule, and much cheaper
// for a 10000-row table of which a small data set uses a few hundred rows.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	t                     int
	m, v                  [][]float32
	active                []bool  // embedding rows touched at least once
	rows                  []int32 // the active rows
}

// NewAdam returns Adam with Keras's defaults and learning rate lr for model m.
func NewAdam(lr float64, mod *Model) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7, active: make([]bool, mod.V)}
	for _, p := range mod.params() {
		a.m = append(a.m, make([]float32, len(p)))
		a.v = append(a.v, make([]float32, len(p)))
	}
	return a
}

// Iterations is the number of steps taken (Keras's optimizer.iterations).
func (a *Adam) Iterations() int { return a.t }

// step applies one update with gradients g to mod; l2 > 0 adds the gradient 2·l2·w of the
// L2 penalty on the two Dense kernels.
func (a *Adam) step(mod *Model, g *grads, l2 float32) {
	a.t++
	t := float64(a.t)
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	c2 := math.Sqrt(1 - math.Pow(a.Beta2, t))
	lr := float32(a.LR * c2 / (1 - math.Pow(a.Beta1, t)))

	// Embedding: sparse gradient, dense semantics over the active rows.
	for _, r := range g.rows {
		if !a.active[r] {
			a.active[r] = true
			a.rows = append(a.rows, r)
		}
	}
	d := mod.D
	eps := float32(a.Eps)
	m, v, w := a.m[0], a.v[0], mod.Emb
	update := func(rows []int32) {
		for _, r := range rows {
			lo, hi := int(r)*d, int(r)*d+d
			gr := g.emb[lo:hi]
			mr, vr, wr := m[lo:hi:hi], v[lo:hi:hi], w[lo:hi:hi]
			for j := range wr {
				gj := gr[j]
				mj := b1*mr[j] + (1-b1)*gj
				vj := b2*vr[j] + (1-b2)*gj*gj
				mr[j], vr[j] = mj, vj
				wr[j] -= lr * mj / (float32(math.Sqrt(float64(vj))) + eps)
			}
		}
	}
	// Each element's update is independent, so splitting the rows over goroutines gives
	// the same bits whatever the number of cores.
	workers := min(runtime.GOMAXPROCS(0), len(a.rows)*d/minParallelElems)
	if workers <= 1 {
		update(a.rows)
	} else {
		var wg sync.WaitGroup
		per := (len(a.rows) + workers - 1) / workers
		for lo := 0; lo < len(a.rows); lo += per {
			part := a.rows[lo:min(lo+per, len(a.rows))]
			wg.Add(1)
			go func() {
				defer wg.Done()
				update(part)
			}()
		}
		wg.Wait()
	}
	dense := func(i int, w, gr []float32, decay float32) {
		m, v := a.m[i], a.v[i]
		for j := range w {
			gj := gr[j]
			if decay != 0 {
				gj += decay * w[j]
			}
			m[j] += (gj - m[j]) * (1 - b1)
			v[j] += (gj*gj - v[j]) * (1 - b2)
			w[j] -= lr * m[j] / (float32(math.Sqrt(float64(v[j]))) + eps)
		}
	}
	dense(1, mod.W1, g.w1, 2*l2)
	dense(2, mod.B1, g.b1, 0)
	dense(3, mod.W2, g.w2, 2*l2)
	dense(4, mod.B2, g.b2, 0)
}
