package board

import (
	"errors"
	"io/fs"
	"math"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// playbackOpener serves bus numbers from a Playback, so that Open goes through the spec.
func playbackOpener(p *i2ctest.Playback) func(int) (i2c.BusCloser, error) {
	return func(n int) (i2c.BusCloser, error) {
		if n != 1 {
			return nil, &fs.PathError{Op: "open", Path: "/dev/i2c-" + string(rune('0'+n)), Err: fs.ErrNotExist}
		}
		return p, nil
	}
}

func reg(addr uint16, r byte, hi, lo byte) i2ctest.IO {
	return i2ctest.IO{Addr: addr, W: []byte{r}, R: []byte{hi, lo}}
}

// ina219Init is periph's ina219.New for 100 mΩ, 3.2 A: Current_LSB = 3.2 A / 2^15 =
// 97.656 µA, CAL = trunc(0.04096 / (97.656 µA x 0.1 Ω)) = 4194 = 1062h; config 1FFFh.
var ina219Init = []i2ctest.IO{
	{Addr: 0x40, W: []byte{0x05, 0x10, 0x62}},
	{Addr: 0x40, W: []byte{0x00, 0x1f, 0xff}},
}

func TestINA219(t *testing.T) {
	ops := append([]i2ctest.IO{}, ina219Init...)
	ops = append(ops,
		// 1 A at 5.1 V through 0.1 Ω: shunt 100 mV = 10000 x 10 µV (2710h); bus 5.000 V =
		// 1250 x 4 mV, shifted left 3 with CNVR (bit 1) set: 2712h. The datasheet's engine:
		// current = shunt x CAL / 4096 = 10000 x 4194 / 4096 = 10239 (27FFh);
		// power = current x bus / 5000 = 10239 x 1250 / 5000 = 2559 (09FFh).
		reg(0x40, 0x01, 0x27, 0x10), reg(0x40, 0x02, 0x27, 0x12), reg(0x40, 0x04, 0x27, 0xFF), reg(0x40, 0x03, 0x09, 0xFF),
		// Same sample again, CNVR clear: stale.
		reg(0x40, 0x01, 0x27, 0x10), reg(0x40, 0x02, 0x27, 0x10), reg(0x40, 0x04, 0x27, 0xFF), reg(0x40, 0x03, 0x09, 0xFF),
		// OVF (bit 0): shunt at 320 mV (7D00h = 32000 x 10 µV), bus 5 V.
		reg(0x40, 0x01, 0x7D, 0x00), reg(0x40, 0x02, 0x27, 0x13),
	)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	src, err := Open("ina219:bus=1,addr=0x40,shunt=100mΩ,max=3.2A", OpenOptions{OpenI2C: playbackOpener(bus), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "ina219@1:0x40" {
		t.Errorf("Name = %q", src.Name())
	}
	r, err := src.Read()
	if err != nil {
		t.Fatal(err)
	}
	want := Reading{Time: t0, Voltage: 5 * physic.Volt,
		Current: 10239 * 97656 * physic.NanoAmpere, // Current_LSB truncated to 97656 nA by periph
		Power:   2559 * 1953125 * physic.NanoWatt}  // Power_LSB = 20 x Current_LSB
	if r != want {
		t.Errorf("Read = %+v\nwant   %+v", r, want)
	}
	if a := float64(r.Current) / float64(physic.Ampere); math.Abs(a-1) > 0.001 {
		t.Errorf("current %v A, want 1 A within 0.1%%", a)
	}
	if w := watts(r.Power); math.Abs(w-5) > 0.005 {
		t.Errorf("power %v W, want 5 W within 0.1%%", w)
	}
	if r, err = src.Read(); err != nil || r.Flags != Stale {
		t.Errorf("second Read = %+v, %v; want Stale", r, err)
	}
	r, err = src.Read()
	if err != nil {
		t.Fatal(err)
	}
	if r.Flags != Saturated || r.Current != 3200*physic.MilliAmpere || r.Power != 16*physic.Watt {
		t.Errorf("overflow Read = %+v; want Saturated, 3.2 A (320 mV / 0.1 Ω), 16 W", r)
	}
	if err := src.Close(); err != nil { // Playback.Close: every op consumed
		t.Error(err)
	}
}

// TestINABusErrorMidStream: the third transfer of a Read does not match the recording, so
// Playback fails it like a bus would; the error keeps that cause and says how to fix it.
func TestINABusErrorMidStream(t *testing.T) {
	for _, kind := range []string{"ina219", "ina226", "ina260"} {
		t.Run(kind, func(t *testing.T) {
			var ops []i2ctest.IO
			switch kind {
			case "ina219":
				ops = append(ops, ina219Init...)
			case "ina226":
				ops = append(ops, reg(0x40, 0xFE, 0x54, 0x49), reg(0x40, 0xFF, 0x22, 0x60),
					i2ctest.IO{Addr: 0x40, W: []byte{0x00, 0x45, 0x27}}, i2ctest.IO{Addr: 0x40, W: []byte{0x05, 0x08, 0x00}})
			case "ina260":
				ops = append(ops, reg(0x40, 0xFE, 0x54, 0x49), reg(0x40, 0xFF, 0x22, 0x70),
					i2ctest.IO{Addr: 0x40, W: []byte{0x00, 0x65, 0x27}})
			}
			ops = append(ops, reg(0x40, 0x09, 0, 0)) // register 09h: nothing reads it
			bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
			src, err := Open(kind, OpenOptions{OpenI2C: playbackOpener(bus)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Read()
			var se *SourceError
			if !errors.As(err, &se) || se.Op != "read" || !strings.Contains(se.Hint, "SDA/SCL") {
				t.Fatalf("Read error = %v; want a read *SourceError with a wiring hint", err)
			}
			if !isConntest(err) {
				t.Errorf("Read error %v lost the bus error", err)
			}
		})
	}
}

func isConntest(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if conntest.IsErr(err) {
			return true
		}
	}
	return false
}

// failBus fails every transfer with errno, like the kernel when nobody ACKs.
type failBus struct {
	i2ctest.Playback
	errno syscall.Errno
}

func (f *failBus) Tx(uint16, []byte, []byte) error { return f.errno }

func TestINANoDeviceOnBus(t *testing.T) {
	bus := &failBus{errno: syscall.EREMOTEIO}
	_, err := Open("ina226:addr=0x41", OpenOptions{OpenI2C: func(int) (i2c.BusCloser, error) { return bus, nil }})
	var se *SourceError
	if !errors.As(err, &se) || !errors.Is(err, syscall.EREMOTEIO) || !strings.Contains(se.Hint, "i2cdetect") {
		t.Fatalf("err = %v; want a *SourceError wrapping EREMOTEIO with an i2cdetect hint", err)
	}
}

// permFS denies every open, like /dev/i2c-1 (crw-rw---- root:i2c) for a user outside i2c.
type permFS struct{}

func (permFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
}

// TestINAWrongChip: an INA260 opened as an INA226 fails with a hint to detect the chip,
// not one about loose wires.
func TestINAWrongChip(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{reg(0x40, 0xFE, 0x54, 0x49), reg(0x40, 0xFF, 0x22, 0x70)}}
	_, err := Open("ina226", OpenOptions{OpenI2C: playbackOpener(bus)})
	var se *SourceError
	if !errors.As(err, &se) || se.Op != "open" || !strings.Contains(se.Hint, "--power auto") {
		t.Errorf("error %v; want an open *SourceError whose hint says --power auto", err)
	}
}

func TestI2COpenErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		fsys fs.FS
		is   error
		hint string
	}{
		{"permission", permFS{}, fs.ErrPermission, "usermod -aG i2c"},
		{"no device", fstest.MapFS{}, fs.ErrNotExist, "do_i2c 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open("ina219", OpenOptions{FS: c.fsys})
			var se *SourceError
			if !errors.As(err, &se) || !errors.Is(err, c.is) || !strings.Contains(se.Hint, c.hint) {
				t.Fatalf("err = %v; want a *SourceError matching %v with hint %q", err, c.is, c.hint)
			}
			if !strings.Contains(err.Error(), "/dev/i2c-1") {
				t.Errorf("err = %v; want the device path", err)
			}
		})
	}
}

