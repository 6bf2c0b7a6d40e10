package board

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// power_supply (https://docs.kernel.org/power/power_supply_class.html): power_now in µW,
// or voltage_now (µV) x current_now (µA). A battery's reading is the board's draw only
// while it discharges; otherwise the reading is flagged Partial.

const powerSupplyDir = "sys/class/power_supply"

type powerSupplySource struct {
	name  string
	fsys  fs.FS
	dir   string
	power bool
	now   func() time.Time
	stale staleCheck
}

func openPowerSupply(sp Spec, opt OpenOptions) (Source, error) {
	if err := sp.check(true); err != nil {
		return nil, err
	}
	fsys := rootFS(opt)
	entries, err := fs.ReadDir(fsys, powerSupplyDir)
	if err != nil {
		err = rooted(err)
		return nil, &SourceError{Source: "/" + powerSupplyDir, Op: "open", Err: err, Hint: sysfsHint(err, "/"+powerSupplyDir)}
	}
	var seen []string
	for _, e := range entries {
		if sp.Arg != "" && sp.Arg != e.Name() {
			continue
		}
		dir := path.Join(powerSupplyDir, e.Name())
		seen = append(seen, e.Name())
		s := &powerSupplySource{name: "powersupply:" + e.Name(), fsys: fsys, dir: dir, now: opt.now}
		if opt.Now != nil {
			s.now = opt.Now
		}
		switch {
		case exists(fsys, path.Join(dir, "power_now")):
			s.power = true
		case exists(fsys, path.Join(dir, "voltage_now")) && exists(fsys, path.Join(dir, "current_now")):
		default:
			continue
		}
		if _, err := s.Read(); err != nil {
			return nil, err
		}
		s.stale = staleCheck{} // the probe is not the caller's previous reading
		return s, nil
	}
	what := "no power supply reports power_now or voltage_now and current_now"
	if sp.Arg != "" {
		what = fmt.Sprintf("no power supply %q with power_now or voltage_now and current_now", sp.Arg)
	}
	return nil, &SourceError{Source: "/" + powerSupplyDir, Op: "open", Err: fmt.Errorf("%s; present: %s", what, strings.Join(orNone(seen), ", ")),
		Hint: "UPS HATs and laptop batteries appear here when their kernel driver is loaded"}
}

func (s *powerSupplySource) Name() string            { return s.name }
func (s *powerSupplySource) Interval() time.Duration { return time.Second }
func (s *powerSupplySource) Close() error            { return nil }

func (s *powerSupplySource) Read() (Reading, error) {
	fail := func(err error) (Reading, error) {
		return Reading{}, &SourceError{Source: s.name, Op: "read", Err: err, Hint: sysfsHint(err, "/"+s.dir)}
	}
	var r Reading
	uv, errV := readInt(s.fsys, path.Join(s.dir, "voltage_now"))
	ua, errI := readInt(s.fsys, path.Join(s.dir, "current_now"))
	if errV == nil {
		r.Voltage = physic.ElectricPotential(uv) * physic.MicroVolt
	}
	if errI == nil {
		r.Current = physic.ElectricCurrent(ua) * physic.MicroAmpere
	}
	if s.power {
		uw, err := readInt(s.fsys, path.Join(s.dir, "power_now"))
		if err != nil {
			return fail(err)
		}
		r.Power = physic.Power(uw) * physic.MicroWatt
	} else {
		if errV != nil {
			return fail(errV)
		}
		if errI != nil {
			return fail(errI)
		}
		r.Power = mulVI(r.Voltage, r.Current)
		r.Flags |= Estimated
	}
	if r.Power < 0 {
		r.Power = -r.Power
	}
	if typ, _ := readString(s.fsys, path.Join(s.dir, "type")); typ == "Battery" {
		if st, _ := readString(s.fsys, path.Join(s.dir, "status")); st != "Discharging" {
			r.Flags |= Partial
		}
	}
	r.Time = s.now()
	s.stale.mark(&r)
	return r, nil
}
