package board

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"

	"periph.io/x/conn/v3/physic"
)

// Conditions are what is recorded beside power: the CPU temperature and the throttle bits.
type Conditions struct {
	Temp         physic.Temperature
	HasTemp      bool
	Throttled    Throttle
	HasThrottled bool
}

// ConditionsProbe reads Conditions from /sys/class/thermal and, where vcgencmd exists,
// `vcgencmd get_throttled`. Each Read costs a vcgencmd process on a Pi: read it about
// once a second.
type ConditionsProbe struct {
	fsys     fs.FS
	run      Runner
	vcgencmd bool
}

// NewConditionsProbe returns a probe on opt's file system and runner.
func NewConditionsProbe(opt OpenOptions) *ConditionsProbe {
	return &ConditionsProbe{fsys: rootFS(opt), run: runner(opt), vcgencmd: true}
}

// Read returns what could be read. The error is set when vcgencmd exists but fails (the
// throttle bits are then unknown, which must not pass for "not throttled"), or when
// nothing at all could be read.
func (p *ConditionsProbe) Read() (Conditions, error) {
	var c Conditions
	t, _, terr := ReadTemperature(p.fsys)
	if terr == nil {
		c.Temp, c.HasTemp = t, true
	}
	if p.vcgencmd {
		out, err := p.run("vcgencmd", "get_throttled")
		if !errors.Is(err, exec.ErrNotFound) {
			if err == nil {
				c.Throttled, err = ParseThrottled(out)
			}
			if err != nil {
				return c, fmt.Errorf("board: conditions: throttling unknown: %w (%s)", err, vcgencmdHint(err))
			}
			c.HasThrottled = true
			return c, nil
		}
		p.vcgencmd = false // not a Pi (or raspi-utils missing): stop asking
	}
	if terr != nil {
		return c, fmt.Errorf("board: conditions: temperature: %v; throttling: no vcgencmd", terr)
	}
	return c, nil
}

// ConditionsReader adapts a ConditionsProbe to the form bench's energy engine polls.
func ConditionsReader(opt OpenOptions) func() (physic.Temperature, Throttle, error) {
	p := NewConditionsProbe(opt)
	return func() (physic.Temperature, Throttle, error) {
		c, err := p.Read()
		return c.Temp, c.Throttled, err
	}
}