func TestProbeAuto(t *testing.T) {
	// Nothing at 0x40..0x43 (Playback fails a transfer to another address than the next
	// recorded one); an INA260 at 0x44.
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		reg(0x44, 0x00, 0x61, 0x27), reg(0x44, 0xFE, 0x54, 0x49), reg(0x44, 0xFF, 0x22, 0x70), // probe
		reg(0x44, 0xFE, 0x54, 0x49), reg(0x44, 0xFF, 0x22, 0x70), // ina260.New
		{Addr: 0x44, W: []byte{0x00, 0x65, 0x27}},
		reg(0x44, 0x06, 0x00, 0x08), reg(0x44, 0x01, 0x03, 0x20), reg(0x44, 0x02, 0x0F, 0xA0), reg(0x44, 0x03, 0x01, 0xF4),
	}}
	src, err := Open("auto", OpenOptions{OpenI2C: playbackOpener(bus), FS: fstest.MapFS{}, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "ina260@1:0x44" || src.Interval() != 35200*time.Microsecond {
		t.Errorf("auto picked %s every %v, want ina260@1:0x44 every 35.2ms", src.Name(), src.Interval())
	}
	r, err := src.Read()
	// 800 x 1.25 mA = 1 A, 4000 x 1.25 mV = 5 V, 500 x 10 mW = 5 W.
	if err != nil || r != (Reading{Time: t0, Voltage: 5 * physic.Volt, Current: physic.Ampere, Power: 5 * physic.Watt}) {
		t.Fatalf("Read = %+v, %v", r, err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
}

func TestProbeINA219(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		reg(0x40, 0x00, 0x39, 0x9F), reg(0x40, 0xFE, 0x00, 0x00), // config at reset; not TI ids
		reg(0x41, 0x00, 0x12, 0x34), reg(0x41, 0xFE, 0x12, 0x34),
	}}
	if kind, err := ProbeINA(bus, 0x40); kind != "ina219" || err != nil {
		t.Errorf("ProbeINA(0x40) = %q, %v; want ina219", kind, err)
	}
	if kind, err := ProbeINA(bus, 0x41); kind != "" || err == nil || !strings.Contains(err.Error(), "ina219:bus=N,addr=0x41") {
		t.Errorf("ProbeINA(0x41) = %q, %v; want an error suggesting an explicit spec", kind, err)
	}
}

// TestProbeINA219Nack: an INA219 may refuse the FEh pointer (it has no id registers); the
// probe still recognises it by its configuration.
func TestProbeINA219Nack(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		reg(0x40, 0x00, 0x1F, 0xFF),
		reg(0x40, 0x05, 0, 0), // anything but FEh: the FEh transfer fails
	}}
	if kind, err := ProbeINA(bus, 0x40); kind != "ina219" || err != nil {
		t.Errorf("ProbeINA = %q, %v; want ina219", kind, err)
	}
}
