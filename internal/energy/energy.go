package energy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"periph.io/x/conn/v3/physic"
)

// Workload is one model under test: Run(n) performs n inferences and returns when they are
// done. Run is only called from the goroutine that called energy.Run.
type Workload struct {
	Name string
	Run  func(n int)
	// Threads is how many predictors Run keeps busy at once (it splits n among them);
	// 0 means Options.Threads. It is stated in the results, not acted on.
	Threads int
}

// DefaultGridIntensity is CodeCarbon's world-average carbon intensity of electricity, in
// grams of CO2e per kWh.
const DefaultGridIntensity = 475.0

// ErrTraceTooShort is matched (errors.Is) by Run's error when a replayed trace is shorter
// than the run's schedule.
var ErrTraceTooShort = errors.New("energy: the trace is shorter than the run")

// Options configures Run; zero fields take the defaults noted.
type Options struct {
	Windows int           // load windows per workload; default 5
	Window  time.Duration // length of each load window; default 10 s
	Idle    time.Duration // length of each idle baseline window; default Window
	// GridIntensity is in g CO2e per kWh, used as given: 0 is a carbon-free supply. Pass
	// DefaultGridIntensity for the world average.
	GridIntensity float64
	// Warmup is how long each workload runs before the first idle window (caches, page
	// faults, the CPU clock ramping up); default min(Window/5, 500 ms); negative means a
	// single inference.
	Warmup time.Duration
	// Settle is how long each workload runs before its window is measured, and how long
	// the board rests before each idle window, so that a sensor that averages (and the
	// CPU clock) have caught up; default two sampling intervals; negative means none.
	Settle time.Duration
	// MinReadings is the fewest sensor readings a window must span: shorter windows
	// (Window or Idle under MinReadings sampling intervals) are lengthened to that, and
	// the result says so; default 10.
	MinReadings int
	// ReplayRun is the real time a workload runs per window when the source is a replay
	// without recorded rates; default min(Window, 300 ms). See the package documentation.
	ReplayRun time.Duration
	// Threads is how many predictors each workload runs at once, for the results (see
	// Workload.Threads); default 1.
	Threads int
	// Host describes the machine running the workloads ("linux/amd64, 4 CPUs"), for the
	// results of a replay, whose power is not this machine's.
	Host string
	// Progress, if not nil, is told what the engine is about to do ("idle 10s").
	Progress func(msg string)
	// Conditions, if not nil, reads the board's temperature, throttle bits and CPU clock
	// (board.ConditionsProbe) on a live run, on a goroutine of its own every
	// ConditionsEvery (default 1 s; reading vcgencmd costs a process). A window is
	// throttled when a reading inside it says so, or when a since-boot bit appeared
	// between the two readings around it. Its first error is noted and stops the
	// polling. A replay's own temperature and throttle columns are used instead.
	Conditions      func() (board.Conditions, error)
	ConditionsEvery time.Duration
	// FirstRead is how long to wait for the source's first reading before the idle
	// window starts (a vcgencmd-based source takes tens of milliseconds); default the
	// larger of 2 s and 20 intervals.
	FirstRead time.Duration
}

const (
	defaultWindows     = 5
	defaultWindow      = 10 * time.Second
	defaultReplayRun   = 300 * time.Millisecond
	defaultMinReadings = 10
	maxWindows         = 10000
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
	if o.MinReadings == 0 {
		o.MinReadings = defaultMinReadings
	}
	if o.Threads == 0 {
		o.Threads = 1
	}
	switch {
	case o.Windows < 1 || o.Windows > maxWindows:
		return fmt.Errorf("energy: %d windows: want 1 to %d (e.g. --windows 5)", o.Windows, maxWindows)
	case o.Window < 10*time.Millisecond:
		return fmt.Errorf("energy: window %v: want at least 10ms; a window should hold many sensor samples (e.g. --window 10s)", o.Window)
	case o.Idle < 10*time.Millisecond:
		return fmt.Errorf("energy: idle window %v: want at least 10ms", o.Idle)
	case o.ReplayRun != 0 && o.ReplayRun < time.Millisecond:
		return fmt.Errorf("energy: replay run %v: want at least 1ms", o.ReplayRun)
	case o.MinReadings < 2 || o.MinReadings > 10000:
		return fmt.Errorf("energy: %d readings per window: want 2 to 10000", o.MinReadings)
	case o.Threads < 1 || o.Threads > 4096:
		return fmt.Errorf("energy: %d threads: want 1 to 4096", o.Threads)
	case math.IsNaN(o.GridIntensity) || o.GridIntensity < 0 || o.GridIntensity > 1e5:
		return fmt.Errorf("energy: grid intensity %v g/kWh: want a number between 0 and 100000 (world average: 475)", o.GridIntensity)
	}
	return nil
}

