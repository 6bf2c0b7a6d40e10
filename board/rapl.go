package board

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// powercap RAPL (https://docs.kernel.org/power/powercap/powercap.html): energy_uj is a
// counter in µJ that wraps to 0 after max_energy_range_uj. The source keeps a 64-bit
// unwrapped total; power is the counter difference over the time between two reads.
// Since 2020 (CVE-2020-8694) energy_uj is readable by root only.

const powercapDir = "sys/class/powercap"

type raplZone struct {
	dir      string
	name     string
	maxRange int64 // µJ
	last     int64
}

type raplSource struct {
	name   string
	fsys   fs.FS
	zones  []*raplZone
	now    func() time.Time
	total  int64 // µJ since open
	t      time.Time
	primed bool
}

func openRAPL(sp Spec, opt OpenOptions) (Source, error) {
	if err := sp.check(true); err != nil {
		return nil, err
	}
	fsys := rootFS(opt)
	entries, err := fs.ReadDir(fsys, powercapDir)
	if err != nil {
		err = rooted(err)
		return nil, &SourceError{Source: "/" + powercapDir, Op: "open", Err: err,
			Hint: "no powercap: RAPL exists on x86 CPUs only (modprobe intel_rapl_msr)"}
	}
	var all []*raplZone
	var seen []string
	for _, e := range entries {
		// Top-level zones are "intel-rapl:N"; sub-zones "intel-rapl:N:M" are parts of them.
		if strings.Count(e.Name(), ":") != 1 {
			continue
		}
		dir := path.Join(powercapDir, e.Name())
		name, err := readString(fsys, path.Join(dir, "name"))
		if err != nil {
			continue
		}
		seen = append(seen, e.Name()+"("+name+")")
		all = append(all, &raplZone{dir: dir, name: name})
	}
	var zones, pkgs []*raplZone
	label := sp.Arg
	for _, z := range all {
		switch {
		case sp.Arg != "":
			if z.name == sp.Arg || path.Base(z.dir) == sp.Arg {
				zones = append(zones, z)
			}
		case z.name == "psys": // the whole platform, when the firmware has it
			zones, label = []*raplZone{z}, "psys"
		case strings.HasPrefix(z.name, "package-"):
			pkgs = append(pkgs, z)
		}
	}
	if sp.Arg == "" && len(zones) == 0 {
		zones, label = pkgs, "package" // all sockets
	}
	if len(zones) == 0 {
		want := "a package or psys zone"
		if sp.Arg != "" {
			want = fmt.Sprintf("zone %q", sp.Arg)
		}
		return nil, &SourceError{Source: "/" + powercapDir, Op: "open",
			Err: fmt.Errorf("no RAPL %s; present: %s", want, strings.Join(orNone(seen), ", ")), Hint: "RAPL exists on x86 CPUs only"}
	}
	s := &raplSource{name: "rapl:" + label, fsys: fsys, zones: zones, now: opt.now}
	if len(zones) == 1 {
		s.name = "rapl:" + zones[0].name
	}
	if opt.Now != nil {
		s.now = opt.Now
	}
	for _, z := range zones {
		if z.maxRange, err = readInt(fsys, path.Join(z.dir, "max_energy_range_uj")); err != nil || z.maxRange <= 0 {
			if err == nil {
				err = fmt.Errorf("max_energy_range_uj = %d", z.maxRange)
			}
			return nil, &SourceError{Source: s.name, Op: "open", Err: err, Hint: sysfsHint(err, "/"+z.dir+"/max_energy_range_uj")}
		}
	}
	// Read once to check access, then forget it: the caller's first Read is the First.
	if _, err := s.Read(); err != nil {
		if se, ok := err.(*SourceError); ok {
			se.Op = "open"
		}
		return nil, err
	}
	s.primed, s.total = false, 0
	return s, nil
}

func (s *raplSource) Name() string            { return s.name }
func (s *raplSource) Interval() time.Duration { return 100 * time.Millisecond }
func (s *raplSource) Close() error            { return nil }

// Read returns the energy counted since the first Read (Energy) and the mean power since
// the previous Read; the first Read has only the First flag.
func (s *raplSource) Read() (Reading, error) {
	now := s.now()
	var delta int64
	var flags Quality
	for _, z := range s.zones {
		e, err := readInt(s.fsys, path.Join(z.dir, "energy_uj"))
		if err != nil {
			return Reading{}, &SourceError{Source: s.name, Op: "read", Err: err,
				Hint: raplHint(err, "/"+z.dir+"/energy_uj")}
		}
		if e < 0 || e > z.maxRange {
			return Reading{}, &SourceError{Source: s.name, Op: "read",
				Err: fmt.Errorf("%s/energy_uj = %d outside [0, max_energy_range_uj = %d]", z.dir, e, z.maxRange)}
		}
		if s.primed {
			d := e - z.last
			if d < 0 { // wrapped: count up to the range, then from 0
				d += z.maxRange
				flags |= Wrapped
			}
			delta += d
		}
		z.last = e
	}
	r := Reading{Time: now, Flags: flags}
	if !s.primed {
		s.primed, s.t = true, now
		r.Flags |= First
		return r, nil
	}
	s.total += delta
	r.Energy = physic.Energy(s.total) * physic.MicroJoule
	if dt := now.Sub(s.t); dt > 0 {
		r.Power = Watts(float64(delta) * 1e-6 / dt.Seconds())
	} else {
		r.Flags |= Stale
	}
	if delta == 0 {
		r.Flags |= Stale
	}
	s.t = now
	return r, nil
}

func raplHint(err error, file string) string {
	if h := sysfsHint(err, file); h != "" {
		return h + " (energy_uj has been root-only since CVE-2020-8694)"
	}
	return ""
}
