package board

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/physic"
)

// Conditions are what is recorded beside power: the CPU temperature, the throttle bits and
// the CPU clock.
type Conditions struct {
	Temp         physic.Temperature
	HasTemp      bool
	Throttled    Throttle
	HasThrottled bool
	// ThrottleFrom names where the throttle bits came from: "vcgencmd", "sysfs
	// get_throttled", "rpi_volt" (under-voltage only), joined by "+"; "" when none.
	ThrottleFrom string
	// ClockKHz is CPU 0's current clock and MaxClockKHz its maximum (cpufreq); 0 when
	// unknown. Under full load a clock below the maximum means a cap (the firmware
	// throttling, or a thermal cooling device). ClockGovernor is the cpufreq governor:
	// with "powersave" or "userspace" a low clock is the user's choice.
	ClockKHz, MaxClockKHz int64
	ClockGovernor         string
}

// ConditionsProbe reads Conditions from every source the board has: /sys/class/thermal
// for the temperature; for throttling and under-voltage `vcgencmd get_throttled`, else
// the firmware driver's sysfs get_throttled (Raspberry Pi OS kernels, also where
// vcgencmd is missing, such as Ubuntu on a Pi), and the rpi_volt hwmon device's
// in0_lcrit_alarm (under-voltage); and cpufreq's current and maximum clock. Each Read
// costs a vcgencmd process on a Pi: read it about once a second.
type ConditionsProbe struct {
	fsys     fs.FS
	run      Runner
	vcgencmd bool
	firmware string // the get_throttled attribute, "" if none; found once
	rpiVolt  string // the rpi_volt hwmon directory, "" if none
	found    bool
}

// NewConditionsProbe returns a probe on opt's file system and runner.
func NewConditionsProbe(opt OpenOptions) *ConditionsProbe {
	return &ConditionsProbe{fsys: rootFS(opt), run: runner(opt), vcgencmd: true}
}

// firmwareThrottled are where the Raspberry Pi firmware driver puts get_throttled (hex
// without 0x: "50005"; https://github.com/raspberrypi/linux drivers/firmware/raspberrypi.c).
var firmwareThrottled = []string{
	"sys/devices/platform/soc/soc:firmware/get_throttled",
	"sys/devices/platform/*/*firmware*/get_throttled",
	"sys/devices/platform/*firmware*/get_throttled",
}

func (p *ConditionsProbe) find() {
	if p.found {
		return
	}
	p.found = true
	for _, pat := range firmwareThrottled {
		if m, _ := fs.Glob(p.fsys, pat); len(m) > 0 {
			p.firmware = m[0]
			break
		}
	}
	entries, _ := fs.ReadDir(p.fsys, hwmonDir)
	for _, e := range entries {
		dir := path.Join(hwmonDir, e.Name())
		if n, _ := readString(p.fsys, path.Join(dir, "name")); n == "rpi_volt" && exists(p.fsys, path.Join(dir, "in0_lcrit_alarm")) {
			p.rpiVolt = dir
			break
		}
	}
}

// Read returns what could be read. The error is set when vcgencmd exists but fails and
// no other source gives the throttle bits (they are then unknown, which must not pass for
// "not throttled"), or when nothing at all could be read.
func (p *ConditionsProbe) Read() (Conditions, error) {
	p.find()
	var c Conditions
	var from []string
	t, _, terr := ReadTemperature(p.fsys)
	if terr == nil {
		c.Temp, c.HasTemp = t, true
	}
	var vcErr error
	if p.vcgencmd {
		out, err := p.run("vcgencmd", "get_throttled")
		switch {
		case errors.Is(err, exec.ErrNotFound):
			p.vcgencmd = false // not a Pi (or raspi-utils missing): stop asking
		case err == nil:
			c.Throttled, err = ParseThrottled(out)
			if err == nil {
				c.HasThrottled = true
				from = append(from, "vcgencmd")
			}
			vcErr = err
		default:
			vcErr = err
		}
	}
	if !c.HasThrottled && p.firmware != "" {
		if s, err := readString(p.fsys, p.firmware); err == nil {
			if v, err := strconv.ParseUint(s, 16, 32); err == nil {
				c.Throttled, c.HasThrottled = Throttle(v), true
				from = append(from, "sysfs get_throttled")
			}
		}
	}
	if p.rpiVolt != "" {
		if v, err := readInt(p.fsys, path.Join(p.rpiVolt, "in0_lcrit_alarm")); err == nil {
			if v != 0 {
				c.Throttled |= UnderVoltageNow | UnderVoltageOccurred
			}
			from = append(from, "rpi_volt")
		}
	}
	c.ThrottleFrom = strings.Join(from, "+")
	const cpufreq = "sys/devices/system/cpu/cpu0/cpufreq"
	if cur, err := readInt(p.fsys, path.Join(cpufreq, "scaling_cur_freq")); err == nil && cur > 0 {
		mx, err := readInt(p.fsys, path.Join(cpufreq, "cpuinfo_max_freq"))
		if err != nil {
			mx, err = readInt(p.fsys, path.Join(cpufreq, "scaling_max_freq"))
		}
		if err == nil && mx > 0 {
			c.ClockKHz, c.MaxClockKHz = cur, mx
			c.ClockGovernor, _ = readString(p.fsys, path.Join(cpufreq, "scaling_governor"))
		}
	}
	if vcErr != nil && !c.HasThrottled {
		return c, fmt.Errorf("board: conditions: throttling unknown: %w (%s)", vcErr, vcgencmdHint(vcErr))
	}
	if terr != nil && c.ThrottleFrom == "" && c.ClockKHz == 0 {
		return c, fmt.Errorf("board: conditions: temperature: %v; throttling: no vcgencmd, no firmware get_throttled, no rpi_volt; no cpufreq clock", terr)
	}
	return c, nil
}

// ConditionsReader adapts a ConditionsProbe to the form bench's energy engine polls.
func ConditionsReader(opt OpenOptions) func() (Conditions, error) {
	p := NewConditionsProbe(opt)
	return p.Read
}
