// Package ina226 drives TI's INA226 current, voltage and power monitor over I2C.
//
// # Registers (datasheet SBOS547, https://www.ti.com/lit/ds/symlink/ina226.pdf)
//
// All registers are 16 bits, big-endian, selected by a pointer byte:
//
//	00h configuration  reset 4127h: AVG (11-9), VBUSCT (8-6), VSHCT (5-3), MODE (2-0)
//	01h shunt voltage  signed, LSB 2.5 µV, full scale ±81.92 mV
//	02h bus voltage    unsigned, LSB 1.25 mV, full scale 40.96 V
//	03h power          unsigned, LSB 25 x Current_LSB
//	04h current        signed, LSB Current_LSB = Current = Shunt x CAL / 2048
//	05h calibration    CAL = trunc(0.00512 / (Current_LSB x Rshunt))
//	06h mask/enable    CVRF (bit 3) conversion ready, OVF (bit 2) math overflow
//	FEh manufacturer   5449h ("TI")
//	FFh die id         2260h (device 226h, revision 0)
//
// The datasheet's worked example (Table 1 in SBOS547): Rshunt = 2 mΩ, Current_LSB = 1 mA,
// CAL = 2560 (0A00h); a 10 A load at 12 V reads shunt 1F40h (20 mV), bus 2570h (11.98 V),
// current 2710h (10 A) and power 12B8h (4792 x 25 mW = 119.8 W). The tests replay it.
//
// Like periph's ina219, the driver takes an i2c.Bus and never opens one itself, and reads
// its registers through periph's mmr.Dev8 (big-endian words).
package ina226

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/mmr"
	"periph.io/x/conn/v3/physic"
)

// Register addresses.
const (
	RegConfig      = 0x00
	RegShunt       = 0x01
	RegBus         = 0x02
	RegPower       = 0x03
	RegCurrent     = 0x04
	RegCalibration = 0x05
	RegMaskEnable  = 0x06
	RegManufID     = 0xFE
	RegDieID       = 0xFF
)

// Identification register values.
const (
	ManufacturerID = 0x5449 // "TI"
	DieID          = 0x2260 // device 0x226, revision 0 in the low nibble
)

// Config is written at New: 16 averages (AVG=010), 1.1 ms bus and shunt conversions
// (100b), shunt and bus continuous (111b); a fresh sample every 16 x 2 x 1.1 ms = 35.2 ms.
const Config = 0x4000 | 0b010<<9 | 0b100<<6 | 0b100<<3 | 0b111

// ConversionPeriod is the time between two averaged samples with Config.
const ConversionPeriod = 35200 * time.Microsecond

const (
	shuntLSB = 2500 * physic.NanoVolt
	busLSB   = 1250 * physic.MicroVolt
	// ShuntFullScale is the largest shunt voltage the ADC measures.
	ShuntFullScale = 81920 * physic.MicroVolt
	maskCVRF       = 1 << 3
	maskOVF        = 1 << 2
)

// Opts configures the device.
type Opts struct {
	Address uint16                    // 0x40..0x4F; 0 means 0x40
	Shunt   physic.ElectricResistance // 0 means 100 mΩ (the R100 on common breakouts)
	// MaxCurrent sets Current_LSB = MaxCurrent / 2^15; 0 means ShuntFullScale / Shunt.
	MaxCurrent physic.ElectricCurrent
}

// Dev is an open INA226.
type Dev struct {
	m          mmr.Dev8
	currentLSB physic.ElectricCurrent
	cal        uint16
}

// PowerMonitor is one sample.
type PowerMonitor struct {
	Shunt   physic.ElectricPotential
	Voltage physic.ElectricPotential // bus voltage (load side of the shunt on high-side wiring)
	Current physic.ElectricCurrent
	Power   physic.Power
	Ready   bool // a new conversion completed since the previous Sense (CVRF)
	// Overflow: the current or power computation overflowed (OVF) or the shunt voltage is
	// at full scale; the true current is at least the reported one.
	Overflow bool
}

// ErrNotINA226 is returned by New when the identification registers do not match.
var ErrNotINA226 = errors.New("ina226: the device's manufacturer/die ids are not an INA226's (5449h/226xh)")

