package board

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/cpu"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3/rpi"
)

// DetectOptions says where Detect looks.
type DetectOptions struct {
	// FS is the root file system; nil means the real "/", and then Detect also asks
	// the running process (uname, golang.org/x/sys/cpu, periph's rpi.Present).
	FS fs.FS
	// Run runs vcgencmd; nil means os/exec.
	Run Runner
}

// CPUFreq is cpu0's cpufreq state.
type CPUFreq struct {
	Cur, Min, Max physic.Frequency
	Governor      string
}

// MHz returns the frequencies in MHz.
func (f CPUFreq) MHz() (cur, min, max float64) {
	m := float64(physic.MegaHertz)
	return float64(f.Cur) / m, float64(f.Min) / m, float64(f.Max) / m
}

// Info describes the machine. Fields that could not be read are zero and a Note says why.
type Info struct {
	Model    string      // device-tree model ("Raspberry Pi 5 Model B Rev 1.0"), DMI vendor and product, or ""
	Pi       *PiRevision // nil when not a Raspberry Pi
	SoC      string      // "BCM2712"; "" when unknown
	CPU      string      // core ("Cortex-A76") or x86 model name
	Cores    int
	Machine  string   // kernel architecture: aarch64, armv7l, armv6l, x86_64
	GoArch   string   // this binary: GOARCH, with GOARM on arm
	Features []string // /proc/cpuinfo Features (arm) or flags (x86), sorted
	// From Features: NEON/ASIMD, the dot product (asimddp: SDOT/UDOT) and fp16 arithmetic
	// (fphp/asimdhp). Pi 4 and older have NEON only; Pi 5's Cortex-A76 has all three.
	NEON, DotProd, FP16 bool
	Hypervisor          bool // x86 "hypervisor" flag: a virtual machine
	// GoCPU is what golang.org/x/sys/cpu detects in this process (real machine only):
	// the features edgewatt's kernels dispatch on.
	GoCPU        []string
	MemTotal     uint64 // bytes
	MemAvailable uint64 // bytes
	OS           string // /etc/os-release PRETTY_NAME
	Kernel       string // uname release
	Freq         CPUFreq
	Temp         physic.Temperature
	TempZone     string // thermal zone type, e.g. cpu-thermal; "" when no temperature
	Throttled    Throttle
	HasThrottled bool // Throttled was read (vcgencmd get_throttled)
	PeriphRPi    bool // periph.io/x/host/v3/rpi.Present() (real machine only)
	Notes        []string
}

func (in *Info) note(format string, a ...any) { in.Notes = append(in.Notes, fmt.Sprintf(format, a...)) }

