package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"github.com/prometheus/client_golang/prometheus"
)

// ModelSpec names a model file to serve.
type ModelSpec struct {
	Name string // the name requests use; default: the file's base name without extension
	Path string
}

// ParseModelSpec parses "-m" values: "path" or "name=path".
func ParseModelSpec(s string) (ModelSpec, error) {
	if s == "" {
		return ModelSpec{}, errors.New("serve: empty -m value: give a model file, or name=FILE")
	}
	if i := strings.IndexByte(s, '='); i >= 0 {
		name, path := s[:i], s[i+1:]
		if err := checkModelName(name); err != nil {
			return ModelSpec{}, err
		}
		if path == "" {
			return ModelSpec{}, fmt.Errorf("serve: -m %s: no file after '='; write name=FILE", s)
		}
		return ModelSpec{Name: name, Path: path}, nil
	}
	base := strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))
	if checkModelName(base) != nil {
		return ModelSpec{}, fmt.Errorf("serve: -m %s: the file name does not make a model name (letters, digits, '.', '_', '-'); name it with -m NAME=%s", s, s)
	}
	return ModelSpec{Name: base, Path: s}, nil
}

func checkModelName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("serve: model name %q: want 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("serve: model name %q: want only letters, digits, '.', '_' or '-'", name)
		}
	}
	return nil
}

// Limits bound what one request may ask of the service.
type Limits struct {
	MaxBodyBytes int64 // request body; default 1 MiB
	MaxTextBytes int   // one text; default 16 KiB
	MaxBatch     int   // texts or id rows per request; default 256
	MaxIDs       int   // ids in one row; default 4096
	MaxInflight  int   // concurrent inferences (requests inside Predict); default 4 x GOMAXPROCS
}

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 1 << 20
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 16 << 10
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = 256
	}
	if l.MaxIDs <= 0 {
		l.MaxIDs = 4096
	}
	if l.MaxInflight <= 0 {
		l.MaxInflight = 4 * runtime.GOMAXPROCS(0)
	}
	return l
}

// Component is a long-running part started and stopped with the service (the MQTT bridge):
// Run works until ctx ends and returns nil then; an error stops the whole service.
type Component interface {
	Name() string
	Run(ctx context.Context, s *Service) error
}

// Options configure a Service. The zero value of each optional field picks a default.
type Options struct {
	Models []ModelSpec // at least one; the first is the default model
	// Power is the power source to sample (nil: none; the energy figures are then absent).
	// The service closes it when Run returns.
	Power         board.Source
	PowerInterval time.Duration // default max(1s, Power.Interval())
	// Conditions reads temperature and throttling (board.NewConditionsProbe(...).Read);
	// nil: none. It is called at most once per PowerInterval.
	Conditions func() (board.Conditions, error)
	// Watch is how often model files are checked for replacement; default 5s, negative: never.
	Watch  time.Duration
	Limits Limits
	// Registry receives the service's metrics; nil: a new one (see Service.Registry).
	Registry   *prometheus.Registry
	Logger     *slog.Logger // default: discard
	Components []Component
	// Energy configures the live meter's window and idle detection (zero: its defaults).
	Energy EnergyOptions
	Now    func() time.Time // default time.Now
}

// EnergyOptions mirror internal/energy's LiveOptions.
type EnergyOptions struct {
	Window  time.Duration // the recent window of the per-inference figures; default 60s
	IdleMin time.Duration // a quiet stretch this long counts as idle; default 10s
	Settle  time.Duration // ignore this long after the last inference; default 2s
}