// Calibration returns CAL = trunc(0.00512 / (Current_LSB x shunt)) for Current_LSB =
// maxCurrent / 2^15, and the current LSB the device then applies: the current register is
// shunt x CAL / 2048, so its LSB is 0.00512 / (CAL x shunt) (rounded to the nanoampere),
// which exceeds maxCurrent / 2^15 by up to 1/CAL because CAL is truncated.
func Calibration(shunt physic.ElectricResistance, maxCurrent physic.ElectricCurrent) (physic.ElectricCurrent, uint16, error) {
	if shunt <= 0 || shunt > 10*physic.Ohm {
		return 0, 0, fmt.Errorf("ina226: shunt %s out of range (0, 10Ω]", shunt)
	}
	if maxCurrent <= 0 || maxCurrent > 1000*physic.Ampere {
		return 0, 0, fmt.Errorf("ina226: max current %s out of range (0, 1000A]", maxCurrent)
	}
	lsb := maxCurrent / (1 << 15)
	if lsb <= 0 {
		return 0, 0, fmt.Errorf("ina226: max current %s too small: the current LSB would be under 1nA", maxCurrent)
	}
	// 0.00512 A·Ω·... in nA x nΩ: 0.00512 x 1e18 = 5.12e15; lsb x shunt <= 3.1e7 x 1e10 fits int64.
	cal := int64(5_120_000_000_000_000) / (int64(lsb) * int64(shunt))
	if cal < 1 || cal > 0x7FFF {
		return 0, 0, fmt.Errorf("ina226: calibration %d for shunt %s and max current %s is outside 1..32767: pick a max current closer to %s/%s",
			cal, shunt, maxCurrent, ShuntFullScale, shunt)
	}
	den := cal * int64(shunt)
	lsb = physic.ElectricCurrent((5_120_000_000_000_000 + den/2) / den)
	return lsb, uint16(cal), nil
}

// New checks the device's identity, then writes Config and the calibration.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	o := Opts{}
	if opts != nil {
		o = *opts
	}
	if o.Address == 0 {
		o.Address = 0x40
	}
	if o.Address < 0x40 || o.Address > 0x4F {
		return nil, fmt.Errorf("ina226: address %#x outside 0x40..0x4f", o.Address)
	}
	if o.Shunt == 0 {
		o.Shunt = 100 * physic.MilliOhm
	}
	if o.MaxCurrent == 0 && o.Shunt > 0 {
		o.MaxCurrent = physic.ElectricCurrent(int64(ShuntFullScale) * int64(physic.Ohm) / int64(o.Shunt))
	}
	lsb, cal, err := Calibration(o.Shunt, o.MaxCurrent)
	if err != nil {
		return nil, err
	}
	d := &Dev{m: mmr.Dev8{Conn: &i2c.Dev{Bus: bus, Addr: o.Address}, Order: binary.BigEndian}, currentLSB: lsb, cal: cal}
	mfr, err := d.m.ReadUint16(RegManufID)
	if err != nil {
		return nil, fmt.Errorf("ina226: read manufacturer id: %w", err)
	}
	die, err := d.m.ReadUint16(RegDieID)
	if err != nil {
		return nil, fmt.Errorf("ina226: read die id: %w", err)
	}
	if mfr != ManufacturerID || die>>4 != DieID>>4 {
		return nil, fmt.Errorf("%w: read %04xh/%04xh at %#x", ErrNotINA226, mfr, die, o.Address)
	}
	if err := d.m.WriteUint16(RegConfig, Config); err != nil {
		return nil, fmt.Errorf("ina226: write configuration: %w", err)
	}
	if err := d.m.WriteUint16(RegCalibration, cal); err != nil {
		return nil, fmt.Errorf("ina226: write calibration: %w", err)
	}
	return d, nil
}

// CurrentLSB is the current register's LSB; the power LSB is 25 times it.
func (d *Dev) CurrentLSB() physic.ElectricCurrent { return d.currentLSB }

// Cal is the calibration register value written at New.
func (d *Dev) Cal() uint16 { return d.cal }

// Sense reads mask/enable (which clears CVRF), shunt, bus, current and power.
func (d *Dev) Sense() (PowerMonitor, error) {
	var pm PowerMonitor
	var regs [5]uint16
	for i, r := range [...]uint8{RegMaskEnable, RegShunt, RegBus, RegCurrent, RegPower} {
		v, err := d.m.ReadUint16(r)
		if err != nil {
			return PowerMonitor{}, fmt.Errorf("ina226: read register %02xh: %w", r, err)
		}
		regs[i] = v
	}
	pm.Ready = regs[0]&maskCVRF != 0
	shunt := int16(regs[1])
	pm.Overflow = regs[0]&maskOVF != 0 || shunt == 32767 || shunt == -32768
	pm.Shunt = physic.ElectricPotential(shunt) * shuntLSB
	pm.Voltage = physic.ElectricPotential(regs[2]&0x7FFF) * busLSB
	pm.Current = physic.ElectricCurrent(int16(regs[3])) * d.currentLSB
	pm.Power = physic.Power(regs[4]) * 25 * physic.Power(d.currentLSB)
	return pm, nil
}
