package energy

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"periph.io/x/conn/v3/physic"
)

// sleeper is a workload whose inferences each take cost on the (virtual) clock.
func sleeper(name string, cost time.Duration) Workload {
	return Workload{Name: name, Run: func(n int) { time.Sleep(time.Duration(n) * cost) }}
}

func openReplay(t *testing.T, file string) board.Source {
	t.Helper()
	src, err := board.Open("replay:testdata/"+file, board.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func within(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) || math.IsNaN(got) {
		t.Errorf("%s = %.6g, want %.6g (within %.2g%%)", what, got, want, 100*rel)
	}
}

// expect is what the trace definition says a window should measure, worked out from the
// segments and the workload's cost alone.
type expect struct {
	energy, idleW, n, marginalUJ, totalUJ float64
}

func analytic(d *traceDef, idle, start, end time.Duration, cost time.Duration) expect {
	var x expect
	x.idleW = d.energy(0, idle) / idle.Seconds()
	x.energy = d.energy(start, end)
	x.n = (end - start).Seconds() / cost.Seconds()
	x.totalUJ = x.energy / x.n * 1e6
	x.marginalUJ = (x.energy - x.idleW*(end-start).Seconds()) / x.n * 1e6
	return x
}

func checkWindow(t *testing.T, d *traceDef, res *Result, w *Window, cost time.Duration) {
	t.Helper()
	x := analytic(d, res.Idle.End, w.Start, w.End, cost)
	name := w.Model + " window " + string(rune('0'+w.Index))
	within(t, name+" energy (J)", joulesOf(w.Energy), x.energy, 0.01)
	within(t, name+" inferences", w.Inferences, x.n, 0.01)
	within(t, name+" total µJ/inference", w.TotalJ*1e6, x.totalUJ, 0.01)
	within(t, name+" marginal µJ/inference", w.MarginalJ*1e6, x.marginalUJ, 0.01)
}

func TestReplayMatchesTraceDefinition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const cost = time.Millisecond
		res, err := Run(context.Background(), openReplay(t, idleLoad.file), []Workload{sleeper("m", cost)},
			Options{Windows: 3, Window: 2 * time.Second, Settle: -1, ReplayRun: 200 * time.Millisecond, GridIntensity: DefaultGridIntensity})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Replay || res.Partial || len(res.Windows) != 3 {
			t.Fatalf("replay=%v partial=%v windows=%d notes=%q; want a complete replay run of 3 windows", res.Replay, res.Partial, len(res.Windows), res.Notes)
		}
		within(t, "idle power (W)", watts(res.IdlePower), idleLoad.energy(0, 2*time.Second)/2, 0.01)
		within(t, "idle energy (J)", joulesOf(res.Idle.Energy), idleLoad.energy(0, 2*time.Second), 0.01)
		for i := range res.Windows {
			w := &res.Windows[i]
			if w.Start != time.Duration(2+4*i)*time.Second || w.Duration() != 2*time.Second {
				t.Errorf("window %d spans %v..%v, want trace time %ds..%ds", w.Index, w.Start, w.End, 2+4*i, 4+4*i)
			}
			checkWindow(t, &idleLoad, res, w, cost)
		}
		s := res.Models[0]
		x := analytic(&idleLoad, 2*time.Second, 2*time.Second, 4*time.Second, cost)
		if s.Used != 3 || s.Total != 3 {
			t.Errorf("median over %d of %d windows, want 3 of 3", s.Used, s.Total)
		}
		within(t, "median marginal µJ", s.MarginalUJ.Median, x.marginalUJ, 0.01)
		within(t, "median total µJ", s.TotalUJ.Median, x.totalUJ, 0.01)
		within(t, "median rate", s.Rate.Median, 1/cost.Seconds(), 0.01)
		within(t, "median W above idle", s.AboveIdle.Median, 1.5, 0.01)
		// g/million = µJ x 1e6 inferences x 1e-6 J/µJ / 3.6e6 J/kWh x 475 g/kWh.
		within(t, "CO2e total g/million", s.CO2eTotal, s.TotalUJ.Median/3.6e6*475, 1e-9)
		within(t, "CO2e total g/million (analytic)", s.CO2eTotal, x.totalUJ/3.6e6*475, 0.01)
		if res.Windows[0].TempMax.Celsius() < 54.9 || res.Idle.TempMax.Celsius() > 45.1 {
			t.Errorf("temperatures idle %v load %v, want 45°C and 55°C", res.Idle.TempMax, res.Windows[0].TempMax)
		}
		if len(res.Idles) != 4 || (res.Drift > physic.MilliWatt || res.Drift < -physic.MilliWatt) || res.Provenance.RatesFrom != "host" || !res.Provenance.Replay ||
			!strings.Contains(res.Provenance.TraceDescription, "Synthetic") {
			t.Errorf("%d idle windows, drift %v, provenance %+v; want 4, 0, a replay at the host's rate with the trace's description", len(res.Idles), res.Drift, res.Provenance)
		}
	})
}

