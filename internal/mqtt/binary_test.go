package mqtt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edgewatt/edgewatt/internal/testmodel"
)

// edgewattBinary builds cmd/edgewatt once per test binary (testmodel.Binary).
func edgewattBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the edgewatt binary; skipped with -short")
	}
	return testmodel.Binary(t)
}

var listenLine = regexp.MustCompile(`serve\.start .*\baddr=(\S+)`)

// serveNode starts 'edgewatt serve --mqtt' as a real process and waits for it to listen.
func serveNode(t *testing.T, bin, url, node string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := serveNodeAddr(t, bin, url, node, extra...)
	return cmd
}

// serveNodeAddr is serveNode, also returning the HTTP address it listens on.
func serveNodeAddr(t *testing.T, bin, url, node string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	args := append([]string{"serve", "-m", "smarthome=" + testModel(t), "--listen", "127.0.0.1:0", "--watch", "0",
		"--mqtt", url, "--mqtt-node", node, "--mqtt-telemetry-interval", "1s"}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	listening := make(chan struct{})
	var addr string
	var log bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			// The listening address: serve's "serve.start addr=HOST:PORT" log line.
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				once.Do(func() { addr = m[1]; close(listening) })
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case <-listening:
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("edgewatt serve did not start:\n%s", log.String())
	}
	return cmd, addr
}

