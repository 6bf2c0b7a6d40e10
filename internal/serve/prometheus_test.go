package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPromtoolCheckMetrics runs Prometheus's own linter on /metrics after some traffic.
func TestPromtoolCheckMetrics(t *testing.T) {
	hostOnly(t)
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found: apt-get install -y prometheus")
	}
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	s := startServer(t, liveOptions(t, ModelSpec{"a", pa}), HTTPOptions{})
	for i := 0; i < 20; i++ {
		s.do(t, "POST", "/v1/predict", `{"texts": ["fire alarm", "hello"]}`, nil)
		s.do(t, "POST", "/v1/predict", `{"texts": 5}`, nil)
	}
	time.Sleep(300 * time.Millisecond) // a few power readings
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"edgewatt_predictions_total{", "edgewatt_inference_duration_seconds_bucket{", "edgewatt_http_request_duration_seconds_bucket{",
		"edgewatt_http_requests_in_flight", "edgewatt_model_info{", "edgewatt_board_power_watts{", "edgewatt_board_energy_joules_total{",
		"edgewatt_board_temperature_celsius", "edgewatt_board_throttled", "edgewatt_model_reloads_total{"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestPrometheusScrape starts a real Prometheus that scrapes the service (with its bearer
// token) and asks it, in PromQL, how many predictions were made.
func TestPrometheusScrape(t *testing.T) {
	hostOnly(t)
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not found: apt-get install -y prometheus")
	}
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	s := startServer(t, liveOptions(t, ModelSpec{"kitchen", pa}), HTTPOptions{Token: "tok"})
	const n = 37
	for i := 0; i < n; i++ {
		if code := s.do(t, "POST", "/v1/predict", `{"texts": ["fire alarm", "quiet", "hello"]}`, nil, "Authorization", "Bearer tok"); code != 200 {
			t.Fatalf("predict: %d", code)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	target := strings.TrimPrefix(s.url, "http://")
	os.WriteFile(filepath.Join(dir, "token"), []byte("tok"), 0o600)
	os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: edgewatt
    authorization:
      credentials_file: %s
    static_configs:
      - targets: ["%s"]
`, filepath.Join(dir, "token"), target)), 0o600)
	web := freePort(t)
	cmd := exec.Command(prom, "--config.file="+cfg, "--web.listen-address="+web, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stderr, cmd.Stdout = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	deadline := time.Now().Add(30 * time.Second)
	value := func(query string) (string, string) {
		resp, err := http.Get("http://" + web + "/api/v1/query?query=" + url.QueryEscape(query))
		if err != nil {
			return "", err.Error()
		}
		var r struct {
			Status string
			Data   struct {
				Result []struct {
					Value [2]any
				}
			}
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if json.Unmarshal(b, &r) != nil || r.Status != "success" || len(r.Data.Result) == 0 {
			return "", string(b)
		}
		return fmt.Sprint(r.Data.Result[0].Value[1]), ""
	}
	query := `sum(edgewatt_predictions_total{job="edgewatt",model="kitchen",outcome="ok"})`
	var last string
	for {
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never returned %d predictions: %s\n%s", 3*n, last, logs.String())
		}
		time.Sleep(500 * time.Millisecond)
		v, msg := value(query)
		if v == fmt.Sprint(3*n) {
			t.Logf("PromQL %s = %v", query, v)
			break
		}
		last = v + msg
	}
	// The README's joules-per-inference queries, from the counters, over traffic in the window.
	for i := 0; i < 40; i++ {
		s.do(t, "POST", "/v1/predict", `{"texts": ["fire alarm", "quiet", "hello"]}`, nil, "Authorization", "Bearer tok")
		time.Sleep(50 * time.Millisecond)
	}
	for _, q := range []string{PromQLJoulesPerInference, PromQLMarginalJoulesPerInference} {
		var v, msg string
		for time.Now().Before(deadline.Add(15 * time.Second)) {
			if v, msg = value(q); v != "" && v != "NaN" && v != "+Inf" {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			t.Errorf("PromQL %s: %q %s", q, v, msg)
			continue
		}
		t.Logf("PromQL %s = %s J", q, v)
	}
	if v, _ := value(PromQLJoulesPerInference); v != "" {
		if f, _ := strconv.ParseFloat(v, 64); f <= 0 {
			t.Errorf("total joules per inference %v, want > 0", v)
		}
	}
}
