package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// Config is what edgewatt train was asked for; the zero value is not valid, start from
// DefaultConfig.
type Config struct {
	Vocab      int    // num_words of the tokenizer and rows of the embedding
	Dim        int    // embedding width
	Hidden     int    // units of the relu Dense layer
	MaxLen     int    // padded sequence length
	Padding    string // "pre" or "post"
	Truncating string // "pre" or "post"
	OOV        string // OOV token, "" for none
	Epochs     int
	Batch      int
	LR         float64
	L2         float64 // L2 penalty on the Dense kernels (Keras kernel_regularizer=l2(…)), 0 for none
	L1         float64 // L1 penalty on the Dense kernels (Keras kernel_regularizer=l1(…)), 0 for none
	Dropout    float64 // rate of a Dropout layer after the pooling, 0 for none
	Pool       string  // PoolAvg (default), PoolMax or PoolFlatten
	Loss       string  // LossCrossEntropy (default) or LossMSE
	Optimizer  string  // "adam" (default) or "sgd"
	Momentum   float64 // SGD momentum in [0, 1]
	Nesterov   bool    // SGD Nesterov momentum (needs Momentum > 0)
	Patience   int     // early stopping: stop after this many epochs without a lower val_loss (Keras's patience)
	Restore    bool    // early stopping: restore the weights of the best epoch
	Seed       uint64
}

// DefaultConfig is the course's setup: vocabulary 10000, width 16, 24 hidden units,
// maxlen 100, post padding and truncation, "<OOV>", 10 epochs of batch 32, Adam 0.001.
func DefaultConfig() Config {
	return Config{Vocab: 10000, Dim: 16, Hidden: 24, MaxLen: 100, Padding: "post", Truncating: "post",
		OOV: "<OOV>", Epochs: 10, Batch: 32, LR: 0.001, Patience: 2, Restore: true, Seed: 1}
}

// maxEmbedding bounds Vocab x Dim (256 MiB of float32; Adam's m and v and the gradient
// take three times more), and maxTokens the padded token ids of one data set (1 GiB of
// int32), so that flags and data sizes fail with an error instead of overflowing int on
// 32-bit ARM or exhausting memory.
const (
	maxEmbedding = 1 << 26
	maxTokens    = 1 << 28
)

