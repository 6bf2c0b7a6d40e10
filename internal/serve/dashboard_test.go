package serve

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"periph.io/x/conn/v3/physic"
)

// replayTrace is a synthetic power trace: 2.7 W idle with a 3.9 W plateau, 10 samples a second.
func replayTrace(t testing.TB) *board.Trace {
	var b strings.Builder
	for i := 0; i < 600; i++ {
		w := 2.7
		if i%200 >= 100 {
			w = 3.9
		}
		fmt.Fprintf(&b, "%.1f,%.3f\n", float64(i)/10, w)
	}
	tr, err := board.ParseTrace(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// liveOptions is a service with a replayed power trace and fixed board conditions.
func liveOptions(t testing.TB, models ...ModelSpec) Options {
	return Options{
		Models:        models,
		Power:         board.NewReplay("replay:test", replayTrace(t), time.Now(), false),
		PowerInterval: 100 * time.Millisecond,
		Conditions: func() (board.Conditions, error) {
			return board.Conditions{Temp: physic.ZeroCelsius + 47500*physic.MilliKelvin, HasTemp: true, HasThrottled: true}, nil
		},
		Energy: EnergyOptions{IdleMin: 300 * time.Millisecond, Settle: 100 * time.Millisecond, Window: 10 * time.Second},
	}
}

func chromium(t *testing.T) string {
	t.Helper()
	hostOnly(t)
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: apt-get install -y chromium")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.Command(bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("chromium did not finish within 60 s\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return out
}

// TestDashboardChromium loads the dashboard in headless Chromium: it must show the live
// inference count and the model's sha256, and a phone-width screenshot must show every chart.
func TestDashboardChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	pa := writeModel(t, dir, "a.safetensors", optA)
	ref := newReference(t, pa)
	s := startServer(t, liveOptions(t, ModelSpec{"kitchen", pa}), HTTPOptions{Token: "tok"})
	// Some traffic, then a quiet stretch (the idle baseline), then more traffic.
	burst := func(n int) {
		for i := 0; i < n; i++ {
			var r v1Response
			if code := s.do(t, "POST", "/v1/predict", `{"texts": ["fire alarm", "quiet kitchen", "hello"]}`, &r, "Authorization", "Bearer tok"); code != 200 {
				t.Fatalf("predict: %d", code)
			}
		}
	}
	for i := 0; i < 6; i++ {
		burst(40)
		time.Sleep(150 * time.Millisecond)
	}
	time.Sleep(600 * time.Millisecond)
	for i := 0; i < 6; i++ {
		burst(40)
		time.Sleep(150 * time.Millisecond)
	}
	want := s.svc.Telemetry().Inferences
	url := s.url + "/#token=tok"

	// A browser starved of CPU by a busy machine may render before its first fetch returns:
	// give it three tries.
	var dom string
	for try := 0; try < 3; try++ {
		dom = string(runChromium(t, bin, "--virtual-time-budget=5000", "--dump-dom", url))
		if strings.Contains(dom, `data-loaded="1"`) {
			break
		}
	}
	if !strings.Contains(dom, `data-loaded="1"`) {
		t.Fatalf("the dashboard did not load its data:\n%.2000s", dom)
	}
	m := regexp.MustCompile(`id="inferences">(\d+)<`).FindStringSubmatch(dom)
	if m == nil || m[1] != fmt.Sprint(want) {
		t.Errorf("inferences shown: %v, want %d", m, want)
	}
	if !strings.Contains(dom, ref.sha) {
		t.Errorf("the dashboard does not show the model's sha256 %s", ref.sha)
	}
	for _, id := range []string{"chart-power", "chart-rate", "chart-uj", "chart-latency", "chart-temp"} {
		m := regexp.MustCompile(`id="` + id + `"[^>]*data-points="(\d+)"`).FindStringSubmatch(dom)
		if m == nil || m[1] == "0" {
			t.Errorf("chart %s drew no points (%v)", id, m)
		}
	}
	if w := regexp.MustCompile(`id="watts">([0-9.]+)<`).FindStringSubmatch(dom); w == nil {
		t.Errorf("no power shown")
	}

	shot := filepath.Join(t.TempDir(), "phone.png")
	// Every chart's line colour must appear in the phone-sized viewport.
	colors := map[string][3]int{"power": {0xff, 0x6b, 0x35}, "predictions/s": {0x17, 0xbe, 0xbb}, "µJ/inference": {0xff, 0xc9, 0x14},
		"latency p50": {0x76, 0xd0, 0x43}, "latency p99": {0xc7, 0x7d, 0xff}, "temperature": {0x4e, 0xa8, 0xff}}
	var img image.Image
	for try := 0; try < 3; try++ {
		runChromium(t, bin, "--virtual-time-budget=5000", "--window-size=390,844", "--screenshot="+shot, url)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err = png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		all := true
		for _, c := range colors {
			all = all && countColor(img, c) >= 15
		}
		if all {
			break
		}
	}
	if b := img.Bounds(); b.Dx() != 390 || b.Dy() != 844 {
		t.Errorf("screenshot is %v, want 390x844", b)
	}
	for name, c := range colors {
		if n := countColor(img, c); n < 15 {
			t.Errorf("the %s chart's colour has %d pixels in the 390x844 screenshot", name, n)
		}
	}
	if testing.Verbose() {
		if out := os.Getenv("EDGEWATT_SCREENSHOT"); out != "" {
			b, _ := os.ReadFile(shot)
			os.WriteFile(out, b, 0o644)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// countColor counts the pixels within 12 levels of c in each channel.
func countColor(img image.Image, c [3]int) int {
	b, n := img.Bounds(), 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-c[0]) < 12 && abs(int(g>>8)-c[1]) < 12 && abs(int(bl>>8)-c[2]) < 12 {
				n++
			}
		}
	}
	return n
}
