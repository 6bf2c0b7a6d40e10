package energy

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

var liveT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// stream feeds l a synthetic board from step i0 to i1 (inclusive) every dt: at each step
// the inferences completed since the previous one (the integral of rate, rounded down
// cumulatively) and then a reading of power at that time.
type stream struct {
	l     *Live
	dt    time.Duration
	power func(t float64) float64 // W at t seconds
	rate  func(t float64) float64 // inferences/s at t seconds
	cum   float64                 // integral of rate so far
	given uint64                  // inferences reported so far
}

func (s *stream) run(i0, i1 int) {
	for i := i0; i <= i1; i++ {
		t := float64(i) * float64(s.dt) / 1e9 // exact at whole and tenth seconds
		at := liveT0.Add(time.Duration(i) * s.dt)
		if i > 0 {
			s.cum += s.rate(t-s.dt.Seconds()/2) * s.dt.Seconds()
			if n := uint64(s.cum) - s.given; n > 0 {
				s.l.AddInferences(at, int(n))
				s.given += n
			}
		}
		s.l.AddPower(at, s.power(t))
	}
}

func at(sec float64) time.Time { return liveT0.Add(time.Duration(sec * float64(time.Second))) }

func TestLiveSteadyLoad(t *testing.T) {
	l := NewLive(LiveOptions{})
	loaded := func(t float64) bool { return t > 20 } // a reading at 20 s is still idle
	s := &stream{l: l, dt: 100 * time.Millisecond,
		power: func(t float64) float64 {
			if loaded(t) {
				return 3.5
			}
			return 2.0
		},
		rate: func(t float64) float64 {
			if loaded(t) {
				return 1000
			}
			return 0
		}}
	s.run(0, 800)
	got := l.Snapshot(at(80))
	if !got.IdleKnown || got.IdleSamples != 2 {
		t.Fatalf("idle known %v from %d samples; want 2 samples from the quiet 20 s (10 s each)", got.IdleKnown, got.IdleSamples)
	}
	within(t, "idle W", got.IdleWatts, 2.0, 1e-9)
	within(t, "joules", got.Joules, 2*20+3.5*60, 1e-3)
	within(t, "rate", got.Rate, 1000, 1e-3)
	within(t, "total J/inference", got.TotalJPerInf, 3.5e-3, 2e-3)
	within(t, "marginal J/inference", got.MarginalJPerInf, 1.5e-3, 2e-3)
	if got.Inferences != 60000 || got.WindowInferences != 60000 || got.Span != 60*time.Second || got.Readings != 601 {
		t.Errorf("inferences %d, in window %d over %v from %d readings; want 60000, 60000, 60s, 601", got.Inferences, got.WindowInferences, got.Span, got.Readings)
	}
	// A steady board: the statistical uncertainty is small but known.
	for _, e := range []float64{got.TotalJPerInfErr, got.MarginalJPerInfErr} {
		if math.IsNaN(e) || e < 0 || e > 0.01*got.MarginalJPerInf {
			t.Errorf("uncertainty %g J; want a number between 0 and 1%% of the marginal", e)
		}
	}
	if got.Watts != 3.5 {
		t.Errorf("latest watts %g, want 3.5", got.Watts)
	}
}

