package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/autopaho/queue/memory"
	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	"github.com/eclipse/paho.golang/paho/session"
	"github.com/eclipse/paho.golang/paho/session/state"
)

// Options configure a Service. Zero values take the documented defaults.
type Options struct {
	Broker          *Broker
	Node            string // node id: topics and Home Assistant's device (required)
	Root            string // topic root; default "edgewatt"
	DiscoveryPrefix string // Home Assistant's discovery prefix; default "homeassistant"
	NoDiscovery     bool   // do not publish Home Assistant discovery

	Board        string // the board model for Home Assistant's device and the fleet view
	Version      string // edgewatt's version (sw_version)
	DashboardURL string // configuration_url: the node's dashboard

	TelemetryInterval time.Duration // publish at least this often; default 30s
	TelemetryCheck    time.Duration // look for changes this often; default 1s
	SessionExpiry     time.Duration // how long the broker keeps the session (and queues requests) while the node is away; default 24h
	KeepAlive         time.Duration // default 30s
	BackoffMin        time.Duration // reconnect delay: random in [min, cap], the cap doubling from 2*min up to BackoffMax; default 250ms
	BackoffMax        time.Duration // default 30s
	DedupWindow       int           // request ids remembered to answer redeliveries once; default 16384
	MaxPayload        int           // request size limit; default 64 KiB

	// ResultQoS is the QoS results are published at: 2 (the default), so a subscriber that
	// subscribes at QoS 2 gets each result exactly once, also across broker restarts; or 1,
	// at least once, one round trip fewer per result.
	ResultQoS byte

	Log *slog.Logger // default: discard
}

// predictTimeout bounds how long one request may wait for the classifier, and
// drainTimeout how long shutdown waits for queued results to be sent.
const (
	predictTimeout = 10 * time.Second
	drainTimeout   = 5 * time.Second
)

// Stats counts what a Service did since it started.
type Stats struct {
	Requests    uint64 // classify messages received, duplicates included
	Answered    uint64 // results queued (labels and errors)
	Errors      uint64 // of which error results (malformed payloads, unknown models, failed predictions)
	Duplicates  uint64 // redeliveries of an id already answered, dropped
	Held        uint64 // requests delivered while stopping, left unacknowledged for the next start
	Connections uint64 // successful connections to the broker
	Connected   bool   // connected now
}

// Service connects a Classifier to an MQTT broker: it answers classify requests, publishes
// telemetry, Home Assistant discovery and its availability, and keeps doing so across broker
// restarts and network drops. Create it with New and start it with Run.
type Service struct {
	o   Options
	t   topics
	c   Classifier
	ts  TelemetrySource
	log *slog.Logger

	seen *window
	cm   atomic.Pointer[autopaho.ConnectionManager]
	ctx  atomic.Pointer[context.Context] // Run's context, for work started by incoming messages
	q    *memory.Queue                   // results waiting for the connection

	// stopped is set (under the write lock, so after every request being handled has queued
	// its result) when Run's context ends: requests delivered after that are neither answered
	// nor acknowledged (sess holds their acknowledgement back), so the broker keeps them in
	// the session for the next start.
	closeMu sync.RWMutex
	stopped bool
	sess    *holdSession

	requests, answered, errs, dups, held, conns atomic.Uint64
	connected                                   atomic.Bool

	mu          sync.Mutex
	lastTel     telemetryMsg
	lastTelTime time.Time
	modelsKey   string
}

