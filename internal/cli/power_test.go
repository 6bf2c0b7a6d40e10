package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/edgewatt/edgewatt/board"
)

const idleLoad = "../../board/testdata/replay/idle-load.csv"

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, strings.NewReader(""), &o, &e)
	return o.String(), e.String(), code
}

// lastEnergy returns energy_j of the last CSV row.
func lastEnergy(t *testing.T, csv string) (float64, int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 || lines[0] != "time_s,source,watts,volts,amps,temp_c,throttled,flags,energy_j" {
		t.Fatalf("CSV:\n%s", csv)
	}
	f := strings.Split(lines[len(lines)-1], ",")
	e, err := strconv.ParseFloat(f[len(f)-1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return e, len(lines) - 1
}

// TestPowerReplayIntegral: the trace's hand-computed integral (the file's comment):
// 2.9 x 2.7 + 0.45 + 4 x 6.3 + 0.45 + 2.9 x 2.7 = 41.76 J.
func TestPowerReplayIntegral(t *testing.T) {
	out, errOut, code := runCLI(t, "power", "--power", "replay:"+idleLoad, "--watch", "--csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	e, rows := lastEnergy(t, out)
	if rows != 101 || math.Abs(e-41.76)/41.76 > 0.005 {
		t.Errorf("%d rows, %v J; want 101 rows, 41.76 J within 0.5%%", rows, e)
	}
	if !strings.Contains(errOut, "101 readings over 10.000 s") {
		t.Errorf("summary on stderr: %q", errOut)
	}
}

// TestPowerReplayAnalytic replays P(t) = 3 + 2 sin t W at irregular times over 10 s; the
// exact energy is 30 + 2 (1 - cos 10) J.
func TestPowerReplayAnalytic(t *testing.T) {
	var b strings.Builder
	b.WriteString("time_s,watts\n")
	for i, tm := 0, 0.0; tm <= 10; i++ {
		fmt.Fprintf(&b, "%.4f,%.6f\n", tm, 3+2*math.Sin(tm))
		tm += 0.05 + 0.1*float64(i%3)/2 // 50, 100, 150 ms steps
	}
	fmt.Fprintf(&b, "10,%.6f\n", 3+2*math.Sin(10))
	path := filepath.Join(t.TempDir(), "sine.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "power", "--power=replay:"+path, "--watch", "--csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	e, _ := lastEnergy(t, out)
	want := 30 + 2*(1-math.Cos(10))
	if math.Abs(e-want)/want > 0.005 {
		t.Errorf("energy %v J, want %v J within 0.5%%", e, want)
	}
}

func TestPowerOnce(t *testing.T) {
	out, errOut, code := runCLI(t, "power", "--power", "replay:"+idleLoad)
	if code != 0 || !strings.Contains(out, "2.700 W") || !strings.Contains(out, "45.0 °C") || strings.Count(out, " W ") != 1 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "power", "--power", "replay:"+idleLoad, "--json", "--watch", "--count", "2")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"energy_j":0.27`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
}

// TestPowerAutoHere: on a machine without a sensor (this project's x86 box) auto says so,
// lists what it tried and how to get a source, and exits 0.
func TestPowerAutoHere(t *testing.T) {
	out, errOut, code := runCLI(t, "power")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "no power source found") {
		for _, w := range []string{"ina2xx:bus=1", "pmic", "hwmon", "powersupply", "rapl", "replay:"} {
			if !strings.Contains(out, w) {
				t.Errorf("output does not mention %s:\n%s", w, out)
			}
		}
	} else if !strings.Contains(out, "source: ") {
		t.Errorf("neither a reading nor an explanation:\n%s", out)
	}
}

func TestPowerErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"power", "--power", "bogus"}, 2, "unknown kind"},
		{[]string{"power", "--csv", "--json"}, 2, "exclude"},
		{[]string{"power", "--interval", "0s"}, 2, "positive"},
		{[]string{"power", "extra"}, 2, "unexpected argument"},
		{[]string{"power", "--power", "replay:/nonexistent.csv"}, 1, "existing CSV"},
		{[]string{"power", "--power", "ina219:shunt=abc"}, 1, "100mΩ"},
	} {
		_, errOut, code := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.msg)
		}
	}
	if _, err := os.Stat("/dev/i2c-7"); err != nil {
		_, errOut, code := runCLI(t, "power", "--power", "ina226:bus=7")
		if code != 1 || !strings.Contains(errOut, "do_i2c") {
			t.Errorf("missing bus: exit %d, %q", code, errOut)
		}
	}
}

func TestBoardHere(t *testing.T) {
	out, errOut, code := runCLI(t, "board")
	if code != 0 || !strings.HasPrefix(out, "board:") || !strings.Contains(out, "cores") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "board", "--json")
	if code != 0 || !strings.Contains(out, `"summary"`) || !strings.Contains(out, `"not_found"`) {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
}

func TestBoardFixture(t *testing.T) {
	out, errOut, code := runCLI(t, "board", "--root", "../../board/testdata/sys/pi4-armv7")
	for _, w := range []string{"Raspberry Pi 4 Model B Rev 1.1, 4 GiB", "c03111: Raspberry Pi 4B rev 1.1", "BCM2711", "Cortex-A72",
		"NEON yes, dot product no, fp16 no", "61.9 °C", "governor ondemand"} {
		if !strings.Contains(out, w) {
			t.Errorf("board output lacks %q:\n%s%s", w, out, errOut)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

// fakeSource plays scripted readings and errors.
type fakeSource struct {
	steps []fakeStep
	i     int
}

type fakeStep struct {
	r   board.Reading
	err error
}

func (f *fakeSource) Name() string            { return "fake" }
func (f *fakeSource) Interval() time.Duration { return time.Millisecond }
func (f *fakeSource) Close() error            { return nil }
func (f *fakeSource) Read() (board.Reading, error) {
	if f.i >= len(f.steps) {
		return board.Reading{}, io.EOF
	}
	s := f.steps[f.i]
	f.i++
	return s.r, s.err
}

// TestWatchCounterAndBusError: a counter source (RAPL-like) integrates by counter
// differences, skips its First reading, and a failed read mid-stream is reported on
// stderr and retried.
func TestWatchCounterAndBusError(t *testing.T) {
	t0 := time.Unix(1000, 0)
	busErr := &board.SourceError{Source: "fake", Op: "read", Err: errors.New("remote I/O error"), Hint: "check the SDA/SCL wires"}
	src := &fakeSource{steps: []fakeStep{
		{r: board.Reading{Time: t0, Flags: board.First}},
		{r: board.Reading{Time: t0.Add(time.Second), Power: 2 * physic.Watt, Energy: 2 * physic.Joule}},
		{err: busErr},
		{r: board.Reading{Time: t0.Add(3 * time.Second), Power: 3 * physic.Watt, Energy: 8 * physic.Joule}},
	}}
	var out, errOut bytes.Buffer
	err := watchPower(context.Background(), src, newPowerPrinter(&out, true, false), &errOut, 0, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	e, rows := lastEnergy(t, out.String())
	// Counter: 8 J - 0 J since the First reading (the trapezoid would say 2.5 + 5 = 7.5 J).
	if rows != 2 || e != 8 {
		t.Errorf("%d rows, %v J; want 2 rows, 8 J\n%s", rows, e, out.String())
	}
	if !strings.Contains(errOut.String(), "remote I/O error") || !strings.Contains(errOut.String(), "retrying") {
		t.Errorf("stderr = %q", errOut.String())
	}
	// A source that keeps failing ends the watch with its error.
	var steps []fakeStep
	for i := 0; i < maxConsecutiveErrors; i++ {
		steps = append(steps, fakeStep{err: busErr})
	}
	err = watchPower(context.Background(), &fakeSource{steps: steps}, newPowerPrinter(&out, true, false), &errOut, 0, time.Millisecond)
	if !errors.Is(err, busErr) {
		t.Errorf("err = %v, want the bus error", err)
	}
}
