package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewatt/edgewatt/internal/testmodel"
	ewrt "github.com/edgewatt/edgewatt/runtime"
)

// Two models that answer differently: A (seed 1, routine/urgent), B (seed 2, calm/alert).
var (
	optA = testmodel.Options{Seed: 1}
	optB = testmodel.Options{Seed: 2, Labels: []string{"calm", "alert"}}
)

func writeModel(t testing.TB, dir, name string, o testmodel.Options) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := testmodel.Write(p, o); err != nil {
		t.Fatal(err)
	}
	return p
}

// reference predicts with the runtime directly, for comparison with the server's answers.
type reference struct {
	sha    string
	labels []string
	m      *ewrt.Model
	p      *ewrt.Predictor
	shared bool // make a predictor per call (concurrent use)
}

func (r *reference) pred() *ewrt.Predictor {
	if r.shared {
		return r.m.NewPredictor()
	}
	return r.p
}

func newReference(t testing.TB, path string) *reference {
	t.Helper()
	m, err := ewrt.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &reference{sha: m.Meta.SHA256, labels: m.Labels(), m: m, p: m.NewPredictor()}
}

func (r *reference) text(s string) (string, []float32) {
	res := r.pred().PredictText(s)
	return r.labels[res.Label], append([]float32(nil), res.Scores...)
}

func (r *reference) ids(ids []int32) (string, []float32) {
	res := r.pred().PredictIDs(ids)
	return r.labels[res.Label], append([]float32(nil), res.Scores...)
}

// server is a Service running behind Run on a loopback port.
type server struct {
	svc  *Service
	url  string
	stop context.CancelFunc
	done chan error
	c    *http.Client
}

func startServer(t testing.TB, opt Options, ho HTTPOptions) *server {
	t.Helper()
	svc, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ho.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{svc: svc, url: "http://" + ln.Addr().String(), stop: cancel, done: make(chan error, 1),
		c: &http.Client{Timeout: 10 * time.Second}}
	if ho.TLSCert != "" {
		s.url = "https://" + ln.Addr().String()
	}
	go func() { s.done <- Run(ctx, svc, ho) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return within 10 s of cancellation")
		}
	})
	return s
}

// do sends a request and decodes the JSON answer into v (if not nil); it returns the status.
func (s *server) do(t testing.TB, method, path, body string, v any, hdr ...string) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type errBody struct {
	Error string `json:"error"`
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