// New checks the options and returns a Service that is not yet connected.
func New(o Options, c Classifier, ts TelemetrySource) (*Service, error) {
	if o.Broker == nil || o.Broker.URL == nil {
		return nil, errors.New("mqtt: no broker: give --mqtt mqtt://host:1883")
	}
	if c == nil {
		return nil, errors.New("mqtt: no classifier")
	}
	if err := CheckNode(o.Node); err != nil {
		return nil, err
	}
	if o.Root == "" {
		o.Root = DefaultRoot
	}
	if o.DiscoveryPrefix == "" {
		o.DiscoveryPrefix = DefaultDiscoveryPrefix
	}
	if err := CheckTopicLevel("topic root", o.Root); err != nil {
		return nil, err
	}
	if err := CheckTopicLevel("discovery prefix", o.DiscoveryPrefix); err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.TelemetryInterval, 30*time.Second)
	def(&o.TelemetryCheck, time.Second)
	def(&o.SessionExpiry, 24*time.Hour)
	def(&o.KeepAlive, 30*time.Second)
	def(&o.BackoffMin, 250*time.Millisecond)
	def(&o.BackoffMax, 30*time.Second)
	if o.BackoffMax < 2*o.BackoffMin {
		o.BackoffMax = 2 * o.BackoffMin
	}
	switch o.ResultQoS {
	case 0:
		o.ResultQoS = 2
	case 1, 2:
	default:
		return nil, fmt.Errorf("mqtt: result QoS %d: give 1 (at least once) or 2 (exactly once)", o.ResultQoS)
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.Board == "" {
		o.Board = "unknown board"
	}
	if o.Version == "" {
		o.Version = "devel"
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o, t: topics{root: o.Root, node: o.Node}, c: c, ts: ts, log: log.With("component", "mqtt"),
		seen: newWindow(o.DedupWindow), q: memory.New(), sess: newHoldSession()}, nil
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Answered: s.answered.Load(), Errors: s.errs.Load(),
		Duplicates: s.dups.Load(), Held: s.held.Load(), Connections: s.conns.Load(), Connected: s.connected.Load()}
}

// Backoff returns the reconnect delay before attempt n (0: none): capped exponential with
// full jitter, random in [lo, cap] with cap = min(hi, 2^n * lo).
func Backoff(n int, lo, hi time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	ceil := lo
	for i := 0; i < n && ceil < hi; i++ {
		ceil *= 2
	}
	ceil = min(ceil, hi)
	return lo + rand.N(ceil-lo+1)
}

// Run connects (retrying with backoff while the broker is down) and serves until ctx is
// cancelled; then it publishes "offline" and disconnects. Inference never waits on the
// network: results go through an in-memory queue that the connection drains, and
// telemetry is published from its own goroutine.
func (s *Service) Run(ctx context.Context) error {
	sessionExpiry := uint32(min(s.o.SessionExpiry/time.Second, 1<<32-1))
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{s.o.Broker.URL},
		TlsCfg:                        s.o.Broker.TLS,
		KeepAlive:                     uint16(min(s.o.KeepAlive/time.Second, 65535)),
		CleanStartOnInitialConnection: false,
		SessionExpiryInterval:         sessionExpiry,
		ReconnectBackoff:              func(n int) time.Duration { return Backoff(n, s.o.BackoffMin, s.o.BackoffMax) },
		ConnectTimeout:                10 * time.Second,
		ConnectUsername:               s.o.Broker.Username,
		ConnectPassword:               []byte(s.o.Broker.Password),
		WillMessage:                   &paho.WillMessage{Topic: s.t.status(), Payload: []byte(payloadOffline), QoS: 1, Retain: true},
		Queue:                         s.q,
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
			s.conns.Add(1)
			s.connected.Store(true)
			s.log.Info("connected", "broker", s.o.Broker.String(), "session_present", ca.SessionPresent)
			go s.onUp(ctx, cm)
		},
		OnConnectionDown: func() bool {
			s.connected.Store(false)
			s.log.Warn("disconnected", "broker", s.o.Broker.String())
			return true
		},
		OnConnectError: func(err error) {
			s.log.Warn("connect failed", "broker", s.o.Broker.String(), "err", err)
		},
		ClientConfig: paho.ClientConfig{
			Session:           s.sess,
			ClientID:          "edgewatt-" + s.o.Node,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){s.onPublish},
			OnClientError:     func(err error) { s.log.Warn("client error", "err", err) },
		},
	}
	s.ctx.Store(&ctx)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	cm, err := autopaho.NewConnection(runCtx, cfg)
	if err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	s.cm.Store(cm)
	var wg sync.WaitGroup
	wg.Go(func() { s.telemetryLoop(ctx) })
	<-ctx.Done()
	wg.Wait()
	// Drain: results of requests already acknowledged go out before the goodbye; requests
	// arriving from now on stay at the broker, unacknowledged, for the next start.
	s.closeMu.Lock()
	s.stopped = true
	s.closeMu.Unlock()
	select {
	case <-s.q.WaitForEmpty():
	case <-time.After(drainTimeout):
		s.log.Warn("results not sent before shutdown", "timeout", drainTimeout)
	}
	// Say goodbye, then disconnect. The goodbye is published twice because each is a
	// barrier (the broker handles a connection's packets in order, and answers in order):
	// the first, at QoS 2, completes after every result sent before it (the session sends
	// each PUBREL as its PUBREC arrives), so every result's request has been acknowledged
	// by the time it returns; the second, at QoS 1, completes after the broker has processed
	// those acknowledgements. Nothing is then left half-delivered in a session the next
	// process cannot finish, nor answered but unacknowledged, and nothing is lost when
	// closing a socket with unread data makes the kernel reset the connection, discarding
	// what the broker had received but not yet read.
	byeCtx, byeCancel := context.WithTimeout(runCtx, drainTimeout)
	for _, qos := range []byte{2, 1} {
		if _, err := cm.Publish(byeCtx, &paho.Publish{Topic: s.t.status(), Payload: []byte(payloadOffline), QoS: qos, Retain: true}); err != nil {
			s.log.Warn("goodbye not acknowledged: the last results may be lost", "err", err)
			break
		}
	}
	byeCancel()
	dctx, dcancel := context.WithTimeout(runCtx, 3*time.Second)
	defer dcancel()
	_ = cm.Disconnect(dctx)
	return nil
}

