package board

import (
	"errors"
	"fmt"
	"periph.io/x/conn/v3/physic"
)

// autoBus is the I2C bus "auto" scans: GPIO2/GPIO3 (header pins 3 and 5) on every Pi.
const autoBus = 1

// openAuto tries the sources in order of fidelity and returns the first that reads.
func openAuto(opt OpenOptions) (Source, error) {
	var tried []Attempt
	try := func(spec string, open func() (Source, error)) Source {
		s, err := open()
		if err != nil {
			tried = append(tried, Attempt{Spec: spec, Err: err})
			return nil
		}
		return s
	}
	if s := try(fmt.Sprintf("ina2xx:bus=%d", autoBus), func() (Source, error) { return probeINAs(autoBus, opt) }); s != nil {
		return s, nil
	}
	for _, spec := range []string{"pmic", "hwmon", "powersupply", "rapl"} {
		sp, _ := ParseSpec(spec)
		s := try(spec, func() (Source, error) {
			s, err := OpenSpec(sp, opt)
			if err != nil {
				return nil, err
			}
			if ps, ok := s.(*powerSupplySource); ok {
				r, err := ps.Read()
				if err == nil && r.Flags&Partial != 0 {
					return nil, fmt.Errorf("board: %s is a battery that is not discharging: its reading is not the board's draw; select it with --power %s to use it anyway", ps.name, ps.name)
				}
			}
			return s, nil
		})
		if s != nil {
			return s, nil
		}
	}
	return nil, &NoSourceError{Tried: tried}
}

// probeINAs scans addresses 0x40..0x4F of bus n for an INA219, INA226 or INA260 and opens
// the first with the default shunt (100 mΩ).
func probeINAs(n int, opt OpenOptions) (Source, error) {
	bus, err := openI2C(n, opt)
	if err != nil {
		return nil, err
	}
	var last error
	for addr := uint16(0x40); addr <= 0x4F; addr++ {
		kind, err := ProbeINA(bus, addr)
		if err != nil {
			if !noAck(err) {
				last = err
			}
			continue
		}
		o := INAOptions{Bus: n, Addr: addr, Shunt: 100 * physic.MilliOhm}
		if kind == "ina219" {
			o.MaxCurr = 3200 * physic.MilliAmpere
		}
		s, err := NewINA(kind, bus, o, opt)
		if err != nil {
			bus.Close()
			return nil, err
		}
		return s, nil
	}
	bus.Close()
	err = errors.New("no INA219/INA226/INA260 answered at 0x40-0x4f")
	if last != nil {
		err = fmt.Errorf("%w (last error: %v)", err, last)
	}
	return nil, &SourceError{Source: i2cDevName(n), Op: "probe", Err: err, Hint: hintNoAck}
}
