package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/fixtures"
)

// sarcasmModels converts the Keras 2.4 sarcasm fixture to f32 and f16 model files.
func sarcasmModels(t *testing.T) []string {
	t.Helper()
	dir := fixtures.Require(t, "h5-keras2.4-sarcasm-k4u5h4l")
	var out []string
	for _, q := range []string{"f32", "f16"} {
		p := filepath.Join(t.TempDir(), "sarcasm-"+q+".safetensors")
		var so, se bytes.Buffer
		err := Run([]string{"convert", filepath.Join(dir, "sarcasm_model.h5"), "--tokenizer", filepath.Join(dir, "tokenizer.derived.json"),
			"-o", p, "--quant", q, "--padding", "post", "--truncating", "post"}, nil, &so, &se)
		if err != nil {
			t.Fatalf("convert %s: %v\n%s", q, err, se.String())
		}
		out = append(out, p)
	}
	return out
}

func TestBenchEnergyReplay(t *testing.T) {
	models := sarcasmModels(t)
	chart := filepath.Join(t.TempDir(), "energy.svg")
	// one-model-per-window layout of the three-models trace: idle 0-2 s, windows at 2-4 s
	// and 4-6 s (3.5 W and 3.0 W), idle 8-10 s.
	trace := filepath.Join("..", "energy", "testdata", "three-models.csv")
	var so, se bytes.Buffer
	err := Run([]string{"bench", "--energy", "--models", strings.Join(models, ","), "--power", "replay:" + trace,
		"--windows", "1", "--window", "2s", "--settle", "0", "--threads", "2", "--grid-intensity", "100", "--json", "--chart", chart}, nil, &so, &se)
	if err != nil {
		// The idle window after the round (6-8 s) holds int8's 2.6 W load: the baseline
		// drifts, which the notes report; the run is still complete.
		t.Fatalf("bench --energy: %v\nstderr:\n%s", err, se.String())
	}
	var res struct {
		Provenance struct {
			Power, Trace, Host, Summary string
			Rates                       string `json:"inference_rate"`
			TraceDescription            string `json:"trace_description"`
		} `json:"provenance"`
		Replay        bool    `json:"replay"`
		Threads       int     `json:"threads"`
		GridIntensity float64 `json:"grid_intensity_g_per_kwh"`
		IdlePowerW    float64 `json:"idle_power_w"`
		Models        []struct {
			Model    string `json:"model"`
			Threads  int    `json:"threads"`
			Used     int    `json:"windows_in_median"`
			Marginal *struct {
				Median float64 `json:"median"`
			} `json:"marginal_uj_per_inference"`
			Total struct {
				Median float64 `json:"median"`
			} `json:"total_uj_per_inference"`
		} `json:"models"`
		Windows []json.RawMessage `json:"windows"`
	}
	if err := json.Unmarshal(so.Bytes(), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, so.String())
	}
	if !res.Replay || res.GridIntensity != 100 || len(res.Models) != 2 || len(res.Windows) != 2 || res.Threads != 2 {
		t.Fatalf("replay=%v grid=%v models=%d windows=%d threads=%d; want a replay at 100 g/kWh, 2 models, 2 windows, 2 threads",
			res.Replay, res.GridIntensity, len(res.Models), len(res.Windows), res.Threads)
	}
	p := res.Provenance
	if p.Power != "replayed" || p.Rates != "host" || !strings.Contains(p.TraceDescription, "Synthetic demo") || !strings.Contains(p.Summary, "REPLAYED") || !strings.Contains(p.Host, "CPUs") {
		t.Errorf("provenance %+v; want replayed power, the host's rate, the trace's description", p)
	}
	if res.IdlePowerW < 1.99 || res.IdlePowerW > 2.01 {
		t.Errorf("idle power %v W, want the trace's 2.0 W", res.IdlePowerW)
	}
	for i, m := range res.Models {
		if want := "sarcasm-" + []string{"f32", "f16"}[i]; m.Model != want || m.Used != 1 || m.Total.Median <= 0 || m.Marginal == nil || m.Marginal.Median <= 0 || m.Threads != 2 {
			t.Errorf("model %d: %+v; want %q, 1 window in median, marginal and total > 0, 2 threads", i, m, want)
		}
	}
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, new(struct{})); err != nil || !bytes.Contains(b, []byte(`class="window load"`)) || !bytes.Contains(b, []byte("REPLAYED")) {
		t.Errorf("chart is not an SVG with load windows and the provenance (%v)", err)
	}
}

