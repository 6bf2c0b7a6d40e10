package board

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/edgewatt/edgewatt/board/ina226"
	"github.com/edgewatt/edgewatt/board/ina260"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/mmr"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/ina219"
	"periph.io/x/host/v3/sysfs"
)

// INAOptions configures an INA219, INA226 or INA260 source.
type INAOptions struct {
	Bus     int                       // Linux I2C bus number: 1 is GPIO2/3 (pins 3 and 5) on a Pi
	Addr    uint16                    // 0x40..0x4F
	Shunt   physic.ElectricResistance // INA219/INA226 shunt; ignored by the INA260 (2 mΩ inside)
	MaxCurr physic.ElectricCurrent    // sets the current LSB (max/2^15); 0 picks a default
}

// Hints shared by the I2C sources.
const (
	hintI2CMissing = "I2C is not enabled or the bus number is wrong: enable it with " +
		"sudo raspi-config nonint do_i2c 0 (or dtparam=i2c_arm=on in /boot/firmware/config.txt) and reboot; ls /dev/i2c-* lists the buses"
	hintI2CPerm = "add your user to the i2c group: sudo usermod -aG i2c $USER, then log in again"
	hintNoAck   = "no device answered: check the wiring (VCC to 3.3 V, GND, SDA to GPIO2/pin 3, SCL to GPIO3/pin 5) " +
		"and the address jumpers; sudo i2cdetect -y 1 lists the addresses that answer"
	hintBusErr = "the I2C transfer failed: check the SDA/SCL wires and connectors (loose or long wires cause this); the next read retries"
	hintOther  = "another chip answers at this address: --power auto tells an INA219, INA226 and INA260 apart; " +
		"or select the right kind (ina219, ina226, ina260) and addr"
)

func i2cDevName(n int) string { return fmt.Sprintf("/dev/i2c-%d", n) }

// i2cOpenError turns an error opening /dev/i2c-n into a SourceError with a fix.
func i2cOpenError(n int, err error) error {
	hint := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint = hintI2CMissing
	case errors.Is(err, fs.ErrPermission):
		hint = hintI2CPerm
	}
	return &SourceError{Source: i2cDevName(n), Op: "open", Err: err, Hint: hint}
}

// openI2C opens bus n: opt.OpenI2C if set, else /dev/i2c-n (its access checked through
// opt.FS first, so that the error keeps its fs.ErrNotExist/fs.ErrPermission cause).
func openI2C(n int, opt OpenOptions) (i2c.BusCloser, error) {
	if opt.OpenI2C != nil {
		b, err := opt.OpenI2C(n)
		if err != nil {
			return nil, i2cOpenError(n, err)
		}
		return b, nil
	}
	f, err := rootFS(opt).Open(fmt.Sprintf("dev/i2c-%d", n))
	if err != nil {
		return nil, i2cOpenError(n, rooted(err))
	}
	f.Close()
	b, err := sysfs.NewI2C(n)
	if err != nil {
		return nil, i2cOpenError(n, err)
	}
	return b, nil
}

// captureBus keeps the cause of the last failed transfer (periph's ina219 replaces bus
// errors with its own sentinels) and the last bus voltage register (for CNVR).
type captureBus struct {
	i2c.Bus
	err    error
	busReg uint16
}

func (c *captureBus) Tx(addr uint16, w, r []byte) error {
	err := c.Bus.Tx(addr, w, r)
	if err != nil {
		c.err = err
	} else if len(w) == 1 && w[0] == 0x02 && len(r) == 2 {
		c.busReg = binary.BigEndian.Uint16(r)
	}
	return err
}

// inaSource is a Source over one of the three drivers.
type inaSource struct {
	name     string
	interval time.Duration
	bus      i2c.BusCloser
	now      func() time.Time
	sense    func() (Reading, error)
}

func (s *inaSource) Name() string            { return s.name }
func (s *inaSource) Interval() time.Duration { return s.interval }
func (s *inaSource) Close() error            { return s.bus.Close() }

func (s *inaSource) Read() (Reading, error) {
	r, err := s.sense()
	if err != nil {
		return Reading{}, &SourceError{Source: s.name, Op: "read", Err: err, Hint: hintBusErr}
	}
	r.Time = s.now()
	return r, nil
}

// ina219Interval is the conversion period with periph's configuration 1FFFh: 128-sample
// averages of the shunt and the bus, 68.10 ms each.
const ina219Interval = 136200 * time.Microsecond

func openINA(sp Spec, opt OpenOptions) (Source, error) {
	if err := sp.check(false, "bus", "addr", "shunt", "max"); err != nil {
		return nil, err
	}
	if sp.Kind == "ina260" {
		if err := sp.check(false, "bus", "addr"); err != nil {
			return nil, fmt.Errorf("%w (the INA260's shunt is inside the chip)", err)
		}
	}
	var o INAOptions
	n, err := sp.intParam("bus", 1, 0, 255)
	if err != nil {
		return nil, err
	}
	a, err := sp.intParam("addr", 0x40, 0x40, 0x4F)
	if err != nil {
		return nil, err
	}
	o.Bus, o.Addr = n, uint16(a)
	if o.Shunt, err = sp.resistanceParam("shunt", 100*physic.MilliOhm); err != nil {
		return nil, err
	}
	defMax := physic.ElectricCurrent(0)
	if sp.Kind == "ina219" {
		defMax = 3200 * physic.MilliAmpere
	}
	if o.MaxCurr, err = sp.currentParam("max", defMax); err != nil {
		return nil, err
	}
	bus, err := openI2C(o.Bus, opt)
	if err != nil {
		return nil, err
	}
	src, err := NewINA(sp.Kind, bus, o, opt)
	if err != nil {
		bus.Close()
		return nil, err
	}
	return src, nil
}

