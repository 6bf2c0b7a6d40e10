package energy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"periph.io/x/conn/v3/physic"
)

// Workload is one model under test: Run(n) performs n inferences and returns when they are
// done. Run is only called from the goroutine that called energy.Run.
type Workload struct {
	Name string
	Run  func(n int)
}

// DefaultGridIntensity is CodeCarbon's world-average carbon intensity of electricity, in
// grams of CO2e per kWh.
const DefaultGridIntensity = 475.0

// Options configures Run; zero fields take the defaults noted.
type Options struct {
	Windows int           // load windows per workload; default 5
	Window  time.Duration // length of each load window; default 10 s
	Idle    time.Duration // length of the idle baseline window; default Window
	// GridIntensity is in g CO2e per kWh, used as given: 0 is a carbon-free supply. Pass
	// DefaultGridIntensity for the world average.
	GridIntensity float64
	// Warmup is how long each workload runs before the idle window (caches, page faults,
	// the CPU clock ramping up); default min(Window/5, 500 ms); negative means a single
	// inference.
	Warmup time.Duration
	// ReplayRun is the real time a workload runs per window when the source is a replay;
	// default min(Window, 1 s). See the package documentation.
	ReplayRun time.Duration
	// Progress, if not nil, is told what the engine is about to do ("idle 10s").
	Progress func(msg string)
	// Conditions, if not nil, reads the board's temperature and throttle bits (sysfs,
	// vcgencmd get_throttled) on a live run, on a goroutine of its own every
	// ConditionsEvery (default 1 s; reading vcgencmd costs a process). A window is
	// throttled when a reading inside it says so. Its first error is noted and stops the
	// polling. A replay's own temperature and throttle columns are used instead.
	Conditions      func() (physic.Temperature, board.Throttle, error)
	ConditionsEvery time.Duration
}

const (
	defaultWindows   = 5
	defaultWindow    = 10 * time.Second
	defaultReplayRun = time.Second
	maxWindows       = 10000
)

func (o *Options) fill() error {
	if o.Windows == 0 {
		o.Windows = defaultWindows
	}
	if o.Window == 0 {
		o.Window = defaultWindow
	}
	if o.Idle == 0 {
		o.Idle = o.Window
	}
	if o.Warmup == 0 {
		o.Warmup = min(o.Window/5, 500*time.Millisecond)
	}
	if o.ConditionsEvery <= 0 {
		o.ConditionsEvery = time.Second
	}
	if o.ReplayRun == 0 {
		o.ReplayRun = min(o.Window, defaultReplayRun)
	}
	switch {
	case o.Windows < 1 || o.Windows > maxWindows:
		return fmt.Errorf("energy: %d windows: want 1 to %d (e.g. --windows 5)", o.Windows, maxWindows)
	case o.Window < 10*time.Millisecond:
		return fmt.Errorf("energy: window %v: want at least 10ms; a window should hold many sensor samples (e.g. --window 10s)", o.Window)
	case o.Idle < 10*time.Millisecond:
		return fmt.Errorf("energy: idle window %v: want at least 10ms", o.Idle)
	case o.ReplayRun < time.Millisecond:
		return fmt.Errorf("energy: replay run %v: want at least 1ms", o.ReplayRun)
	case math.IsNaN(o.GridIntensity) || o.GridIntensity < 0 || o.GridIntensity > 1e5:
		return fmt.Errorf("energy: grid intensity %v g/kWh: want a number between 0 and 100000 (world average: 475)", o.GridIntensity)
	}
	return nil
}

// Sample is one reading on the run's timeline, kept for charts.
type Sample struct {
	T     time.Duration // since the start of the idle window
	Power physic.Power
	Temp  physic.Temperature // 0 when unknown
	Flags board.Quality
}

// Window is the measurement of one window. For the idle window Model is "" and Index 0.
type Window struct {
	Model      string
	Index      int           // 1-based round number; 0 for idle
	Start, End time.Duration // since the start of the idle window
	Inferences float64       // scaled to the window with a replay, so not always whole
	Rate       float64       // inferences per second
	Energy     physic.Energy
	Power      physic.Power // average over the window
	AboveIdle  physic.Power // Power - idle power
	Marginal   physic.Energy
	Total      physic.Energy
	Samples    int           // readings inside the window
	Coverage   float64       // fraction of the window covered by readings, 0..1
	Flags      board.Quality // union of the readings' flags
	TempMin    physic.Temperature
	TempMax    physic.Temperature // 0 when unknown
	Throttled  bool               // a reading inside was throttled or under-voltage
	Partial    bool               // the readings do not cover the window
	Excluded   string             // why it is left out of the median, "" if used
}

// Duration is End - Start.
func (w *Window) Duration() time.Duration { return w.End - w.Start }

// Stat is a median with its spread.
type Stat struct{ Median, Min, Max float64 }