// Check reports the first invalid setting, saying how to fix it.
func (c *Config) Check() error {
	switch {
	case c.Vocab < 2 || c.Vocab > 1<<24:
		return fmt.Errorf("vocabulary %d: want 2..16777216", c.Vocab)
	case c.Dim < 1 || c.Dim > 4096:
		return fmt.Errorf("embedding width %d: want 1..4096", c.Dim)
	case int64(c.Vocab)*int64(c.Dim) > maxEmbedding:
		return fmt.Errorf("vocabulary %d x embedding width %d = %d weights: want at most %d; lower the vocabulary or the width",
			c.Vocab, c.Dim, int64(c.Vocab)*int64(c.Dim), maxEmbedding)
	case c.Hidden < 1 || c.Hidden > 4096:
		return fmt.Errorf("hidden units %d: want 1..4096", c.Hidden)
	case c.MaxLen < 1 || c.MaxLen > 1<<16:
		return fmt.Errorf("maxlen %d: want 1..65536", c.MaxLen)
	case c.Padding != "pre" && c.Padding != "post":
		return fmt.Errorf("padding %q: want pre or post", c.Padding)
	case c.Truncating != "pre" && c.Truncating != "post":
		return fmt.Errorf("truncating %q: want pre or post", c.Truncating)
	case c.Epochs < 1 || c.Epochs > 100000:
		return fmt.Errorf("epochs %d: want 1..100000", c.Epochs)
	case c.Batch < 1 || c.Batch > 1<<20:
		return fmt.Errorf("batch %d: want 1..1048576", c.Batch)
	case !(c.LR > 0 && c.LR < 10):
		return fmt.Errorf("learning rate %g: want a positive number below 10", c.LR)
	case !(c.L2 >= 0 && c.L2 < 10):
		return fmt.Errorf("l2 %g: want 0 (off) or a small positive number", c.L2)
	case !(c.L1 >= 0 && c.L1 < 10):
		return fmt.Errorf("l1 %g: want 0 (off) or a small positive number", c.L1)
	case c.Pool != "" && c.Pool != PoolAvg && c.Pool != PoolMax && c.Pool != PoolFlatten:
		return fmt.Errorf("pool %q: want avg (GlobalAveragePooling1D), max (GlobalMaxPooling1D) or flatten (Flatten)", c.Pool)
	case c.Pool == PoolFlatten && int64(c.MaxLen)*int64(c.Dim)*int64(c.Hidden) > maxEmbedding:
		return fmt.Errorf("flatten: maxlen %d x width %d x hidden %d = %d first-layer weights: want at most %d; lower maxlen, the width or hidden",
			c.MaxLen, c.Dim, c.Hidden, int64(c.MaxLen)*int64(c.Dim)*int64(c.Hidden), maxEmbedding)
	case c.Loss != "" && c.Loss != LossCrossEntropy && c.Loss != LossMSE:
		return fmt.Errorf("loss %q: want crossentropy (binary or sparse categorical) or mse (mean squared error)", c.Loss)
	case c.Optimizer != "" && c.Optimizer != "adam" && c.Optimizer != "sgd":
		return fmt.Errorf("optimizer %q: want adam or sgd", c.Optimizer)
	case !(c.Momentum >= 0 && c.Momentum <= 1):
		return fmt.Errorf("momentum %g: want a value in [0, 1] (Keras SGD)", c.Momentum)
	case c.Momentum > 0 && c.Optimizer != "sgd":
		return fmt.Errorf("momentum %g is an SGD setting; add --optimizer sgd (Adam has its own beta_1)", c.Momentum)
	case c.Nesterov && !(c.Momentum > 0):
		return fmt.Errorf("nesterov needs a momentum above 0 (Keras ignores it without momentum)")
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("dropout %g: want a rate in [0, 1)", c.Dropout)
	case c.Patience < 0:
		return fmt.Errorf("patience %d: want 0 or more", c.Patience)
	}
	return nil
}

// Dataset is padded sequences and their classes.
type Dataset struct {
	X []int32 // N×MaxLen
	Y []int
	L int
}

// Len is the number of examples.
func (d *Dataset) Len() int { return len(d.Y) }

// Encode tokenizes, pads and labels examples.
func Encode(ex []Example, tok *Tokenizer, labels *Labels, c *Config, what string) (*Dataset, error) {
	if n := int64(len(ex)) * int64(c.MaxLen); n > maxTokens {
		return nil, fmt.Errorf("train: %s data: %d examples x maxlen %d = %d token ids: want at most %d; lower maxlen or use fewer rows",
			what, len(ex), c.MaxLen, n, maxTokens)
	}
	ds := &Dataset{X: make([]int32, len(ex)*c.MaxLen), Y: make([]int, len(ex)), L: c.MaxLen}
	for i, e := range ex {
		y, err := labels.Index(e.Label)
		if err != nil {
			return nil, fmt.Errorf("train: %s example %d: %w", what, i+1, err)
		}
		ds.Y[i] = y
		PadSequence(tok.TextToSequence(e.Text), c.MaxLen, c.Padding, c.Truncating, ds.X[i*c.MaxLen:(i+1)*c.MaxLen])
	}
	return ds, nil
}

// Epoch is one line of the training history.
type Epoch struct {
	Loss, Accuracy       float64
	ValLoss, ValAccuracy float64 // NaN without validation data
	Duration             time.Duration
}

// Result is a trained classifier and how it got there.
type Result struct {
	Config    Config
	Tokenizer *Tokenizer
	Labels    *Labels
	Model     *Model
	Adam      *Adam // the optimizer: Adam, or SGD when Config.Optimizer is "sgd"
	SGD       *SGD
	History   []Epoch
	Best      int // index in History of the epoch whose weights Model holds
	Stopped   bool
}