// fit lengthens the windows to MinReadings sampling intervals and sets the settling
// time from the interval; it returns what it changed, for the notes.
func (o *Options) fit(iv time.Duration) []string {
	var notes []string
	need := time.Duration(o.MinReadings) * iv
	need = (need + 99*time.Millisecond) / (100 * time.Millisecond) * (100 * time.Millisecond) // whole tenths
	if o.Window < need {
		notes = append(notes, fmt.Sprintf("window lengthened from %v to %v: the source gives a reading every %v and a window must hold at least %d", o.Window, need, iv, o.MinReadings))
		o.Window = need
	}
	if o.Idle < need {
		notes = append(notes, fmt.Sprintf("idle window lengthened from %v to %v (at least %d readings)", o.Idle, need, o.MinReadings))
		o.Idle = need
	}
	if o.ReplayRun == 0 {
		o.ReplayRun = min(o.Window, defaultReplayRun)
	}
	switch {
	case o.Settle == 0:
		o.Settle = 2 * iv
	case o.Settle < 0:
		o.Settle = 0
	}
	return notes
}

// Sample is one reading on the run's timeline, kept for charts.
type Sample struct {
	T     time.Duration // since the start of the first idle window
	Power physic.Power
	Temp  physic.Temperature // 0 when unknown
	Flags board.Quality
}

// Window is the measurement of one window. For an idle window Model is "" and Index the
// number of load rounds before it (0 for the first).
type Window struct {
	Model      string
	Index      int           // 1-based round number; for idle windows 0..Rounds
	Threads    int           // predictors running (load windows)
	Start, End time.Duration // since the start of the first idle window
	Inferences float64       // scaled to the window with a replay, so not always whole
	Rate       float64       // inferences per second
	Energy     physic.Energy
	Power      physic.Power // average over the window
	Baseline   physic.Power // the idle baseline averaged over the window (load windows)
	AboveIdle  physic.Power // Power - Baseline
	MarginalJ  float64      // joules per inference above the baseline: (E - baseline energy) / n
	TotalJ     float64      // joules per inference: E / n
	Samples    int          // readings inside the window
	Stale      int          // of which flagged Stale (a repeat of the previous reading)
	Expected   int          // readings the source's interval promises for the window
	Coverage   float64      // fraction of the window covered by readings at most 3 intervals apart, 0..1
	Flags      board.Quality
	TempMin    physic.Temperature
	TempMax    physic.Temperature // 0 when unknown
	ClockKHz   int64              // lowest CPU clock read inside (live, where cpufreq exists), 0 if unknown
	Throttled  bool               // a reading inside was throttled or under-voltage
	Partial    bool               // the readings do not cover the window
	Excluded   string             // why it is left out of the median (or the baseline), "" if used
}

// Duration is End - Start.
func (w *Window) Duration() time.Duration { return w.End - w.Start }

// Stat is a median with its spread.
type Stat struct{ Median, Min, Max float64 }

// Summary is one workload's result over its usable windows.
type Summary struct {
	Model        string
	Threads      int
	Used, Total  int      // windows in the median, windows measured
	Excluded     []string // "window 2: throttled (0x50005 now: throttled)"
	Rate         Stat     // inferences/s
	Watts        Stat     // average power
	AboveIdle    Stat     // W above the baseline
	MarginalUJ   Stat     // µJ per inference, marginal
	TotalUJ      Stat     // µJ per inference, total
	CO2eMarginal float64  // g CO2e per million inferences, from the median marginal energy
	CO2eTotal    float64  // g CO2e per million inferences, from the median total energy
	// NoMarginal says why the marginal figures are not reported ("" when they are):
	// no idle baseline, or the load not above it.
	NoMarginal string
}

