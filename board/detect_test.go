package board

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"periph.io/x/conn/v3/physic"
)

func TestDecodeRevision(t *testing.T) {
	for _, c := range []struct {
		code  uint32
		typ   string
		rev   string
		mem   int
		manuf string
		proc  string
		void  bool
	}{
		{0xd04170, "5", "1.0", 8192, "Sony UK", "BCM2712", false},
		{0xc04170, "5", "1.0", 4096, "Sony UK", "BCM2712", false},
		{0xc03111, "4B", "1.1", 4096, "Sony UK", "BCM2711", false},
		{0xc03130, "400", "1.0", 4096, "Sony UK", "BCM2711", false},
		{0xb03140, "CM4", "1.0", 2048, "Sony UK", "BCM2711", false},
		{0xd04180, "CM5", "1.0", 8192, "Sony UK", "BCM2712", false},
		{0xa020d3, "3B+", "1.3", 1024, "Sony UK", "BCM2837", false},
		{0xa02082, "3B", "1.2", 1024, "Sony UK", "BCM2837", false},
		{0xa22082, "3B", "1.2", 1024, "Embest", "BCM2837", false},
		{0x9020e0, "3A+", "1.0", 512, "Sony UK", "BCM2837", false},
		{0xa220a0, "CM3", "1.0", 1024, "Embest", "BCM2837", false},
		{0xa01041, "2B", "1.1", 1024, "Sony UK", "BCM2836", false},
		{0x902120, "Zero 2 W", "1.0", 512, "Sony UK", "BCM2837", false},
		{0x9000c1, "Zero W", "1.1", 512, "Sony UK", "BCM2835", false},
		{0x900093, "Zero", "1.3", 512, "Sony UK", "BCM2835", false},
		{0x900032, "B+", "1.2", 512, "Sony UK", "BCM2835", false},
		{0x2d04170, "5", "1.0", 8192, "Sony UK", "BCM2712", true}, // warranty bit 25
		{0x0002, "B", "1.0", 256, "Egoman", "BCM2835", false},
		{0x0010, "B+", "1.2", 512, "Sony UK", "BCM2835", false},
		{0x1000010, "B+", "1.2", 512, "Sony UK", "BCM2835", true}, // old style, warranty bit 24
	} {
		r, err := DecodeRevision(c.code)
		if err != nil {
			t.Errorf("%#x: %v", c.code, err)
			continue
		}
		if r.Type != c.typ || r.Revision != c.rev || r.MemoryMB != c.mem || r.Manufacturer != c.manuf || r.Processor != c.proc || r.WarrantyVoid != c.void {
			t.Errorf("%#x = %+v\nwant type %s rev %s %d MB %s %s void=%v", c.code, r, c.typ, c.rev, c.mem, c.manuf, c.proc, c.void)
		}
	}
	if _, err := DecodeRevision(0x0001); err == nil {
		t.Error("old-style 0x0001 decoded; it is not a revision")
	}
}

type throttleRunner struct{ file string }

func (r throttleRunner) run(name string, args ...string) ([]byte, error) {
	return os.ReadFile("testdata/vcgencmd/" + r.file)
}

