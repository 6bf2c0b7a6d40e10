package serve

import (
	"fmt"

	ewrt "github.com/edgewatt/edgewatt/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type counter = prometheus.Counter
type observer = prometheus.Observer

// metrics are the service's Prometheus metrics, named as the ecosystem does: a namespace,
// base units in the name (_seconds, _watts, _joules_total), counters ending in _total.
type metrics struct {
	predictions *prometheus.CounterVec   // model, label, outcome
	inference   *prometheus.HistogramVec // model
	requests    *prometheus.HistogramVec // handler, method, code
	inflight    prometheus.Gauge
	modelInfo   *prometheus.GaugeVec // model, sha256, version, quant_embedding, quant_dense, kernels, architecture
	reloads     *prometheus.CounterVec
	loadError   *prometheus.GaugeVec
	board       *boardCollector
}

func newMetrics(s *Service) *metrics {
	return &metrics{
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "edgewatt", Name: "predictions_total",
			Help: "Inputs classified (texts or id rows), by model, winning label and outcome (ok, or error for inputs refused after decoding).",
		}, []string{"model", "label", "outcome"}),
		inference: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "edgewatt", Name: "inference_duration_seconds",
			Help:    "Time to tokenize and classify one input.",
			Buckets: prometheus.ExponentialBucketsRange(1e-7, 0.1, 16),
		}, []string{"model"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "edgewatt", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency, by route pattern, method and status code.",
			Buckets: prometheus.ExponentialBucketsRange(1e-5, 10, 16),
		}, []string{"handler", "method", "code"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "edgewatt", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "edgewatt", Name: "model_info",
			Help: "The model file version serving each model name (always 1).",
		}, []string{"model", "sha256", "version", "quant_embedding", "quant_dense", "kernels", "architecture"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "edgewatt", Name: "model_reloads_total",
			Help: "Model reload attempts (SIGHUP or a replaced file), by outcome (ok, error).",
		}, []string{"model", "outcome"}),
		loadError: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "edgewatt", Name: "model_load_error",
			Help: "1 when the last reload of the model's file failed (the previous version keeps serving).",
		}, []string{"model"}),
		board: &boardCollector{s: s},
	}
}

func (m *metrics) register(r *prometheus.Registry) error {
	for _, c := range []prometheus.Collector{m.predictions, m.inference, m.requests, m.inflight, m.modelInfo, m.reloads, m.loadError, m.board,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("serve: registering metrics: %w", err)
		}
	}
	return nil
}

// modelLoaded resolves e's counters and replaces the model's info series.
func (m *metrics) modelLoaded(name string, e *entry) {
	labels := e.model.Labels()
	e.okByLabel = make([]counter, len(labels))
	for i, l := range labels {
		e.okByLabel[i] = m.predictions.WithLabelValues(name, l, "ok")
	}
	e.errs = m.predictions.WithLabelValues(name, "", "error")
	e.latency = m.inference.WithLabelValues(name)
	m.modelInfo.DeletePartialMatch(prometheus.Labels{"model": name})
	q := e.model.Meta.Quant
	m.modelInfo.WithLabelValues(name, e.sha256, e.version, q.Embedding, q.Dense, ewrt.Kernels(), archString(e.model.Meta.Arch)).Set(1)
	m.loadError.WithLabelValues(name).Add(0)
	m.reloads.WithLabelValues(name, "ok").Add(0)
	m.reloads.WithLabelValues(name, "error").Add(0)
}

// boardCollector exports the board's telemetry at scrape time (nothing runs between
// scrapes): power, energy, the idle baseline, joules per inference, temperature and
// throttling. Values that are unknown (no power source, no idle period seen yet, no
// thermal zone) are left out rather than reported as zero.
type boardCollector struct{ s *Service }

var (
	descWatts        = prometheus.NewDesc("edgewatt_board_power_watts", "The board's power draw at the last reading of the power source.", []string{"source"}, nil)
	descJoules       = prometheus.NewDesc("edgewatt_board_energy_joules_total", "Energy drawn by the board since the service started, integrated from the power readings (trapezoids).", []string{"source"}, nil)
	descIdle         = prometheus.NewDesc("edgewatt_board_idle_power_watts", "The idle baseline learned from quiet periods (no inferences for a while, power settled).", []string{"source"}, nil)
	descPerInf       = prometheus.NewDesc("edgewatt_energy_per_inference_joules", "Joules per inference over the recent window: total (E/n) and marginal ((E - P_idle t)/n, above the idle baseline).", []string{"basis"}, nil)
	descPowerUp      = prometheus.NewDesc("edgewatt_board_power_source_up", "1 when the last reading of the power source succeeded.", []string{"source"}, nil)
	descTemp         = prometheus.NewDesc("edgewatt_board_temperature_celsius", "The SoC temperature (thermal zone 0).", nil, nil)
	descThrottled    = prometheus.NewDesc("edgewatt_board_throttled", "1 while the board is throttled, frequency-capped, at its soft temperature limit or under-voltage (vcgencmd get_throttled bits 0-3).", nil, nil)
	descThrottleBits = prometheus.NewDesc("edgewatt_board_throttle_flags", "The raw vcgencmd get_throttled bit field (bits 16-19: since boot).", nil, nil)
)

func (c *boardCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWatts, descJoules, descIdle, descPerInf, descPowerUp, descTemp, descThrottled, descThrottleBits} {
		ch <- d
	}
}

func (c *boardCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.s.Telemetry()
	src := t.PowerSource
	if src != "" {
		ch <- prometheus.MustNewConstMetric(descPowerUp, prometheus.GaugeValue, b2f(t.PowerUp), src)
		if t.HasPower {
			ch <- prometheus.MustNewConstMetric(descWatts, prometheus.GaugeValue, t.Watts, src)
			ch <- prometheus.MustNewConstMetric(descJoules, prometheus.CounterValue, t.JoulesTotal, src)
		}
		if t.IdleKnown {
			ch <- prometheus.MustNewConstMetric(descIdle, prometheus.GaugeValue, t.IdleWatts, src)
		}
		if t.TotalKnown {
			ch <- prometheus.MustNewConstMetric(descPerInf, prometheus.GaugeValue, t.TotalUJPerInference/1e6, "total")
		}
		if t.MarginalKnown {
			ch <- prometheus.MustNewConstMetric(descPerInf, prometheus.GaugeValue, t.MarginalUJPerInference/1e6, "marginal")
		}
	}
	if t.HasTemp {
		ch <- prometheus.MustNewConstMetric(descTemp, prometheus.GaugeValue, t.TempC)
	}
	if t.HasThrottled {
		ch <- prometheus.MustNewConstMetric(descThrottled, prometheus.GaugeValue, b2f(t.Throttled&0xf != 0))
		ch <- prometheus.MustNewConstMetric(descThrottleBits, prometheus.GaugeValue, float64(t.Throttled))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The PromQL that derives joules per inference from the counters (README "Serve"): the
// board's mean power over the window (the rate of the energy counter) divided by the rate
// of predictions; the marginal figure first takes off the learned idle baseline.
const (
	PromQLJoulesPerInference         = `sum(rate(edgewatt_board_energy_joules_total[1m])) / sum(rate(edgewatt_predictions_total{outcome="ok"}[1m]))`
	PromQLMarginalJoulesPerInference = `(sum(rate(edgewatt_board_energy_joules_total[1m])) - sum(edgewatt_board_idle_power_watts)) / sum(rate(edgewatt_predictions_total{outcome="ok"}[1m]))`
)
