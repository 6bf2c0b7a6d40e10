package energy

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// LiveOptions configures Live. Zero values take documented defaults.
type LiveOptions struct {
	Window  time.Duration // recent window for the per-inference figures (default 60 s)
	IdleMin time.Duration // a stretch with no inference at least this long is an idle baseline sample (default 10 s)
	Settle  time.Duration // time after the last inference before a stretch counts as quiet (default: the source interval or 2 s)
	// Interval is the power source's sampling interval, if known. It sets the default
	// Settle: the larger of 2 s and two intervals (an averaging sensor still shows the
	// load for about one interval after it stops).
	Interval time.Duration
}

const (
	defaultLiveWindow  = 60 * time.Second
	defaultLiveIdleMin = 10 * time.Second
	defaultLiveSettle  = 2 * time.Second
	// liveMaxReadings bounds the readings kept for the window (a 1 kHz sensor over 60 s
	// needs 60,000); the oldest go first.
	liveMaxReadings = 1 << 17
	// liveMaxIdle bounds the idle samples kept.
	liveMaxIdle = 1024
	// liveBlocks is how many blocks a window is cut into to estimate its uncertainty.
	liveBlocks = 10
)

func (o *LiveOptions) fill() {
	if o.Window <= 0 {
		o.Window = defaultLiveWindow
	}
	if o.IdleMin <= 0 {
		o.IdleMin = defaultLiveIdleMin
	}
	if o.Settle <= 0 {
		o.Settle = max(defaultLiveSettle, 2*o.Interval)
	}
}

// Live turns a stream of power readings and inference counts into live energy figures.
// Safe for concurrent use; AddInferences is cheap (atomic) and never blocks on the power side.
// See the package documentation, section "Live accounting".
type Live struct {
	opt LiveOptions

	// The inference side: atomics only.
	infs    atomic.Uint64
	lastInf atomic.Int64 // UnixNano of the latest inference reported; 0 for none

	mu       sync.Mutex
	rs       []liveReading // readings of the recent window (and one before it), oldest first
	joules   float64       // integrated since the first reading
	idle     []idleSample  // learned baseline samples, oldest first
	quiet    quietStretch  // the quiet stretch in progress
	rejected uint64        // readings refused (non-finite or negative watts, time going back)
}

// liveReading is one power reading with the counters at its time.
type liveReading struct {
	t      time.Time
	w      float64
	joules float64 // integrated up to t
	infs   uint64  // inferences observed by the time of this reading
}

// idleSample is one quiet stretch's average power, placed at its middle.
type idleSample struct {
	t     time.Time // the middle of the stretch
	w     float64   // its average power (energy / duration)
	sigma float64   // standard error of that average: sd(readings) / sqrt(n)
	dur   time.Duration
	n     int
}

// quietStretch accumulates a stretch of readings with no inference.
type quietStretch struct {
	on         bool
	start      time.Time
	startJ     float64
	n          int
	sum, sumSq float64
}

// NewLive returns a Live with opt's zero fields set to their defaults.
func NewLive(opt LiveOptions) *Live {
	opt.fill()
	return &Live{opt: opt}
}

// Options returns the options in use, defaults filled in.
func (l *Live) Options() LiveOptions { return l.opt }

// AddInferences records that n predictions completed at 'at'. It only touches atomics.
// A non-positive n is ignored.
func (l *Live) AddInferences(at time.Time, n int) {
	if n <= 0 {
		return
	}
	l.infs.Add(uint64(n))
	ns := at.UnixNano()
	for {
		old := l.lastInf.Load()
		if ns <= old || l.lastInf.CompareAndSwap(old, ns) {
			return
		}
	}
}

// AddPower records one sensor reading. Readings must come in time order: one at or
// before the previous reading's time, or with a non-finite or negative power, is
// refused and counted in LiveSnapshot.Rejected.
func (l *Live) AddPower(at time.Time, watts float64) {
	infs := l.infs.Load()
	lastInf := l.lastInf.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	if math.IsNaN(watts) || math.IsInf(watts, 0) || watts < 0 {
		l.rejected++
		return
	}
	r := liveReading{t: at, w: watts, infs: infs}
	n := len(l.rs)
	if n == 0 {
		l.rs = append(l.rs, r)
		l.startQuiet(r)
		return
	}
	p := l.rs[n-1]
	if !at.After(p.t) {
		l.rejected++
		return
	}
	l.joules += (p.w + watts) / 2 * at.Sub(p.t).Seconds()
	r.joules = l.joules
	l.rs = append(l.rs, r)
	l.prune(at)

	// The interval (p, r] is quiet when no inference was observed in it and the last
	// inference is at least Settle before its start.
	settled := lastInf == 0 || !p.t.Before(time.Unix(0, lastInf).Add(l.opt.Settle))
	if r.infs != p.infs || !settled {
		l.quiet.on = false
		if r.infs == p.infs && !at.Before(time.Unix(0, lastInf).Add(l.opt.Settle)) {
			l.startQuiet(r) // settled from this reading on
		}
		return
	}
	if !l.quiet.on {
		l.startQuiet(p)
	}
	q := &l.quiet
	q.n++
	q.sum += watts
	q.sumSq += watts * watts
	if d := at.Sub(q.start); d >= l.opt.IdleMin {
		mean := (l.joules - q.startJ) / d.Seconds()
		s := idleSample{t: q.start.Add(d / 2), w: mean, dur: d, n: q.n}
		if q.n > 1 {
			m := q.sum / float64(q.n)
			v := max(0, (q.sumSq-float64(q.n)*m*m)/float64(q.n-1))
			s.sigma = math.Sqrt(v / float64(q.n))
		}
		l.idle = append(l.idle, s)
		if len(l.idle) > liveMaxIdle {
			l.idle = l.idle[len(l.idle)-liveMaxIdle:]
		}
		l.startQuiet(r)
	}
}

