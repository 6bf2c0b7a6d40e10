package serve

import (
	"context"
	"errors"
	"io"
	"math"
	"sync"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"github.com/edgewatt/edgewatt/internal/energy"
)

// Telemetry is the service's live state: power and energy, the rate of predictions, joules
// per inference over the recent window, the board's temperature and throttling, and which
// model file version serves each name.
type Telemetry struct {
	Time                   time.Time         `json:"time"`
	UptimeSeconds          float64           `json:"uptime_seconds"`
	PowerSource            string            `json:"power_source,omitempty"` // "" without a source
	PowerUp                bool              `json:"power_up"`
	HasPower               bool              `json:"has_power"`
	Watts                  float64           `json:"watts"`
	JoulesTotal            float64           `json:"joules_total"`
	IdleWatts              float64           `json:"idle_watts"`
	IdleKnown              bool              `json:"idle_known"`
	TotalUJPerInference    float64           `json:"uj_per_inference_total"`
	TotalUJErr             float64           `json:"uj_per_inference_total_err"`
	TotalKnown             bool              `json:"uj_per_inference_total_known"`
	MarginalUJPerInference float64           `json:"uj_per_inference_marginal"`
	MarginalUJErr          float64           `json:"uj_per_inference_marginal_err"`
	MarginalKnown          bool              `json:"uj_per_inference_marginal_known"`
	Window                 float64           `json:"window_seconds"`
	PredictionsPerSecond   float64           `json:"predictions_per_second"`
	Inferences             uint64            `json:"inferences_total"`
	LatencyP50             float64           `json:"latency_p50_seconds"`
	LatencyP99             float64           `json:"latency_p99_seconds"`
	TempC                  float64           `json:"temp_c"`
	HasTemp                bool              `json:"has_temp"`
	Throttled              uint32            `json:"throttled"`
	HasThrottled           bool              `json:"has_throttled"`
	Models                 map[string]string `json:"models"` // name -> sha256
}

// Point is one sample of the dashboard's history.
type Point struct {
	T          int64    `json:"t"` // Unix milliseconds
	Watts      *float64 `json:"w,omitempty"`
	Rate       float64  `json:"r"`
	UJTotal    *float64 `json:"ujt,omitempty"`
	UJMarginal *float64 `json:"ujm,omitempty"`
	P50        *float64 `json:"p50,omitempty"` // seconds
	P99        *float64 `json:"p99,omitempty"`
	TempC      *float64 `json:"temp,omitempty"`
}

// historyLen is how many points the dashboard sees: 10 minutes at one a second.
const historyLen = 600

type telemetry struct {
	s         *Service
	meter     *energy.Live // nil without a power source
	interval  time.Duration
	condEvery time.Duration
	condAt    time.Time // written by tick only (the sampling goroutine)

	mu       sync.Mutex // guards everything below (never taken on the prediction path)
	last     board.Reading
	hasLast  bool
	up       bool
	cond     board.Conditions
	rate     float64
	p50, p99 float64
	lastInf  uint64
	lastTick time.Time
	latPrev  latSnapshot
	hist     []Point // ring
	histN    int
}

func newTelemetry(s *Service) *telemetry {
	t := &telemetry{s: s, interval: s.opt.PowerInterval, condEvery: 10 * time.Second, hist: make([]Point, historyLen)}
	if s.opt.Power != nil {
		if t.interval <= 0 {
			t.interval = max(time.Second, s.opt.Power.Interval())
		}
		e := s.opt.Energy
		t.meter = energy.NewLive(energy.LiveOptions{Window: e.Window, IdleMin: e.IdleMin, Settle: e.Settle, Interval: t.interval})
	} else if t.interval <= 0 {
		t.interval = 2 * time.Second
	}
	t.lastTick = s.now()
	return t
}

// sample reads the power source every interval until ctx ends. A replay source starts over
// at its end, stamped with the real clock.
func (t *telemetry) sample(ctx context.Context) error {
	src := t.s.opt.Power
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		r, err := src.Read()
		if errors.Is(err, io.EOF) {
			if rp, ok := src.(*board.Replay); ok {
				src = board.NewReplay(rp.Name(), rp.Trace(), t.s.now(), false)
				r, err = src.Read()
			}
		}
		now := t.s.now()
		if err != nil {
			if !failing {
				t.s.log.Warn("power.read", "source", src.Name(), "err", err)
			}
			failing = true
			t.mu.Lock()
			t.up = false
			t.mu.Unlock()
			t.tick(now, nil)
			continue
		}
		if failing {
			t.s.log.Info("power.read", "source", src.Name(), "outcome", "recovered")
			failing = false
		}
		t.tick(now, &r)
	}
}