func TestDetectBoards(t *testing.T) {
	for _, c := range []struct {
		dir      string
		throttle string
		summary  string
		soc      string
		cpu      string
		cores    int
		machine  string
		neon     bool
		dot      bool
		fp16     bool
		memTotal uint64
		os       string
		kernel   string
		freq     CPUFreq
		tempMC   int64
		th       Throttle
	}{
		{"pi5", "get_throttled-ok.txt", "Raspberry Pi 5 Model B Rev 1.0, 8 GiB", "BCM2712", "Cortex-A76", 4, "aarch64", true, true, true,
			8245784 * 1024, "Debian GNU/Linux 12 (bookworm)", "6.6.51+rpt-rpi-2712",
			CPUFreq{2400 * physic.MegaHertz, 1500 * physic.MegaHertz, 2400 * physic.MegaHertz, "ondemand"}, 48300, 0},
		{"pi4-armv7", "get_throttled-undervoltage.txt", "Raspberry Pi 4 Model B Rev 1.1, 4 GiB", "BCM2711", "Cortex-A72", 4, "armv7l", true, false, false,
			3882780 * 1024, "Raspbian GNU/Linux 11 (bullseye)", "6.1.21-v7l+",
			CPUFreq{600 * physic.MegaHertz, 600 * physic.MegaHertz, 1500 * physic.MegaHertz, "ondemand"}, 61854, 0x50005},
		{"zero-w", "get_throttled-hot-since-boot.txt", "Raspberry Pi Zero W Rev 1.1, 512 MiB", "BCM2835", "ARM1176JZF-S", 1, "armv6l", false, false, false,
			440568 * 1024, "Raspbian GNU/Linux 11 (bullseye)", "6.1.21+",
			CPUFreq{1000 * physic.MegaHertz, 700 * physic.MegaHertz, 1000 * physic.MegaHertz, "ondemand"}, 39166, 0xe0000},
		{"zero2w", "get_throttled-ok.txt", "Raspberry Pi Zero 2 W Rev 1.0, 512 MiB", "BCM2837", "Cortex-A53", 4, "aarch64", true, false, false,
			439072 * 1024, "Debian GNU/Linux 12 (bookworm)", "6.6.51+rpt-rpi-v8", CPUFreq{}, 44008, 0},
		{"x86", "", "not a Raspberry Pi: x86_64 machine (LENOVO 20L5CTO1WW, Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz)", "", "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", 2, "x86_64", false, false, false,
			16314108 * 1024, "Ubuntu 24.04.1 LTS", "6.8.0-45-generic",
			CPUFreq{1800 * physic.MegaHertz, 400 * physic.MegaHertz, 3400 * physic.MegaHertz, "powersave"}, 52000, 0},
	} {
		t.Run(c.dir, func(t *testing.T) {
			calls := 0
			run := func(name string, args ...string) ([]byte, error) {
				calls++
				if name != "vcgencmd" || len(args) != 1 || args[0] != "get_throttled" {
					t.Errorf("ran %s %v", name, args)
				}
				return throttleRunner{c.throttle}.run(name, args...)
			}
			in := Detect(DetectOptions{FS: os.DirFS("testdata/sys/" + c.dir), Run: run})
			if got := in.Summary(); got != c.summary {
				t.Errorf("Summary = %q, want %q", got, c.summary)
			}
			if in.SoC != c.soc || in.CPU != c.cpu || in.Cores != c.cores || in.Machine != c.machine {
				t.Errorf("SoC %q CPU %q cores %d machine %q; want %q %q %d %q", in.SoC, in.CPU, in.Cores, in.Machine, c.soc, c.cpu, c.cores, c.machine)
			}
			if in.NEON != c.neon || in.DotProd != c.dot || in.FP16 != c.fp16 {
				t.Errorf("NEON %v dot %v fp16 %v; want %v %v %v", in.NEON, in.DotProd, in.FP16, c.neon, c.dot, c.fp16)
			}
			if in.MemTotal != c.memTotal || in.OS != c.os || in.Kernel != c.kernel || in.Freq != c.freq {
				t.Errorf("mem %d os %q kernel %q freq %+v; want %d %q %q %+v", in.MemTotal, in.OS, in.Kernel, in.Freq, c.memTotal, c.os, c.kernel, c.freq)
			}
			if want := physic.ZeroCelsius + physic.Temperature(c.tempMC)*physic.MilliKelvin; in.Temp != want {
				t.Errorf("Temp = %v, want %v", in.Temp, want)
			}
			if isPi := c.throttle != ""; in.HasThrottled != isPi || in.Throttled != c.th || (calls > 0) != isPi {
				t.Errorf("throttled %v (read %v, %d calls); want %v", in.Throttled, in.HasThrottled, calls, c.th)
			}
			if in.GoCPU != nil || in.PeriphRPi {
				t.Errorf("fixture detection asked the real process: GoCPU %v PeriphRPi %v", in.GoCPU, in.PeriphRPi)
			}
		})
	}
}

func TestThrottleDecode(t *testing.T) {
	th, err := ParseThrottled([]byte("throttled=0x50005\n"))
	if err != nil {
		t.Fatal(err)
	}
	now, boot := th.Names()
	if !slices.Equal(now, []string{"under-voltage", "throttled"}) || !slices.Equal(boot, []string{"under-voltage", "throttled"}) {
		t.Errorf("0x50005: now %v, since boot %v", now, boot)
	}
	if th.Quality() != UnderVoltage|Throttled {
		t.Errorf("Quality = %v", th.Quality())
	}
	th, _ = ParseThrottled([]byte("throttled=0x80008"))
	if now, boot := th.Names(); !slices.Equal(now, []string{"soft-temp-limit"}) || !slices.Equal(boot, []string{"soft-temp-limit"}) {
		t.Errorf("0x80008: %v %v", now, boot)
	}
	if s := Throttle(0x20002).String(); s != "0x20002 (now: arm-freq-capped; since boot: arm-freq-capped)" {
		t.Errorf("String = %q", s)
	}
	for _, bad := range []string{"", "throttled=", "throttled=0xfffffffff", "temp=48.3'C", "throttled=zz"} {
		if _, err := ParseThrottled([]byte(bad)); err == nil {
			t.Errorf("ParseThrottled(%q) succeeded", bad)
		}
	}
}

