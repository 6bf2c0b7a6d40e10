package board

import (
	"fmt"
	"strconv"
	"strings"
)

// Throttle is the bit field printed by `vcgencmd get_throttled` (throttled=0x50005).
// Bits 0-3 describe now, bits 16-19 the same conditions since boot.
type Throttle uint32

// The bits of Throttle (https://www.raspberrypi.com/documentation/computers/os.html#get_throttled).
const (
	UnderVoltageNow       Throttle = 1 << 0  // under-voltage detected (supply below ~4.63 V)
	FreqCappedNow         Throttle = 1 << 1  // ARM frequency capped
	ThrottledNow          Throttle = 1 << 2  // currently throttled
	SoftTempLimitNow      Throttle = 1 << 3  // soft temperature limit active
	UnderVoltageOccurred  Throttle = 1 << 16 // under-voltage has occurred since boot
	FreqCappedOccurred    Throttle = 1 << 17 // ARM frequency capping has occurred
	ThrottledOccurred     Throttle = 1 << 18 // throttling has occurred
	SoftTempLimitOccurred Throttle = 1 << 19 // soft temperature limit has occurred
)

var throttleNames = [...]string{"under-voltage", "arm-freq-capped", "throttled", "soft-temp-limit"}

// Now reports the conditions active now as a bit set in the low 4 bits.
func (t Throttle) Now() Throttle { return t & 0xf }

// SinceBoot reports the conditions seen since boot, shifted down to the low 4 bits.
func (t Throttle) SinceBoot() Throttle { return (t >> 16) & 0xf }

// Quality maps the conditions active now to Reading flags.
func (t Throttle) Quality() Quality {
	var q Quality
	if t&UnderVoltageNow != 0 {
		q |= UnderVoltage
	}
	if t&(FreqCappedNow|ThrottledNow|SoftTempLimitNow) != 0 {
		q |= Throttled
	}
	return q
}

// Names lists the conditions active now and those seen since boot.
func (t Throttle) Names() (now, sinceBoot []string) {
	for i, n := range throttleNames {
		if t&(1<<i) != 0 {
			now = append(now, n)
		}
		if t&(1<<(16+i)) != 0 {
			sinceBoot = append(sinceBoot, n)
		}
	}
	return now, sinceBoot
}

// String prints "0x50005 (now: under-voltage,throttled; since boot: under-voltage,throttled)"
// or "0x0 (ok)".
func (t Throttle) String() string {
	now, boot := t.Names()
	if len(now) == 0 && len(boot) == 0 {
		if t == 0 {
			return "0x0 (ok)"
		}
		return fmt.Sprintf("0x%x", uint32(t))
	}
	var parts []string
	if len(now) > 0 {
		parts = append(parts, "now: "+strings.Join(now, ","))
	}
	if len(boot) > 0 {
		parts = append(parts, "since boot: "+strings.Join(boot, ","))
	}
	return fmt.Sprintf("0x%x (%s)", uint32(t), strings.Join(parts, "; "))
}

// ParseThrottled parses the output of `vcgencmd get_throttled`: "throttled=0x50005\n".
func ParseThrottled(out []byte) (Throttle, error) {
	s := strings.TrimSpace(string(out))
	v, ok := strings.CutPrefix(s, "throttled=")
	if !ok {
		return 0, fmt.Errorf("board: vcgencmd get_throttled: unexpected output %q, want throttled=0x...", clip(s))
	}
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("board: vcgencmd get_throttled: %q is not a 32-bit number", clip(v))
	}
	return Throttle(n), nil
}

// clip shortens untrusted text quoted in errors.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
