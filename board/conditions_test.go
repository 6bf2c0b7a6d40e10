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
	temp, th, err := ConditionsReader(OpenOptions{FS: os.DirFS("testdata/sys/pi5"), Run: run})()
	if err != nil || temp != physic.ZeroCelsius+48300*physic.MilliKelvin || th != 0x50005 || calls != 1 {
		t.Errorf("read = %v %v %v (%d calls); want 48.3°C 0x50005", temp, th, err, calls)
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
	if err != nil || c != (Conditions{Temp: physic.ZeroCelsius + 52*physic.Kelvin, HasTemp: true}) {
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
	if _, th, err := ConditionsReader(OpenOptions{FS: os.DirFS("testdata/sys/pi4-armv7"), Run: denied})(); err == nil || th != 0 {
		t.Errorf("ConditionsReader with vcgencmd denied: throttle %v, err %v; want an error", th, err)
	}
}
