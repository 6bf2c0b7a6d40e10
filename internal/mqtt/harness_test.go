package mqtt

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/internal/train"
	"github.com/edgewatt/edgewatt/runtime"
)

// mosquitto is a real Debian mosquitto on a loopback port, with persistence on so that
// sessions and their queued messages survive a restart.
//
// max_inflight_messages is high because Mosquitto 2.0.11 restores at most that many
// in-flight messages per client from its persistence file (none when it is 0, "no limit",
// or 65535); the others go back to the client's queue, so a QoS 2 message whose PUBREL had
// been sent is sent again after the restart as a PUBLISH, which the subscriber must take
// for a new message. Measured with TestBrokerRestartDuringStream, 30 runs each: with
// Mosquitto's default of 20, 2 runs had ids with two results (3 and 13 ids); with 65535,
// 29 runs (9-460 ids); with 10000, none. (Results at QoS 1 instead: 9 of 10 runs, 19-336
// ids.) The README's broker settings say the same.
type mosquitto struct {
	t    testing.TB
	dir  string
	conf string
	port int
	bin  string
	cmd  *exec.Cmd
	done chan struct{}
}

const mosquittoBin = "/usr/sbin/mosquitto"

func startMosquitto(t testing.TB) *mosquitto {
	t.Helper()
	return startMosquittoPersist(t, true)
}