// startQuiet begins a quiet stretch at reading r; r's own power counts in it.
func (l *Live) startQuiet(r liveReading) {
	l.quiet = quietStretch{on: true, start: r.t, startJ: r.joules, n: 1, sum: r.w, sumSq: r.w * r.w}
}

// prune drops readings older than the window before now, keeping one before it. It
// compacts only once the dropped part is half the slice, so a reading costs O(1) amortized.
func (l *Live) prune(now time.Time) {
	from := now.Add(-l.opt.Window)
	if len(l.rs) < 2 || l.rs[1].t.After(from) && len(l.rs) <= liveMaxReadings {
		return
	}
	// i: the last reading at or before from (the first after it, less one).
	i := sort.Search(len(l.rs), func(k int) bool { return l.rs[k].t.After(from) }) - 1
	i = max(i, len(l.rs)-liveMaxReadings)
	if i > 0 && (2*i >= len(l.rs) || len(l.rs) > liveMaxReadings) {
		l.rs = append(l.rs[:0], l.rs[i:]...)
	}
}

// LiveSnapshot is Live's state at one time. Per-inference figures are in joules.
type LiveSnapshot struct {
	Watts              float64 // latest reading
	Joules             float64 // integrated since start (trapezoid over readings), a counter
	Inferences         uint64  // since start
	Rate               float64 // inferences per second over Window
	IdleWatts          float64 // learned idle baseline (0 if !IdleKnown)
	IdleKnown          bool
	TotalJPerInf       float64 // over Window: energy / inferences (NaN when no inference)
	TotalJPerInfErr    float64 // uncertainty (1 sigma), see the package documentation
	MarginalJPerInf    float64 // over Window: (energy - idle*duration) / inferences (NaN when unknown)
	MarginalJPerInfErr float64
	Window             time.Duration

	// Span is the time the window's figures cover: from the first reading at or after
	// the window's start to the latest reading (shorter than Window early on or when the
	// sensor is late, 0 when there is no reading in the window).
	Span               time.Duration
	WindowJoules       float64       // energy over Span
	WindowInferences   uint64        // inferences over Span
	WindowIdleJoules   float64       // the interpolated idle baseline integrated over Span
	Readings           int           // readings in Span
	LastReading        time.Time     // zero before the first
	IdleSamples        int           // idle baseline samples learned (kept: at most 1024)
	IdleSlope          float64       // drift of the baseline in W/s between its last two samples
	IdleWattsErr       float64       // uncertainty (1 sigma) of IdleWatts
	Rejected           uint64        // readings refused (out of order, not finite, negative)
	SinceLastInference time.Duration // -1 before the first inference
}