// tickHistory records the history without a power source.
func (t *telemetry) tickHistory(ctx context.Context) error {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			t.tick(t.s.now(), nil)
		}
	}
}

// tick folds one interval into the meter and the history. r is the power reading, if any.
func (t *telemetry) tick(now time.Time, r *board.Reading) {
	inf := t.s.inf.Load()
	var cur latSnapshot
	t.s.lat.snapshot(&cur)

	// Temperature and throttling may take a vcgencmd run: read them before taking the lock.
	// condAt is only touched here, on the sampling goroutine.
	var cond *board.Conditions
	if t.s.opt.Conditions != nil && now.Sub(t.condAt) >= t.condEvery {
		t.condAt = now
		c, _ := t.s.opt.Conditions() // what could not be read stays unknown
		cond = &c
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	dInf := inf - t.lastInf
	dt := now.Sub(t.lastTick).Seconds()
	t.lastInf, t.lastTick = inf, now
	if dt > 0 {
		t.rate = float64(dInf) / dt
	}
	q, n := quantiles(&t.latPrev, &cur, 0.5, 0.99)
	t.latPrev = cur
	p := Point{T: now.UnixMilli(), Rate: t.rate}
	if n > 0 {
		t.p50, t.p99 = q[0], q[1]
		p.P50, p.P99 = &q[0], &q[1]
	}
	if t.meter != nil {
		if r != nil && r.Flags&board.First == 0 {
			t.meter.AddPower(now, r.Watts())
			t.last, t.hasLast, t.up = *r, true, true
		}
		if t.hasLast {
			sn := t.meter.Snapshot(now)
			w := t.last.Watts()
			p.Watts = &w
			if known(sn.TotalJPerInf) {
				v := sn.TotalJPerInf * 1e6
				p.UJTotal = &v
			}
			if sn.IdleKnown && known(sn.MarginalJPerInf) {
				v := sn.MarginalJPerInf * 1e6
				p.UJMarginal = &v
			}
		}
	}
	if cond != nil {
		t.cond = *cond
	}
	if t.cond.HasTemp {
		c := t.cond.Temp.Celsius()
		p.TempC = &c
	}
	t.hist[t.histN%historyLen] = p
	t.histN++
}

// History returns the recorded points after sinceMillis (Unix milliseconds; 0 for all),
// oldest first.
func (s *Service) History(sinceMillis int64) []Point {
	t := s.tel
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(t.histN, historyLen)
	out := make([]Point, 0, n)
	for i := t.histN - n; i < t.histN; i++ {
		if p := t.hist[i%historyLen]; p.T > sinceMillis {
			out = append(out, p)
		}
	}
	return out
}

// Telemetry returns the service's live state.
func (s *Service) Telemetry() Telemetry {
	now := s.now()
	t := s.tel
	tel := Telemetry{Time: now.UTC(), UptimeSeconds: now.Sub(s.started).Seconds(), Inferences: s.inf.Load(), Models: map[string]string{}}
	set := s.models.Load()
	for name, e := range set.byName {
		tel.Models[name] = e.sha256
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tel.PredictionsPerSecond, tel.LatencyP50, tel.LatencyP99 = t.rate, t.p50, t.p99
	if t.cond.HasTemp {
		tel.TempC, tel.HasTemp = t.cond.Temp.Celsius(), true
	}
	if t.cond.HasThrottled {
		tel.Throttled, tel.HasThrottled = uint32(t.cond.Throttled), true
	}
	if s.opt.Power == nil {
		return tel
	}
	tel.PowerSource, tel.PowerUp = s.opt.Power.Name(), t.up
	if !t.hasLast {
		return tel
	}
	sn := t.meter.Snapshot(now)
	tel.HasPower, tel.Watts, tel.JoulesTotal = true, t.last.Watts(), sn.Joules
	tel.IdleWatts, tel.IdleKnown = sn.IdleWatts, sn.IdleKnown
	tel.Window = sn.Window.Seconds()
	if sn.Rate > 0 {
		tel.PredictionsPerSecond = sn.Rate
	}
	if known(sn.TotalJPerInf) {
		tel.TotalUJPerInference, tel.TotalUJErr, tel.TotalKnown = sn.TotalJPerInf*1e6, sn.TotalJPerInfErr*1e6, true
	}
	if sn.IdleKnown && known(sn.MarginalJPerInf) {
		tel.MarginalUJPerInference, tel.MarginalUJErr, tel.MarginalKnown = sn.MarginalJPerInf*1e6, sn.MarginalJPerInfErr*1e6, true
	}
	return tel
}

func known(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
