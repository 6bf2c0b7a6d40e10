package board

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// hwmon (https://docs.kernel.org/hwmon/sysfs-interface.html): power*_input and
// power*_average in µW, in*_input in mV, curr*_input in mA. The kernel's ina2xx driver
// exposes in0 (shunt), in1 (bus), curr1 and power1; the source prefers power*, else
// in{k} x curr{k} for the same k.

const hwmonDir = "sys/class/hwmon"

type hwmonSource struct {
	name  string
	fsys  fs.FS
	dir   string
	power string // attribute in µW, or ""
	in    string // attribute in mV
	curr  string // attribute in mA
	now   func() time.Time
	// interval is the device's update_interval (ms) when it has one: how often the
	// chip produces a new sample (the ina2xx driver's conversion time x averages).
	interval time.Duration
	stale    staleCheck
}

// defaultHwmonInterval is the sampling period of an hwmon device without update_interval.
const defaultHwmonInterval = 100 * time.Millisecond

// hwmonFind returns the hwmon directories with a power or voltage x current pair,
// filtered by want (the name attribute or the hwmonN directory) when not empty.
func hwmonFind(fsys fs.FS, want string) ([]*hwmonSource, []string, error) {
	entries, err := fs.ReadDir(fsys, hwmonDir)
	if err != nil {
		return nil, nil, rooted(err)
	}
	var found []*hwmonSource
	var seen []string
	for _, e := range entries {
		dir := path.Join(hwmonDir, e.Name())
		name, _ := readString(fsys, path.Join(dir, "name"))
		seen = append(seen, e.Name()+"("+name+")")
		if want != "" && want != name && want != e.Name() {
			continue
		}
		files, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		attrs := map[string]bool{}
		for _, f := range files {
			attrs[f.Name()] = true
		}
		s := &hwmonSource{name: "hwmon:" + name, fsys: fsys, dir: dir}
		if name == "" {
			s.name = "hwmon:" + e.Name()
		}
		for _, p := range sortedAttrs(attrs, "power", "_input", "_average") {
			s.power = p
			break
		}
		if s.power == "" {
			for _, in := range sortedAttrs(attrs, "in", "_input") {
				k := strings.TrimSuffix(strings.TrimPrefix(in, "in"), "_input")
				if c := "curr" + k + "_input"; attrs[c] {
					s.in, s.curr = in, c
					break
				}
			}
		}
		if ms, err := readInt(fsys, path.Join(dir, "update_interval")); err == nil && ms > 0 && ms <= 3600_000 {
			s.interval = time.Duration(ms) * time.Millisecond
		}
		if s.power != "" || s.in != "" {
			found = append(found, s)
		}
	}
	return found, seen, nil
}

// sortedAttrs lists attributes prefix<digits>suffix in index order.
func sortedAttrs(attrs map[string]bool, prefix string, suffixes ...string) []string {
	type ent struct {
		n    int
		name string
	}
	var l []ent
	for a := range attrs {
		for _, suf := range suffixes {
			mid, ok := strings.CutPrefix(a, prefix)
			if !ok {
				continue
			}
			mid, ok = strings.CutSuffix(mid, suf)
			if !ok {
				continue
			}
			if n, err := strconv.Atoi(mid); err == nil && n >= 0 {
				l = append(l, ent{n, a})
			}
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].n < l[j].n || l[i].n == l[j].n && l[i].name > l[j].name })
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.name
	}
	return out
}

func openHwmon(sp Spec, opt OpenOptions) (Source, error) {
	if err := sp.check(true); err != nil {
		return nil, err
	}
	fsys := rootFS(opt)
	found, seen, err := hwmonFind(fsys, sp.Arg)
	if err != nil {
		return nil, &SourceError{Source: "/" + hwmonDir, Op: "open", Err: err, Hint: sysfsHint(err, "/"+hwmonDir)}
	}
	if len(found) == 0 {
		what := "no hwmon device reports power (power*_input) or voltage and current (in*_input, curr*_input)"
		if sp.Arg != "" {
			what = fmt.Sprintf("no hwmon device named %q reports power", sp.Arg)
		}
		return nil, &SourceError{Source: "/" + hwmonDir, Op: "open", Err: fmt.Errorf("%s; present: %s", what, strings.Join(orNone(seen), ", ")),
			Hint: "an INA2xx bound to the kernel driver (dtoverlay=i2c-sensor,ina219) shows up here"}
	}
	s := found[0]
	s.now = opt.now
	if opt.Now != nil {
		s.now = opt.Now
	}
	if _, err := s.Read(); err != nil {
		return nil, err
	}
	s.stale = staleCheck{} // the probe is not the caller's previous reading
	return s, nil
}

func orNone(l []string) []string {
	if len(l) == 0 {
		return []string{"none"}
	}
	return l
}

func (s *hwmonSource) Name() string { return s.name }
func (s *hwmonSource) Interval() time.Duration {
	if s.interval > 0 {
		return s.interval
	}
	return defaultHwmonInterval
}
func (s *hwmonSource) Close() error { return nil }

func (s *hwmonSource) Read() (Reading, error) {
	fail := func(err error) (Reading, error) {
		return Reading{}, &SourceError{Source: s.name, Op: "read", Err: err, Hint: sysfsHint(err, "/"+s.dir)}
	}
	r := Reading{}
	if s.power != "" {
		uw, err := readInt(s.fsys, path.Join(s.dir, s.power))
		if err != nil {
			return fail(err)
		}
		r.Power = physic.Power(uw) * physic.MicroWatt
		// Voltage and current are extras when the driver has them (ina2xx: in1, curr1).
		if mv, err := readInt(s.fsys, path.Join(s.dir, "in1_input")); err == nil {
			r.Voltage = physic.ElectricPotential(mv) * physic.MilliVolt
		}
		if ma, err := readInt(s.fsys, path.Join(s.dir, "curr1_input")); err == nil {
			r.Current = physic.ElectricCurrent(ma) * physic.MilliAmpere
		}
	} else {
		mv, err := readInt(s.fsys, path.Join(s.dir, s.in))
		if err != nil {
			return fail(err)
		}
		ma, err := readInt(s.fsys, path.Join(s.dir, s.curr))
		if err != nil {
			return fail(err)
		}
		r.Voltage = physic.ElectricPotential(mv) * physic.MilliVolt
		r.Current = physic.ElectricCurrent(ma) * physic.MilliAmpere
		r.Power = mulVI(r.Voltage, r.Current)
		r.Flags |= Estimated // V and I are separate samples
	}
	if r.Power < 0 {
		r.Power = -r.Power
	}
	r.Time = s.now()
	s.stale.mark(&r)
	return r, nil
}