// onUp (re)subscribes and announces the node after every connection.
func (s *Service) onUp(ctx context.Context, cm *autopaho.ConnectionManager) {
	subs := []paho.SubscribeOptions{{Topic: s.t.classifyFilter(), QoS: 1}}
	if !s.o.NoDiscovery {
		subs = append(subs, paho.SubscribeOptions{Topic: s.o.DiscoveryPrefix + "/status", QoS: 1})
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: subs}); err != nil {
		s.log.Warn("subscribe failed", "err", err)
	}
	s.announce(ctx, cm)
}

// announce publishes (retained) discovery, info, telemetry and then "online".
func (s *Service) announce(ctx context.Context, cm *autopaho.ConnectionManager) {
	info := Info{Node: s.o.Node, Board: s.o.Board, Version: s.o.Version, DashboardURL: s.o.DashboardURL, Models: infoModels(s.c.Models())}
	pub := func(topic string, payload []byte, qos byte) {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := cm.Publish(pctx, &paho.Publish{Topic: topic, Payload: payload, QoS: qos, Retain: true}); err != nil {
			s.log.Warn("publish failed", "topic", topic, "err", err)
		}
	}
	if !s.o.NoDiscovery {
		d, err := discoveryPayload(s.t, info)
		if err == nil {
			pub(discoveryTopic(s.o.DiscoveryPrefix, s.o.Node), d, 1)
		}
	}
	if b, err := json.Marshal(info); err == nil {
		pub(s.t.info(), b, 1)
	}
	s.publishTelemetry(ctx, cm, true)
	pub(s.t.status(), []byte(payloadOnline), 1)
	s.mu.Lock()
	s.modelsKey = modelsKey(info.Models)
	s.mu.Unlock()
}

func modelsKey(ms []ModelInfo) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Name + "\x00" + m.SHA256 + "\x00" + strings.Join(m.Labels, "\x01") + "\x02")
	}
	return b.String()
}

// telemetryLoop publishes telemetry when it changes and at the interval, and announces
// again when the models change (a reload with new labels changes the event entity).
func (s *Service) telemetryLoop(ctx context.Context) {
	tick := time.NewTicker(s.o.TelemetryCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cm := s.cm.Load()
		s.mu.Lock()
		key := s.modelsKey
		s.mu.Unlock()
		if key != "" && key != modelsKey(infoModels(s.c.Models())) {
			s.announce(ctx, cm)
			continue
		}
		s.publishTelemetry(ctx, cm, false)
	}
}

