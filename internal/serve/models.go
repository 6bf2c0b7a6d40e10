package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	ewrt "github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// modelSet is the immutable set of loaded models; it is replaced whole on reload.
type modelSet struct {
	byName map[string]*entry
	def    string
}

func (m *modelSet) closeAll() {
	for _, e := range m.byName {
		e.release()
	}
}

// entry is one loaded model file. refs counts the set that holds it (1) plus every request
// using it; the model is closed when it drops to zero.
type entry struct {
	name     string
	path     string
	model    *ewrt.Model
	sha256   string
	version  string
	loadedAt time.Time
	pool     *ewrt.PredictorPool
	refs     atomic.Int64
	// Per-label counters and the latency observer, resolved once at load so that the
	// prediction path does no label lookups.
	okByLabel []counter
	errs      counter
	latency   observer
}

// fileStat identifies a model file's content without reading it.
type fileStat struct {
	size  int64
	mtime time.Time
	ino   uint64
	dev   uint64
}

func statFile(path string) (fileStat, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStat{}, err
	}
	st := fileStat{size: fi.Size(), mtime: fi.ModTime()}
	st.ino, st.dev = fileID(fi)
	return st, nil
}

// slot is the mutable bookkeeping of one configured model: what file was last seen and the
// last reload error. Only reloads (serialized by Service.reloadM) write it.
type slot struct {
	spec    ModelSpec
	stat    fileStat
	mu      sync.Mutex // guards lastErr/errAt for readers
	lastErr string
	errAt   time.Time
}

func (sl *slot) setErr(err error, at time.Time) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if err == nil {
		sl.lastErr, sl.errAt = "", time.Time{}
		return
	}
	sl.lastErr, sl.errAt = err.Error(), at
}

func (sl *slot) err() (string, time.Time) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	return sl.lastErr, sl.errAt
}

func loadEntry(ms ModelSpec) (*entry, fileStat, error) {
	st, err := statFile(ms.Path)
	if err != nil {
		return nil, st, fmt.Errorf("%w (check the -m path)", err)
	}
	m, err := ewrt.Load(ms.Path)
	if err != nil {
		return nil, st, err
	}
	e := &entry{name: ms.Name, path: ms.Path, model: m, sha256: m.Meta.SHA256, loadedAt: time.Now()}
	e.version = e.sha256
	if len(e.version) > 12 {
		e.version = e.version[:12]
	}
	e.pool = m.NewPredictorPool()
	e.refs.Store(1)
	return e, st, nil
}

// acquire takes a reference on the named model of the current set (the default model for
// ""); the caller must release it. It never blocks: a set swapped underneath is retried.
func (s *Service) acquire(name string) (*entry, error) {
	for {
		set := s.models.Load()
		if name == "" {
			name = set.def
		}
		e := set.byName[name]
		if e == nil {
			return nil, &Error{Status: 404, Msg: fmt.Sprintf("no model named %q; GET /v1/models lists the models served", name)}
		}
		for {
			n := e.refs.Load()
			if n == 0 {
				break // retired and closed: the set we read is stale
			}
			if e.refs.CompareAndSwap(n, n+1) {
				return e, nil
			}
		}
	}
}

func (e *entry) release() {
	if e.refs.Add(-1) == 0 {
		e.model.Close()
	}
}

