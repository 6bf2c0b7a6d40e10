package board

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"

	"periph.io/x/conn/v3/physic"
)

func TestConditionsProbe(t *testing.T) {
	calls := 0
	run := func(name string, args ...string) ([]byte, error) {
		calls++
		return os.ReadFile("testdata/vcgencmd/get_throttled-undervoltage.txt")
	}
	c0, err := ConditionsReader(OpenOptions{FS: os.DirFS("testdata/sys/pi5"), Run: run})()
	if err != nil || c0.Temp != physic.ZeroCelsius+48300*physic.MilliKelvin || c0.Throttled != 0x50005 || calls != 1 || c0.ThrottleFrom != "vcgencmd" {
		t.Errorf("read = %+v %v (%d calls); want 48.3°C 0x50005 from vcgencmd", c0, err, calls)
	}

	// No thermal zone and no vcgencmd: an error; vcgencmd is not asked again.
	calls = 0
	missing := func(name string, args ...string) ([]byte, error) {
		calls++
		return nil, &CommandError{Cmd: "vcgencmd get_throttled", Err: exec.ErrNotFound}
	}
	p := NewConditionsProbe(OpenOptions{FS: fstest.MapFS{}, Run: missing})
	for i := 0; i < 2; i++ {
		if _, err := p.Read(); err == nil {
			t.Error("Read succeeded with nothing to read")
		}
	}
	if calls != 1 {
		t.Errorf("vcgencmd asked %d times after it was found missing", calls)
	}
	// x86: temperature alone, no throttle bits, no error.
	c, err := NewConditionsProbe(OpenOptions{FS: os.DirFS("testdata/sys/x86"), Run: missing}).Read()
	if err != nil || !c.HasTemp || c.Temp != physic.ZeroCelsius+52*physic.Kelvin || c.HasThrottled || c.ThrottleFrom != "" {
		t.Errorf("x86: %+v %v", c, err)
	}
	// A Pi whose user is not in the video group: temperature, and an error saying why
	// the throttle bits are unknown.
	denied := func(name string, args ...string) ([]byte, error) {
		return nil, &CommandError{Cmd: "vcgencmd get_throttled", Err: errors.New("exit status 255"), Output: "Can't open device file: /dev/vcio"}
	}
	c, err = NewConditionsProbe(OpenOptions{FS: os.DirFS("testdata/sys/pi4-armv7"), Run: denied}).Read()
	if err == nil || !strings.Contains(err.Error(), "video group") || !c.HasTemp || c.HasThrottled {
		t.Errorf("denied: %+v %v", c, err)
	}
	// The same through ConditionsReader, the form bench --energy polls: the failure must
	// reach the caller, not pass for "not throttled".
	if c, err := ConditionsReader(OpenOptions{FS: os.DirFS("testdata/sys/pi4-armv7"), Run: denied})(); err == nil || c.Throttled != 0 {
		t.Errorf("ConditionsReader with vcgencmd denied: throttle %v, err %v; want an error", c.Throttled, err)
	}
}

// ubuntuPi is a Pi 4 running Ubuntu: no vcgencmd, but the firmware driver's sysfs
// get_throttled, the rpi_volt hwmon device and cpufreq.
func ubuntuPi(throttled, lcrit string) fstest.MapFS {
	return fstest.MapFS{
		"sys/class/thermal/thermal_zone0/type":                 {Data: []byte("cpu-thermal\n")},
		"sys/class/thermal/thermal_zone0/temp":                 {Data: []byte("61000\n")},
		"sys/devices/platform/soc/soc:firmware/get_throttled":  {Data: []byte(throttled + "\n")},
		"sys/class/hwmon/hwmon1/name":                          {Data: []byte("rpi_volt\n")},
		"sys/class/hwmon/hwmon1/in0_lcrit_alarm":               {Data: []byte(lcrit + "\n")},
		"sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq": {Data: []byte("1000000\n")},
		"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": {Data: []byte("1800000\n")},
		"sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": {Data: []byte("ondemand\n")},
	}
}

func TestConditionsWithoutVcgencmd(t *testing.T) {
	missing := func(name string, args ...string) ([]byte, error) {
		return nil, &CommandError{Cmd: "vcgencmd get_throttled", Err: exec.ErrNotFound}
	}
	c, err := NewConditionsProbe(OpenOptions{FS: ubuntuPi("50005", "0"), Run: missing}).Read()
	if err != nil || !c.HasThrottled || c.Throttled != 0x50005 || c.ThrottleFrom != "sysfs get_throttled+rpi_volt" {
		t.Errorf("sysfs: %+v %v; want 0x50005 from sysfs get_throttled+rpi_volt", c, err)
	}
	if c.ClockKHz != 1000000 || c.MaxClockKHz != 1800000 || c.ClockGovernor != "ondemand" {
		t.Errorf("clock %d of %d kHz (%s), want 1000000 of 1800000 (ondemand)", c.ClockKHz, c.MaxClockKHz, c.ClockGovernor)
	}
	// Only rpi_volt: under-voltage from its alarm.
	fsys := ubuntuPi("0", "1")
	delete(fsys, "sys/devices/platform/soc/soc:firmware/get_throttled")
	c, err = NewConditionsProbe(OpenOptions{FS: fsys, Run: missing}).Read()
	if err != nil || c.HasThrottled || c.Throttled.Quality() != UnderVoltage || c.ThrottleFrom != "rpi_volt" {
		t.Errorf("rpi_volt: %+v %v; want under-voltage from rpi_volt alone", c, err)
	}
	// vcgencmd failing but sysfs readable: the sysfs bits, no error.
	denied := func(name string, args ...string) ([]byte, error) {
		return nil, &CommandError{Cmd: "vcgencmd get_throttled", Err: errors.New("exit status 255"), Output: "Can't open device file: /dev/vcio"}
	}
	c, err = NewConditionsProbe(OpenOptions{FS: ubuntuPi("4", "0"), Run: denied}).Read()
	if err != nil || c.Throttled != ThrottledNow || !strings.HasPrefix(c.ThrottleFrom, "sysfs") {
		t.Errorf("vcgencmd denied, sysfs present: %+v %v", c, err)
	}
}
