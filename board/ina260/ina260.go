// Package ina260 drives TI's INA260 power monitor (integrated 2 mΩ shunt) over I2C.
//
// # Registers (datasheet SBOS656, https://www.ti.com/lit/ds/symlink/ina260.pdf)
//
// All registers are 16 bits, big-endian, selected by a pointer byte. There is no
// calibration: the shunt is inside the package and the LSBs are fixed.
//
//	00h configuration  reset 6127h: AVG (11-9), VBUSCT (8-6), ISHCT (5-3), MODE (2-0)
//	01h current        signed, LSB 1.25 mA (±15 A continuous)
//	02h bus voltage    unsigned, LSB 1.25 mV (0-36 V)
//	03h power          unsigned, LSB 10 mW
//	06h mask/enable    CVRF (bit 3) conversion ready, OVF (bit 2) math overflow
//	FEh manufacturer   5449h ("TI")
//	FFh die id         2270h (device 227h, revision 0)
//
// Example, computed from the LSBs: current 0320h = 800 x 1.25 mA = 1 A, bus 0FA0h =
// 4000 x 1.25 mV = 5 V, power 01F4h = 500 x 10 mW = 5 W.
package ina260

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
	RegConfig     = 0x00
	RegCurrent    = 0x01
	RegBus        = 0x02
	RegPower      = 0x03
	RegMaskEnable = 0x06
	RegManufID    = 0xFE
	RegDieID      = 0xFF
)

// Identification register values.
const (
	ManufacturerID = 0x5449
	DieID          = 0x2270
)

// Config is written at New: reset value 6127h with 16 averages (AVG=010): a fresh
// sample every 16 x (1.1 + 1.1) ms = 35.2 ms.
const Config = 0x6000 | 0b010<<9 | 0b100<<6 | 0b100<<3 | 0b111

// ConversionPeriod is the time between two averaged samples with Config.
const ConversionPeriod = 35200 * time.Microsecond

const (
	currentLSB = 1250 * physic.MicroAmpere
	busLSB     = 1250 * physic.MicroVolt
	powerLSB   = 10 * physic.MilliWatt
	maskCVRF   = 1 << 3
	maskOVF    = 1 << 2
)

// ErrNotINA260 is returned by New when the identification registers do not match.
var ErrNotINA260 = errors.New("ina260: the device's manufacturer/die ids are not an INA260's (5449h/227xh)")

// Dev is an open INA260.
type Dev struct {
	m mmr.Dev8 // big-endian 16-bit registers
}

// PowerMonitor is one sample.
type PowerMonitor struct {
	Voltage  physic.ElectricPotential
	Current  physic.ElectricCurrent
	Power    physic.Power
	Ready    bool // a new conversion completed since the previous Sense (CVRF)
	Overflow bool // the power computation overflowed (OVF)
}

// New checks the device's identity at addr (0 means 0x40) and writes Config.
func New(bus i2c.Bus, addr uint16) (*Dev, error) {
	if addr == 0 {
		addr = 0x40
	}
	if addr < 0x40 || addr > 0x4F {
		return nil, fmt.Errorf("ina260: address %#x outside 0x40..0x4f", addr)
	}
	d := &Dev{m: mmr.Dev8{Conn: &i2c.Dev{Bus: bus, Addr: addr}, Order: binary.BigEndian}}
	mfr, err := d.m.ReadUint16(RegManufID)
	if err != nil {
		return nil, fmt.Errorf("ina260: read manufacturer id: %w", err)
	}
	die, err := d.m.ReadUint16(RegDieID)
	if err != nil {
		return nil, fmt.Errorf("ina260: read die id: %w", err)
	}
	if mfr != ManufacturerID || die>>4 != DieID>>4 {
		return nil, fmt.Errorf("%w: read %04xh/%04xh at %#x", ErrNotINA260, mfr, die, addr)
	}
	if err := d.m.WriteUint16(RegConfig, Config); err != nil {
		return nil, fmt.Errorf("ina260: write configuration: %w", err)
	}
	return d, nil
}

// Sense reads mask/enable (which clears CVRF), current, bus voltage and power.
func (d *Dev) Sense() (PowerMonitor, error) {
	var regs [4]uint16
	for i, r := range [...]uint8{RegMaskEnable, RegCurrent, RegBus, RegPower} {
		v, err := d.m.ReadUint16(r)
		if err != nil {
			return PowerMonitor{}, fmt.Errorf("ina260: read register %02xh: %w", r, err)
		}
		regs[i] = v
	}
	return PowerMonitor{
		Ready:    regs[0]&maskCVRF != 0,
		Overflow: regs[0]&maskOVF != 0,
		Current:  physic.ElectricCurrent(int16(regs[1])) * currentLSB,
		Voltage:  physic.ElectricPotential(regs[2]) * busLSB,
		Power:    physic.Power(regs[3]) * powerLSB,
	}, nil
}