func TestThrottledWindowLeftOutOfMedian(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const cost = time.Millisecond
		res, err := Run(context.Background(), openReplay(t, throttled.file), []Workload{sleeper("m", cost)},
			Options{Windows: 3, Window: 2 * time.Second, Settle: -1, ReplayRun: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range res.Windows {
			if got, want := w.Throttled, i == 1; got != want {
				t.Errorf("window %d throttled = %v (flags %v), want %v", w.Index, got, w.Flags, want)
			}
		}
		w2 := res.Windows[1]
		if w2.Excluded == "" || !strings.Contains(w2.Excluded, "throttled") || w2.TempMax.Celsius() < 81.9 {
			t.Errorf("window 2: excluded %q, max temp %v; want excluded as throttled at 82°C", w2.Excluded, w2.TempMax)
		}
		s := res.Models[0]
		if s.Used != 2 || len(s.Excluded) != 1 || !strings.Contains(s.Excluded[0], "window 2") {
			t.Fatalf("summary used %d windows, excluded %q; want windows 1 and 3, window 2 excluded", s.Used, s.Excluded)
		}
		x1 := analytic(&throttled, 2*time.Second, 2*time.Second, 4*time.Second, cost)
		x3 := analytic(&throttled, 2*time.Second, 10*time.Second, 12*time.Second, cost)
		within(t, "median marginal µJ (windows 1 and 3)", s.MarginalUJ.Median, (x1.marginalUJ+x3.marginalUJ)/2, 0.01)
		within(t, "min marginal µJ", s.MarginalUJ.Min, x3.marginalUJ, 0.01)
		within(t, "max marginal µJ", s.MarginalUJ.Max, x1.marginalUJ, 0.01)
		// The throttled window is still measured and reported.
		checkWindow(t, &throttled, res, &res.Windows[1], cost)
	})
}

func TestThreeModelsRoundRobin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		costs := []time.Duration{time.Millisecond, 500 * time.Microsecond, 250 * time.Microsecond}
		names := []string{"float32", "float16", "int8"}
		var work []Workload
		for i := range names {
			work = append(work, sleeper(names[i], costs[i]))
		}
		res, err := Run(context.Background(), openReplay(t, threeModels.file), work,
			Options{Windows: 3, Window: 2 * time.Second, Settle: -1, ReplayRun: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Windows) != 9 || len(res.Models) != 3 {
			t.Fatalf("%d windows, %d models; want 9, 3", len(res.Windows), len(res.Models))
		}
		for i := range res.Windows {
			w := &res.Windows[i]
			if w.Model != names[i%3] || w.Index != i/3+1 {
				t.Errorf("window %d is %s #%d, want %s #%d (round-robin)", i, w.Model, w.Index, names[i%3], i/3+1)
			}
			checkWindow(t, &threeModels, res, w, costs[i%3])
		}
		for i, s := range res.Models {
			x := analytic(&threeModels, 2*time.Second, time.Duration(2+2*i)*time.Second, time.Duration(4+2*i)*time.Second, costs[i])
			if w := res.Windows[i]; w.Start != time.Duration(2+2*i)*time.Second {
				t.Errorf("%s window 1 starts at %v, want %ds", s.Model, w.Start, 2+2*i)
			}
			within(t, s.Model+" median marginal µJ", s.MarginalUJ.Median, x.marginalUJ, 0.01)
		}
	})
}

// failing is a replay that fails after `after` readings, like an unplugged sensor.
type failing struct {
	*board.Replay
	after int
}

var errUnplugged = errors.New("i2c: remote I/O error")

func (f *failing) Read() (board.Reading, error) {
	if f.after == 0 {
		return board.Reading{}, &board.SourceError{Source: f.Name(), Op: "read", Err: errUnplugged}
	}
	f.after--
	return f.Replay.Read()
}