// Detect describes the machine. It does not fail: what it cannot read is left zero and
// explained in Notes, so a machine that is not a Pi is reported as what it is.
func Detect(opts DetectOptions) *Info {
	real := opts.FS == nil
	fsys := opts.FS
	if real {
		fsys = os.DirFS("/")
	}
	run := opts.Run
	if run == nil {
		run = ExecRunner
	}
	in := &Info{GoArch: goArch()}

	cpuinfo, err := fs.ReadFile(fsys, "proc/cpuinfo")
	if err != nil {
		in.note("cpu: %v", rooted(err))
	}
	ci := ParseCPUInfo(cpuinfo)

	// Model: the device tree (ARM boards), else DMI (PCs), else cpuinfo's Model line.
	if b, err := fs.ReadFile(fsys, "proc/device-tree/model"); err == nil {
		in.Model = ParseDTString(b)
	} else if v, _ := readString(fsys, "sys/class/dmi/id/sys_vendor"); v != "" {
		p, _ := readString(fsys, "sys/class/dmi/id/product_name")
		in.Model = strings.TrimSpace(v + " " + p)
	} else if m := ci.Get("Model"); m != "" {
		in.Model = m
	}
	isPiModel := strings.HasPrefix(in.Model, "Raspberry Pi")
	if rev := ci.Get("Revision"); rev != "" && (isPiModel || ci.Get("Hardware") == "BCM2835" || strings.HasPrefix(ci.Get("Hardware"), "BCM27")) {
		if code, err := strconv.ParseUint(rev, 16, 32); err != nil {
			in.note("revision %q: not hexadecimal", clip(rev))
		} else if r, err := DecodeRevision(uint32(code)); err != nil {
			in.note("%v", err)
		} else {
			in.Pi = &r
			in.SoC = r.Processor
		}
	} else if rev == "" && isPiModel {
		in.note("revision code missing from /proc/cpuinfo")
	}
	if in.SoC == "" {
		if b, err := fs.ReadFile(fsys, "proc/device-tree/compatible"); err == nil {
			in.SoC = socFromCompatible(b)
		}
	}
	if in.SoC == "" && ci.Get("Hardware") != "" {
		in.SoC = ci.Get("Hardware")
	}
	if in.Model == "" {
		in.note("model: no /proc/device-tree/model or DMI product name")
	}

	// CPU.
	in.Cores = ci.Processors
	if in.Cores == 0 {
		if s, err := readString(fsys, "sys/devices/system/cpu/online"); err == nil {
			in.Cores = countCPUList(s)
		} else if real {
			in.Cores = runtime.NumCPU()
		}
	}
	if n := armParts[strings.ToLower(ci.Get("CPU part"))]; n != "" {
		in.CPU = n
	} else {
		in.CPU = ci.Get("model name")
	}
	feat := ci.Get("Features")
	if feat == "" {
		feat = ci.Get("flags")
	}
	in.Features = strings.Fields(feat)
	sort.Strings(in.Features)
	has := map[string]bool{}
	for _, f := range in.Features {
		has[f] = true
	}
	in.NEON = has["neon"] || has["asimd"]
	in.DotProd = has["asimddp"]
	in.FP16 = has["fphp"] && has["asimdhp"]
	in.Hypervisor = has["hypervisor"]
	if real {
		in.GoCPU = goCPUFeatures()
		in.PeriphRPi = rpi.Present()
	}

	// Memory, OS, kernel.
	if b, err := fs.ReadFile(fsys, "proc/meminfo"); err != nil {
		in.note("memory: %v", rooted(err))
	} else {
		in.MemTotal, in.MemAvailable = ParseMeminfo(b)
	}
	if b, err := fs.ReadFile(fsys, "etc/os-release"); err == nil {
		in.OS = ParseOSRelease(b)["PRETTY_NAME"]
	} else if b, err := fs.ReadFile(fsys, "usr/lib/os-release"); err == nil {
		in.OS = ParseOSRelease(b)["PRETTY_NAME"]
	} else {
		in.note("os: no /etc/os-release")
	}
	in.Kernel, _ = readString(fsys, "proc/sys/kernel/osrelease")
	in.Machine, _ = readString(fsys, "proc/sys/kernel/arch")
	if real && (in.Kernel == "" || in.Machine == "") {
		rel, mach := uname()
		if in.Kernel == "" {
			in.Kernel = rel
		}
		if in.Machine == "" {
			in.Machine = mach
		}
	}

	// Clocks.
	const cf = "sys/devices/system/cpu/cpu0/cpufreq/"
	if khz, err := readInt(fsys, cf+"scaling_cur_freq"); err == nil {
		in.Freq.Cur = physic.Frequency(khz) * physic.KiloHertz
		if v, err := readInt(fsys, cf+"scaling_min_freq"); err == nil {
			in.Freq.Min = physic.Frequency(v) * physic.KiloHertz
		}
		if v, err := readInt(fsys, cf+"scaling_max_freq"); err == nil {
			in.Freq.Max = physic.Frequency(v) * physic.KiloHertz
		}
		in.Freq.Governor, _ = readString(fsys, cf+"scaling_governor")
	} else {
		in.note("cpu frequency: no cpufreq (virtual machine, or the driver is not loaded)")
	}

	// Temperature.
	if t, zone, err := ReadTemperature(fsys); err == nil {
		in.Temp, in.TempZone = t, zone
	} else {
		in.note("temperature: %v", err)
	}

	// Throttling: a Pi's firmware knows; through vcgencmd, else the firmware driver's sysfs
	// get_throttled or the rpi_volt hwmon device (ConditionsProbe reads them all).
	if in.Pi != nil || isPiModel {
		c, err := (&ConditionsProbe{fsys: fsys, run: run, vcgencmd: true}).Read()
		switch {
		case c.HasThrottled:
			in.Throttled, in.HasThrottled = c.Throttled, true
			if c.ThrottleFrom != "vcgencmd" {
				in.note("throttling: read from %s (vcgencmd unavailable)", c.ThrottleFrom)
			}
		case err != nil:
			in.note("throttling: %v", err)
		case c.ThrottleFrom != "":
			in.note("throttling: only under-voltage can be read (%s): %s", c.ThrottleFrom, c.Throttled)
		default:
			in.note("throttling: no vcgencmd get_throttled, no firmware get_throttled in sysfs, no rpi_volt hwmon")
		}
	} else {
		in.note("throttling: not a Raspberry Pi, no vcgencmd get_throttled")
	}
	return in
}

// ReadTemperature returns the CPU temperature from /sys/class/thermal: the zone whose type
// names the CPU (cpu-thermal, x86_pkg_temp, soc_thermal, ...), else the first zone.
func ReadTemperature(fsys fs.FS) (physic.Temperature, string, error) {
	const dir = "sys/class/thermal"
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return 0, "", fmt.Errorf("no thermal zones: %w", rooted(err))
	}
	best, bestType := "", ""
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "thermal_zone") {
			continue
		}
		typ, _ := readString(fsys, path.Join(dir, e.Name(), "type"))
		if best == "" {
			best, bestType = e.Name(), typ
		}
		if t := strings.ToLower(typ); strings.Contains(t, "cpu") || strings.Contains(t, "pkg") || strings.Contains(t, "soc") {
			best, bestType = e.Name(), typ
			break
		}
	}
	if best == "" {
		return 0, "", fmt.Errorf("no thermal zones in /%s", dir)
	}
	mc, err := readInt(fsys, path.Join(dir, best, "temp"))
	if err != nil {
		return 0, "", err
	}
	if mc < -273150 || mc > 1000000 {
		return 0, "", fmt.Errorf("/%s/%s/temp = %d m°C: out of range", dir, best, mc)
	}
	return physic.ZeroCelsius + physic.Temperature(mc)*physic.MilliKelvin, bestType, nil
}