// TestLiveDriftingIdle: the idle power rises linearly (a board warming up), quiet stretches
// of 15 s alternate with 30 s of load adding 1.5 W at 1000 inferences/s. The marginal uses
// the baseline interpolated between the quiet stretches, so it stays at 1.5 mJ; a baseline
// taken once at the start would be 19% off.
func TestLiveDriftingIdle(t *testing.T) {
	const slope = 0.002 // W/s: 0.12 W a minute
	idle := func(t float64) float64 { return 2.0 + slope*t }
	// Load on (15, 45] modulo 45 s: the reading at 45 s still shows it, the one at 15 s not.
	loaded := func(t float64) bool { m := math.Mod(t, 45); return t > 0 && (m > 15 || m == 0) }
	// The window starts at 47 s, after the previous load's tail.
	l := NewLive(LiveOptions{Window: 58 * time.Second})
	s := &stream{l: l, dt: 100 * time.Millisecond,
		power: func(t float64) float64 {
			if loaded(t) {
				return idle(t) + 1.5
			}
			return idle(t)
		},
		rate: func(t float64) float64 {
			if m := math.Mod(t, 45); m > 15 && m < 45 {
				return 1000
			}
			return 0
		}}
	s.run(0, 1050) // to 105 s, the end of the third quiet stretch
	got := l.Snapshot(at(105))
	// Quiet stretches: [0,10] (the first 15 s, one 10 s sample), [47,57] and [92,102]
	// (2 s of settling after the load).
	if got.IdleSamples != 3 {
		t.Fatalf("%d idle samples, want 3", got.IdleSamples)
	}
	within(t, "idle slope W/s", got.IdleSlope, slope, 1e-6)
	within(t, "idle W now", got.IdleWatts, idle(97), 1e-9) // held after the last sample
	within(t, "window idle J", got.WindowIdleJoules, 58*idle(76), 1e-3)
	within(t, "marginal J/inference", got.MarginalJPerInf, 1.5e-3, 0.01)
	// Exactly: the baseline is held at idle(97) after the last sample, which adds the
	// drift over [97, 105] (slope x 8²/2 J) to the load's 1.5 W x 30 s.
	within(t, "marginal J/inference (exact)", got.MarginalJPerInf, (1.5*30+slope*64/2)/30000, 1e-4)
	naive := (got.WindowJoules - idle(5)*got.Span.Seconds()) / float64(got.WindowInferences)
	if math.Abs(naive-1.5e-3) < 0.1*1.5e-3 {
		t.Errorf("a baseline from the first quiet stretch gives %g J, within 10%% of the truth: the test does not exercise drift", naive)
	}
	if got.MarginalJPerInfErr <= 0 {
		t.Errorf("marginal uncertainty %g; want > 0 (the baseline is extrapolated for 3 s)", got.MarginalJPerInfErr)
	}
	// Half-way into the next load: the baseline is held past the last sample; the error
	// bar grows with the drift and must cover the truth.
	s.run(1051, 1250)
	got = l.Snapshot(at(125))
	truth := (1.5*23 + 1.5*20) / float64(got.WindowInferences) // load (67,90] and (105,125]
	if math.Abs(got.MarginalJPerInf-truth) > 2*got.MarginalJPerInfErr {
		t.Errorf("marginal %g ± %g J, truth %g: the uncertainty does not cover the extrapolation", got.MarginalJPerInf, got.MarginalJPerInfErr, truth)
	}
}

// TestLiveNoisyUncertainty: white noise of sd 0.2 W on every reading; the 1-sigma error of
// the total must match sd/sqrt(readings)/rate within the block estimator's precision.
func TestLiveNoisyUncertainty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const sd, rate = 0.2, 500.0
	l := NewLive(LiveOptions{Window: 30 * time.Second})
	s := &stream{l: l, dt: 50 * time.Millisecond,
		power: func(float64) float64 { return 4 + sd*rng.NormFloat64() },
		rate:  func(float64) float64 { return rate }}
	s.run(0, 600)
	got := l.Snapshot(at(30))
	want := sd / math.Sqrt(600) / rate
	if got.TotalJPerInfErr < want/2 || got.TotalJPerInfErr > 2*want {
		t.Errorf("total uncertainty %g J, want about %g J (sd/sqrt(n)/rate)", got.TotalJPerInfErr, want)
	}
	if d := math.Abs(got.TotalJPerInf - 4/rate); d > 4*got.TotalJPerInfErr {
		t.Errorf("total %g J is %g from the truth %g, more than 4 sigma (%g)", got.TotalJPerInf, d, 4/rate, got.TotalJPerInfErr)
	}
	if got.IdleKnown || !math.IsNaN(got.MarginalJPerInf) {
		t.Errorf("never quiet, yet idle known %v and marginal %g; want unknown and NaN", got.IdleKnown, got.MarginalJPerInf)
	}
}