// Train fits the tokenizer on the training texts, then the model, reporting progress to
// progress (nil for none). val may be empty: then every epoch runs and there is no early
// stopping. The result depends only on the inputs and c.Seed.
func Train(c Config, trainEx, valEx []Example, progress io.Writer) (*Result, error) {
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if len(trainEx) == 0 {
		return nil, errors.New("train: no training examples")
	}
	labels, err := NewLabels(trainEx)
	if err != nil {
		return nil, err
	}
	tok := NewTokenizer(c.Vocab, c.OOV)
	texts := make([]string, len(trainEx))
	for i, e := range trainEx {
		texts[i] = e.Text
	}
	tok.FitOnTexts(texts)
	tr, err := Encode(trainEx, tok, labels, &c, "training")
	if err != nil {
		return nil, err
	}
	var va *Dataset
	if len(valEx) > 0 {
		if va, err = Encode(valEx, tok, labels, &c, "validation"); err != nil {
			return nil, err
		}
	}
	k := labels.Classes()
	if k == 2 {
		k = 1
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x65646765776174)) // "edgewat"
	pool := c.Pool
	if pool == "" {
		pool = PoolAvg
	}
	m := NewPooledModel(c.Vocab, c.Dim, c.Hidden, k, c.MaxLen, pool, rng)
	if c.Loss == LossMSE {
		m.Loss = LossMSE
	}
	res := &Result{Config: c, Tokenizer: tok, Labels: labels, Model: m}
	if c.Optimizer == "sgd" {
		res.SGD = NewSGD(c.LR, c.Momentum, c.Nesterov, m)
	} else {
		res.Adam = NewAdam(c.LR, m)
	}
	fit(res, tr, va, rng, progress)
	return res, nil
}

