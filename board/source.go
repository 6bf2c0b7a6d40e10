package board

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// Quality is a set of flags that qualify a Reading. The zero value means a direct,
// complete, fresh measurement of the whole board.
type Quality uint32

const (
	// Estimated: the value is derived through a model (the Pi 5 PMIC's linear
	// correction, V x I of rails sampled at different instants, a counter difference).
	Estimated Quality = 1 << iota
	// Saturated: the ADC overflowed or clipped (INA219 OVF bit, shunt voltage at full
	// scale); the true value is at least the reported one.
	Saturated
	// Stale: the sensor returned the same sample as the previous read (read faster
	// than the conversion time, or a counter that did not move).
	Stale
	// Partial: not all of the board's power is metered (the Pi 5 PMIC does not see
	// the 5 V loads: USB devices, HATs, fan).
	Partial
	// Throttled: the board reported throttling, a frequency cap or a soft
	// temperature limit during the sample.
	Throttled
	// UnderVoltage: the board reported under-voltage during the sample.
	UnderVoltage
	// Wrapped: a hardware counter wrapped around since the previous read; the
	// wrap was accounted for.
	Wrapped
	// First: the first reading of a counter source, which carries no power yet
	// (power is a difference between two counter values).
	First
)

var qualityNames = []string{"estimated", "saturated", "stale", "partial", "throttled", "under-voltage", "wrapped", "first"}

// String lists the flags separated by '|', or "ok" when none is set.
func (q Quality) String() string {
	if q == 0 {
		return "ok"
	}
	var b strings.Builder
	for i, n := range qualityNames {
		if q&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n)
			q &^= 1 << i
		}
	}
	if q != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "0x%x", uint32(q))
	}
	return b.String()
}

// Reading is one sample of a power source.
type Reading struct {
	Time    time.Time
	Power   physic.Power             // instantaneous, or the average over the sample period
	Voltage physic.ElectricPotential // 0 if unknown
	Current physic.ElectricCurrent   // 0 if unknown
	Energy  physic.Energy            // cumulative counter value for counter sources (RAPL), else 0
	Flags   Quality
}

// Source is a power sensor. Sources are not safe for concurrent use.
type Source interface {
	// Name identifies the source and its configuration: "ina219@1:0x40",
	// "rapl:package-0", "replay:trace.csv".
	Name() string
	// Interval is the natural sampling period: reading faster returns Stale samples.
	Interval() time.Duration
	// Read returns one reading. Errors are *SourceError values that say how to fix
	// the problem; a replay returns io.EOF at the end of its trace.
	Read() (Reading, error)
	Close() error
}

// Runner runs an external command (vcgencmd) and returns its standard output.
type Runner func(name string, args ...string) ([]byte, error)

// OpenOptions carries what sources need from the outside world; the zero value uses
// the real machine.
type OpenOptions struct {
	// FS is the root file system ("/") for sysfs, procfs and /dev probes; nil means
	// os.DirFS("/"). Paths inside are unrooted: "sys/class/hwmon".
	FS fs.FS
	// Run runs commands; nil means os/exec with a timeout.
	Run Runner
	// OpenI2C opens I2C bus number n; nil means Linux /dev/i2c-n through periph.
	OpenI2C func(n int) (i2c.BusCloser, error)
	// Now stamps readings; nil means time.Now.
	Now func() time.Time
	// Pace makes a replay source sleep so that readings come at the trace's pace.
	// Without it, Read returns the next sample at once, stamped start + t.
	Pace bool
	// Start is the time of t = 0 for a replay; zero means Now() at open.
	Start time.Time
}

func (o *OpenOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// ErrNoSource is matched (errors.Is) by the error of Open("auto") when the machine has no
// power source; the error is a *NoSourceError listing what was tried.
var ErrNoSource = errors.New("board: no power source found")

// SourceError is a failure to open or read a power source: which source, what it was
// doing, the cause (kept for errors.Is/As: fs.ErrPermission, fs.ErrNotExist, the bus
// error) and how to fix it.
type SourceError struct {
	Source string // "ina219@1:0x40", "/dev/i2c-1", "vcgencmd"
	Op     string // "open", "probe", "read", "parse"
	Err    error
	Hint   string // how to fix it; may be empty
}

func (e *SourceError) Error() string {
	s := "board: " + e.Source + ": " + e.Op + ": " + e.Err.Error()
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

func (e *SourceError) Unwrap() error { return e.Err }

// Attempt is one source that Open("auto") tried.
type Attempt struct {
	Spec string // "ina2xx:bus=1", "pmic", "hwmon", ...
	Err  error
}

// NoSourceError is returned by Open("auto") when nothing was found; it matches ErrNoSource.
type NoSourceError struct{ Tried []Attempt }

func (e *NoSourceError) Error() string {
	var b strings.Builder
	b.WriteString("board: no power source found; tried:")
	for _, a := range e.Tried {
		fmt.Fprintf(&b, "\n  %-12s %v", a.Spec, a.Err)
	}
	b.WriteString("\nto measure power, wire an INA219/INA226/INA260 on the 5 V feed and enable I2C " +
		"(sudo raspi-config nonint do_i2c 0), use a Raspberry Pi 5 (--power pmic), " +
		"or replay a recorded trace (--power replay:FILE.csv)")
	return b.String()
}

func (e *NoSourceError) Is(target error) bool { return target == ErrNoSource }

// staleCheck flags a reading Stale when it repeats the previous one exactly (power,
// voltage and current): the sensor has produced no new sample since the last read. A
// steady board read by a coarse sensor can repeat too, so Stale is a hint, not an error.
type staleCheck struct {
	last Reading
	has  bool
}

func (c *staleCheck) mark(r *Reading) {
	if c.has && r.Power == c.last.Power && r.Voltage == c.last.Voltage && r.Current == c.last.Current {
		r.Flags |= Stale
	}
	c.last, c.has = *r, true
}
