package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/edgewatt/edgewatt/internal/buildinfo"

	"github.com/edgewatt/edgewatt/board"
	"github.com/edgewatt/edgewatt/internal/mqtt"
	"github.com/edgewatt/edgewatt/internal/serve"
	"github.com/prometheus/client_golang/prometheus"
)

// mqttFlags are the --mqtt* flags of 'edgewatt serve'.
type mqttFlags struct {
	url           string
	tls           mqttTLSFlags
	node          string
	root          string
	prefix        string
	noDiscovery   bool
	telemetry     time.Duration
	sessionExpiry time.Duration
	dashboard     string
	resultQoS     int
}

func (f *mqttFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "mqtt", "", "also serve over MQTT: mqtt://[user:pass@]broker[:1883] or mqtts://broker[:8883] (requests on edgewatt/NODE/MODEL/classify, Home Assistant discovery)")
	f.tls.register(fs)
	fs.StringVar(&f.node, "mqtt-node", "", "node id in topics and Home Assistant (letters, digits, '_', '-'; default: the host name)")
	fs.StringVar(&f.root, "mqtt-root", mqtt.DefaultRoot, "first level of the node's topics")
	fs.StringVar(&f.prefix, "mqtt-discovery-prefix", mqtt.DefaultDiscoveryPrefix, "Home Assistant's MQTT discovery prefix")
	fs.BoolVar(&f.noDiscovery, "mqtt-no-discovery", false, "do not announce the node to Home Assistant")
	fs.DurationVar(&f.telemetry, "mqtt-telemetry-interval", 30*time.Second, "publish telemetry at least this often (and on every change)")
	fs.DurationVar(&f.sessionExpiry, "mqtt-session-expiry", 24*time.Hour, "how long the broker keeps this node's session, queuing requests, while it is away")
	fs.IntVar(&f.resultQoS, "mqtt-result-qos", 2, "QoS of results: 2, exactly once to subscribers at QoS 2, also across broker restarts; or 1, at least once")
	fs.StringVar(&f.dashboard, "mqtt-dashboard-url", "", "the dashboard link shown in Home Assistant (default: from --listen and the host name)")
}

// check validates the flags before anything is loaded, so mistakes are usage errors.
func (f *mqttFlags) check() (*mqtt.Broker, error) {
	if f.url == "" {
		if f.node != "" || f.tls != (mqttTLSFlags{}) {
			return nil, usagef("serve: --mqtt-node and --mqtt-ca/cert/key need --mqtt URL")
		}
		return nil, nil
	}
	b, err := mqtt.ParseBroker(f.url, f.tls.files())
	if err != nil {
		return nil, usagef("serve: %v", err)
	}
	if f.node == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, usagef("serve: cannot read the host name for the MQTT node id (%v): give --mqtt-node", err)
		}
		f.node = mqtt.SanitizeNode(h)
	}
	if err := mqtt.CheckNode(f.node); err != nil {
		return nil, usagef("serve: --mqtt-node: %v", err)
	}
	for _, c := range []struct{ what, v string }{{"--mqtt-root", f.root}, {"--mqtt-discovery-prefix", f.prefix}} {
		if err := mqtt.CheckTopicLevel(c.what, c.v); err != nil {
			return nil, usagef("serve: %v", err)
		}
	}
	if f.resultQoS != 1 && f.resultQoS != 2 {
		return nil, usagef("serve: --mqtt-result-qos %d: give 2 (exactly once, the default) or 1 (at least once)", f.resultQoS)
	}
	if f.telemetry < time.Second || f.sessionExpiry < 0 {
		return nil, usagef("serve: --mqtt-telemetry-interval must be at least 1s and --mqtt-session-expiry not negative")
	}
	return b, nil
}

// unitArgs are the flags that reproduce this configuration in a systemd unit (the URL may
// hold a password: the unit then carries it, as the command line did).
func (f *mqttFlags) unitArgs() []string {
	if f.url == "" {
		return nil
	}
	a := []string{"--mqtt", f.url, "--mqtt-node", f.node, "--mqtt-root", f.root, "--mqtt-discovery-prefix", f.prefix,
		"--mqtt-telemetry-interval", f.telemetry.String(), "--mqtt-session-expiry", f.sessionExpiry.String()}
	for _, p := range []struct{ flag, v string }{{"--mqtt-ca", f.tls.ca}, {"--mqtt-cert", f.tls.cert}, {"--mqtt-key", f.tls.key}} {
		if p.v != "" {
			if abs, err := filepath.Abs(p.v); err == nil {
				p.v = abs // the unit runs from another directory
			}
			a = append(a, p.flag, p.v)
		}
	}
	if f.dashboard != "" {
		a = append(a, "--mqtt-dashboard-url", f.dashboard)
	}
	if f.noDiscovery {
		a = append(a, "--mqtt-no-discovery")
	}
	if f.resultQoS != 2 {
		a = append(a, "--mqtt-result-qos", strconv.Itoa(f.resultQoS))
	}
	return a
}