// NewINA returns a Source for an INA219, INA226 or INA260 (kind) on an open bus, which
// the Source closes. Tests pass an i2ctest.Playback.
func NewINA(kind string, bus i2c.BusCloser, o INAOptions, opt OpenOptions) (Source, error) {
	s := &inaSource{name: fmt.Sprintf("%s@%d:%#x", kind, o.Bus, o.Addr), bus: bus, now: opt.now}
	if opt.Now != nil {
		s.now = opt.Now
	}
	openErr := func(err error) error {
		hint := hintBusErr
		switch {
		case noAck(err):
			hint = hintNoAck
		case errors.Is(err, ina226.ErrNotINA226) || errors.Is(err, ina260.ErrNotINA260):
			hint = hintOther
		}
		return &SourceError{Source: s.name, Op: "open", Err: err, Hint: hint}
	}
	switch kind {
	case "ina219":
		cb := &captureBus{Bus: bus}
		d, err := ina219.New(cb, &ina219.Opts{Address: int(o.Addr), SenseResistor: o.Shunt, MaxCurrent: o.MaxCurr})
		if err != nil {
			if cb.err != nil {
				err = fmt.Errorf("%v: %w", err, cb.err)
			}
			return nil, openErr(err)
		}
		s.interval = ina219Interval
		s.sense = func() (Reading, error) {
			cb.err = nil
			pm, err := d.Sense()
			if err != nil && cb.err != nil {
				return Reading{}, fmt.Errorf("ina219: %v: %w", err, cb.err)
			}
			r := Reading{Voltage: pm.Voltage}
			if err != nil {
				// The only error without a bus error is OVF: current and power are out of
				// range. Report the saturated shunt current, a lower bound.
				r.Current = physic.ElectricCurrent(int64(pm.Shunt) * int64(physic.Ohm) / int64(o.Shunt))
				r.Power = mulVI(r.Voltage, r.Current)
				r.Flags |= Saturated
				return r, nil
			}
			r.Current, r.Power = pm.Current, pm.Power
			if cb.busReg&2 == 0 {
				r.Flags |= Stale // CNVR clear: no conversion since the last power register read
			}
			return r, nil
		}
	case "ina226":
		d, err := ina226.New(bus, &ina226.Opts{Address: o.Addr, Shunt: o.Shunt, MaxCurrent: o.MaxCurr})
		if err != nil {
			return nil, openErr(err)
		}
		s.interval = ina226.ConversionPeriod
		s.sense = func() (Reading, error) {
			pm, err := d.Sense()
			if err != nil {
				return Reading{}, err
			}
			return inaReading(pm.Voltage, pm.Current, pm.Power, pm.Overflow, pm.Ready), nil
		}
	case "ina260":
		d, err := ina260.New(bus, o.Addr)
		if err != nil {
			return nil, openErr(err)
		}
		s.interval = ina260.ConversionPeriod
		s.sense = func() (Reading, error) {
			pm, err := d.Sense()
			if err != nil {
				return Reading{}, err
			}
			return inaReading(pm.Voltage, pm.Current, pm.Power, pm.Overflow, pm.Ready), nil
		}
	default:
		return nil, fmt.Errorf("board: NewINA: unknown kind %q, want ina219, ina226 or ina260", kind)
	}
	return s, nil
}

// mulVI multiplies in float64 (nV x nA overflows int64).
func mulVI(v physic.ElectricPotential, i physic.ElectricCurrent) physic.Power {
	return Watts(float64(v) / float64(physic.Volt) * float64(i) / float64(physic.Ampere))
}

// ProbeINA looks for an INA2xx at addr on bus. It reads the configuration register (00h,
// present on all three: a failure means nothing answers), then the manufacturer and die
// id registers (FEh, FFh) of the INA226/INA260; the INA219 has none, and is recognised by
// its configuration at the reset value 399Fh (or periph's 1FFFh). It returns "ina219",
// "ina226" or "ina260", or an error that says what answered.
func ProbeINA(bus i2c.Bus, addr uint16) (string, error) {
	m := mmr.Dev8{Conn: &i2c.Dev{Bus: bus, Addr: addr}, Order: binary.BigEndian}
	cfg, err := m.ReadUint16(0x00)
	if err != nil {
		return "", err
	}
	mfr, err := m.ReadUint16(0xFE)
	if err == nil && mfr == ina226.ManufacturerID {
		die, err := m.ReadUint16(0xFF)
		if err != nil {
			return "", err
		}
		switch die >> 4 {
		case ina226.DieID >> 4:
			return "ina226", nil
		case ina260.DieID >> 4:
			return "ina260", nil
		}
		return "", fmt.Errorf("TI device with die id %04xh at %#x is not an INA219/226/260", die, addr)
	}
	if cfg == 0x399F || cfg == 0x1FFF {
		return "ina219", nil
	}
	return "", fmt.Errorf("device at %#x is not a known INA2xx (config %04xh, id %04xh); if it is an INA219 "+
		"set up by another program, select it explicitly: --power ina219:bus=N,addr=%#x", addr, cfg, mfr, addr)
}

// inaReading turns an INA226/INA260 measurement into a Reading: an ADC overflow is
// Saturated, a conversion not yet ready is Stale.
func inaReading(v physic.ElectricPotential, c physic.ElectricCurrent, p physic.Power, overflow, ready bool) Reading {
	r := Reading{Voltage: v, Current: c, Power: p}
	if overflow {
		r.Flags |= Saturated
	}
	if !ready {
		r.Flags |= Stale
	}
	return r
}