// Provenance says where a result's numbers come from.
type Provenance struct {
	Replay bool // power from a recorded trace, not measured during this run
	// Trace is the replayed file and TraceDescription its own '#' comment lines.
	Trace, TraceDescription string
	// RatesFrom is where the inference counts come from: "measured" (a live run, on
	// this board), "host" (a replay: this machine's throughput, scaled to each window)
	// or "trace" (a replay of a trace with a recorded inferences_per_s column).
	RatesFrom string
	Host      string // Options.Host
}

// Summary is one line for people.
func (p Provenance) String() string {
	switch {
	case !p.Replay:
		return "MEASURED on this board: power and inference counts from this run"
	case p.RatesFrom == "trace":
		return fmt.Sprintf("REPLAYED from %s: power and inference rate recorded in the trace (not measured in this run)", p.Trace)
	default:
		host := p.Host
		if host == "" {
			host = "this machine"
		}
		return fmt.Sprintf("REPLAYED power from %s with the inference rate of %s: a mix, neither that board's figure nor this machine's", p.Trace, host)
	}
}

// Result is a whole run.
type Result struct {
	Source        string
	Replay        bool // the timeline is the trace's (see the package documentation)
	Provenance    Provenance
	Interval      time.Duration
	WindowLen     time.Duration
	IdleLen       time.Duration
	Settle        time.Duration
	MinReadings   int
	Rounds        int
	Threads       int
	GridIntensity float64
	Idle          Window       // the first idle window
	Idles         []Window     // every idle window: before the first round, after each round
	IdlePower     physic.Power // the first usable idle window's power
	IdleEndPower  physic.Power // the last usable idle window's power
	Drift         physic.Power // IdleEndPower - IdlePower
	DriftOver     time.Duration
	Windows       []Window // load windows in run order
	Models        []Summary
	Samples       []Sample
	// ThrottleFrom names the sources of throttle and under-voltage bits a live run read
	// ("vcgencmd", "sysfs get_throttled", "rpi_volt"), "" when none (see Notes).
	ThrottleFrom string
	Partial      bool     // some window lacks power data, the run was interrupted, or a marginal is unusable
	PartialWhy   string   // the first reason Partial was set
	Notes        []string // what went wrong, in order
}

// sampled is a reading with the conditions read beside it.
type sampled struct {
	board.Reading
	temp  physic.Temperature
	clock int64     // CPU clock in kHz, 0 if unknown
	since time.Time // for a condition: it held over [since, Time] (a since-boot bit that appeared); zero for a point
}

// conditioner is a source that also reports temperature and throttling (board.Replay).
type conditioner interface {
	Conditions() (physic.Temperature, board.Throttle, bool)
}

// tracer is a source read ahead on its own timeline (board.Replay).
type tracer interface{ Trace() *board.Trace }