// TestDetectPiWithoutRevision: a Pi whose /proc/cpuinfo has no Revision line (some
// containers and 64-bit kernels filter it) gets a note saying so.
func TestDetectPiWithoutRevision(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/device-tree/model": {Data: []byte("Raspberry Pi 4 Model B Rev 1.4\x00")},
		"proc/cpuinfo":           {Data: []byte("processor\t: 0\nCPU part\t: 0xd08\n")},
	}
	in := Detect(DetectOptions{FS: fsys, Run: func(string, ...string) ([]byte, error) { return []byte("throttled=0x0\n"), nil }})
	if in.Pi != nil || !slices.Contains(in.Notes, "revision code missing from /proc/cpuinfo") {
		t.Errorf("Pi %+v, notes %q; want no revision and a note saying it is missing", in.Pi, in.Notes)
	}
}

// TestDetectPiWithoutVcgencmd: Ubuntu on a Pi has no vcgencmd; the firmware driver's sysfs
// get_throttled gives the bits, and the notes say where they came from.
func TestDetectPiWithoutVcgencmd(t *testing.T) {
	fsys := ubuntuPi("50005", "0")
	fsys["proc/device-tree/model"] = &fstest.MapFile{Data: []byte("Raspberry Pi 4 Model B Rev 1.4\x00")}
	fsys["proc/cpuinfo"] = &fstest.MapFile{Data: []byte("processor\t: 0\nCPU part\t: 0xd08\nRevision\t: c03114\n")}
	missing := func(string, ...string) ([]byte, error) {
		return nil, &CommandError{Cmd: "vcgencmd get_throttled", Err: exec.ErrNotFound}
	}
	in := Detect(DetectOptions{FS: fsys, Run: missing})
	if !in.HasThrottled || in.Throttled != 0x50005 || !slices.Contains(in.Notes, "throttling: read from sysfs get_throttled+rpi_volt (vcgencmd unavailable)") {
		t.Errorf("throttled %v (%v), notes %q; want 0x50005 from sysfs", in.Throttled, in.HasThrottled, in.Notes)
	}
}

// TestDetectThisMachine runs on the real machine: it must not panic, and on this project's
// x86 box it must say it is not a Pi.
func TestDetectThisMachine(t *testing.T) {
	in := Detect(DetectOptions{})
	if in.GoArch == "" || in.Cores < 1 {
		t.Errorf("GoArch %q Cores %d", in.GoArch, in.Cores)
	}
	if in.Pi == nil && !strings.HasPrefix(in.Summary(), "not a Raspberry Pi") {
		t.Errorf("Summary = %q", in.Summary())
	}
	t.Logf("%s; notes: %v", in.Summary(), in.Notes)
}

func FuzzParseCPUInfo(f *testing.F) {
	b, _ := os.ReadFile("testdata/sys/pi5/proc/cpuinfo")
	f.Add(string(b))
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCPUInfo([]byte(s))
		if c.Processors < 0 || c.Processors > len(s) {
			t.Fatalf("%d processors from %d bytes", c.Processors, len(s))
		}
	})
}

func FuzzParseDTString(f *testing.F) {
	f.Add("Raspberry Pi 5 Model B Rev 1.0\x00")
	f.Add("raspberrypi,5-model-b\x00brcm,bcm2712\x00")
	f.Fuzz(func(t *testing.T, s string) {
		m := ParseDTString([]byte(s))
		if strings.ContainsRune(m, 0) {
			t.Fatalf("NUL in %q", m)
		}
		_ = socFromCompatible([]byte(s))
	})
}

func FuzzParseThrottled(f *testing.F) {
	f.Add("throttled=0x50005\n")
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThrottled([]byte(s))
		if err != nil {
			return
		}
		if th.Now() > 0xf || th.SinceBoot() > 0xf {
			t.Fatal("masks")
		}
		_ = th.String()
	})
}

func FuzzDecodeRevision(f *testing.F) {
	f.Add(uint32(0xd04170))
	f.Fuzz(func(t *testing.T, code uint32) {
		r, err := DecodeRevision(code)
		if err == nil && r.Type == "" {
			t.Fatalf("%#x: empty type", code)
		}
	})
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"auto", "ina219:bus=1,addr=0x40,shunt=100mΩ,max=3.2A", "pmic:a=1.1451,b=0.5879", "hwmon:ina219", "replay:x.csv", "rapl:package-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if !specKinds[sp.Kind] {
			t.Fatalf("kind %q", sp.Kind)
		}
		again, err := ParseSpec(sp.String())
		if err != nil || again.Kind != sp.Kind || again.Arg != sp.Arg || len(again.Params) != len(sp.Params) {
			t.Fatalf("%q -> %q -> %+v, %v", s, sp.String(), again, err)
		}
	})
}
