package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
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
	trace := filepath.Join("..", "energy", "testdata", "three-models.csv")
	var so, se bytes.Buffer
	err := Run([]string{"bench", "--energy", "--models", strings.Join(models, ","), "--power", "replay:" + trace,
		"--windows", "2", "--window", "50ms", "--grid-intensity", "100", "--json", "--chart", chart}, nil, &so, &se)
	if err != nil {
		t.Fatalf("bench --energy: %v\nstderr:\n%s", err, se.String())
	}
	var res struct {
		Replay        bool    `json:"replay"`
		GridIntensity float64 `json:"grid_intensity_g_per_kwh"`
		IdlePowerW    float64 `json:"idle_power_w"`
		Models        []struct {
			Model    string `json:"model"`
			Used     int    `json:"windows_in_median"`
			Marginal struct {
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
	if !res.Replay || res.GridIntensity != 100 || len(res.Models) != 2 || len(res.Windows) != 4 {
		t.Fatalf("replay=%v grid=%v models=%d windows=%d; want a replay at 100 g/kWh, 2 models, 4 windows",
			res.Replay, res.GridIntensity, len(res.Models), len(res.Windows))
	}
	if res.IdlePowerW < 1.99 || res.IdlePowerW > 2.01 {
		t.Errorf("idle power %v W, want the trace's 2.0 W", res.IdlePowerW)
	}
	// 50 ms windows from 50 ms to 250 ms lie in the trace's first 2 s, all at the idle 2.0 W:
	// nothing above idle, so the marginal energy is 0 and the total is 2 W / rate.
	for i, m := range res.Models {
		if want := "sarcasm-" + []string{"f32", "f16"}[i]; m.Model != want || m.Used != 2 || m.Total.Median <= 0 || m.Marginal.Median != 0 {
			t.Errorf("model %d: %q, %d windows in median, %v µJ marginal, %v total; want %q, 2, 0, > 0",
				i, m.Model, m.Used, m.Marginal.Median, m.Total.Median, want)
		}
	}
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, new(struct{})); err != nil || !bytes.Contains(b, []byte(`class="window load"`)) {
		t.Errorf("chart is not an SVG with load windows (%v)", err)
	}
}

func TestBenchEnergyTable(t *testing.T) {
	models := sarcasmModels(t)[:1]
	var so, se bytes.Buffer
	err := Run([]string{"bench", "-m", models[0], "--energy", "--power", "replay:../energy/testdata/idle-load.csv",
		"--windows", "1", "--window", "20ms"}, nil, &so, &se)
	if err != nil {
		t.Fatalf("bench --energy: %v\n%s", err, se.String())
	}
	for _, want := range []string{"sarcasm-f32", "µJ/inference, marginal", "CodeCarbon's world average", "kernels"} {
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