// TestServeWithBrokerDown: with the broker unreachable, the service starts and answers HTTP
// at once; the MQTT side keeps retrying in the background and serves when the broker comes.
func TestServeWithBrokerDown(t *testing.T) {
	br := startMosquitto(t)
	br.kill(syscall.SIGTERM)
	bin := edgewattBinary(t)
	_, addr := serveNodeAddr(t, bin, br.url(), "patient", "--power", "none")
	for i := range 20 { // requests while the broker is away
		resp, err := http.Post("http://"+addr+"/v1/predict", "application/json", strings.NewReader(`{"text": "Smoke detected in the kitchen"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("urgent")) {
			t.Fatalf("HTTP predict %d with the broker down: %d %s", i, resp.StatusCode, body)
		}
	}
	br.start()
	tp := topics{root: "edgewatt", node: "patient"}
	c := newClient(t, br.broker(), "w", false, tp.status(), tp.result("smarthome"))
	for string(c.next(t, tp.status(), 20*time.Second).Payload) != "online" {
	}
	c.publish(t, tp.classify("smarthome"), []byte("Water leak detected under the sink"))
	if r := decodeResult(t, c.next(t, tp.result("smarthome"), 10*time.Second)); r.Label != "urgent" {
		t.Errorf("%+v", r)
	}
	// The bridge's counters are on serve's /metrics.
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"edgewatt_mqtt_requests_total 1\n", "edgewatt_mqtt_results_total 1\n", "edgewatt_mqtt_connected 1\n", "edgewatt_mqtt_connections_total 1\n"} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
}

// TestLastWillOnSIGKILL: the real binary, killed with SIGKILL, is reported offline by the
// broker through its last will; requests sent while it is down are answered once it is
// started again (its persistent session queued them).
func TestLastWillOnSIGKILL(t *testing.T) {
	br := startMosquitto(t)
	bin := edgewattBinary(t)
	tp := topics{root: "edgewatt", node: "victim"}
	c := newClient(t, br.broker(), "watcher", false, tp.status(), tp.result("smarthome"))
	cmd := serveNode(t, bin, br.url(), "victim", "--power", "none")
	for string(c.next(t, tp.status(), 15*time.Second).Payload) != "online" {
	}
	// It serves: a request through the broker to the real binary.
	c.publish(t, tp.classify("smarthome"), []byte(`{"text": "Smoke detected in the kitchen, evacuate now", "id": "k"}`))
	if r := decodeResult(t, c.next(t, tp.result("smarthome"), 10*time.Second)); r.Label != "urgent" || string(r.ID) != `"k"` {
		t.Fatalf("result %+v", r)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if p := c.next(t, tp.status(), 10*time.Second); string(p.Payload) != "offline" {
		t.Fatalf("status after SIGKILL: %q, want offline", p.Payload)
	}
	// Retained: a newcomer sees it too.
	c2 := newClient(t, br.broker(), "late-watcher", false, tp.status())
	if p := c2.next(t, tp.status(), 10*time.Second); string(p.Payload) != "offline" || !p.Retain {
		t.Errorf("retained status %q (retain %v), want offline", p.Payload, p.Retain)
	}
	// Requests sent while the node is down wait in its session at the broker and are
	// answered when it is back. So may "k" be, again: the node acknowledges a request once
	// the broker has taken its result, and the kill may fall between the two (at least once).
	const n = 20
	for i := range n {
		c.publish(t, tp.classify("smarthome"), fmt.Appendf(nil, `{"text": "The dishwasher finished its cycle", "id": %d}`, i))
	}
	serveNode(t, bin, br.url(), "victim", "--power", "none")
	got := map[string]bool{}
	for len(got) < n {
		r := decodeResult(t, c.next(t, tp.result("smarthome"), 20*time.Second))
		if string(r.ID) == `"k"` && r.Label == "urgent" {
			t.Log(`"k", answered just before the kill, answered again by the restarted node`)
			continue
		}
		if r.Label != "routine" {
			t.Errorf("queued request %s: %+v", r.ID, r)
		}
		got[string(r.ID)] = true
	}
}

// TestFleetJSONTwoNodes: two real 'edgewatt serve --mqtt' processes with different node ids
// are both listed by 'edgewatt fleet --json', with their model's sha256, version and (for
// the node measuring a replayed power trace) power.
func TestFleetJSONTwoNodes(t *testing.T) {
	br := startMosquitto(t)
	bin := edgewattBinary(t)
	c := newClient(t, br.broker(), "watcher", false, "edgewatt/+/status", "edgewatt/+/telemetry")
	serveNode(t, bin, br.url(), "pi-a", "--power", "replay:../../examples/smarthome/pi4-power-trace.csv")
	serveNode(t, bin, br.url(), "pi-b", "--power", "none")
	online := map[string]bool{}
	powered := false
	deadline := time.After(20 * time.Second)
	for len(online) < 2 || !powered {
		select {
		case p := <-c.msgs:
			node := strings.Split(p.Topic, "/")[1]
			if strings.HasSuffix(p.Topic, "/status") && string(p.Payload) == "online" {
				online[node] = true
			}
			if node == "pi-a" && strings.HasSuffix(p.Topic, "/telemetry") && bytes.Contains(p.Payload, []byte(`"power_w"`)) {
				powered = true
			}
		case <-deadline:
			t.Fatalf("online %v, power seen %v", online, powered)
		}
	}
	out, err := exec.Command(bin, "fleet", "--mqtt", br.url(), "--json", "--wait", "1s").Output()
	if err != nil {
		t.Fatalf("edgewatt fleet --json: %v", err)
	}
	var nodes []Node
	if err := json.Unmarshal(out, &nodes); err != nil {
		t.Fatalf("fleet --json output %q: %v", out, err)
	}
	sha := newRuntimeClassifier(t, "smarthome").m.Meta.SHA256
	if len(nodes) != 2 || nodes[0].Node != "pi-a" || nodes[1].Node != "pi-b" {
		t.Fatalf("fleet: %s", out)
	}
	for _, n := range nodes {
		if n.Status != "online" || len(n.Models) != 1 || n.Models[0].Name != "smarthome" || n.Models[0].SHA256 != sha ||
			n.Version == "" || n.Board == "" || n.LastSeen.IsZero() || n.PredictionsPerSecond == nil {
			t.Errorf("node %+v", n)
		}
	}
	if nodes[0].PowerW == nil || *nodes[0].PowerW <= 0 || nodes[1].PowerW != nil {
		t.Errorf("power: pi-a %v (replayed trace), pi-b %v (none): %s", nodes[0].PowerW, nodes[1].PowerW, out)
	}
	// The table form lists both too.
	tab, err := exec.Command(bin, "fleet", "--mqtt", br.url(), "--once", "--wait", "500ms").Output()
	if err != nil || !bytes.Contains(tab, []byte("pi-a")) || !bytes.Contains(tab, []byte("pi-b")) {
		t.Errorf("fleet --once: %v\n%s", err, tab)
	}
}

// TestSIGKILLMidStream: the real binary, killed with SIGKILL in the middle of a stream of
// 1,000 requests and started again, loses none: a request is acknowledged only once the
// broker has taken its result, so every request whose result was still queued or in flight
// when the process died is delivered again to the next one. Requests answered in the
// instant before the kill may be answered twice (QoS 1 is at least once; ids are
// remembered per process).
func TestSIGKILLMidStream(t *testing.T) {
	const n = 1000
	br := startMosquitto(t)
	bin := edgewattBinary(t)
	tp := topics{root: "edgewatt", node: "crasher"}
	c := newClient(t, br.broker(), "crash-requester", true, tp.status(), tp.result("smarthome"))
	cmd := serveNode(t, bin, br.url(), "crasher", "--power", "none")
	for string(c.next(t, tp.status(), 15*time.Second).Payload) != "online" {
	}
	go stream(c, tp.classify("smarthome"), n, 20, func(i int) []byte {
		return fmt.Appendf(nil, `{"text": "Smoke detected in the kitchen", "id": %d}`, i)
	})
	got := collect(t, c, tp.result("smarthome"), n, n/4, func() {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		serveNode(t, bin, br.url(), "crasher", "--power", "none")
	}, 60*time.Second)
	twice := 0
	for id, rs := range got {
		for _, r := range rs {
			if r.Label != "urgent" {
				t.Errorf("request %s: label %q", id, r.Label)
			}
		}
		if len(rs) > 1 {
			twice++
		}
	}
	t.Logf("%d of %d ids answered after a SIGKILL mid-stream; %d of them twice", len(got), n, twice)
}