// CPUInfo is /proc/cpuinfo: the first value of each key, and the processor count.
type CPUInfo struct {
	Fields     map[string]string
	Processors int
}

// Get returns the first value of key ("" when absent).
func (c CPUInfo) Get(key string) string { return c.Fields[key] }

// ParseCPUInfo parses /proc/cpuinfo ("key\t: value" lines, blank lines between processors).
func ParseCPUInfo(b []byte) CPUInfo {
	c := CPUInfo{Fields: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			continue
		}
		if k == "processor" {
			c.Processors++
		}
		if _, dup := c.Fields[k]; !dup {
			c.Fields[k] = v
		}
	}
	return c
}

// ParseDTString decodes a device-tree string property (NUL-terminated, maybe several).
func ParseDTString(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\x00")
	return strings.TrimSpace(strings.ToValidUTF8(s, "?"))
}

// socFromCompatible picks the SoC from /proc/device-tree/compatible ("raspberrypi,5-model-b\0brcm,bcm2712\0").
func socFromCompatible(b []byte) string {
	for _, c := range strings.Split(string(b), "\x00") {
		if vendor, chip, ok := strings.Cut(c, ","); ok && vendor == "brcm" && strings.HasPrefix(chip, "bcm2") {
			return strings.ToUpper(chip)
		}
	}
	return ""
}

// ParseMeminfo returns MemTotal and MemAvailable in bytes from /proc/meminfo.
func ParseMeminfo(b []byte) (total, avail uint64) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || n > 1<<50 {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		switch k {
		case "MemTotal":
			total = n
		case "MemAvailable":
			avail = n
		}
	}
	return total, avail
}

// ParseOSRelease parses os-release KEY=value lines, unquoting values.
func ParseOSRelease(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		m[k] = v
	}
	return m
}

// countCPUList counts the CPUs in a kernel cpu list such as "0-3,5".
func countCPUList(s string) int {
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		if !isRange {
			if err1 == nil {
				n++
			}
			continue
		}
		b, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && b >= a && b-a < 1<<16 {
			n += b - a + 1
		}
	}
	return n
}

func goArch() string {
	if runtime.GOARCH == "arm" {
		return "arm/v" + armVersion()
	}
	return runtime.GOARCH
}

// goCPUFeatures lists what golang.org/x/sys/cpu detects in this process.
func goCPUFeatures() []string {
	var l []string
	add := func(ok bool, name string) {
		if ok {
			l = append(l, name)
		}
	}
	switch runtime.GOARCH {
	case "arm64":
		add(cpu.ARM64.HasASIMD, "asimd")
		add(cpu.ARM64.HasASIMDDP, "asimddp")
		add(cpu.ARM64.HasFPHP, "fphp")
		add(cpu.ARM64.HasASIMDHP, "asimdhp")
		add(cpu.ARM64.HasASIMDRDM, "asimdrdm")
	case "arm":
		add(cpu.ARM.HasNEON, "neon")
		add(cpu.ARM.HasVFPv4, "vfpv4")
		add(cpu.ARM.HasIDIVA, "idiva")
	case "amd64", "386":
		add(cpu.X86.HasSSE41, "sse4.1")
		add(cpu.X86.HasAVX, "avx")
		add(cpu.X86.HasAVX2, "avx2")
		add(cpu.X86.HasFMA, "fma")
		add(cpu.X86.HasAVX512F, "avx512f")
		add(cpu.X86.HasAVX512VNNI, "avx512vnni")
	}
	return l
}

// Summary names the machine in one line: the Pi model, or what kind of machine it is.
func (in *Info) Summary() string {
	if in.Pi != nil {
		s := in.Model
		if s == "" {
			s = in.Pi.Name()
		}
		if in.Pi.MemoryMB > 0 {
			s += fmt.Sprintf(", %s", memString(uint64(in.Pi.MemoryMB)<<20))
		}
		return s
	}
	var parts []string
	if in.Model != "" {
		parts = append(parts, in.Model)
	}
	if in.CPU != "" {
		parts = append(parts, in.CPU)
	}
	if in.Hypervisor {
		parts = append(parts, "virtual machine")
	}
	m := in.Machine
	if m == "" {
		m = in.GoArch
	}
	s := "not a Raspberry Pi: " + m + " machine"
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// memString prints bytes in binary units: "8 GiB", "512 MiB".
func memString(b uint64) string {
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", b>>30)
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	default:
		return fmt.Sprintf("%d MiB", b>>20)
	}
}

// MemString prints a byte count in binary units ("7.9 GiB", "430 MiB").
func MemString(b uint64) string { return memString(b) }
