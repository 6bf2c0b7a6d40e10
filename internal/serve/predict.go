package serve

import (
	"context"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	ewrt "github.com/edgewatt/edgewatt/runtime"
)

// Error is a request the service refuses: Status is the HTTP status that fits (400 bad
// input, 404 unknown model, 413 too large, 503 shutting down) and Msg says what to change.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func badRequest(format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, a...)}
}

// Prediction is the answer for one input.
type Prediction struct {
	Label   string        // the winning label's name
	Index   int           // the winning label's index in Labels
	Labels  []string      // the model's labels (shared; do not modify)
	Scores  []float32     // one per output unit (a probability for sigmoid/softmax outputs)
	Latency time.Duration // tokenizing and predicting this input
	Model   string        // the model's name
	SHA256  string        // the content hash of the model file version that answered
}

// Predict classifies texts with the named model ("" for the default model). It waits for
// a free inference slot (Limits.MaxInflight) until ctx ends, and never blocks on a lock.
func (s *Service) Predict(ctx context.Context, model string, texts []string) ([]Prediction, error) {
	if err := s.checkBatch(len(texts)); err != nil {
		return nil, err
	}
	for i, t := range texts {
		if len(t) > s.lim.MaxTextBytes {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("text %d is %d bytes; the limit is %d (--max-text)", i, len(t), s.lim.MaxTextBytes)}
		}
		if !utf8.ValidString(t) {
			return nil, badRequest("text %d is not valid UTF-8", i)
		}
	}
	return s.run(ctx, model, len(texts), func(p *ewrt.Predictor, i int) ewrt.Result { return p.PredictText(texts[i]) })
}

// PredictIDs classifies pre-tokenized rows of token ids (padded or truncated to the
// model's maxlen as in training). Ids outside the embedding are refused.
func (s *Service) PredictIDs(ctx context.Context, model string, rows [][]int32) ([]Prediction, error) {
	if err := s.checkBatch(len(rows)); err != nil {
		return nil, err
	}
	for i, r := range rows {
		if len(r) > s.lim.MaxIDs {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("id row %d has %d ids; the limit is %d", i, len(r), s.lim.MaxIDs)}
		}
	}
	return s.run(ctx, model, len(rows), func(p *ewrt.Predictor, i int) ewrt.Result { return p.PredictIDs(rows[i]) },
		func(e *entry) error {
			v := int32(e.model.Meta.Arch.Embedding.InputDim)
			for i, r := range rows {
				for j, id := range r {
					if id < 0 || id >= v {
						return badRequest("ids[%d][%d] = %d is outside the model's vocabulary (0..%d)", i, j, id, v-1)
					}
				}
			}
			return nil
		})
}

func (s *Service) checkBatch(n int) error {
	if n == 0 {
		return badRequest("no input: give at least one text (or id row)")
	}
	if n > s.lim.MaxBatch {
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("%d inputs in one request; the limit is %d (--max-batch): split the batch", n, s.lim.MaxBatch)}
	}
	return nil
}

func (s *Service) run(ctx context.Context, model string, n int, one func(*ewrt.Predictor, int) ewrt.Result, check ...func(*entry) error) ([]Prediction, error) {
	if s.closed.Load() {
		return nil, &Error{Status: http.StatusServiceUnavailable, Msg: "the service has stopped"}
	}
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	defer s.leave()
	e, err := s.acquire(model)
	if err != nil {
		return nil, err
	}
	defer e.release()
	for _, c := range check {
		if err := c(e); err != nil {
			e.errs.Add(float64(n))
			return nil, err
		}
	}
	labels := e.model.Labels()
	p := e.pool.Get()
	out := make([]Prediction, n)
	scores := make([]float32, n*e.model.Outputs())
	for i := range out {
		t0 := time.Now()
		r := one(p, i)
		d := time.Since(t0)
		sc := scores[i*len(r.Scores) : (i+1)*len(r.Scores)]
		copy(sc, r.Scores)
		name := ""
		if r.Label < len(labels) {
			name = labels[r.Label]
		}
		out[i] = Prediction{Label: name, Index: r.Label, Labels: labels, Scores: sc, Latency: d, Model: e.name, SHA256: e.sha256}
		e.latency.Observe(d.Seconds())
		s.lat.observe(d)
		if r.Label < len(e.okByLabel) {
			e.okByLabel[r.Label].Inc()
		}
	}
	e.pool.Put(p)
	s.inf.Add(uint64(n))
	if m := s.tel.meter; m != nil {
		m.AddInferences(time.Now(), n) // atomics only
	}
	return out, nil
}

// enter takes one of Limits.MaxInflight inference slots: an atomic increment when one is
// free (the prediction path takes no lock); under overload it waits for a release or ctx.
func (s *Service) enter(ctx context.Context) error {
	max := int64(s.lim.MaxInflight)
	for {
		n := s.inflight.Load()
		if n < max {
			if s.inflight.CompareAndSwap(n, n+1) {
				return nil
			}
			continue
		}
		s.waiters.Add(1)
		if s.inflight.Load() < max { // a slot freed before we were counted as waiting
			s.waiters.Add(-1)
			continue
		}
		select {
		case <-s.freed:
			s.waiters.Add(-1)
		case <-ctx.Done():
			s.waiters.Add(-1)
			return &Error{Status: http.StatusServiceUnavailable, Msg: "timed out waiting for a free inference slot (--max-inflight): " + ctx.Err().Error()}
		}
	}
}

func (s *Service) leave() {
	s.inflight.Add(-1)
	if s.waiters.Load() > 0 {
		select {
		case s.freed <- struct{}{}:
		default:
		}
	}
}