// TestBenchEnergyIdleAboveLoad: a trace whose idle windows read higher than its load (the
// schedule does not fit the trace) gives no marginal figure and a non-zero exit.
func TestBenchEnergyIdleAboveLoad(t *testing.T) {
	models := sarcasmModels(t)[:1]
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("# idle windows at 4 W, load at 3 W\ntime_s,watts\n")
	for i := 0; i <= 140; i++ {
		w := 4.0
		if sec := float64(i) / 10; (sec >= 2 && sec < 4) || (sec >= 6 && sec < 8) {
			w = 3.0
		}
		fmt.Fprintf(&b, "%.1f,%.1f\n", float64(i)/10, w)
	}
	trace := filepath.Join(dir, "inverted.csv")
	if err := os.WriteFile(trace, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	err := Run([]string{"bench", "-m", models[0], "--energy", "--power", "replay:" + trace,
		"--windows", "2", "--window", "2s", "--settle", "0", "--threads", "1"}, nil, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "partial") {
		t.Fatalf("err = %v, want partial results (non-zero exit)\n%s", err, so.String())
	}
	out := so.String()
	if !strings.Contains(out, "n/a (see notes)") || !strings.Contains(out, "not above the idle baseline") || strings.Contains(out, "marginal   -") {
		t.Errorf("table does not withhold the marginal:\n%s", out)
	}
}

func TestBenchEnergyTable(t *testing.T) {
	models := sarcasmModels(t)[:1]
	var so, se bytes.Buffer
	rec := filepath.Join(t.TempDir(), "rec.csv")
	err := Run([]string{"bench", "-m", models[0], "--energy", "--power", "replay:../energy/testdata/three-models.csv",
		"--windows", "1", "--window", "2s", "--settle", "0", "--per-core", "--threads", "2", "--record", rec}, nil, &so, &se)
	if err != nil {
		t.Fatalf("bench --energy: %v\n%s", err, se.String())
	}
	// The recording of a replay says it is one, and carries this run's rates.
	b, err := os.ReadFile(rec)
	if err != nil || !bytes.Contains(b, []byte("# Recorded by edgewatt bench --energy: a REPLAY of ../energy/testdata/three-models.csv, not a measurement")) ||
		!bytes.Contains(b, []byte("time_s,watts,temp_c,throttled,inferences_per_s")) {
		t.Errorf("--record wrote (%v):\n%.400s", err, b)
	}
	// An output that is an input is refused before anything runs.
	err = Run([]string{"bench", "-m", models[0], "--energy", "--power", "replay:" + rec, "--record", rec}, nil, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "is the input") {
		t.Errorf("--record onto the replayed trace: err = %v, want a refusal", err)
	}
	for _, want := range []string{"sarcasm-f32 (1 thread)", "sarcasm-f32 (2 threads)", "µJ/inference, marginal", "CodeCarbon's world average", "kernels",
		"numbers  REPLAYED power", "1 and 2 predictor(s)"} {
		if !strings.Contains(so.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, so.String())
		}
	}
}

func TestBenchEnergyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--energy"},
		{"bench", "--energy", "-m", "x.safetensors", "--chart", "c.png"},
		{"bench", "--energy", "-m", "x.safetensors", "--grid-intensity", "-1"},
		{"bench", "--energy", "-m", "x.safetensors", "--windows", "0"},
		{"bench", "--energy", "-m", "x.safetensors", "--window", "0s"},
		{"bench", "--energy", "-m", "x.safetensors", "--threads", "0"},
		{"bench", "--energy", "-m", "x.safetensors", "--settle", "soon"},
	} {
		var so, se bytes.Buffer
		err := Run(args, nil, &so, &se)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: error %v, want a usage error", args, err)
		}
	}
}

func TestBenchEnergyBadSource(t *testing.T) {
	models := sarcasmModels(t)[:1]
	var so, se bytes.Buffer
	err := Run([]string{"bench", "-m", models[0], "--energy", "--power", "replay:no-such-trace.csv"}, nil, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "no-such-trace.csv") {
		t.Errorf("error %v, want one naming the missing trace", err)
	}
}