func TestLiveEdges(t *testing.T) {
	l := NewLive(LiveOptions{Window: 10 * time.Second, Interval: 2 * time.Second})
	if o := l.Options(); o.Settle != 4*time.Second || o.IdleMin != 10*time.Second {
		t.Errorf("defaults: settle %v, idle min %v; want 4s (two 2 s intervals) and 10s", o.Settle, o.IdleMin)
	}
	got := l.Snapshot(at(0))
	if !math.IsNaN(got.TotalJPerInf) || !math.IsNaN(got.MarginalJPerInf) || got.IdleKnown || got.SinceLastInference != -1 {
		t.Errorf("empty: %+v; want NaN figures, no idle", got)
	}
	l.AddPower(at(1), 3)
	l.AddPower(at(1), 3)           // time stood still
	l.AddPower(at(0.5), 3)         // went back
	l.AddPower(at(2), math.NaN())  // not a number
	l.AddPower(at(2), -1)          // negative
	l.AddPower(at(2), math.Inf(1)) // infinite
	l.AddInferences(at(2), 0)
	l.AddInferences(at(2), -5)
	l.AddPower(at(3), 5)
	got = l.Snapshot(at(3))
	if got.Rejected != 5 || got.Joules != 8 || got.Inferences != 0 || got.Rate != 0 || !math.IsNaN(got.TotalJPerInf) {
		t.Errorf("got %d rejected, %g J, %d inferences, rate %g, total %g; want 5, 8 J, 0, 0, NaN", got.Rejected, got.Joules, got.Inferences, got.Rate, got.TotalJPerInf)
	}
	// A snapshot before every reading, and the sensor stale for longer than the window.
	if s := l.Snapshot(at(0)); s.Readings != 0 || s.Watts != 0 {
		t.Errorf("snapshot before the readings: %+v", s)
	}
	l.AddInferences(at(20), 7)
	if s := l.Snapshot(at(30)); s.Span != 0 || !math.IsNaN(s.TotalJPerInf) || s.SinceLastInference != 10*time.Second {
		t.Errorf("stale sensor: span %v total %g since-last %v; want 0, NaN, 10s", s.Span, s.TotalJPerInf, s.SinceLastInference)
	}
}

func TestLiveConcurrent(t *testing.T) {
	l := NewLive(LiveOptions{Window: time.Second})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				l.AddInferences(at(float64(i)/1000+float64(g)/1e6), 1)
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			l.AddPower(at(float64(i)/200), 2)
			_ = l.Snapshot(at(float64(i) / 200))
		}
	})
	wg.Wait()
	l.AddPower(at(1), 2)
	if got := l.Snapshot(at(1)); got.Inferences != 4000 {
		t.Errorf("%d inferences, want 4000", got.Inferences)
	}
}

func TestLiveAddInferencesAllocatesNothing(t *testing.T) {
	l := NewLive(LiveOptions{})
	now := at(1)
	if n := testing.AllocsPerRun(1000, func() { l.AddInferences(now, 1) }); n != 0 {
		t.Errorf("AddInferences allocates %v times per call, want 0", n)
	}
}

func BenchmarkLiveAddInferences(b *testing.B) {
	l := NewLive(LiveOptions{})
	now := at(1)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.AddInferences(now, 1)
		}
	})
}

// BenchmarkLiveAddPower: one reading, at 10 Hz over a 60 s window (600 readings kept).
func BenchmarkLiveAddPower(b *testing.B) {
	l := NewLive(LiveOptions{})
	t := liveT0
	for i := 0; b.Loop(); i++ {
		t = t.Add(100 * time.Millisecond)
		l.AddInferences(t, 10)
		l.AddPower(t, 3)
	}
}

// BenchmarkLiveSnapshot: the figures over a full 60 s window of 10 Hz readings.
func BenchmarkLiveSnapshot(b *testing.B) {
	l := NewLive(LiveOptions{})
	s := &stream{l: l, dt: 100 * time.Millisecond, power: func(float64) float64 { return 3 }, rate: func(float64) float64 { return 100 }}
	s.run(0, 1200)
	now := at(120)
	for b.Loop() {
		_ = l.Snapshot(now)
	}
}