// Snapshot returns the figures for the window ending at the latest reading at or before
// now.
func (l *Live) Snapshot(now time.Time) LiveSnapshot {
	s := LiveSnapshot{Window: l.opt.Window, Inferences: l.infs.Load(), SinceLastInference: -1,
		TotalJPerInf: math.NaN(), TotalJPerInfErr: math.NaN(),
		MarginalJPerInf: math.NaN(), MarginalJPerInfErr: math.NaN()}
	if li := l.lastInf.Load(); li != 0 {
		s.SinceLastInference = max(0, now.Sub(time.Unix(0, li)))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s.Rejected = l.rejected
	s.IdleSamples = len(l.idle)
	if len(l.rs) == 0 {
		return s
	}
	// The latest reading at or before now.
	end := len(l.rs) - 1
	for end > 0 && l.rs[end].t.After(now) {
		end--
	}
	last := l.rs[end]
	if last.t.After(now) {
		return s
	}
	s.Watts, s.Joules, s.LastReading = last.w, last.joules, last.t
	base := baseline(l.idle)
	if len(l.idle) > 0 {
		s.IdleKnown = true
		s.IdleWatts, s.IdleWattsErr = base.at(last.t)
		s.IdleSlope = base.slope()
	}
	from := now.Add(-l.opt.Window)
	start := end
	for start > 0 && !l.rs[start-1].t.Before(from) {
		start--
	}
	if start == end {
		return s
	}
	first := l.rs[start]
	s.Span = last.t.Sub(first.t)
	s.Readings = end - start + 1
	s.WindowJoules = last.joules - first.joules
	s.WindowInferences = last.infs - first.infs
	s.Rate = float64(s.WindowInferences) / s.Span.Seconds()
	if s.WindowInferences == 0 {
		return s
	}
	n := float64(s.WindowInferences)
	s.TotalJPerInf = s.WindowJoules / n
	if s.IdleKnown {
		var idleErrInt float64
		s.WindowIdleJoules, idleErrInt = base.integral(first.t, last.t)
		s.MarginalJPerInf = (s.WindowJoules - s.WindowIdleJoules) / n
		if v := l.ratioVar(start, end, base); !math.IsNaN(v) {
			s.MarginalJPerInfErr = math.Sqrt(v + (idleErrInt/n)*(idleErrInt/n))
		}
	}
	if v := l.ratioVar(start, end, nil); !math.IsNaN(v) {
		s.TotalJPerInfErr = math.Sqrt(v)
	}
	return s
}

// ratioVar is the variance of the ratio estimator sum(E_b) / sum(N_b) over up to
// liveBlocks blocks of the readings start..end, with E_b the block's energy less its idle
// energy when base is not nil. NaN with fewer than two blocks.
func (l *Live) ratioVar(start, end int, base baseline) float64 {
	k := end - start // intervals
	b := min(liveBlocks, k)
	if b < 2 {
		return math.NaN()
	}
	es := make([]float64, b)
	ns := make([]float64, b)
	var sumE, sumN float64
	for i := range b {
		a, z := l.rs[start+i*k/b], l.rs[start+(i+1)*k/b]
		es[i] = z.joules - a.joules
		if base != nil {
			idle, _ := base.integral(a.t, z.t)
			es[i] -= idle
		}
		ns[i] = float64(z.infs - a.infs)
		sumE += es[i]
		sumN += ns[i]
	}
	if sumN == 0 {
		return math.NaN()
	}
	r := sumE / sumN
	meanN := sumN / float64(b)
	var ss float64
	for i := range b {
		d := es[i] - r*ns[i]
		ss += d * d
	}
	return ss / (float64(b) * float64(b-1)) / (meanN * meanN)
}

// baseline is the idle power over time: linear between the samples' middles, held flat
// before the first and after the last.
type baseline []idleSample

// slope is the drift between the last two samples in W/s, 0 with fewer.
func (b baseline) slope() float64 {
	n := len(b)
	if n < 2 {
		return 0
	}
	return (b[n-1].w - b[n-2].w) / b[n-1].t.Sub(b[n-2].t).Seconds()
}

// at returns the baseline and its uncertainty at t. Between two samples the uncertainty
// is the larger of theirs; beyond the ends it grows by the end's drift times the distance.
func (b baseline) at(t time.Time) (w, sigma float64) {
	n := len(b)
	switch {
	case n == 0:
		return 0, 0
	case !t.After(b[0].t):
		d := b[0].t.Sub(t).Seconds()
		drift := 0.0
		if n > 1 {
			drift = math.Abs(b[1].w-b[0].w) / b[1].t.Sub(b[0].t).Seconds()
		}
		return b[0].w, b[0].sigma + drift*d
	case !t.Before(b[n-1].t):
		d := t.Sub(b[n-1].t).Seconds()
		return b[n-1].w, b[n-1].sigma + math.Abs(b.slope())*d
	}
	i := 1
	for b[i].t.Before(t) {
		i++
	}
	a, z := b[i-1], b[i]
	f := t.Sub(a.t).Seconds() / z.t.Sub(a.t).Seconds()
	return a.w + f*(z.w-a.w), max(a.sigma, z.sigma)
}

// integral returns the baseline's energy over [from, to] in joules, exact for the
// piecewise-linear baseline, and the integral of its uncertainty (the errors of one
// stretch are fully correlated, so they add linearly).
func (b baseline) integral(from, to time.Time) (joules, sigmaJ float64) {
	if !to.After(from) || len(b) == 0 {
		return 0, 0
	}
	// Breakpoints: from, the sample times inside, to. Between breakpoints the baseline
	// is linear (the trapezoid is exact) and its uncertainty constant or, beyond the
	// ends, linear (the midpoint rule is exact).
	pts := []time.Time{from}
	for _, s := range b {
		if s.t.After(from) && s.t.Before(to) {
			pts = append(pts, s.t)
		}
	}
	pts = append(pts, to)
	for i := 1; i < len(pts); i++ {
		w0, _ := b.at(pts[i-1])
		w1, _ := b.at(pts[i])
		_, e := b.at(pts[i-1].Add(pts[i].Sub(pts[i-1]) / 2))
		d := pts[i].Sub(pts[i-1]).Seconds()
		joules += (w0 + w1) / 2 * d
		sigmaJ += e * d
	}
	return joules, sigmaJ
}
