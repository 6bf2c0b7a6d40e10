package ina226

import (
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// ids is the identification traffic New starts with.
func ids(addr uint16) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: addr, W: []byte{RegManufID}, R: []byte{0x54, 0x49}},
		{Addr: addr, W: []byte{RegDieID}, R: []byte{0x22, 0x60}},
	}
}

// TestDatasheetExample replays Table 1 of SBOS547: 10 A at 12 V through 2 mΩ with a 1 mA
// current LSB (max current 32.768 A = 2^15 x 1 mA).
func TestDatasheetExample(t *testing.T) {
	ops := append(ids(0x41),
		i2ctest.IO{Addr: 0x41, W: []byte{RegConfig, 0x45, 0x27}},
		i2ctest.IO{Addr: 0x41, W: []byte{RegCalibration, 0x0A, 0x00}},           // CAL = 0.00512/(1mA x 2mΩ) = 2560
		i2ctest.IO{Addr: 0x41, W: []byte{RegMaskEnable}, R: []byte{0x00, 0x08}}, // CVRF
		i2ctest.IO{Addr: 0x41, W: []byte{RegShunt}, R: []byte{0x1F, 0x40}},      // 8000 x 2.5 µV = 20 mV
		i2ctest.IO{Addr: 0x41, W: []byte{RegBus}, R: []byte{0x25, 0x70}},        // 9584 x 1.25 mV = 11.98 V
		i2ctest.IO{Addr: 0x41, W: []byte{RegCurrent}, R: []byte{0x27, 0x10}},    // 10000 x 1 mA = 10 A
		i2ctest.IO{Addr: 0x41, W: []byte{RegPower}, R: []byte{0x12, 0xB8}},      // 4792 x 25 mW = 119.8 W
	)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := New(bus, &Opts{Address: 0x41, Shunt: 2 * physic.MilliOhm, MaxCurrent: 32768 * physic.MilliAmpere})
	if err != nil {
		t.Fatal(err)
	}
	if d.CurrentLSB() != physic.MilliAmpere || d.Cal() != 2560 {
		t.Fatalf("LSB %v cal %d, want 1mA 2560", d.CurrentLSB(), d.Cal())
	}
	pm, err := d.Sense()
	if err != nil {
		t.Fatal(err)
	}
	want := PowerMonitor{
		Shunt:   20 * physic.MilliVolt,
		Voltage: 11980 * physic.MilliVolt,
		Current: 10 * physic.Ampere,
		Power:   119800 * physic.MilliWatt,
		Ready:   true,
	}
	if pm != want {
		t.Errorf("Sense = %+v\nwant    %+v", pm, want)
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestCalibration(t *testing.T) {
	for _, c := range []struct {
		shunt physic.ElectricResistance
		max   physic.ElectricCurrent
		lsb   physic.ElectricCurrent
		cal   uint16
	}{
		{2 * physic.MilliOhm, 32768 * physic.MilliAmpere, physic.MilliAmpere, 2560},
		// 0.1 Ω, full scale 81.92 mV / 0.1 Ω = 819.2 mA: LSB 25 µA, CAL = 0.00512/(25e-6 x 0.1) = 2048.
		{100 * physic.MilliOhm, 819200 * physic.MicroAmpere, 25 * physic.MicroAmpere, 2048},
		// 10 mΩ, 8.192 A: LSB 250 µA, CAL = 0.00512/(250e-6 x 0.01) = 2048.
		{10 * physic.MilliOhm, 8192 * physic.MilliAmpere, 250 * physic.MicroAmpere, 2048},
		// 0.1 Ω, 3.2 A: 0.00512/(97.656 µA x 0.1) = 524.3 is truncated to 524, so the
		// register counts 0.00512/(524 x 0.1) = 97.710 µA, not max/2^15 = 97.656 µA.
		{100 * physic.MilliOhm, 3200 * physic.MilliAmpere, 97710 * physic.NanoAmpere, 524},
		// 0.1 Ω, 32 A: CAL 52.4 -> 52, LSB 984.6 µA instead of 976.6 µA (0.8% more).
		{100 * physic.MilliOhm, 32 * physic.Ampere, 984615 * physic.NanoAmpere, 52},
	} {
		lsb, cal, err := Calibration(c.shunt, c.max)
		if err != nil || lsb != c.lsb || cal != c.cal {
			t.Errorf("Calibration(%v, %v) = %v, %d, %v; want %v, %d", c.shunt, c.max, lsb, cal, err, c.lsb, c.cal)
		}
	}
	if _, _, err := Calibration(10*physic.Ohm, 1000*physic.Ampere); err == nil {
		t.Error("Calibration(10Ω, 1000A) succeeded; CAL would be 0")
	}
}

func TestNotINA226(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x40, W: []byte{RegManufID}, R: []byte{0x54, 0x49}},
		{Addr: 0x40, W: []byte{RegDieID}, R: []byte{0x22, 0x70}}, // INA260
	}}
	if _, err := New(bus, nil); err == nil {
		t.Fatal("New accepted an INA260's die id")
	}
}

func TestOverflowAndNegative(t *testing.T) {
	ops := append(ids(0x40),
		i2ctest.IO{Addr: 0x40, W: []byte{RegConfig, 0x45, 0x27}},
		i2ctest.IO{Addr: 0x40, W: []byte{RegCalibration, 0x08, 0x00}},
		i2ctest.IO{Addr: 0x40, W: []byte{RegMaskEnable}, R: []byte{0x00, 0x04}}, // OVF, no CVRF
		i2ctest.IO{Addr: 0x40, W: []byte{RegShunt}, R: []byte{0xFC, 0x18}},      // -1000 x 2.5 µV = -2.5 mV
		i2ctest.IO{Addr: 0x40, W: []byte{RegBus}, R: []byte{0x0F, 0xA0}},        // 4000 x 1.25 mV = 5 V
		i2ctest.IO{Addr: 0x40, W: []byte{RegCurrent}, R: []byte{0xFC, 0x18}},    // -1000 x 25 µA = -25 mA
		i2ctest.IO{Addr: 0x40, W: []byte{RegPower}, R: []byte{0x00, 0xC8}},      // 200 x 625 µW = 125 mW
	)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := New(bus, nil) // 100 mΩ, 819.2 mA
	if err != nil {
		t.Fatal(err)
	}
	pm, err := d.Sense()
	if err != nil {
		t.Fatal(err)
	}
	want := PowerMonitor{Shunt: -2500 * physic.MicroVolt, Voltage: 5 * physic.Volt, Current: -25 * physic.MilliAmpere,
		Power: 125 * physic.MilliWatt, Overflow: true}
	if pm != want {
		t.Errorf("Sense = %+v\nwant    %+v", pm, want)
	}
}