func fit(res *Result, tr, va *Dataset, rng *rand.Rand, progress io.Writer) {
	c, m := &res.Config, res.Model
	g := newGrads(m)
	s := newScratch(m)
	order := make([]int, tr.Len())
	for i := range order {
		order[i] = i
	}
	steps := (tr.Len() + c.Batch - 1) / c.Batch
	dropout := c.Dropout > 0
	keep := float32(1 / (1 - c.Dropout))
	var best *Model
	bestLoss, wait := math.Inf(1), 0
	for ep := 0; ep < c.Epochs; ep++ {
		start := time.Now()
		bar := newBar(progress, ep+1, c.Epochs, steps)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var lossSum float64
		var correct, seen int
		for st := 0; st < steps; st++ {
			batch := order[st*c.Batch : min((st+1)*c.Batch, len(order))]
			g.reset(m.D)
			scale := 1 / float32(len(batch))
			for _, i := range batch {
				x := tr.X[i*tr.L : (i+1)*tr.L]
				if dropout {
					for j := range s.mask {
						s.mask[j] = 0
						if rng.Float64() >= c.Dropout {
							s.mask[j] = keep
						}
					}
				}
				l, ok := m.forward(x, tr.Y[i], s, dropout)
				lossSum += l
				if ok {
					correct++
				}
				m.backward(x, tr.Y[i], s, g, scale, dropout)
			}
			seen += len(batch)
			regularize(g, m, float32(c.L1), float32(c.L2))
			if res.SGD != nil {
				res.SGD.step(m, g)
			} else {
				res.Adam.step(m, g, 0)
			}
			bar.update(st+1, lossSum/float64(seen)+penalty(m, c.L1, c.L2), float64(correct)/float64(seen))
		}
		e := Epoch{Loss: lossSum/float64(seen) + penalty(m, c.L1, c.L2), Accuracy: float64(correct) / float64(seen),
			ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		if va != nil {
			e.ValLoss, e.ValAccuracy = Evaluate(m, va)
			e.ValLoss += penalty(m, c.L1, c.L2)
		}
		e.Duration = time.Since(start)
		res.History = append(res.History, e)
		bar.done(e)
		if va == nil {
			res.Best = ep
			continue
		}
		if e.ValLoss < bestLoss {
			bestLoss, wait, res.Best = e.ValLoss, 0, ep
			if c.Restore {
				best = m.clone(best)
			}
			continue
		}
		wait++
		if wait >= c.Patience {
			res.Stopped = true
			if progress != nil {
				fmt.Fprintf(progress, "early stopping: val_loss has not improved for %d epochs (best %.4f at epoch %d)\n", wait, bestLoss, res.Best+1)
			}
			break
		}
	}
	last := len(res.History) - 1
	switch {
	case va == nil || !c.Restore || best == nil: // best is nil when val_loss was never finite
		res.Best = last
	case res.Best != last:
		best.clone(m)
		if progress != nil {
			fmt.Fprintf(progress, "restored the weights of epoch %d (val_loss %.4f)\n", res.Best+1, bestLoss)
		}
	}
}

// penalty is the regularisation loss Keras adds for kernel_regularizer L1L2(l1, l2) on both
// Dense kernels: l1·Σ|w| + l2·Σw².
func penalty(m *Model, l1, l2 float64) float64 {
	if l1 == 0 && l2 == 0 {
		return 0
	}
	var s1, s2 float64
	for _, w := range [][]float32{m.W1, m.W2} {
		for _, v := range w {
			s1 += math.Abs(float64(v))
			s2 += float64(v) * float64(v)
		}
	}
	return l1*s1 + l2*s2
}

// regularize adds the gradient of penalty to the Dense kernels' gradients: 2·l2·w, then
// l1·sign(w) (TensorFlow's gradient of |w|, 0 at w = 0).
func regularize(g *grads, m *Model, l1, l2 float32) {
	for _, p := range [][2][]float32{{g.w1, m.W1}, {g.w2, m.W2}} {
		gw, w := p[0], p[1]
		if l2 != 0 {
			decay := 2 * l2
			for j := range gw {
				gw[j] += decay * w[j]
			}
		}
		if l1 != 0 {
			for j, v := range w {
				switch {
				case v > 0:
					gw[j] += l1
				case v < 0:
					gw[j] -= l1
				}
			}
		}
	}
}

// clone copies m into dst (allocated when nil) and returns dst.
func (m *Model) clone(dst *Model) *Model {
	if dst == nil {
		dst = &Model{V: m.V, D: m.D, H: m.H, K: m.K, L: m.L, Pool: m.Pool, Loss: m.Loss,
			Emb: make([]float32, len(m.Emb)), W1: make([]float32, len(m.W1)), B1: make([]float32, len(m.B1)),
			W2: make([]float32, len(m.W2)), B2: make([]float32, len(m.B2))}
	}
	copy(dst.Emb, m.Emb)
	copy(dst.W1, m.W1)
	copy(dst.B1, m.B1)
	copy(dst.W2, m.W2)
	copy(dst.B2, m.B2)
	return dst
}

// Evaluate returns the mean cross-entropy and the accuracy of m on d (no regularisation).
func Evaluate(m *Model, d *Dataset) (loss, acc float64) {
	if d.Len() == 0 {
		return math.NaN(), math.NaN()
	}
	s := newScratch(m)
	correct := 0
	for i := range d.Y {
		l, ok := m.forward(d.X[i*d.L:(i+1)*d.L], d.Y[i], s, false)
		loss += l
		if ok {
			correct++
		}
	}
	n := float64(d.Len())
	return loss / n, float64(correct) / n
}

// Evaluate tokenizes and pads examples with the result's tokenizer and returns the model's
// mean cross-entropy and accuracy on them.
func (r *Result) Evaluate(ex []Example) (loss, acc float64, err error) {
	d, err := Encode(ex, r.Tokenizer, r.Labels, &r.Config, "test")
	if err != nil {
		return 0, 0, err
	}
	loss, acc = Evaluate(r.Model, d)
	return loss, acc, nil
}
