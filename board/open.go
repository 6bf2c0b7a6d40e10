package board

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/physic"
)

// Spec is a parsed power source specification: "kind[:arg|key=value,...]".
type Spec struct {
	Kind   string            // auto, ina219, ina226, ina260, pmic, hwmon, powersupply, rapl, replay
	Arg    string            // the bare argument: a hwmon/power_supply/rapl name, the replay file
	Params map[string]string // key=value pairs
}

var specKinds = map[string]bool{
	"auto": true, "ina219": true, "ina226": true, "ina260": true, "pmic": true,
	"hwmon": true, "powersupply": true, "rapl": true, "replay": true,
}

// SpecHelp describes the spec syntax, for flag usage and errors.
const SpecHelp = `auto | ina219[:bus=1,addr=0x40,shunt=100mΩ,max=3.2A] | ina226[:bus=1,addr=0x40,shunt=100mΩ,max=800mA] | ` +
	`ina260[:bus=1,addr=0x40] | pmic[:a=1.1451,b=0.5879] | hwmon[:name] | powersupply[:name] | rapl[:zone] | replay:FILE.csv`

// ParseSpec parses a power source specification (see SpecHelp).
func ParseSpec(s string) (Spec, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	kind = strings.ToLower(kind)
	if kind == "power_supply" {
		kind = "powersupply"
	}
	if !specKinds[kind] {
		return Spec{}, fmt.Errorf("board: power source %q: unknown kind %q; want %s", clip(s), clip(kind), SpecHelp)
	}
	sp := Spec{Kind: kind, Params: map[string]string{}}
	if kind == "replay" {
		if rest == "" {
			return Spec{}, fmt.Errorf("board: power source %q: replay needs a file: replay:FILE.csv", clip(s))
		}
		sp.Arg = rest
		return sp, nil
	}
	if kind == "auto" && rest != "" {
		return Spec{}, fmt.Errorf("board: power source %q: auto takes no arguments", clip(s))
	}
	if rest == "" {
		return sp, nil
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok {
			if sp.Arg != "" || k == "" {
				return Spec{}, fmt.Errorf("board: power source %q: %q is not key=value", clip(s), clip(kv))
			}
			sp.Arg = k
			continue
		}
		k = strings.ToLower(k)
		if _, dup := sp.Params[k]; dup {
			return Spec{}, fmt.Errorf("board: power source %q: %s given twice", clip(s), clip(k))
		}
		sp.Params[k] = strings.TrimSpace(v)
	}
	return sp, nil
}

// String formats the spec back, keys sorted.
func (s Spec) String() string {
	var parts []string
	if s.Arg != "" {
		parts = append(parts, s.Arg)
	}
	keys := make([]string, 0, len(s.Params))
	for k := range s.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+s.Params[k])
	}
	if len(parts) == 0 {
		return s.Kind
	}
	if s.Kind == "replay" {
		return s.Kind + ":" + s.Arg
	}
	return s.Kind + ":" + strings.Join(parts, ",")
}

// check rejects keys outside allowed, and a bare argument unless argOK.
func (s Spec) check(argOK bool, allowed ...string) error {
	if s.Arg != "" && !argOK {
		return fmt.Errorf("board: power source %s: unexpected argument %q", s.Kind, clip(s.Arg))
	}
	for k := range s.Params {
		found := false
		for _, a := range allowed {
			found = found || k == a
		}
		if !found {
			return fmt.Errorf("board: power source %s: unknown key %q; want one of %s", s.Kind, clip(k), strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (s Spec) intParam(key string, def, lo, hi int) (int, error) {
	v, ok := s.Params[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 0, 32)
	if err != nil || int(n) < lo || int(n) > hi {
		return 0, fmt.Errorf("board: power source %s: %s=%q: want an integer in [%#x, %#x]", s.Kind, key, clip(v), lo, hi)
	}
	return int(n), nil
}

func (s Spec) floatParam(key string, def float64) (float64, error) {
	v, ok := s.Params[key]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f || f > 1e6 || f < -1e6 {
		return 0, fmt.Errorf("board: power source %s: %s=%q: want a number", s.Kind, key, clip(v))
	}
	return f, nil
}

// resistanceParam parses a physic resistance; "ohm" may be written for "Ω".
func (s Spec) resistanceParam(key string, def physic.ElectricResistance) (physic.ElectricResistance, error) {
	v, ok := s.Params[key]
	if !ok {
		return def, nil
	}
	var r physic.ElectricResistance
	if err := r.Set(strings.Replace(strings.Replace(v, "Ohm", "Ω", 1), "ohm", "Ω", 1)); err != nil || r <= 0 {
		return 0, fmt.Errorf("board: power source %s: %s=%q: want a positive resistance such as 100mΩ or 0.1ohm", s.Kind, key, clip(v))
	}
	return r, nil
}

func (s Spec) currentParam(key string, def physic.ElectricCurrent) (physic.ElectricCurrent, error) {
	v, ok := s.Params[key]
	if !ok {
		return def, nil
	}
	var c physic.ElectricCurrent
	if err := c.Set(v); err != nil || c <= 0 {
		return 0, fmt.Errorf("board: power source %s: %s=%q: want a positive current such as 3.2A or 800mA", s.Kind, key, clip(v))
	}
	return c, nil
}

// Open opens the power source described by spec (see SpecHelp). "auto" tries, in order,
// an INA219/INA226/INA260 on I2C bus 1, the Raspberry Pi 5 PMIC, hwmon, power_supply and
// RAPL; when none works the error is a *NoSourceError (errors.Is ErrNoSource) that says
// what was tried and why each failed.
func Open(spec string, opt OpenOptions) (Source, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return OpenSpec(sp, opt)
}

// OpenFirst opens the first source of a '|'-separated list of specs that opens, e.g.
// "auto|replay:trace.csv" (a real sensor when the board has one, else a recorded trace), and
// returns it with the alternative that opened it. failed, when not nil, is called for each
// alternative that did not open, in order, before the next is tried. When none opens, the
// error is the one alternative's error, or all of them joined, each naming its alternative.
func OpenFirst(specs string, opt OpenOptions, failed func(alt string, err error)) (Source, string, error) {
	alts := strings.Split(specs, "|")
	var errs []error
	for _, alt := range alts {
		alt = strings.TrimSpace(alt)
		src, err := Open(alt, opt)
		if err == nil {
			return src, alt, nil
		}
		if failed != nil {
			failed(alt, err)
		}
		errs = append(errs, fmt.Errorf("%s: %w", alt, err))
	}
	if len(alts) == 1 {
		return nil, "", errors.Unwrap(errs[0])
	}
	return nil, "", errors.Join(errs...)
}

// OpenSpec is Open for a parsed Spec.
func OpenSpec(sp Spec, opt OpenOptions) (Source, error) {
	switch sp.Kind {
	case "auto":
		return openAuto(opt)
	case "replay":
		return OpenReplay(sp.Arg, opt)
	case "ina219", "ina226", "ina260":
		return openINA(sp, opt)
	case "pmic":
		return openPMIC(sp, opt)
	case "hwmon":
		return openHwmon(sp, opt)
	case "powersupply":
		return openPowerSupply(sp, opt)
	case "rapl":
		return openRAPL(sp, opt)
	}
	return nil, fmt.Errorf("board: power source %q: unknown kind", sp.Kind)
}

// rootFS is opt.FS or the real root.
func rootFS(opt OpenOptions) fs.FS {
	if opt.FS != nil {
		return opt.FS
	}
	return os.DirFS("/")
}