func (s *Service) publishTelemetry(ctx context.Context, cm *autopaho.ConnectionManager, force bool) {
	var t Telemetry
	if s.ts != nil {
		t = s.ts.Telemetry()
	} else {
		t = Telemetry{Watts: nan, Joules: nan, MicrojoulesPerInference: nan, MicrojoulesPerInferenceTotal: nan, TemperatureC: nan}
	}
	now := time.Now()
	msg := newTelemetryMsg(now, t, s.c.Models())
	s.mu.Lock()
	due := force || s.lastTelTime.IsZero() || now.Sub(s.lastTelTime) >= s.o.TelemetryInterval || changed(s.lastTel, msg)
	s.mu.Unlock()
	if !due {
		return
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// QoS 0: only the latest value matters, and nothing is queued while the broker is away.
	if _, err := cm.Publish(pctx, &paho.Publish{Topic: s.t.telemetry(), Payload: b, QoS: 0, Retain: true}); err != nil {
		return
	}
	s.mu.Lock()
	s.lastTel, s.lastTelTime = msg, now
	s.mu.Unlock()
}

// onPublish handles every incoming message, in order, on paho's delivery goroutine; the
// message is acknowledged when it returns, after its result is queued.
func (s *Service) onPublish(pr paho.PublishReceived) (bool, error) {
	p := pr.Packet
	if !s.o.NoDiscovery && p.Topic == s.o.DiscoveryPrefix+"/status" {
		if bytes.Equal(bytes.TrimSpace(p.Payload), []byte(payloadOnline)) {
			if cm, ctx := s.cm.Load(), s.ctx.Load(); cm != nil && ctx != nil && (*ctx).Err() == nil {
				s.log.Info("home assistant online: announcing again")
				go s.announce(*ctx, cm)
			}
		}
		return true, nil
	}
	model, ok := s.t.modelOf(p.Topic)
	if !ok {
		return false, nil
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.stopped {
		s.sess.hold(p.PacketID) // for the next start
		s.held.Add(1)
		return true, nil
	}
	s.requests.Add(1)
	res, answer := s.handle(model, p.Payload)
	if !answer {
		s.dups.Add(1)
		return true, nil
	}
	s.publishResult(model, p, res)
	return true, nil
}

// handle decodes and classifies one request; answer is false for a duplicate.
func (s *Service) handle(model string, payload []byte) (res Result, answer bool) {
	req, err := DecodeRequest(payload, s.o.MaxPayload)
	if err != nil {
		id := idOf(payload)
		if id != nil && !s.seen.add(model+"\x00"+string(id)) {
			return Result{}, false
		}
		return Result{ID: id, Model: model, Error: err.Error()}, true
	}
	if req.ID != nil && !s.seen.add(model+"\x00"+string(req.ID)) {
		return Result{}, false
	}
	// The classifier may wait for a free inference slot (HTTP shares them); not forever.
	ctx, cancel := context.WithTimeout(context.Background(), predictTimeout)
	defer cancel()
	preds, err := s.c.Predict(ctx, model, []string{req.Text})
	if err == nil && len(preds) != 1 {
		err = fmt.Errorf("mqtt: the classifier returned %d predictions for one text", len(preds))
	}
	if err != nil {
		return Result{ID: req.ID, Model: model, Error: err.Error()}, true
	}
	return newResult(req.ID, model, preds[0]), true
}

// publishResult queues the result (at ResultQoS) for the connection to send: to the request's MQTT
// v5 response topic with its correlation data when it has one, else to .../<model>/result.
func (s *Service) publishResult(model string, req *paho.Publish, r Result) {
	if r.Error != "" {
		s.errs.Add(1)
	}
	b, err := json.Marshal(r)
	if err != nil {
		s.log.Error("encode result", "err", err)
		return
	}
	pub := &paho.Publish{Topic: s.t.result(model), Payload: b, QoS: s.o.ResultQoS}
	if req.Properties != nil && req.Properties.ResponseTopic != "" && !strings.ContainsAny(req.Properties.ResponseTopic, "+#") {
		pub.Topic = req.Properties.ResponseTopic
		pub.Properties = &paho.PublishProperties{CorrelationData: req.Properties.CorrelationData, ContentType: "application/json"}
	}
	cm := s.cm.Load()
	if cm == nil {
		return
	}
	s.sess.ackAfter(req.PacketID, pub.Topic, pub.Payload)
	if err := cm.PublishViaQueue(context.Background(), &autopaho.QueuePublish{Publish: pub}); err != nil {
		s.sess.forget(pub.Topic, pub.Payload)
		s.log.Error("queue result", "topic", pub.Topic, "err", err)
		return
	}
	s.answered.Add(1)
}

// holdSession is paho's in-memory session state with the acknowledgement of requests
// taken out of paho's hands. Paho acknowledges a message as soon as its handler returns;
// holdSession sends a request's PUBACK only once the broker has taken its result (PUBACK of
// a QoS 1 result, PUBCOMP of a QoS 2 one), so a node killed outright loses no acknowledged
// request: one whose result was still queued, or half-delivered, is delivered again by the
// broker to the next process. A request the node will not answer (it is stopping) is never
// acknowledged. Acknowledgements stay in the order the requests came, as MQTT requires,
// because results are published in that order and the broker answers in order.
type holdSession struct {
	*state.State

	mu       sync.Mutex
	held     map[uint16]bool     // requests whose automatic acknowledgement is suppressed
	pending  map[string][]uint16 // result (topic and payload) -> requests waiting for it to be sent
	inflight map[uint16]uint16   // result's packet id -> its request's packet id
}

func newHoldSession() *holdSession {
	return &holdSession{State: state.NewInMemory(), held: map[uint16]bool{}, pending: map[string][]uint16{}, inflight: map[uint16]uint16{}}
}

func resultKey(topic string, payload []byte) string { return topic + "\x00" + string(payload) }

// hold keeps request id unacknowledged: the broker delivers it again after a reconnection.
func (h *holdSession) hold(id uint16) {
	h.mu.Lock()
	h.held[id] = true
	h.mu.Unlock()
}

// ackAfter acknowledges request id once the result published on topic with payload has
// been taken by the broker. Call it before publishing the result.
func (h *holdSession) ackAfter(id uint16, topic string, payload []byte) {
	k := resultKey(topic, payload)
	h.mu.Lock()
	h.held[id] = true
	h.pending[k] = append(h.pending[k], id)
	h.mu.Unlock()
}

// forget drops a result that will not be published: its request stays unacknowledged.
func (h *holdSession) forget(topic string, payload []byte) {
	h.mu.Lock()
	h.pop(resultKey(topic, payload))
	h.mu.Unlock()
}

// pop takes the first request waiting for result k; h.mu must be held.
func (h *holdSession) pop(k string) (id uint16, ok bool) {
	ids := h.pending[k]
	if len(ids) == 0 {
		return 0, false
	}
	if len(ids) == 1 {
		delete(h.pending, k)
	} else {
		h.pending[k] = ids[1:]
	}
	return ids[0], true
}

// Ack is paho's automatic acknowledgement when a handler returns: suppressed for held
// requests.
func (h *holdSession) Ack(pb *packets.Publish) error {
	h.mu.Lock()
	held := h.held[pb.PacketID]
	delete(h.held, pb.PacketID)
	h.mu.Unlock()
	if held {
		return nil
	}
	return h.State.Ack(pb)
}

// AddToSession notes which request a result being sent answers, by the packet id the
// result is given.
func (h *holdSession) AddToSession(ctx context.Context, p session.Packet, resp chan<- packets.ControlPacket) error {
	if err := h.State.AddToSession(ctx, p, resp); err != nil {
		return err
	}
	if pub, ok := p.(*packets.Publish); ok && pub.QoS > 0 {
		h.mu.Lock()
		if req, ok := h.pop(resultKey(pub.Topic, pub.Payload)); ok {
			h.inflight[pub.PacketID] = req
		}
		h.mu.Unlock()
	}
	return nil
}

// PacketReceived acknowledges a request when the broker has taken its result.
func (h *holdSession) PacketReceived(recv *packets.ControlPacket, pubChan chan<- *packets.Publish) error {
	err := h.State.PacketReceived(recv, pubChan)
	var id uint16
	switch p := recv.Content.(type) {
	case *packets.Puback:
		id = p.PacketID
	case *packets.Pubcomp:
		id = p.PacketID
	case *packets.Pubrec:
		if p.ReasonCode < 0x80 {
			return err // taken at PUBCOMP: Mosquitto delivers a QoS 2 message on PUBREL
		}
		id = p.PacketID // refused: the flow ends here
	default:
		return err
	}
	h.mu.Lock()
	req, ok := h.inflight[id]
	delete(h.inflight, id)
	h.mu.Unlock()
	if ok {
		_ = h.State.Ack(&packets.Publish{QoS: 1, PacketID: req})
	}
	return err
}

// ConnectionLost forgets which results answer which requests: the broker delivers every
// unacknowledged request again on the next connection (where it is a duplicate, answered
// by acknowledging it), and a packet id may then name another request. held stays: each
// entry is consumed by paho's one Ack call for its delivery.
func (h *holdSession) ConnectionLost(dp *packets.Disconnect) error {
	h.mu.Lock()
	clear(h.pending)
	clear(h.inflight)
	h.mu.Unlock()
	return h.State.ConnectionLost(dp)
}
