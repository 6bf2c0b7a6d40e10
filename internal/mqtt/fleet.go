package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// Node is one node of the fleet as its retained status, info and telemetry describe it.
type Node struct {
	Node                 string      `json:"node"`
	Status               string      `json:"status"` // online, offline or unknown
	Board                string      `json:"board,omitempty"`
	Version              string      `json:"version,omitempty"`
	Dashboard            string      `json:"dashboard,omitempty"`
	Models               []ModelInfo `json:"models"`
	PowerW               *float64    `json:"power_w,omitempty"`
	EnergyWh             *float64    `json:"energy_wh,omitempty"`
	UJPerInference       *float64    `json:"uj_per_inference,omitempty"`
	UJPerInferenceTotal  *float64    `json:"uj_per_inference_total,omitempty"`
	PredictionsPerSecond *float64    `json:"predictions_per_second,omitempty"`
	TemperatureC         *float64    `json:"temperature_c,omitempty"`
	Throttled            bool        `json:"throttled"`
	LastSeen             time.Time   `json:"last_seen,omitzero"`
}

// Fleet is the live view of every node under a topic root, built from the broker's
// retained messages and kept current by the live ones. The broker is the whole backbone.
type Fleet struct {
	root    string
	mu      sync.Mutex
	nodes   map[string]*Node
	cm      *autopaho.ConnectionManager
	ready   chan struct{}
	once    sync.Once
	changed func() // called after each update, if set
}

// WatchFleet connects to the broker and follows root/+/status, root/+/info and
// root/+/telemetry until ctx is cancelled, calling changed (if not nil) after each update.
// Ready is closed once subscribed.
func WatchFleet(ctx context.Context, b *Broker, root string, changed func()) (*Fleet, error) {
	if root == "" {
		root = DefaultRoot
	}
	if err := CheckTopicLevel("topic root", root); err != nil {
		return nil, err
	}
	f := &Fleet{root: root, nodes: map[string]*Node{}, ready: make(chan struct{}), changed: changed}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{b.URL},
		TlsCfg:                        b.TLS,
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              func(n int) time.Duration { return Backoff(n, 250*time.Millisecond, 10*time.Second) },
		ConnectTimeout:                10 * time.Second,
		ConnectUsername:               b.Username,
		ConnectPassword:               []byte(b.Password),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			go func() {
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
					{Topic: root + "/+/status", QoS: 1},
					{Topic: root + "/+/info", QoS: 1},
					{Topic: root + "/+/telemetry", QoS: 0},
				}})
				if err == nil {
					f.once.Do(func() { close(f.ready) })
				}
			}()
		},
		ClientConfig: paho.ClientConfig{
			ClientID:          "edgewatt-fleet-" + hex.EncodeToString(rnd[:]),
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){f.onPublish},
		},
	}
	cm, err := autopaho.NewConnection(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("mqtt: fleet: %w", err)
	}
	f.cm = cm
	return f, nil
}

// Ready is closed when the subscription is in place (retained state then arrives at once).
func (f *Fleet) Ready() <-chan struct{} { return f.ready }

// Done is closed when the connection has shut down after ctx was cancelled.
func (f *Fleet) Done() <-chan struct{} { return f.cm.Done() }

func (f *Fleet) onPublish(pr paho.PublishReceived) (bool, error) {
	p := pr.Packet
	rest, ok := strings.CutPrefix(p.Topic, f.root+"/")
	if !ok {
		return false, nil
	}
	node, kind, ok := strings.Cut(rest, "/")
	if !ok || CheckNode(node) != nil {
		return false, nil
	}
	f.mu.Lock()
	n := f.nodes[node]
	if n == nil {
		n = &Node{Node: node, Status: "unknown", Models: []ModelInfo{}}
	}
	seen := time.Time{}
	if !p.Retain {
		seen = time.Now()
	}
	okMsg := true
	switch kind {
	case "status":
		switch s := strings.TrimSpace(string(p.Payload)); s {
		case payloadOnline, payloadOffline:
			n.Status = s
		case "": // retained status cleared
			n.Status = "unknown"
		default:
			okMsg = false
		}
	case "info":
		var in Info
		if json.Unmarshal(p.Payload, &in) != nil {
			okMsg = false
			break
		}
		n.Board, n.Version, n.Dashboard = in.Board, in.Version, in.DashboardURL
		n.Models = in.Models
		if n.Models == nil {
			n.Models = []ModelInfo{}
		}
	case "telemetry":
		var t telemetryMsg
		if json.Unmarshal(p.Payload, &t) != nil {
			okMsg = false
			break
		}
		n.PowerW, n.EnergyWh, n.UJPerInference, n.UJPerInferenceTotal = t.PowerW, t.EnergyWh, t.UJPerInference, t.UJPerInferenceTotal
		pps := t.PredictionsPerSecond
		n.PredictionsPerSecond = &pps
		n.TemperatureC, n.Throttled = t.TemperatureC, t.Throttled
		if t.Time.After(seen) {
			seen = t.Time
		}
		for i := range n.Models {
			if sha, ok := t.Models[n.Models[i].Name]; ok {
				n.Models[i].SHA256 = sha
			}
		}
	default:
		okMsg = false
	}
	if okMsg {
		if seen.After(n.LastSeen) {
			n.LastSeen = seen
		}
		f.nodes[node] = n
	}
	changed := f.changed
	f.mu.Unlock()
	if okMsg && changed != nil {
		changed()
	}
	return true, nil
}

// Nodes returns a copy of every node, sorted by id.
func (f *Fleet) Nodes() []Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Node, 0, len(f.nodes))
	for _, n := range f.nodes {
		c := *n
		c.Models = append([]ModelInfo{}, n.Models...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// WriteFleetJSON writes the nodes as one JSON array.
func WriteFleetJSON(w io.Writer, nodes []Node) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(nodes)
}

// WriteFleetTable writes the nodes as an aligned table; last seen is relative to now.
func WriteFleetTable(w io.Writer, nodes []Node, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATUS\tBOARD\tVERSION\tMODEL (SHA256)\tPOWER\tµJ/INF\tPRED/S\tTEMP\tLAST SEEN")
	for _, n := range nodes {
		models := make([]string, 0, len(n.Models))
		for _, m := range n.Models {
			sha := m.SHA256
			if len(sha) > 12 {
				sha = sha[:12]
			}
			models = append(models, m.Name+" ("+sha+")")
		}
		ms := strings.Join(models, ", ")
		if ms == "" {
			ms = "-"
		}
		status := n.Status
		if n.Throttled {
			status += " THROTTLED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Node, status, dash(n.Board), dash(n.Version), ms,
			num(n.PowerW, "%.2f W"), num(n.UJPerInference, "%.3f"), num(n.PredictionsPerSecond, "%.1f"), num(n.TemperatureC, "%.1f °C"), ago(n.LastSeen, now))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		d = 0
	case d < time.Second:
		return "now"
	}
	return d.Truncate(time.Second).String() + " ago"
}