// Run measures the workloads on src; see the package documentation. It returns an error
// for invalid arguments, and for a replayed trace too short for the schedule
// (ErrTraceTooShort); a failing source or a cancelled ctx gives a Result marked Partial
// with notes. Run does not close src.
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
	fitNotes := opt.fit(iv)
	res := &Result{Source: src.Name(), Interval: iv, WindowLen: opt.Window, IdleLen: opt.Idle, Settle: opt.Settle,
		MinReadings: opt.MinReadings, Rounds: opt.Windows, Threads: opt.Threads, GridIntensity: opt.GridIntensity}
	res.Notes = append(res.Notes, fitNotes...)
	res.Provenance = Provenance{RatesFrom: "measured", Host: opt.Host}
	progress := opt.Progress
	if progress == nil {
		progress = func(string) {}
	}
	for _, n := range fitNotes {
		progress(n)
	}
	threads := func(w Workload) int {
		if w.Threads > 0 {
			return w.Threads
		}
		return opt.Threads
	}
	tr, replay := src.(tracer)
	var trace *board.Trace
	if replay {
		trace = tr.Trace()
		res.Replay = true
		res.Provenance.Replay = true
		res.Provenance.Trace = strings.TrimPrefix(src.Name(), "replay:")
		res.Provenance.TraceDescription = trace.Description
		res.Provenance.RatesFrom = "host"
		if trace.HasRate {
			res.Provenance.RatesFrom = "trace"
		}
		n := time.Duration(len(work))
		need := time.Duration(opt.Windows+1)*opt.Idle + time.Duration(opt.Windows)*(n*(opt.Window+opt.Settle)+opt.Settle)
		if have := trace.Duration() - trace.Samples[0].T; have < need {
			return nil, fmt.Errorf("%w: %s is %v long, but %d round(s) of %d window(s) of %v with %d idle windows of %v and %v of settling need %v: use fewer or shorter windows (--windows, --window), or a longer trace",
				ErrTraceTooShort, src.Name(), have, opt.Windows, len(work), opt.Window, opt.Windows+1, opt.Idle, opt.Settle, need)
		}
	}
	var s *sampler
	if !replay {
		s = startSampler(src, iv) // before the warm-ups: a slow first read happens meanwhile
	}
	if !res.Provenance.Replay || res.Provenance.RatesFrom == "host" {
		for _, w := range work {
			if opt.Warmup > 0 {
				progress(fmt.Sprintf("warm-up %v %s", opt.Warmup, w.Name))
				runFor(ctx, w.Run, opt.Warmup)
			} else {
				w.Run(1)
			}
		}
	}
	var (
		readings []sampled
		conds    []sampled // live temperature and throttle readings, without power
		srcEnd   error     // why sampling stopped early, nil if it did not
		srcEndAt time.Time // when
		origin   time.Time
	)
	addIdle := func(start, end time.Duration) {
		res.Idles = append(res.Idles, Window{Index: len(res.Idles), Start: start, End: end})
	}
	if replay {
		readings, srcEnd = readAll(src)
		if len(readings) > 0 {
			origin = readings[0].Time
			srcEndAt = readings[len(readings)-1].Time
		}
		addIdle(0, opt.Idle)
		at := opt.Idle
		for round := 1; round <= opt.Windows && ctx.Err() == nil; round++ {
			for _, w := range work {
				if ctx.Err() != nil {
					break
				}
				at += opt.Settle
				win := Window{Model: w.Name, Index: round, Threads: threads(w), Start: at, End: at + opt.Window}
				if trace.HasRate {
					t0 := trace.Samples[0].T
					win.Inferences = trace.Inferences(t0+win.Start, t0+win.End)
				} else {
					progress(fmt.Sprintf("window %d/%d %s (replay: %v of real inference for a %v window)", round, opt.Windows, w.Name, opt.ReplayRun, opt.Window))
					n, el := runFor(ctx, w.Run, opt.ReplayRun)
					if el > 0 {
						win.Inferences = float64(n) * opt.Window.Seconds() / el.Seconds()
					}
				}
				if ctx.Err() != nil {
					win.Excluded = "interrupted"
				}
				res.Windows = append(res.Windows, win)
				at += opt.Window
			}
			at += opt.Settle
			addIdle(at, at+opt.Idle)
			at += opt.Idle
		}
	} else {
		c := startConditions(opt.Conditions, opt.ConditionsEvery)
		wait := opt.FirstRead
		if wait <= 0 {
			wait = max(2*time.Second, 20*iv)
		}
		s.waitFirst(ctx, wait)
		if opt.Warmup != 0 {
			progress(fmt.Sprintf("settling %v after the warm-up", opt.Settle))
			sleep(ctx, opt.Settle)
		}
		origin = time.Now()
		progress(fmt.Sprintf("idle baseline %v (nothing running)", opt.Idle))
		sleep(ctx, opt.Idle)
		addIdle(0, time.Since(origin))
		for round := 1; round <= opt.Windows && ctx.Err() == nil; round++ {
			for _, w := range work {
				if ctx.Err() != nil {
					break
				}
				progress(fmt.Sprintf("window %d/%d %s (%v, %d thread(s), after %v settling)", round, opt.Windows, w.Name, opt.Window, threads(w), opt.Settle))
				runFor(ctx, w.Run, opt.Settle)
				start := time.Since(origin)
				n, _ := runFor(ctx, w.Run, opt.Window)
				win := Window{Model: w.Name, Index: round, Threads: threads(w), Start: start, End: time.Since(origin), Inferences: float64(n)}
				if ctx.Err() != nil {
					win.Excluded = "interrupted"
				}
				res.Windows = append(res.Windows, win)
			}
			if ctx.Err() != nil {
				break
			}
			progress(fmt.Sprintf("idle baseline %d/%d: %v settling, %v idle", round+1, opt.Windows+1, opt.Settle, opt.Idle))
			sleep(ctx, opt.Settle)
			start := time.Since(origin)
			sleep(ctx, opt.Idle)
			addIdle(start, time.Since(origin))
			if ctx.Err() != nil {
				res.Idles[len(res.Idles)-1].Excluded = "interrupted"
			}
		}
		// One more interval, so that a reading lies past the end of the last window.
		sleep(ctx, res.Interval+res.Interval/2)
		readings, srcEnd, srcEndAt = s.stop()
		if s.skipped > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("power source %s: %d failed reads skipped (first: %v)", src.Name(), s.skipped, s.firstSkipped))
		}
		var condErr error
		var from string
		conds, from, condErr = c.stop()
		res.ThrottleFrom = from
		switch {
		case condErr != nil:
			res.Notes = append(res.Notes, fmt.Sprintf("board temperature/throttling unavailable, throttled windows cannot be detected: %v", condErr))
		case opt.Conditions != nil && from == "":
			res.Notes = append(res.Notes, "WARNING: throttling and under-voltage cannot be read on this board (no vcgencmd, no firmware get_throttled in sysfs, no rpi_volt hwmon): throttled windows are only caught by a drop of the CPU clock, if cpufreq is readable")
		case opt.Conditions != nil && !strings.Contains(from, "get_throttled") && !strings.Contains(from, "vcgencmd"):
			res.Notes = append(res.Notes, fmt.Sprintf("throttling read from %s only: under-voltage is detected, throttling only by a drop of the CPU clock", from))
		}
	}
	if err := ctx.Err(); err != nil {
		res.Notes = append(res.Notes, res.partial(fmt.Sprintf("interrupted (%v) after %d of %d load windows", err, len(res.Windows), opt.Windows*len(work))))
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
	res.measure(readings, conds, origin, work, trace)
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
	first        chan struct{} // closed at the first reading (or when sampling ends)
	firstOnce    sync.Once
	rs           []sampled
	err          error // the error that stopped the sampling
	at           time.Time
	skipped      int   // isolated read errors skipped
	firstSkipped error // the first of them
}