// startMosquittoPersist starts a broker with persistence on or off (off: a restart loses every
// session, subscription and retained message, as a broker on a tmpfs does).
func startMosquittoPersist(t testing.TB, persist bool) *mosquitto {
	t.Helper()
	bin := mosquittoBin
	if _, err := os.Stat(bin); err != nil {
		p, err := exec.LookPath("mosquitto")
		if err != nil {
			t.Skip("mosquitto not installed: apt-get install -y mosquitto (the MQTT tests run a real broker)")
		}
		bin = p
	}
	dir := t.TempDir()
	m := &mosquitto{t: t, dir: dir, conf: filepath.Join(dir, "mosquitto.conf"), port: freePort(t)}
	conf := fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence %v
persistence_location %s/
autosave_interval 1
max_queued_messages 100000
max_inflight_messages 10000
set_tcp_nodelay true
log_dest file %s/mosquitto.log
log_type error
log_type warning
log_type notice
`, m.port, persist, dir, dir)
	if os.Geteuid() == 0 {
		conf += "user root\n" // else mosquitto drops to user mosquitto, which cannot write the test's directory
	}
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	m.bin = bin
	m.start()
	t.Cleanup(func() { m.kill(syscall.SIGKILL) })
	return m
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (m *mosquitto) url() string { return "mqtt://127.0.0.1:" + strconv.Itoa(m.port) }

func (m *mosquitto) broker() *Broker {
	b, err := ParseBroker(m.url(), TLSFiles{})
	if err != nil {
		m.t.Fatal(err)
	}
	return b
}

// start runs the broker and waits until it accepts connections.
func (m *mosquitto) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "-c", m.conf)
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(m.cmd, m.done)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(m.port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-m.done:
			log, _ := os.ReadFile(filepath.Join(m.dir, "mosquitto.log"))
			m.t.Fatalf("mosquitto exited at start:\n%s", log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	m.t.Fatal("mosquitto did not listen within 10s")
}

// kill stops the broker with sig (SIGTERM: it saves its persistence file first) and waits.
func (m *mosquitto) kill(sig syscall.Signal) {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	select {
	case <-m.done:
		return
	default:
	}
	_ = m.cmd.Process.Signal(sig)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

var (
	modelOnce sync.Once
	modelFile string
	modelErr  error
)

// testModel trains the smart-home example (labels routine, urgent) with the Go trainer and
// converts it like any Keras model: a real edgewatt model, made once per test binary.
func testModel(t testing.TB) string {
	t.Helper()
	modelOnce.Do(func() {
		modelFile, modelErr = buildModel()
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return modelFile
}

func buildModel() (string, error) {
	dir, err := os.MkdirTemp("", "edgewatt-mqtt-test")
	if err != nil {
		return "", err
	}
	f, err := os.Open("../../examples/smarthome/train.csv")
	if err != nil {
		return "", err
	}
	ex, err := train.ReadExamples(f, "train.csv")
	f.Close()
	if err != nil {
		return "", err
	}
	c := train.DefaultConfig()
	c.Vocab, c.MaxLen, c.Epochs = 500, 20, 4
	res, err := train.Train(c, ex, nil, nil)
	if err != nil {
		return "", err
	}
	h5, tok := filepath.Join(dir, "m.h5"), filepath.Join(dir, "m.tokenizer.json")
	if err := res.WriteFiles(h5, tok); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "smarthome.safetensors")
	if _, err := convert.Convert(convert.Options{Model: h5, Tokenizer: tok, Padding: "post", Truncating: "post", Labels: "routine,urgent"}, out); err != nil {
		return "", err
	}
	return out, nil
}

// runtimeClassifier runs a real model with the real runtime, predictors pooled: what
// internal/serve does, in a few lines.
type runtimeClassifier struct {
	name string
	m    *runtime.Model
	pool sync.Pool
}

func newRuntimeClassifier(t testing.TB, name string) *runtimeClassifier {
	m, err := runtime.Load(testModel(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	c := &runtimeClassifier{name: name, m: m}
	c.pool.New = func() any { return m.NewPredictor() }
	return c
}

func (c *runtimeClassifier) Models() []Model {
	return []Model{{Name: c.name, SHA256: c.m.Meta.SHA256, Labels: c.m.Labels()}}
}

func (c *runtimeClassifier) Predict(ctx context.Context, model string, texts []string) ([]Prediction, error) {
	if model != c.name {
		return nil, fmt.Errorf("model %q is not loaded (loaded: %s)", model, c.name)
	}
	p := c.pool.Get().(*runtime.Predictor)
	defer c.pool.Put(p)
	out := make([]Prediction, len(texts))
	for i, s := range texts {
		start := time.Now()
		r := p.PredictText(s)
		out[i] = Prediction{Label: c.m.Labels()[r.Label], Labels: c.m.Labels(), Scores: append([]float32(nil), r.Scores...), Latency: time.Since(start)}
	}
	return out, nil
}

// fixedTelemetry is a board whose figures the test sets.
type fixedTelemetry struct {
	mu sync.Mutex
	t  Telemetry
}

func (f *fixedTelemetry) Telemetry() Telemetry { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fixedTelemetry) set(t Telemetry)      { f.mu.Lock(); f.t = t; f.mu.Unlock() }

// startService runs a Service until the test ends.
func startService(t testing.TB, b *Broker, node string, c Classifier, ts TelemetrySource, tweak func(*Options)) *Service {
	t.Helper()
	s, _ := runService(t, b, node, c, ts, tweak)
	return s
}

// startServiceStoppable runs a Service and returns the function that stops it (idempotent).
func startServiceStoppable(t testing.TB, b *Broker, node string, c Classifier, ts TelemetrySource, tweak func(*Options)) func() {
	t.Helper()
	_, stop := runService(t, b, node, c, ts, tweak)
	return stop
}

func runService(t testing.TB, b *Broker, node string, c Classifier, ts TelemetrySource, tweak func(*Options)) (*Service, func()) {
	t.Helper()
	o := Options{Broker: b, Node: node, Board: "Raspberry Pi 4 Model B Rev 1.4", Version: "test",
		DashboardURL: "http://192.0.2.7:8080/", BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
		TelemetryCheck: 50 * time.Millisecond}
	if tweak != nil {
		tweak(&o)
	}
	s, err := New(o, c, ts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return s, stop
}

// client is a test MQTT v5 client: messages on its subscriptions go to a channel.
type client struct {
	cm   *autopaho.ConnectionManager
	msgs chan *paho.Publish
	up   chan struct{}
}

// newClient connects with a persistent session (clean start false, 1 h expiry) when
// persistent, subscribing (again at every connection) to subs at QoS 2, so that results
// come exactly once.
func newClient(t testing.TB, b *Broker, id string, persistent bool, subs ...string) *client {
	t.Helper()
	c := &client{msgs: make(chan *paho.Publish, 100000), up: make(chan struct{}, 100)}
	var expiry uint32
	if persistent {
		expiry = 3600
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{b.URL},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: !persistent,
		SessionExpiryInterval:         expiry,
		ReconnectBackoff:              func(n int) time.Duration { return Backoff(n, 50*time.Millisecond, 500*time.Millisecond) },
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			go func() {
				if len(subs) > 0 {
					var so []paho.SubscribeOptions
					for _, s := range subs {
						so = append(so, paho.SubscribeOptions{Topic: s, QoS: 2})
					}
					sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
					_, _ = cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: so})
					scancel()
				}
				c.up <- struct{}{}
			}()
		},
		ClientConfig: paho.ClientConfig{
			ClientID: id,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
				c.msgs <- pr.Packet
				return true, nil
			}},
		},
	}
	cm, err := autopaho.NewConnection(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.cm = cm
	t.Cleanup(func() {
		dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer dcancel()
		_ = cm.Disconnect(dctx)
		cancel()
	})
	select {
	case <-c.up:
	case <-time.After(10 * time.Second):
		t.Fatal("test client did not connect within 10s")
	}
	return c
}

func (c *client) publish(t testing.TB, topic string, payload []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.cm.Publish(ctx, &paho.Publish{Topic: topic, Payload: payload, QoS: 1}); err != nil {
		t.Fatal(err)
	}
}

// next returns the next message on topic (others are dropped), failing after d.
func (c *client) next(t testing.TB, topic string, d time.Duration) *paho.Publish {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case p := <-c.msgs:
			if p.Topic == topic {
				return p
			}
		case <-timeout:
			t.Fatalf("no message on %s within %v", topic, d)
			return nil
		}
	}
}

// stream publishes n classify requests, payload(i) for i in [0, n), through c's queue (so
// publishing goes on while the broker is away), pausing 2 ms every `every` requests: a
// stream still flowing when a test breaks something, not one burst.
func stream(c *client, topic string, n, every int, payload func(i int) []byte) {
	for i := range n {
		_ = c.cm.PublishViaQueue(context.Background(), &autopaho.QueuePublish{Publish: &paho.Publish{Topic: topic, QoS: 1, Payload: payload(i)}})
		if i%every == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// collect reads the results on topic, keyed by their id, until n ids have one and then no
// message has come for a second, so that a second copy arriving late is counted too. It
// calls fault once, when `at` ids have a result, and fails the test after d.
func collect(t testing.TB, c *client, topic string, n, at int, fault func(), d time.Duration) map[string][]Result {
	t.Helper()
	got := map[string][]Result{}
	deadline := time.After(d)
	quiet := time.Hour
	for {
		select {
		case p := <-c.msgs:
			if p.Topic == topic {
				r := decodeResult(t, p)
				got[string(r.ID)] = append(got[string(r.ID)], r)
			}
		case <-time.After(quiet):
			return got
		case <-deadline:
			t.Fatalf("%d of %d ids answered within %v", len(got), n, d)
		}
		if fault != nil && len(got) >= at {
			fault()
			fault = nil
		}
		if len(got) == n {
			quiet = time.Second
		}
	}
}
