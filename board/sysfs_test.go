package board

import (
	"errors"
	"io/fs"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"periph.io/x/conn/v3/physic"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s + "\n")} }

// TestHwmonINA2xx: the kernel's ina2xx driver (dtoverlay=i2c-sensor,ina219): power1_input
// in µW, in1_input (bus) in mV, curr1_input in mA. cpu_thermal has no power and is skipped.
func TestHwmonINA2xx(t *testing.T) {
	fsys := fstest.MapFS{
		"sys/class/hwmon/hwmon0/name":         file("cpu_thermal"),
		"sys/class/hwmon/hwmon0/temp1_input":  file("48312"),
		"sys/class/hwmon/hwmon1/name":         file("ina219"),
		"sys/class/hwmon/hwmon1/in0_input":    file("98"), // shunt, mV
		"sys/class/hwmon/hwmon1/in1_input":    file("5072"),
		"sys/class/hwmon/hwmon1/curr1_input":  file("981"),
		"sys/class/hwmon/hwmon1/power1_input": file("4980000"),
	}
	src, err := Open("hwmon", OpenOptions{FS: fsys, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Read()
	want := Reading{Time: t0, Power: 4980 * physic.MilliWatt, Voltage: 5072 * physic.MilliVolt, Current: 981 * physic.MilliAmpere}
	if err != nil || r != want || src.Name() != "hwmon:ina219" {
		t.Errorf("%s Read = %+v, %v\nwant %+v", src.Name(), r, err, want)
	}
	if src.Interval() != 100*time.Millisecond {
		t.Errorf("Interval without update_interval = %v, want the 100ms default", src.Interval())
	}
	// Read again with nothing changed: the sensor gave no new sample.
	if r, err := src.Read(); err != nil || r.Flags != Stale {
		t.Errorf("second Read of unchanged attributes: flags %v (%v), want stale", r.Flags, err)
	}
	fsys["sys/class/hwmon/hwmon1/power1_input"] = file("4990000")
	if r, err := src.Read(); err != nil || r.Flags != 0 {
		t.Errorf("Read after a change: flags %v (%v), want ok", r.Flags, err)
	}
	// The driver says how often the chip converts: update_interval in ms.
	fsys["sys/class/hwmon/hwmon1/update_interval"] = file("1100")
	src, err = Open("hwmon", OpenOptions{FS: fsys, Now: fixedNow})
	if err != nil || src.Interval() != 1100*time.Millisecond {
		t.Errorf("Interval with update_interval 1100 = %v (%v), want 1.1s", src.Interval(), err)
	}
}

func TestHwmonVoltageTimesCurrent(t *testing.T) {
	fsys := fstest.MapFS{
		"sys/class/hwmon/hwmon3/name":        file("rp1_adc"),
		"sys/class/hwmon/hwmon3/in0_input":   file("3300"),
		"sys/class/hwmon/hwmon3/in2_input":   file("5100"),
		"sys/class/hwmon/hwmon3/curr2_input": file("1250"),
	}
	src, err := Open("hwmon:hwmon3", OpenOptions{FS: fsys, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Read()
	// in2 x curr2 = 5.1 V x 1.25 A = 6.375 W (in0 has no current partner).
	if err != nil || r.Power != 6375*physic.MilliWatt || r.Flags != Estimated {
		t.Errorf("Read = %+v, %v; want 6.375 W Estimated", r, err)
	}
	if _, err := Open("hwmon:nosuch", OpenOptions{FS: fsys}); err == nil || !strings.Contains(err.Error(), "hwmon3(rp1_adc)") {
		t.Errorf("hwmon:nosuch: err = %v, want a list of what is present", err)
	}
}

func TestPowerSupply(t *testing.T) {
	fsys := fstest.MapFS{
		"sys/class/power_supply/AC/type":          file("Mains"),
		"sys/class/power_supply/AC/online":        file("1"),
		"sys/class/power_supply/BAT0/type":        file("Battery"),
		"sys/class/power_supply/BAT0/status":      file("Discharging"),
		"sys/class/power_supply/BAT0/voltage_now": file("12100000"),
		"sys/class/power_supply/BAT0/current_now": file("650000"),
		"sys/class/power_supply/ups/type":         file("Battery"),
		"sys/class/power_supply/ups/status":       file("Charging"),
		"sys/class/power_supply/ups/power_now":    file("7250000"),
		"sys/class/power_supply/ups/voltage_now":  file("5050000"),
	}
	src, err := Open("powersupply:BAT0", OpenOptions{FS: fsys, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Read()
	// 12.1 V x 0.65 A = 7.865 W.
	if err != nil || r.Power != 7865*physic.MilliWatt || r.Flags != Estimated || r.Voltage != 12100*physic.MilliVolt {
		t.Errorf("BAT0 Read = %+v, %v; want 7.865 W Estimated", r, err)
	}
	src, err = Open("powersupply:ups", OpenOptions{FS: fsys, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	r, err = src.Read()
	if err != nil || r.Power != 7250*physic.MilliWatt || r.Flags != Partial {
		t.Errorf("ups Read = %+v, %v; want 7.25 W Partial (charging)", r, err)
	}
}

// steppingClock returns t0, t0+1s, t0+3s, ...
func steppingClock(steps ...time.Duration) func() time.Time {
	i := 0
	return func() time.Time {
		d := steps[min(i, len(steps)-1)]
		i++
		return t0.Add(d)
	}
}

func TestRAPLWraparound(t *testing.T) {
	const max = "262143328850"
	fsys := fstest.MapFS{
		"sys/class/powercap/intel-rapl/enabled":                 file("1"),
		"sys/class/powercap/intel-rapl:0/name":                  file("package-0"),
		"sys/class/powercap/intel-rapl:0/max_energy_range_uj":   file(max),
		"sys/class/powercap/intel-rapl:0/energy_uj":             file("262143000000"),
		"sys/class/powercap/intel-rapl:0:0/name":                file("core"),
		"sys/class/powercap/intel-rapl:0:0/energy_uj":           file("1"),
		"sys/class/powercap/intel-rapl:0:0/max_energy_range_uj": file(max),
	}
	src, err := Open("rapl", OpenOptions{FS: fsys, Now: steppingClock(0, 0, time.Second, 3*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "rapl:package-0" {
		t.Errorf("Name = %q", src.Name())
	}
	if r, err := src.Read(); err != nil || r.Flags != First || r.Power != 0 || r.Energy != 0 {
		t.Errorf("first Read = %+v, %v; want only the First flag", r, err)
	}
	// Wrapped: 262143328850 - 262143000000 + 500000 = 828850 µJ in 1 s.
	fsys["sys/class/powercap/intel-rapl:0/energy_uj"] = file("500000")
	r, err := src.Read()
	if err != nil || r.Energy != 828850*physic.MicroJoule || r.Power != 828850*physic.MicroWatt || r.Flags != Wrapped {
		t.Errorf("Read after wrap = %+v, %v; want 0.82885 J, 0.82885 W, Wrapped", r, err)
	}
	// 2500000 - 500000 = 2 J in 2 s: 1 W; total 2.82885 J.
	fsys["sys/class/powercap/intel-rapl:0/energy_uj"] = file("2500000")
	r, err = src.Read()
	if err != nil || r.Energy != 2828850*physic.MicroJoule || r.Power != physic.Watt || r.Flags != 0 {
		t.Errorf("Read = %+v, %v; want 2.82885 J, 1 W", r, err)
	}
	if math.Abs(float64(r.Time.Sub(t0))-float64(3*time.Second)) > 0 {
		t.Errorf("Time = %v", r.Time)
	}
}

// denyFS wraps an FS and denies one file, like energy_uj (0400 root) for a normal user.
type denyFS struct {
	fs.FS
	deny string
}

func (d denyFS) Open(name string) (fs.File, error) {
	if name == d.deny {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

func TestRAPLPermissionDenied(t *testing.T) {
	fsys := denyFS{FS: fstest.MapFS{
		"sys/class/powercap/intel-rapl:0/name":                file("package-0"),
		"sys/class/powercap/intel-rapl:0/max_energy_range_uj": file("262143328850"),
		"sys/class/powercap/intel-rapl:0/energy_uj":           file("1"),
	}, deny: "sys/class/powercap/intel-rapl:0/energy_uj"}
	_, err := Open("rapl", OpenOptions{FS: fsys})
	var se *SourceError
	if !errors.As(err, &se) || !errors.Is(err, fs.ErrPermission) || !strings.Contains(se.Hint, "sudo") ||
		!strings.Contains(err.Error(), "/sys/class/powercap/intel-rapl:0/energy_uj") {
		t.Fatalf("err = %v; want a permission *SourceError naming the file with a sudo hint", err)
	}
}

func TestAutoNothing(t *testing.T) {
	f := &fixtureRunner{t: t, files: map[string]string{}}
	_, err := Open("auto", OpenOptions{FS: fstest.MapFS{}, Run: f.run})
	var ne *NoSourceError
	if !errors.Is(err, ErrNoSource) || !errors.As(err, &ne) || len(ne.Tried) != 5 {
		t.Fatalf("err = %v; want a NoSourceError with 5 attempts", err)
	}
	for _, w := range []string{"ina2xx:bus=1", "pmic", "hwmon", "powersupply", "rapl", "replay:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
}

func TestAutoPicksHwmonOverRAPL(t *testing.T) {
	f := &fixtureRunner{t: t, files: map[string]string{}}
	fsys := fstest.MapFS{
		"sys/class/hwmon/hwmon1/name":          file("ina226"),
		"sys/class/hwmon/hwmon1/power1_input":  file("3000000"),
		"sys/class/powercap/intel-rapl:0/name": file("package-0"),
	}
	src, err := Open("auto", OpenOptions{FS: fsys, Run: f.run})
	if err != nil || src.Name() != "hwmon:ina226" {
		t.Fatalf("auto = %v, %v; want hwmon:ina226", src, err)
	}
}

func TestHwmonPermissionDenied(t *testing.T) {
	fsys := denyFS{FS: fstest.MapFS{
		"sys/class/hwmon/hwmon2/name":         file("ina226"),
		"sys/class/hwmon/hwmon2/power1_input": file("1"),
	}, deny: "sys/class/hwmon/hwmon2/power1_input"}
	_, err := Open("hwmon:ina226", OpenOptions{FS: fsys})
	var se *SourceError
	if !errors.As(err, &se) || !errors.Is(err, fs.ErrPermission) || !strings.Contains(se.Hint, "sudo") {
		t.Fatalf("err = %v; want a permission *SourceError with a hint", err)
	}
}
