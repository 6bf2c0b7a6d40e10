package board

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// Rail is one PMIC rail from `vcgencmd pmic_read_adc`.
type Rail struct {
	Name    string // "VDD_CORE", "3V3_SYS", ...
	Voltage physic.ElectricPotential
	Current physic.ElectricCurrent
	HasV    bool
	HasI    bool
}

// PMICADC is the parsed output of `vcgencmd pmic_read_adc` on a Raspberry Pi 5: lines such
// as "VDD_CORE_A current(7)=0.70476000A" and "VDD_CORE_V volt(15)=0.72063600V".
type PMICADC struct {
	Rails []Rail                   // sorted by name
	Input physic.ElectricPotential // EXT5V_V, the 5 V input (0 if absent)
}

// ParsePMICADC parses `vcgencmd pmic_read_adc` output.
func ParsePMICADC(out []byte) (*PMICADC, error) {
	rails := map[string]*Rail{}
	p := &PMICADC{}
	n := 0
	for i, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "error=") { // error=2 error_msg="Command not registered"
			return nil, fmt.Errorf("board: vcgencmd pmic_read_adc: %s", clip(line))
		}
		name, rest, ok := strings.Cut(line, " ")
		eq := strings.LastIndexByte(rest, '=')
		if !ok || eq < 0 {
			return nil, fmt.Errorf("board: pmic_read_adc line %d: %q: want NAME_A current(N)=0.123A or NAME_V volt(N)=0.123V", i+1, clip(line))
		}
		kind, val := strings.TrimSpace(rest[:eq]), rest[eq+1:]
		var unit string
		switch {
		case strings.HasPrefix(kind, "current("):
			unit = "A"
		case strings.HasPrefix(kind, "volt("):
			unit = "V"
		default:
			return nil, fmt.Errorf("board: pmic_read_adc line %d: %q: unknown measurement %q", i+1, clip(line), clip(kind))
		}
		num, ok := strings.CutSuffix(val, unit)
		if !ok {
			return nil, fmt.Errorf("board: pmic_read_adc line %d: %q: value %q does not end in %s", i+1, clip(line), clip(val), unit)
		}
		f, err := strconv.ParseFloat(num, 64)
		if err == nil && f != f {
			continue // "BATT_V volt(25)=nanV": no battery; not a failure of the other rails
		}
		if err != nil || f < -1000 || f > 1000 {
			return nil, fmt.Errorf("board: pmic_read_adc line %d: %q: %q is not a number in [-1000, 1000]", i+1, clip(line), clip(num))
		}
		base, ok := strings.CutSuffix(name, "_"+unit)
		if !ok {
			base = name
		}
		n++
		if unit == "V" && base == "EXT5V" {
			p.Input = physic.ElectricPotential(math.Round(f * float64(physic.Volt)))
			continue
		}
		r := rails[base]
		if r == nil {
			r = &Rail{Name: base}
			rails[base] = r
		}
		if unit == "A" {
			r.Current, r.HasI = physic.ElectricCurrent(math.Round(f*float64(physic.Ampere))), true
		} else {
			r.Voltage, r.HasV = physic.ElectricPotential(math.Round(f*float64(physic.Volt))), true
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("board: pmic_read_adc printed nothing: this needs a Raspberry Pi 5 and recent firmware")
	}
	for _, r := range rails {
		p.Rails = append(p.Rails, *r)
	}
	sort.Slice(p.Rails, func(i, j int) bool { return p.Rails[i].Name < p.Rails[j].Name })
	return p, nil
}

// Power is the sum of V x I over the rails that have both.
func (p *PMICADC) Power() physic.Power {
	var w float64
	for _, r := range p.Rails {
		if r.HasV && r.HasI {
			w += float64(r.Voltage) / float64(physic.Volt) * float64(r.Current) / float64(physic.Ampere)
		}
	}
	return Watts(w)
}

// Community calibration of the Pi 5 PMIC sum against a USB power meter on the 5 V input:
// real ≈ 1.1451 x PMIC + 0.5879 W. Select it with "pmic:community" or set your own
// with "pmic:a=...,b=...".
const (
	CommunityA = 1.1451
	CommunityB = 0.5879
)

// pmicSource reads the Pi 5 PMIC through vcgencmd.
type pmicSource struct {
	name  string
	run   Runner
	now   func() time.Time
	a, b  float64
	last  *PMICADC
	stale staleCheck
}

func openPMIC(sp Spec, opt OpenOptions) (Source, error) {
	if err := sp.check(true, "a", "b"); err != nil {
		return nil, err
	}
	a, b := 1.0, 0.0
	switch sp.Arg {
	case "":
	case "community":
		a, b = CommunityA, CommunityB
	case "raw":
	default:
		return nil, fmt.Errorf("board: power source pmic: unknown argument %q; want pmic, pmic:community or pmic:a=1.1451,b=0.5879", clip(sp.Arg))
	}
	var err error
	if a, err = sp.floatParam("a", a); err != nil {
		return nil, err
	}
	if b, err = sp.floatParam("b", b); err != nil {
		return nil, err
	}
	s := &pmicSource{name: "pmic", run: runner(opt), now: opt.now, a: a, b: b}
	if opt.Now != nil {
		s.now = opt.Now
	}
	if a != 1 || b != 0 {
		s.name = fmt.Sprintf("pmic:a=%g,b=%g", a, b)
	}
	// Probe once so that a board without the command fails at Open.
	if _, err := s.Read(); err != nil {
		if se, ok := err.(*SourceError); ok {
			se.Op = "open"
		}
		return nil, err
	}
	s.stale = staleCheck{} // the probe is not the caller's previous reading
	return s, nil
}

func (s *pmicSource) Name() string            { return s.name }
func (s *pmicSource) Interval() time.Duration { return 200 * time.Millisecond }
func (s *pmicSource) Close() error            { return nil }

// Rails returns the rails of the last reading (nil before the first).
func (s *pmicSource) Rails() *PMICADC { return s.last }

func (s *pmicSource) Read() (Reading, error) {
	out, err := s.run("vcgencmd", "pmic_read_adc")
	if err != nil {
		return Reading{}, &SourceError{Source: s.name, Op: "read", Err: err, Hint: vcgencmdHint(err)}
	}
	p, err := ParsePMICADC(out)
	if err != nil {
		return Reading{}, &SourceError{Source: s.name, Op: "read", Err: err,
			Hint: "pmic_read_adc needs a Raspberry Pi 5 (update its firmware with sudo apt full-upgrade); on other boards use an INA219/INA260"}
	}
	s.last = p
	w := s.a*watts(p.Power()) + s.b
	if w < 0 {
		w = 0
	}
	r := Reading{Time: s.now(), Power: Watts(w), Voltage: p.Input, Flags: Estimated | Partial}
	s.stale.mark(&r)
	return r, nil
}
