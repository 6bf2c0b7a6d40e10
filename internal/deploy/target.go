package deploy

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/board"
	"github.com/edgewatt/edgewatt/internal/release"
)

// probeScript prints what deploy needs to know about a host, in "@section" blocks. $1 is the
// prefix. It only reads.
const probeScript = `p=$1
echo @uname; uname -m
echo @longbit; getconf LONG_BIT 2>/dev/null || echo unknown
echo @model; if [ -r /proc/device-tree/model ]; then tr -d '\000' < /proc/device-tree/model; echo; fi
echo @uid; id -u
d=$p; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done
echo @df; df -Pk -- "$d" | tail -n 1
echo @writable; if [ -w "$d" ]; then echo yes; else echo no; fi
echo @current; readlink -- "$p/current" 2>/dev/null || true
echo @previous; readlink -- "$p/previous" 2>/dev/null || true
echo @release; cat -- "$p/current/release.json" 2>/dev/null || true
echo @cpuinfo; cat /proc/cpuinfo 2>/dev/null || true
echo @end
`

// Probe is what a host reported.
type Probe struct {
	Machine   string // uname -m: aarch64, armv7l, armv6l, x86_64
	LongBit   int    // getconf LONG_BIT: the userland word size, 0 when unknown
	Model     string // device-tree model, else cpuinfo's Model line
	Pi        *board.PiRevision
	CPU       string // core name (Cortex-A72) or model name
	ARMArch   int    // /proc/cpuinfo "CPU architecture" (6, 7, 8), 0 when absent
	UID       int
	FreeBytes int64  // available on the file system that holds (or will hold) the prefix; -1 unknown
	Writable  bool   // the login user may write the prefix (or the directory it will be made in)
	Current   string // release id that current points at, "" when none
	Previous  string
	Release   []byte // current/release.json, if any
}

// ParseProbe reads probeScript's output.
func ParseProbe(out []byte) (*Probe, error) {
	sec := map[string][]string{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "@") && !strings.Contains(line, " ") {
			cur = line[1:]
			sec[cur] = sec[cur][:0:0]
			continue
		}
		if cur != "" {
			sec[cur] = append(sec[cur], line)
		}
	}
	if _, ok := sec["end"]; !ok {
		return nil, fmt.Errorf("deploy: the host's report is incomplete (no @end line): is /bin/sh a POSIX shell there?")
	}
	first := func(k string) string {
		if v := sec[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	p := &Probe{Machine: first("uname"), FreeBytes: -1}
	p.LongBit, _ = strconv.Atoi(first("longbit"))
	p.UID, _ = strconv.Atoi(first("uid"))
	p.Writable = first("writable") == "yes"
	if f := strings.Fields(first("df")); len(f) >= 4 {
		if kb, err := strconv.ParseInt(f[3], 10, 64); err == nil && kb >= 0 && kb < 1<<50 {
			p.FreeBytes = kb << 10
		}
	}
	p.Current = releaseID(first("current"))
	p.Previous = releaseID(first("previous"))
	p.Release = []byte(strings.Join(sec["release"], "\n"))
	ci := board.ParseCPUInfo([]byte(strings.Join(sec["cpuinfo"], "\n")))
	p.Model = board.ParseDTString([]byte(first("model")))
	if p.Model == "" {
		p.Model = ci.Get("Model")
	}
	if rev := ci.Get("Revision"); rev != "" && strings.HasPrefix(p.Model, "Raspberry Pi") {
		if code, err := strconv.ParseUint(rev, 16, 32); err == nil {
			if r, err := board.DecodeRevision(uint32(code)); err == nil {
				p.Pi = &r
			}
		}
	}
	p.CPU = ci.Get("model name")
	if p.CPU == "" {
		p.CPU = ci.Get("Processor")
	}
	p.ARMArch, _ = strconv.Atoi(strings.TrimSpace(ci.Get("CPU architecture")))
	if p.Machine == "" {
		return nil, fmt.Errorf("deploy: the host did not report 'uname -m'")
	}
	return p, nil
}

// releaseID turns a link target "releases/0123abcd" into "0123abcd".
func releaseID(link string) string {
	link = strings.TrimSuffix(strings.TrimSpace(link), "/")
	if i := strings.LastIndexByte(link, '/'); i >= 0 {
		link = link[i+1:]
	}
	return link
}

// Board is a short board name for tables: the device-tree model, else the machine.
func (p *Probe) Board() string {
	m := strings.TrimSpace(p.Model)
	if m == "" {
		return p.Machine
	}
	m = strings.TrimPrefix(m, "Raspberry Pi ")
	if m != p.Model {
		m = "Pi " + m
	}
	if i := strings.Index(m, " Rev "); i > 0 {
		m = m[:i]
	}
	return strings.Replace(m, " Model ", " ", 1)
}

// Choose picks the release target for a host and says why.
//
// The userland decides on ARM, not the kernel: Raspberry Pi OS 32-bit on a Pi 3, 4 or 5 boots
// an aarch64 kernel (uname -m says aarch64) under an armhf userland (getconf LONG_BIT says
// 32). A static arm64 binary would start there today, but the kernel is a boot setting
// (arm_64bit in config.txt) and the rest of that system is 32-bit, so deploy picks armv7,
// which runs under either kernel; --arch linux/arm64 overrides.
func Choose(p *Probe) (release.Target, string, error) {
	t := release.Target{GOOS: "linux"}
	m := p.Machine
	switch {
	case m == "x86_64" || m == "amd64":
		if p.LongBit == 32 {
			return t, "", fmt.Errorf("deploy: %s kernel with a 32-bit userland: edgewatt has no 386 build; install a 64-bit OS", m)
		}
		t.GOARCH = "amd64"
		return t, "x86_64 kernel and 64-bit userland", nil
	case m == "aarch64" || m == "arm64":
		if p.LongBit == 32 {
			t.GOARCH, t.GOARM = "arm", "7"
			return t, "aarch64 kernel under a 32-bit (armhf) userland, getconf LONG_BIT = 32: a 32-bit OS on a 64-bit CPU, so the armv7 build, which keeps running if the kernel is switched back to 32-bit (--arch linux/arm64 to override)", nil
		}
		t.GOARCH = "arm64"
		return t, "aarch64 kernel and 64-bit userland (getconf LONG_BIT = 64)", nil
	case m == "armv6l" || (strings.HasPrefix(m, "arm") && strings.Contains(p.CPU, "(v6l)")):
		// Checked first: the ARM1176 reports "CPU architecture: 7" in /proc/cpuinfo.
		t.GOARCH, t.GOARM = "arm", "6"
		return t, "armv6l kernel: an ARM1176 CPU (Pi Zero, Zero W, Pi 1), which runs only GOARM=6 code", nil
	case m == "armv7l" || m == "armv8l" || (strings.HasPrefix(m, "arm") && p.ARMArch >= 7):
		t.GOARCH, t.GOARM = "arm", "7"
		return t, fmt.Sprintf("%s kernel: a 32-bit system on an ARMv%d CPU, so GOARM=7", m, max(p.ARMArch, 7)), nil
	}
	return t, "", fmt.Errorf("deploy: machine %q (CPU architecture %d) has no edgewatt build: release targets are linux/amd64, arm64, armv7 and armv6", m, p.ARMArch)
}
