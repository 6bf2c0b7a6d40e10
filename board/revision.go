package board

import (
	"fmt"
)

// PiRevision is a decoded Raspberry Pi revision code (/proc/cpuinfo "Revision").
//
// New-style codes (bit 23 set) pack NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR: overvoltage (N),
// OTP program/read (O, Q), warranty (W), new flag (F), memory (M), manufacturer (C),
// processor (P), type (T) and revision (R); see
// https://www.raspberrypi.com/documentation/computers/raspberry-pi.html#raspberry-pi-revision-codes.
// Old-style codes (0002h..0015h, with bit 24 set when the warranty is void) are mapped
// through a table.
type PiRevision struct {
	Code         uint32
	NewStyle     bool
	TypeCode     uint8  // the T field
	Type         string // "5", "4B", "Zero 2 W", "CM4", ...
	Revision     string // "1.1"
	MemoryMB     int    // 0 when unknown
	Manufacturer string
	Processor    string // "BCM2712", ...
	WarrantyVoid bool   // overclocked with force_turbo / over_voltage
}

// piTypes is the T field.
var piTypes = map[uint8]string{
	0x00: "A", 0x01: "B", 0x02: "A+", 0x03: "B+", 0x04: "2B", 0x05: "Alpha", 0x06: "CM1",
	0x08: "3B", 0x09: "Zero", 0x0a: "CM3", 0x0c: "Zero W", 0x0d: "3B+", 0x0e: "3A+",
	0x0f: "internal", 0x10: "CM3+", 0x11: "4B", 0x12: "Zero 2 W", 0x13: "400", 0x14: "CM4",
	0x15: "CM4S", 0x16: "internal", 0x17: "5", 0x18: "CM5", 0x19: "500", 0x1a: "CM5 Lite", 0x1b: "CM0",
}

var piProcessors = []string{"BCM2835", "BCM2836", "BCM2837", "BCM2711", "BCM2712"}

var piManufacturers = []string{"Sony UK", "Egoman", "Embest", "Sony Japan", "Embest", "Stadium"}

// oldRevisions maps old-style codes to type, revision, memory and manufacturer.
var oldRevisions = map[uint32]struct {
	typ   uint8
	rev   string
	mem   int
	manuf string
}{
	0x02: {0x01, "1.0", 256, "Egoman"}, 0x03: {0x01, "1.0", 256, "Egoman"},
	0x04: {0x01, "2.0", 256, "Sony UK"}, 0x05: {0x01, "2.0", 256, "Qisda"}, 0x06: {0x01, "2.0", 256, "Egoman"},
	0x07: {0x00, "2.0", 256, "Egoman"}, 0x08: {0x00, "2.0", 256, "Sony UK"}, 0x09: {0x00, "2.0", 256, "Qisda"},
	0x0d: {0x01, "2.0", 512, "Egoman"}, 0x0e: {0x01, "2.0", 512, "Sony UK"}, 0x0f: {0x01, "2.0", 512, "Egoman"},
	0x10: {0x03, "1.2", 512, "Sony UK"}, 0x11: {0x06, "1.0", 512, "Sony UK"}, 0x12: {0x02, "1.1", 256, "Sony UK"},
	0x13: {0x03, "1.2", 512, "Embest"}, 0x14: {0x06, "1.0", 512, "Embest"}, 0x15: {0x02, "1.1", 0, "Embest"}, // 256 or 512 MB
}

// DecodeRevision decodes a revision code.
func DecodeRevision(code uint32) (PiRevision, error) {
	r := PiRevision{Code: code}
	if code&(1<<23) == 0 {
		old, ok := oldRevisions[code&^(1<<24)]
		if !ok {
			return PiRevision{}, fmt.Errorf("board: unknown Raspberry Pi revision code %#x", code)
		}
		r.WarrantyVoid = code&(1<<24) != 0
		r.TypeCode, r.Type, r.Revision, r.MemoryMB, r.Manufacturer, r.Processor =
			old.typ, piTypes[old.typ], old.rev, old.mem, old.manuf, "BCM2835"
		return r, nil
	}
	r.NewStyle = true
	r.WarrantyVoid = code&(1<<25) != 0
	r.TypeCode = uint8(code >> 4)
	r.Type = piTypes[r.TypeCode]
	if r.Type == "" {
		r.Type = fmt.Sprintf("unknown type %#02x", r.TypeCode)
	}
	r.Revision = fmt.Sprintf("1.%d", code&0xf)
	if m := (code >> 20) & 7; m < 7 {
		r.MemoryMB = 256 << m
	}
	if c := (code >> 16) & 0xf; int(c) < len(piManufacturers) {
		r.Manufacturer = piManufacturers[c]
	} else {
		r.Manufacturer = fmt.Sprintf("unknown manufacturer %d", c)
	}
	if p := (code >> 12) & 0xf; int(p) < len(piProcessors) {
		r.Processor = piProcessors[p]
	} else {
		r.Processor = fmt.Sprintf("unknown processor %d", p)
	}
	return r, nil
}

// Name is "Raspberry Pi 4B rev 1.1".
func (r PiRevision) Name() string {
	return "Raspberry Pi " + r.Type + " rev " + r.Revision
}

// armParts names the CPU part numbers (/proc/cpuinfo "CPU part") of Pi cores and a few
// common others.
var armParts = map[string]string{
	"0xb76": "ARM1176JZF-S", "0xc07": "Cortex-A7", "0xd03": "Cortex-A53", "0xd04": "Cortex-A35",
	"0xd05": "Cortex-A55", "0xd07": "Cortex-A57", "0xd08": "Cortex-A72", "0xd09": "Cortex-A73",
	"0xd0a": "Cortex-A75", "0xd0b": "Cortex-A76", "0xd0c": "Neoverse-N1", "0xd41": "Cortex-A78",
}