// component returns the MQTT bridge started and stopped with the service.
func (f *mqttFlags) component(b *mqtt.Broker, listen string, https bool) serve.Component {
	dash := f.dashboard
	if dash == "" {
		dash = dashboardURL(listen, https)
	}
	return &mqttComponent{o: mqtt.Options{Broker: b, Node: f.node, Root: f.root, DiscoveryPrefix: f.prefix, NoDiscovery: f.noDiscovery,
		Board: boardName(board.Detect(board.DetectOptions{})), Version: buildinfo.Read().Short(), DashboardURL: dash,
		TelemetryInterval: f.telemetry, SessionExpiry: f.sessionExpiry, ResultQoS: byte(f.resultQoS)}}
}

// boardName is the board's model for Home Assistant and the fleet: the device tree's or
// DMI's name, else the CPU and architecture ("AMD EPYC x86_64").
func boardName(in *board.Info) string {
	if in.Model != "" {
		return in.Model
	}
	return strings.TrimSpace(in.CPU + " " + in.Machine)
}

// dashboardURL makes the dashboard's address from --listen: a wildcard host becomes this
// machine's name, so that Home Assistant on the LAN can follow the link.
func dashboardURL(listen string, https bool) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	scheme := "http"
	if https {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// mqttComponent adapts serve.Service to the MQTT bridge.
type mqttComponent struct{ o mqtt.Options }

func (c *mqttComponent) Name() string { return "mqtt" }

func (c *mqttComponent) Run(ctx context.Context, s *serve.Service) error {
	c.o.Log = s.Logger()
	m, err := mqtt.New(c.o, serveClassifier{s}, serveTelemetry{s})
	if err != nil {
		return err
	}
	if err := registerMQTTMetrics(s.Registry(), m); err != nil {
		return err
	}
	return m.Run(ctx)
}

// registerMQTTMetrics exposes the bridge's counters on serve's /metrics.
func registerMQTTMetrics(reg *prometheus.Registry, m *mqtt.Service) error {
	counter := func(name, help string, v func(mqtt.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "edgewatt", Subsystem: "mqtt", Name: name, Help: help},
			func() float64 { return float64(v(m.Stats())) })
	}
	for _, c := range []prometheus.Collector{
		counter("requests_total", "Classify messages received over MQTT, redeliveries included.", func(s mqtt.Stats) uint64 { return s.Requests }),
		counter("results_total", "Results published over MQTT (labels and errors).", func(s mqtt.Stats) uint64 { return s.Answered }),
		counter("error_results_total", "Error results published over MQTT (malformed payloads, unknown models, failed predictions).", func(s mqtt.Stats) uint64 { return s.Errors }),
		counter("duplicates_total", "Redelivered requests whose id was already answered, dropped.", func(s mqtt.Stats) uint64 { return s.Duplicates }),
		counter("connections_total", "Successful connections to the MQTT broker.", func(s mqtt.Stats) uint64 { return s.Connections }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "edgewatt", Subsystem: "mqtt", Name: "connected", Help: "1 while connected to the MQTT broker."},
			func() float64 {
				if m.Stats().Connected {
					return 1
				}
				return 0
			}),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("serve: mqtt metrics: %w", err)
		}
	}
	return nil
}

type serveClassifier struct{ s *serve.Service }

func (c serveClassifier) Models() []mqtt.Model {
	var out []mqtt.Model
	for _, m := range c.s.Models() {
		if m.SHA256 == "" { // never loaded
			continue
		}
		out = append(out, mqtt.Model{Name: m.Name, SHA256: m.SHA256, Labels: m.Labels})
	}
	return out
}

func (c serveClassifier) Predict(ctx context.Context, model string, texts []string) ([]mqtt.Prediction, error) {
	ps, err := c.s.Predict(ctx, model, texts)
	if err != nil {
		var se *serve.Error
		if errors.As(err, &se) {
			return nil, errors.New(se.Msg)
		}
		return nil, err
	}
	out := make([]mqtt.Prediction, len(ps))
	for i, p := range ps {
		out[i] = mqtt.Prediction{Label: p.Label, Labels: p.Labels, Scores: p.Scores, Latency: p.Latency}
	}
	return out, nil
}

type serveTelemetry struct{ s *serve.Service }

// Telemetry maps serve's figures, "not known" becoming NaN; throttled is any condition
// vcgencmd reports as active now (under-voltage, frequency capped, throttled, soft limit).
func (t serveTelemetry) Telemetry() mqtt.Telemetry {
	st := t.s.Telemetry()
	nan := func(v float64, ok bool) float64 {
		if !ok {
			return math.NaN()
		}
		return v
	}
	return mqtt.Telemetry{
		Watts:                        nan(st.Watts, st.HasPower),
		Joules:                       nan(st.JoulesTotal, st.HasPower),
		MicrojoulesPerInference:      nan(st.MarginalUJPerInference, st.MarginalKnown),
		MicrojoulesPerInferenceTotal: nan(st.TotalUJPerInference, st.TotalKnown),
		PredictionsPerSecond:         st.PredictionsPerSecond,
		TemperatureC:                 nan(st.TempC, st.HasTemp),
		Throttled:                    st.HasThrottled && board.Throttle(st.Throttled).Now() != 0,
		PowerSource:                  st.PowerSource,
	}
}
