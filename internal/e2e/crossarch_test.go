package e2e

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime"
)

// TestCrossArchPredict builds edgewatt for linux/arm64 and linux/arm (GOARM=6 and 7), runs
// 'edgewatt predict' under qemu-user on a real sarcasm model's held-out rows in float32 and
// int8, and checks that every binary gives the same labels as this host and scores within
// 1e-6 (the kernels sum in different orders: AVX2, NEON and pure Go round differently in
// the last bits, never more).
func TestCrossArchPredict(t *testing.T) {
	if goruntime.GOARCH != "amd64" || testing.Short() {
		t.Skip("SKIP: cross-architecture check runs from an amd64 host without -short")
	}
	texts, _ := heldOut(t)
	dir := fixturesDir(t, "h5-keras3.8-sarcasm-nisthachauhan")
	var in bytes.Buffer
	for _, s := range texts {
		b, _ := json.Marshal(map[string]string{"text": s})
		in.Write(append(b, '\n'))
	}
	targets := []struct{ name, goarch, goarm, qemu, cpu string }{
		{"arm64-cortex-a72", "arm64", "", "qemu-aarch64-static", "cortex-a72"},
		{"arm64-max", "arm64", "", "qemu-aarch64-static", "max"},
		{"armv7", "arm", "7", "qemu-arm-static", ""},
		{"armv6", "arm", "6", "qemu-arm-static", ""},
	}
	tmp := t.TempDir()
	bins := map[string]string{}
	for _, tg := range targets {
		if _, err := exec.LookPath(tg.qemu); err != nil {
			t.Fatalf("%s not found: apt-get install -y qemu-user-static (make test needs it)", tg.qemu)
		}
		key := tg.goarch + tg.goarm
		if bins[key] != "" {
			continue
		}
		out := filepath.Join(tmp, "edgewatt-"+key)
		cmd := exec.Command("go", "build", "-o", out, "github.com/edgewatt/edgewatt/cmd/edgewatt")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+tg.goarch, "GOARM="+tg.goarm)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", key, err, b)
		}
		bins[key] = out
	}
	for _, q := range []string{"f32", "int8"} {
		model := filepath.Join(tmp, "m-"+q+".safetensors")
		if _, err := convert.Convert(convert.Options{
			Model: filepath.Join(dir, "sarcasm_model.h5"), Tokenizer: filepath.Join(dir, "tokenizer.pickle"),
			MaxLen: 100, Padding: "post", Truncating: "pre", Quant: convert.QuantOptions{Scheme: q},
		}, model); err != nil {
			t.Fatal(err)
		}
		m, err := runtime.Load(model)
		if err != nil {
			t.Fatal(err)
		}
		p := m.NewPredictor()
		host := make([]runtime.Result, len(texts))
		for i, s := range texts {
			r := p.PredictText(s)
			host[i] = runtime.Result{Scores: append([]float32(nil), r.Scores...), Label: r.Label}
		}
		m.Close()
		for _, tg := range targets {
			args := []string{}
			if tg.cpu != "" {
				args = append(args, "-cpu", tg.cpu)
			}
			args = append(args, bins[tg.goarch+tg.goarm], "predict", "-m", model, "--jsonl")
			cmd := exec.Command(tg.qemu, args...)
			cmd.Stdin = bytes.NewReader(in.Bytes())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s %s: %v", tg.name, q, err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(texts) {
				t.Fatalf("%s %s: %d outputs for %d texts", tg.name, q, len(lines), len(texts))
			}
			var worst float64
			for i, l := range lines {
				var rec struct {
					Label string  `json:"label"`
					Score float64 `json:"score"`
				}
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("%s: line %d: %v", tg.name, i, err)
				}
				if want := []string{"0", "1"}[host[i].Label]; rec.Label != want {
					t.Fatalf("%s %s row %d: label %s, host %s", tg.name, q, i, rec.Label, want)
				}
				worst = max(worst, math.Abs(rec.Score-float64(host[i].Scores[0])))
			}
			if worst > 1e-6 {
				t.Fatalf("%s %s: max |score - host| = %.3g > 1e-6", tg.name, q, worst)
			}
			t.Logf("%s %s: %d rows, same labels, max |score - amd64| %.2g", tg.name, q, len(lines), worst)
		}
	}
}

func fixturesDir(t *testing.T, name string) string {
	t.Helper()
	d := fixtures.Require(t, name)
	return d
}