// Summary is one workload's result over its usable windows.
type Summary struct {
	Model        string
	Used, Total  int      // windows in the median, windows measured
	Excluded     []string // "window 2: throttled (0x50005 now: throttled)"
	Rate         Stat     // inferences/s
	Watts        Stat     // average power
	AboveIdle    Stat     // W above idle
	MarginalUJ   Stat     // µJ per inference, marginal
	TotalUJ      Stat     // µJ per inference, total
	CO2eMarginal float64  // g CO2e per million inferences, from the median marginal energy
	CO2eTotal    float64  // g CO2e per million inferences, from the median total energy
}

// Result is a whole run.
type Result struct {
	Source        string
	Replay        bool // the timeline is the trace's (see the package documentation)
	Interval      time.Duration
	WindowLen     time.Duration
	Rounds        int
	GridIntensity float64
	Idle          Window
	IdlePower     physic.Power
	Windows       []Window // load windows in run order
	Models        []Summary
	Samples       []Sample
	Partial       bool     // some window lacks power data, or the run was interrupted
	Notes         []string // what went wrong, in order
}

// sampled is a reading with the conditions read beside it.
type sampled struct {
	board.Reading
	temp physic.Temperature
}

// conditioner is a source that also reports temperature and throttling (board.Replay).
type conditioner interface {
	Conditions() (physic.Temperature, board.Throttle, bool)
}

// tracer is a source read ahead on its own timeline (board.Replay).
type tracer interface{ Trace() *board.Trace }

// Run measures the workloads on src; see the package documentation. It returns an error
// only for invalid arguments: a failing source or a cancelled ctx gives a Result marked
// Partial with notes. Run does not close src.
func Run(ctx context.Context, src board.Source, work []Workload, opt Options) (*Result, error) {
	if err := opt.fill(); err != nil {
		return nil, err
	}
	if len(work) == 0 {
		return nil, errors.New("energy: no workload to measure")
	}
	for i, w := range work {
		if w.Run == nil {
			return nil, fmt.Errorf("energy: workload %d (%q) has no Run function", i, w.Name)
		}
	}
	iv := src.Interval()
	if iv <= 0 {
		iv = defaultInterval
	}
	res := &Result{Source: src.Name(), Interval: iv, WindowLen: opt.Window, Rounds: opt.Windows, GridIntensity: opt.GridIntensity}
	progress := opt.Progress
	if progress == nil {
		progress = func(string) {}
	}
	for _, w := range work {
		if opt.Warmup > 0 {
			progress(fmt.Sprintf("warm-up %v %s", opt.Warmup, w.Name))
			runFor(ctx, w.Run, opt.Warmup)
		} else {
			w.Run(1)
		}
	}
	var (
		readings []sampled
		conds    []sampled // live temperature and throttle readings, without power
		srcEnd   error     // why sampling stopped early, nil if it did not
		srcEndAt time.Time // when
		origin   time.Time
	)
	if _, ok := src.(tracer); ok {
		res.Replay = true
		readings, srcEnd = readAll(src)
		if len(readings) > 0 {
			origin = readings[0].Time
			srcEndAt = readings[len(readings)-1].Time
		}
		res.Idle = Window{Start: 0, End: opt.Idle}
		at := opt.Idle
		for round := 1; round <= opt.Windows; round++ {
			for _, w := range work {
				if ctx.Err() != nil {
					break
				}
				progress(fmt.Sprintf("window %d/%d %s (replay: %v of real inference for a %v window)", round, opt.Windows, w.Name, opt.ReplayRun, opt.Window))
				n, el := runFor(ctx, w.Run, opt.ReplayRun)
				win := Window{Model: w.Name, Index: round, Start: at, End: at + opt.Window}
				if el > 0 {
					win.Inferences = float64(n) * opt.Window.Seconds() / el.Seconds()
				}
				if ctx.Err() != nil {
					win.Excluded = "interrupted"
				}
				res.Windows = append(res.Windows, win)
				at += opt.Window
			}
		}
	} else {
		s := startSampler(src, iv)
		c := startConditions(opt.Conditions, opt.ConditionsEvery)
		origin = time.Now()
		progress(fmt.Sprintf("idle baseline %v (nothing running)", opt.Idle))
		sleep(ctx, opt.Idle)
		res.Idle = Window{Start: 0, End: time.Since(origin)}
		for round := 1; round <= opt.Windows; round++ {
			for _, w := range work {
				if ctx.Err() != nil {
					break
				}
				progress(fmt.Sprintf("window %d/%d %s (%v)", round, opt.Windows, w.Name, opt.Window))
				start := time.Since(origin)
				n, _ := runFor(ctx, w.Run, opt.Window)
				win := Window{Model: w.Name, Index: round, Start: start, End: time.Since(origin), Inferences: float64(n)}
				if ctx.Err() != nil {
					win.Excluded = "interrupted"
				}
				res.Windows = append(res.Windows, win)
			}
		}
		// One more interval, so that a reading lies past the end of the last window.
		sleep(ctx, res.Interval+res.Interval/2)
		readings, srcEnd, srcEndAt = s.stop()
		if s.skipped > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("power source %s: %d failed reads skipped (first: %v)", src.Name(), s.skipped, s.firstSkipped))
		}
		var condErr error
		conds, condErr = c.stop()
		if condErr != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("board temperature/throttling unavailable, throttled windows cannot be detected: %v", condErr))
		}
	}
	if err := ctx.Err(); err != nil {
		res.Partial = true
		res.Notes = append(res.Notes, fmt.Sprintf("interrupted (%v) after %d of %d load windows", err, len(res.Windows), opt.Windows*len(work)))
	}
	if srcEnd != nil {
		at := "before the first reading"
		if !srcEndAt.IsZero() {
			at = fmt.Sprintf("after %.3fs", srcEndAt.Sub(origin).Seconds())
		}
		if errors.Is(srcEnd, io.EOF) {
			res.Notes = append(res.Notes, fmt.Sprintf("power source %s ended %s", src.Name(), at))
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("power source %s failed %s: %v", src.Name(), at, srcEnd))
		}
	}
	res.measure(readings, conds, origin, work)
	return res, nil
}