func TestSourceFailingMidRunGivesPartialResults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &failing{Replay: openReplay(t, idleLoad.file).(*board.Replay), after: 150} // 7.4 s of trace (and an edge row)
		res, err := Run(context.Background(), src, []Workload{sleeper("m", time.Millisecond)},
			Options{Windows: 3, Window: 2 * time.Second, Settle: -1, ReplayRun: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Partial {
			t.Error("result not marked partial")
		}
		if !strings.Contains(strings.Join(res.Notes, "\n"), "remote I/O error") {
			t.Errorf("notes %q do not say the source failed", res.Notes)
		}
		var full, part, none int
		for _, w := range res.Windows {
			switch {
			case w.Coverage == 0:
				none++
			case w.Partial:
				part++
			default:
				full++
			}
			if w.Inferences == 0 {
				t.Errorf("window %d has no inference count", w.Index)
			}
		}
		if full != 1 || part != 1 || none != 1 {
			t.Errorf("windows full/partial/without data = %d/%d/%d, want 1/1/1", full, part, none)
		}
		if s := res.Models[0]; s.Used != 1 || len(s.Excluded) != 2 {
			t.Errorf("median over %d windows, %d excluded; want 1 and 2", s.Used, len(s.Excluded))
		}
	})
}

// busyClock says until when a workload keeps the board busy (virtual time, UnixNano).
type busyClock = atomic.Int64

func isBusy(b *busyClock) bool { return time.Now().UnixNano() <= b.Load() }

// live is a sensor that reads high while a workload runs (until the busy clock).
type live struct {
	busy     *busyClock
	reads    int
	failAt   int // fail on this read and every later one, if > 0
	glitchAt int // fail on this read only, if > 0
	counter  bool
	flags    board.Quality // added to every reading
	energyNJ float64
	last     time.Time
}

func (l *live) Name() string            { return "fake" }
func (l *live) Interval() time.Duration { return 10 * time.Millisecond }
func (l *live) Close() error            { return nil }
func (l *live) Read() (board.Reading, error) {
	l.reads++
	if (l.failAt > 0 && l.reads >= l.failAt) || l.reads == l.glitchAt {
		return board.Reading{}, &board.SourceError{Source: "fake", Op: "read", Err: errUnplugged}
	}
	p := 2.0
	if isBusy(l.busy) {
		p = 3.5
	}
	now := time.Now()
	r := board.Reading{Time: now, Power: board.Watts(p), Flags: l.flags}
	if l.counter {
		if !l.last.IsZero() {
			l.energyNJ += p * 1e9 * now.Sub(l.last).Seconds()
		} else {
			r.Flags |= board.First
		}
		l.last = now
		r.Energy = physic.Energy(l.energyNJ) + physic.Joule // never 0
	}
	return r, nil
}

// busyWorkload keeps the board busy while it runs (the first call, the warm-up of one
// inference with Warmup: -1, is free).
func busyWorkload(busy *busyClock, cost time.Duration) Workload {
	warm := false
	return Workload{Name: "m", Run: func(n int) {
		if !warm {
			warm = true
			return
		}
		d := time.Duration(n) * cost
		busy.Store(time.Now().Add(d).UnixNano())
		time.Sleep(d)
	}}
}

func TestLiveSource(t *testing.T) {
	for _, counter := range []bool{false, true} {
		name := map[bool]string{false: "power", true: "counter"}[counter]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				busy := new(busyClock)
				src := &live{busy: busy, counter: counter}
				const cost = 2 * time.Millisecond
				res, err := Run(context.Background(), src, []Workload{busyWorkload(busy, cost)},
					Options{Warmup: -1, Windows: 3, Window: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				if res.Replay || res.Partial {
					t.Fatalf("replay=%v partial=%v notes=%q", res.Replay, res.Partial, res.Notes)
				}
				within(t, "idle power", watts(res.IdlePower), 2.0, 0.01)
				for _, w := range res.Windows {
					within(t, "window power", watts(w.Power), 3.5, 0.01)
					within(t, "rate", w.Rate, 1/cost.Seconds(), 0.01)
				}
			})
		})
	}
}

func TestLiveConditions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		t0 := time.Now()
		// The schedule (20 ms settling, 1 s windows): idle [0, 1], load [1.02, 2.02], idle
		// [2.04, 3.04], load [3.06, 4.06], idle, load [5.10, 6.10], idle, after the 20 ms of
		// settling that follow the warm-up. The board throttles from 3.3 s to 3.8 s: the second
		// load window.
		cond := func() (board.Conditions, error) {
			d := time.Since(t0)
			var th board.Throttle
			if d >= 3300*time.Millisecond && d < 3800*time.Millisecond {
				th = board.ThrottledNow | board.ThrottledOccurred
			}
			return board.Conditions{Temp: physic.ZeroCelsius + physic.Temperature(50+d.Seconds())*physic.Kelvin, HasTemp: true,
				Throttled: th, HasThrottled: true, ThrottleFrom: "vcgencmd"}, nil
		}
		res, err := Run(context.Background(), &live{busy: busy}, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 3, Window: time.Second, Conditions: cond, ConditionsEvery: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range res.Windows {
			if got, want := w.Throttled, i == 1; got != want {
				t.Errorf("window %d [%v, %v]: throttled = %v, want %v", w.Index, w.Start, w.End, got, want)
			}
			if lo, hi := w.TempMin.Celsius(), w.TempMax.Celsius(); lo < 50.9+2.04*float64(i) || hi > 52.2+2.04*float64(i) {
				t.Errorf("window %d temperatures %.2f-%.2f °C, want within %.2f-%.2f", w.Index, lo, hi, 51+2.04*float64(i), 52.1+2.04*float64(i))
			}
		}
		if s := res.Models[0]; s.Used != 2 {
			t.Errorf("median over %d windows, want 2 (window 2 throttled)", s.Used)
		}
	})
}

func TestLiveConditionsUnavailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		cond := func() (board.Conditions, error) {
			return board.Conditions{}, errors.New("vcgencmd: not found")
		}
		res, err := Run(context.Background(), &live{busy: busy}, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 1, Window: time.Second, Conditions: cond})
		if err != nil {
			t.Fatal(err)
		}
		if res.Partial || !strings.Contains(strings.Join(res.Notes, "\n"), "vcgencmd: not found") {
			t.Errorf("partial=%v notes=%q; want complete power results and a note on the conditions", res.Partial, res.Notes)
		}
	})
}

func TestLiveSourceFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		// 10 ms readings from t = 0 (origin 20 ms later): read 359 fails at 3.58 s, half-way
		// through the second of three 1 s load windows ([3.06 s, 4.06 s]).
		src := &live{busy: busy, failAt: 359}
		res, err := Run(context.Background(), src, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 3, Window: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Partial || !strings.Contains(strings.Join(res.Notes, "\n"), "remote I/O error") {
			t.Errorf("partial=%v notes=%q; want partial results naming the error", res.Partial, res.Notes)
		}
		cov := []float64{1, 0.5, 0}
		for i, w := range res.Windows {
			if math.Abs(w.Coverage-cov[i]) > 0.02 {
				t.Errorf("window %d coverage %.3f, want %.2f", w.Index, w.Coverage, cov[i])
			}
		}
		var buf strings.Builder
		if err := res.WriteTable(&buf); err != nil || !strings.Contains(buf.String(), "PARTIAL RESULTS") {
			t.Errorf("table (err %v) does not say PARTIAL RESULTS:\n%s", err, buf.String())
		}
	})
}

func TestCancelGivesPartialResults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(3500 * time.Millisecond) // in the second load window, [3.08 s, 4.08 s]
			cancel()
		}()
		res, err := Run(ctx, &live{busy: busy}, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 5, Window: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if w := res.Windows[len(res.Windows)-1]; w.Excluded != "interrupted" || res.Models[0].Used != 1 {
			t.Errorf("cut-short window excluded as %q, %d windows in the median; want interrupted, 1", w.Excluded, res.Models[0].Used)
		}
		if !res.Partial || len(res.Windows) != 2 || !strings.Contains(strings.Join(res.Notes, "\n"), "interrupted") {
			t.Errorf("partial=%v windows=%d notes=%q; want 2 windows, the second cut short, and a note", res.Partial, len(res.Windows), res.Notes)
		}
	})
}

func TestSourceQualityNoted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		src := &live{busy: busy, flags: board.Partial | board.Estimated}
		res, err := Run(context.Background(), src, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 1, Window: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(res.Notes, "\n")
		if res.Partial || !strings.Contains(notes, "meters only part of the board") || !strings.Contains(notes, "estimates power") {
			t.Errorf("partial=%v notes=%q; want complete results noting the partial, estimated source", res.Partial, res.Notes)
		}
	})
}

func TestLiveSourceGlitchSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		src := &live{busy: busy, glitchAt: 150}
		res, err := Run(context.Background(), src, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 2, Window: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(res.Notes, "\n")
		if res.Partial || !strings.Contains(notes, "1 failed reads skipped") {
			t.Errorf("partial=%v notes=%q; want complete results and the skipped read noted", res.Partial, res.Notes)
		}
		for _, w := range res.Windows {
			within(t, "window power", watts(w.Power), 3.5, 0.01)
		}
	})
}

// unpaced is a live source that states no sampling interval.
type unpaced struct{ *live }

func (unpaced) Interval() time.Duration { return 0 }

// TestLiveSourceWithoutInterval: a source whose Interval is 0 is sampled every 100 ms, and
// the engine waits past the last window by that same interval, so the last window is
// covered like the others.
func TestLiveSourceWithoutInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		res, err := Run(context.Background(), unpaced{&live{busy: busy}}, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 2, Window: 450 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.Partial || res.Interval != 100*time.Millisecond {
			t.Errorf("partial=%v interval=%v notes=%q; want every window covered, sampled every 100ms", res.Partial, res.Interval, res.Notes)
		}
	})
}