// Reload reloads every model from its file (SIGHUP). Models that fail to load keep the
// old version serving; the joined errors are returned.
func (s *Service) Reload() error {
	var errs []error
	for _, name := range s.order {
		if err := s.reload(name, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reload loads the named model's file and swaps it in. Without force it does nothing when
// the file looks unchanged (same size, modification time and inode).
func (s *Service) reload(name string, force bool) error {
	s.reloadM.Lock()
	defer s.reloadM.Unlock()
	sl := s.slots[name]
	st, err := statFile(sl.spec.Path)
	if !force && st == sl.stat {
		return nil // unchanged, or still missing (reported once)
	}
	if err == nil && !force {
		// A writer that replaces the file in place (not by rename) may still be writing:
		// wait for the size and time to hold still for a moment.
		time.Sleep(100 * time.Millisecond)
		if st2, err2 := statFile(sl.spec.Path); err2 == nil && st2 != st {
			return nil // changed again: the next poll will see it settled
		}
	}
	var e *entry
	if err == nil {
		e, st, err = loadEntry(sl.spec)
	}
	now := s.now()
	if err != nil {
		sl.stat = st
		err = fmt.Errorf("serve: reload %q from %s: %w; the previous version keeps serving", name, sl.spec.Path, err)
		sl.setErr(err, now)
		s.met.reloads.WithLabelValues(name, "error").Inc()
		s.met.loadError.WithLabelValues(name).Set(1)
		s.log.Error("model.reload", "model", name, "path", sl.spec.Path, "outcome", "error", "err", err)
		return err
	}
	sl.stat = st
	sl.setErr(nil, now)
	old := s.models.Load()
	next := &modelSet{byName: make(map[string]*entry, len(old.byName)), def: old.def}
	for k, v := range old.byName {
		next.byName[k] = v
	}
	prev := old.byName[name]
	next.byName[name] = e
	s.met.modelLoaded(name, e) // before publishing: requests read e's counters
	s.models.Store(next)
	if prev != nil {
		prev.release() // closed once its in-flight requests end
	}
	s.met.reloads.WithLabelValues(name, "ok").Inc()
	s.met.loadError.WithLabelValues(name).Set(0)
	prevSHA := ""
	if prev != nil {
		prevSHA = prev.sha256
	}
	s.log.Info("model.reload", "model", name, "path", sl.spec.Path, "outcome", "ok", "sha256", e.sha256, "previous_sha256", prevSHA)
	return nil
}

// watch polls the model files every Options.Watch and reloads those that changed. A stat
// per file per poll is all an idle service does here.
func (s *Service) watch(ctx context.Context) error {
	t := time.NewTicker(s.opt.Watch)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			for _, name := range s.order {
				s.reload(name, false) // a stat; reloads (logged and counted inside) only on a change
			}
		}
	}
}

// ModelInfo describes a served model (GET /v1/models).
type ModelInfo struct {
	Name         string         `json:"name"`
	Path         string         `json:"path"`
	Default      bool           `json:"default"`
	SHA256       string         `json:"sha256"`
	Version      string         `json:"version"`
	Architecture string         `json:"architecture"`
	Params       int            `json:"params"`
	Quant        QuantInfo      `json:"quant"`
	Labels       []string       `json:"labels"`
	MaxLen       int            `json:"maxlen"`
	Vocabulary   int            `json:"vocabulary"`
	Kernels      string         `json:"kernels"`
	Accuracy     map[string]any `json:"accuracy,omitempty"`
	LoadedAt     time.Time      `json:"loaded_at"`
	LoadError    string         `json:"load_error,omitempty"`
	LoadErrorAt  *time.Time     `json:"load_error_at,omitempty"`
	Source       string         `json:"source,omitempty"`
	Bytes        int            `json:"bytes"`
}

// QuantInfo is a model's quantization scheme.
type QuantInfo struct {
	Embedding string `json:"embedding"`
	Dense     string `json:"dense"`
}

// Models describes the models served, in the order they were given.
func (s *Service) Models() []ModelInfo {
	set := s.models.Load()
	out := make([]ModelInfo, 0, len(s.order))
	for _, name := range s.order {
		e := set.byName[name]
		if e == nil {
			continue
		}
		out = append(out, s.info(name, e, set.def == name))
	}
	return out
}

// ModelInfo describes one model; ok is false when there is no such model.
func (s *Service) ModelInfo(name string) (ModelInfo, bool) {
	set := s.models.Load()
	e := set.byName[name]
	if e == nil {
		return ModelInfo{}, false
	}
	return s.info(name, e, set.def == name), true
}

func (s *Service) info(name string, e *entry, def bool) ModelInfo {
	m := e.model.Meta
	in := ModelInfo{Name: name, Path: e.path, Default: def, SHA256: e.sha256, Version: e.version,
		Architecture: archString(m.Arch), Params: params(m.Arch), Quant: QuantInfo{m.Quant.Embedding, m.Quant.Dense},
		Labels: e.model.Labels(), MaxLen: m.Preprocess.MaxLen, Vocabulary: m.Arch.Embedding.InputDim,
		Kernels: ewrt.Kernels(), Accuracy: m.Report, LoadedAt: e.loadedAt.UTC(), Source: m.Provenance.SourceFile,
		Bytes: e.model.FileBytes()}
	if sl := s.slots[name]; sl != nil {
		if msg, at := sl.err(); msg != "" {
			at = at.UTC()
			in.LoadError, in.LoadErrorAt = msg, &at
		}
	}
	return in
}

func archString(a modelfile.Arch) string {
	s := fmt.Sprintf("Embedding(%d,%d) -> GlobalAveragePooling1D", a.Embedding.InputDim, a.Embedding.OutputDim)
	for _, d := range a.Dense {
		s += fmt.Sprintf(" -> Dense(%d,%s)", d.Out, d.Activation)
	}
	return s
}

func params(a modelfile.Arch) int {
	n := a.Embedding.InputDim * a.Embedding.OutputDim
	for _, d := range a.Dense {
		n += d.In*d.Out + d.Out
	}
	return n
}