// readAll reads a replay to its end (nil error) or to its first failure.
func readAll(src board.Source) ([]sampled, error) {
	var rs []sampled
	cond, _ := src.(conditioner)
	for {
		r, err := src.Read()
		if errors.Is(err, io.EOF) {
			return rs, nil
		}
		if err != nil {
			return rs, err
		}
		rs = append(rs, withConditions(r, cond))
	}
}

func withConditions(r board.Reading, cond conditioner) sampled {
	s := sampled{Reading: r}
	if cond != nil {
		if temp, th, ok := cond.Conditions(); ok {
			s.temp = temp
			s.Flags |= th.Quality()
		}
	}
	return s
}

// runFor runs w in growing batches until d has passed (or ctx is done) and returns the
// inferences run and the time they took. Batches grow until one takes 2 ms, so the clock
// is read rarely and a window overruns by at most a few milliseconds.
func runFor(ctx context.Context, w func(int), d time.Duration) (n int64, elapsed time.Duration) {
	start := time.Now()
	end := start.Add(d)
	batch := 1
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(end) {
			break
		}
		w(batch)
		n += int64(batch)
		if time.Since(t0) < 2*time.Millisecond && batch < 1<<20 {
			batch *= 2
		}
	}
	return n, time.Since(start)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// maxReadErrors is how many reads in a row may fail before a live source counts as lost.
const maxReadErrors = 3

// defaultInterval is the sampling period of a source whose Interval is not positive.
const defaultInterval = 100 * time.Millisecond

// sampler reads a live source on its own goroutine, one reading per interval.
type sampler struct {
	quit         chan struct{}
	done         chan struct{}
	rs           []sampled
	err          error // the error that stopped the sampling
	at           time.Time
	skipped      int   // isolated read errors skipped
	firstSkipped error // the first of them
}

func startSampler(src board.Source, iv time.Duration) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{})}
	cond, _ := src.(conditioner)
	go func() {
		defer close(s.done)
		t := time.NewTicker(iv)
		defer t.Stop()
		run := 0 // consecutive errors
		for {
			r, err := src.Read()
			switch {
			case err == nil:
				run = 0
				s.rs = append(s.rs, withConditions(r, cond))
			case errors.Is(err, io.EOF) || run+1 >= maxReadErrors:
				s.err, s.at = err, time.Now()
				return
			default: // a bus glitch: skip the sample, the trapezoid bridges the gap
				run++
				s.skipped++
				if s.firstSkipped == nil {
					s.firstSkipped = err
				}
			}
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the readings and, if the source failed, why and when.
func (s *sampler) stop() ([]sampled, error, time.Time) {
	close(s.quit)
	<-s.done
	at := s.at
	if s.err != nil && len(s.rs) > 0 {
		at = s.rs[len(s.rs)-1].Time
	}
	return s.rs, s.err, at
}

// conditionPoller reads Options.Conditions on its own goroutine.
type conditionPoller struct {
	quit chan struct{}
	done chan struct{}
	cs   []sampled
	err  error
}

func startConditions(read func() (physic.Temperature, board.Throttle, error), every time.Duration) *conditionPoller {
	c := &conditionPoller{quit: make(chan struct{}), done: make(chan struct{})}
	if read == nil {
		close(c.done)
		return c
	}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			temp, th, err := read()
			if err != nil {
				c.err = err
				return
			}
			c.cs = append(c.cs, sampled{Reading: board.Reading{Time: time.Now(), Flags: th.Quality()}, temp: temp})
			select {
			case <-c.quit:
				return
			case <-t.C:
			}
		}
	}()
	return c
}

func (c *conditionPoller) stop() ([]sampled, error) {
	close(c.quit)
	<-c.done
	return c.cs, c.err
}
