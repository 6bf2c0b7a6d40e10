package ina260

import (
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

func TestSense(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x40, W: []byte{RegManufID}, R: []byte{0x54, 0x49}},
		{Addr: 0x40, W: []byte{RegDieID}, R: []byte{0x22, 0x70}},
		{Addr: 0x40, W: []byte{RegConfig, 0x65, 0x27}},
		{Addr: 0x40, W: []byte{RegMaskEnable}, R: []byte{0x00, 0x08}},
		{Addr: 0x40, W: []byte{RegCurrent}, R: []byte{0x03, 0x20}}, // 800 x 1.25 mA = 1 A
		{Addr: 0x40, W: []byte{RegBus}, R: []byte{0x0F, 0xA0}},     // 4000 x 1.25 mV = 5 V
		{Addr: 0x40, W: []byte{RegPower}, R: []byte{0x01, 0xF4}},   // 500 x 10 mW = 5 W
		{Addr: 0x40, W: []byte{RegMaskEnable}, R: []byte{0x00, 0x00}},
		{Addr: 0x40, W: []byte{RegCurrent}, R: []byte{0xFF, 0x38}}, // -200 x 1.25 mA = -250 mA
		{Addr: 0x40, W: []byte{RegBus}, R: []byte{0x10, 0x04}},     // 4100 x 1.25 mV = 5.125 V
		{Addr: 0x40, W: []byte{RegPower}, R: []byte{0x00, 0x80}},   // 128 x 10 mW = 1.28 W
	}}
	d, err := New(bus, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []PowerMonitor{
		{Voltage: 5 * physic.Volt, Current: physic.Ampere, Power: 5 * physic.Watt, Ready: true},
		{Voltage: 5125 * physic.MilliVolt, Current: -250 * physic.MilliAmpere, Power: 1280 * physic.MilliWatt},
	} {
		pm, err := d.Sense()
		if err != nil {
			t.Fatal(err)
		}
		if pm != want {
			t.Errorf("Sense = %+v\nwant    %+v", pm, want)
		}
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestNotINA260(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x40, W: []byte{RegManufID}, R: []byte{0x00, 0x00}},
		{Addr: 0x40, W: []byte{RegDieID}, R: []byte{0x00, 0x00}},
	}}
	if _, err := New(bus, 0); err == nil {
		t.Fatal("New accepted ids 0000h/0000h")
	}
}