func startSampler(src board.Source, iv time.Duration) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{}), first: make(chan struct{})}
	cond, _ := src.(conditioner)
	gotFirst := func() { s.firstOnce.Do(func() { close(s.first) }) }
	go func() {
		defer close(s.done)
		defer gotFirst()
		t := time.NewTicker(iv)
		defer t.Stop()
		run := 0 // consecutive errors
		for {
			r, err := src.Read()
			switch {
			case err == nil:
				run = 0
				s.rs = append(s.rs, withConditions(r, cond))
				gotFirst()
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

// waitFirst waits until the first reading has come (or sampling ended), at most d.
func (s *sampler) waitFirst(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.first:
	case <-t.C:
	case <-ctx.Done():
	}
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
	from string // the throttle sources the last reading named
	err  error
}

func startConditions(read func() (board.Conditions, error), every time.Duration) *conditionPoller {
	c := &conditionPoller{quit: make(chan struct{}), done: make(chan struct{})}
	if read == nil {
		close(c.done)
		return c
	}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var prev board.Throttle
		var prevAt time.Time
		for {
			bc, err := read()
			if err != nil {
				c.err = err
				return
			}
			now := time.Now()
			cs := sampled{Reading: board.Reading{Time: now, Flags: bc.Throttled.Quality()}, temp: bc.Temp}
			if bc.MaxClockKHz > 0 && bc.ClockGovernor != "powersave" && bc.ClockGovernor != "userspace" {
				cs.clock = bc.ClockKHz
			}
			if !bc.HasTemp {
				cs.temp = 0
			}
			c.from = bc.ThrottleFrom
			c.cs = append(c.cs, cs)
			// A since-boot bit that appeared since the previous reading: the condition
			// held at some time in between, even if it is over now.
			if fresh := (bc.Throttled.SinceBoot() &^ prev.SinceBoot()); !prevAt.IsZero() && fresh != 0 {
				c.cs = append(c.cs, sampled{Reading: board.Reading{Time: now, Flags: fresh.Quality()}, since: prevAt})
			}
			prev, prevAt = bc.Throttled, now
			select {
			case <-c.quit:
				return
			case <-t.C:
			}
		}
	}()
	return c
}

func (c *conditionPoller) stop() ([]sampled, string, error) {
	close(c.quit)
	<-c.done
	return c.cs, c.from, c.err
}