// Service serves models. It is safe for concurrent use.
type Service struct {
	opt      Options
	lim      Limits
	log      *slog.Logger
	now      func() time.Time
	reg      *prometheus.Registry
	met      *metrics
	models   atomic.Pointer[modelSet]
	slots    map[string]*slot // fixed at New: one per ModelSpec
	order    []string
	inflight atomic.Int64  // inferences running (enter/leave)
	waiters  atomic.Int64  // requests waiting for a slot
	freed    chan struct{} // wakes one waiter when a slot frees
	inf      atomic.Uint64 // inferences since start (every text or id row predicted)
	lat      latencyHist   // inference latencies for the dashboard's p50/p99
	tel      *telemetry
	reloadM  sync.Mutex // serializes reloads (never taken on the prediction path)
	started  time.Time
	ready    atomic.Bool                                      // false while starting and draining (/v2/health/ready)
	closed   atomic.Bool                                      // set by Close
	routes   atomic.Pointer[map[routeKey]prometheus.Observer] // see requestObserver
}

// New loads every model (failing if any does not load) and returns the service. Call Run to
// start its background work (power sampling, the file watch, components).
func New(opt Options) (*Service, error) {
	if len(opt.Models) == 0 {
		return nil, errors.New("serve: no model: give at least one -m MODEL")
	}
	s := &Service{opt: opt, lim: opt.Limits.withDefaults(), log: opt.Logger, now: opt.Now, reg: opt.Registry,
		slots: map[string]*slot{}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	if s.opt.Watch == 0 {
		s.opt.Watch = 5 * time.Second
	}
	s.freed = make(chan struct{}, 1)
	set := &modelSet{byName: map[string]*entry{}}
	for _, ms := range opt.Models {
		if _, dup := s.slots[ms.Name]; dup {
			return nil, fmt.Errorf("serve: two models are named %q; name them apart with -m NAME=FILE", ms.Name)
		}
		if err := checkModelName(ms.Name); err != nil {
			return nil, err
		}
		e, st, err := loadEntry(ms)
		if err != nil {
			set.closeAll()
			return nil, fmt.Errorf("serve: model %q: %w", ms.Name, err)
		}
		s.slots[ms.Name] = &slot{spec: ms, stat: st}
		s.order = append(s.order, ms.Name)
		set.byName[ms.Name] = e
	}
	set.def = s.order[0]
	s.models.Store(set)
	s.met = newMetrics(s)
	if err := s.met.register(s.reg); err != nil {
		set.closeAll()
		return nil, err
	}
	s.tel = newTelemetry(s)
	for _, name := range s.order {
		s.met.modelLoaded(name, set.byName[name])
	}
	s.started = s.now()
	s.ready.Store(true)
	return s, nil
}

// Registry returns the registry holding the service's metrics.
func (s *Service) Registry() *prometheus.Registry { return s.reg }

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.lim }

// Logger returns the service's logger, for components.
func (s *Service) Logger() *slog.Logger { return s.log }

// DefaultModel is the name of the first model.
func (s *Service) DefaultModel() string { return s.models.Load().def }

// Ready reports whether the service has models and is not shutting down.
func (s *Service) Ready() bool { return s.ready.Load() }

// Run runs the service's background work until ctx ends: the power sampler, the model file
// watch and the components. It closes the power source and, once every request has
// released them, the models. An error from a component ends Run with that error.
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(s.opt.Components)+2)
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("serve: %s: %w", name, err)
				cancel()
			}
		}()
	}
	if s.opt.Power != nil {
		start("power", s.tel.sample)
	} else {
		start("history", s.tel.tickHistory)
	}
	if s.opt.Watch > 0 {
		start("watch", s.watch)
	}
	for _, c := range s.opt.Components {
		c := c
		s.log.Info("component.start", "component", c.Name())
		start(c.Name(), func(ctx context.Context) error { return c.Run(ctx, s) })
	}
	<-ctx.Done()
	s.ready.Store(false)
	wg.Wait()
	if s.opt.Power != nil {
		s.opt.Power.Close()
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// Close releases the models. Call it after Run has returned and every request has ended.
func (s *Service) Close() {
	s.ready.Store(false)
	s.closed.Store(true)
	if set := s.models.Swap(&modelSet{byName: map[string]*entry{}}); set != nil {
		set.closeAll()
	}
}
