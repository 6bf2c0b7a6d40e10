package serve

import (
	"github.com/edgewatt/edgewatt/internal/testmodel"

	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestDrain cancels Run (what SIGTERM does) while a request is in flight: the request still
// gets its answer, new connections are refused, and Run returns nil.
func TestDrain(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	s := startServer(t, Options{Models: []ModelSpec{{"a", pa}}}, HTTPOptions{})
	addr := strings.TrimPrefix(s.url, "http://")
	conn, resp := slowRequest(t, addr)
	// Wait until the server has the request in flight.
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(s.svc.met.inflight) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the handler")
		}
		time.Sleep(time.Millisecond)
	}
	s.stop()
	time.Sleep(100 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("a new connection was accepted while draining")
	}
	finishSlowRequest(t, conn, resp)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Run after drain: %v", err)
		}
		s.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
}

const slowBody = `{"text": "fire alarm in the kitchen"}`

// slowRequest sends the headers and half the body of a predict request.
func slowRequest(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(slowBody), slowBody[:10])
	return conn, bufio.NewReader(conn)
}

func finishSlowRequest(t *testing.T, conn net.Conn, br *bufio.Reader) {
	t.Helper()
	if _, err := io.WriteString(conn, slowBody[10:]); err != nil {
		t.Fatalf("finishing the request: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	defer resp.Body.Close()
	var r v1Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || len(r.Predictions) != 1 {
		t.Fatalf("the in-flight request: %d %+v %v", resp.StatusCode, r, err)
	}
}

// edgewattBinary builds cmd/edgewatt once for the tests that run the real binary. They
// skip when the go command is missing or the tests run under qemu for another architecture.
func edgewattBinary(t *testing.T) string {
	t.Helper()
	hostOnly(t)
	return testmodel.Binary(t)
}

// hostOnly skips tests that start other programs or measure performance when the test
// binary runs under qemu-user for another architecture (make test-cross).
func hostOnly(t *testing.T) {
	t.Helper()
	out, err := exec.Command("uname", "-m").Output()
	if err != nil {
		t.Skipf("uname -m: %v", err)
	}
	m := strings.TrimSpace(string(out))
	want := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if runtime.GOARCH == "arm" {
		if strings.HasPrefix(m, "arm") {
			return
		}
	} else if m == want {
		return
	}
	t.Skipf("runs on the host only: this test binary is %s on a %s machine (qemu-user)", runtime.GOARCH, m)
}

// startBinary runs 'edgewatt serve' with args on a free loopback port and returns its
// process and base URL once it answers.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, string, *strings.Builder) {
	t.Helper()
	bin := edgewattBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, url, &stderr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("edgewatt serve did not become ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

// TestSIGTERMDrainBinary sends SIGTERM to the real binary while a request is in flight: the
// request completes and the process exits 0.
func TestSIGTERMDrainBinary(t *testing.T) {
	dir := t.TempDir()
	pa := writeModel(t, dir, "a.safetensors", optA)
	refB := newReference(t, writeModel(t, dir, "b.ref", optB))
	cmd, url, stderr := startBinary(t, "-m", pa, "--power", "none", "--watch", "0")

	// SIGHUP reloads the replaced file (the file watch is off).
	writeModel(t, dir, "a.safetensors", optB)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var models struct{ Models []ModelInfo }
		resp, err := http.Get(url + "/v1/models")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&models)
			resp.Body.Close()
		}
		if len(models.Models) == 1 && models.Models[0].SHA256 == refB.sha {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload the model: %+v\n%s", models, stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, br := slowRequest(t, strings.TrimPrefix(url, "http://"))
	// Wait until the server is inside the handler, reading the body: the gauge counts the
	// slow request and the /metrics request asking.
	inflight := regexp.MustCompile(`(?m)^edgewatt_http_requests_in_flight (\d+)`)
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(url + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if m := inflight.FindSubmatch(b); m != nil {
				if n, _ := strconv.Atoi(string(m[1])); n >= 2 {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow request never reached the handler")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	finishSlowRequest(t, conn, br)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("edgewatt serve exited with %v after SIGTERM\n%s", err, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("edgewatt serve did not exit after SIGTERM\n%s", stderr)
	}
	log := stderr.String()
	for _, ev := range []string{"msg=serve.start", "msg=serve.reload signal=SIGHUP", "msg=model.reload model=a", "outcome=ok", "msg=serve.drain", "msg=serve.stop"} {
		if !strings.Contains(log, ev) {
			t.Errorf("log lacks %s:\n%s", ev, log)
		}
	}
}
