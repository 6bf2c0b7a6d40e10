package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChooseRecordedBoards runs target detection on recorded probe outputs (testdata/targets).
func TestChooseRecordedBoards(t *testing.T) {
	for _, tc := range []struct {
		file, board, target, why string
		pi                       string // decoded revision type, "" for non-Pi
	}{
		{"pi-zero-w", "Pi Zero W", "linux/armv6", "ARM1176", "Zero W"},
		{"pi3-32bit-os", "Pi 3 B", "linux/armv7", "armv7l kernel", "3B"},
		{"pi3-64bit-os", "Pi 3 B", "linux/arm64", "64-bit userland", "3B"},
		{"pi4-32bit-os-64bit-kernel", "Pi 4 B", "linux/armv7", "32-bit (armhf) userland", "4B"},
		{"pi4-64bit-os", "Pi 4 B", "linux/arm64", "64-bit userland", "4B"},
		{"pi5", "Pi 5 B", "linux/arm64", "64-bit userland", "5"},
		{"beaglebone-black", "TI AM335x BeagleBone Black", "linux/armv7", "ARMv7 CPU", ""},
		{"x86-64-pc", "x86_64", "linux/amd64", "x86_64", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "targets", tc.file+".probe"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseProbe(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.Board() != tc.board {
				t.Errorf("board %q, want %q", p.Board(), tc.board)
			}
			if (p.Pi == nil) != (tc.pi == "") || (p.Pi != nil && p.Pi.Type != tc.pi) {
				t.Errorf("Pi revision %+v, want type %q", p.Pi, tc.pi)
			}
			if p.FreeBytes <= 0 || p.UID != 1000 || p.Writable || p.Current != "" {
				t.Errorf("free %d, uid %d, current %q", p.FreeBytes, p.UID, p.Current)
			}
			tg, why, err := Choose(p)
			if err != nil {
				t.Fatal(err)
			}
			if tg.String() != tc.target || !strings.Contains(why, tc.why) {
				t.Errorf("Choose = %s (%s), want %s (reason mentioning %q)", tg, why, tc.target, tc.why)
			}
			t.Logf("%s: %s -> %s: %s", tc.file, p.Board(), tg, why)
		})
	}
}

func TestChooseRefuses(t *testing.T) {
	for _, p := range []*Probe{
		{Machine: "x86_64", LongBit: 32},
		{Machine: "i686", LongBit: 32},
		{Machine: "armv5tel", LongBit: 32, ARMArch: 5},
		{Machine: "riscv64", LongBit: 64},
	} {
		if tg, _, err := Choose(p); err == nil {
			t.Errorf("Choose(%+v) = %s, want a refusal", p, tg)
		}
	}
}

func TestParseProbeIncomplete(t *testing.T) {
	if _, err := ParseProbe([]byte("@uname\naarch64\n")); err == nil {
		t.Error("a report without @end was accepted")
	}
	p, err := ParseProbe([]byte("@uname\naarch64\n@longbit\n64\n@df\n/dev/root 100 50 2048 50% /\n@current\nreleases/abc\n@end\n"))
	if err != nil || p.FreeBytes != 2048<<10 || p.Current != "abc" {
		t.Errorf("ParseProbe = %+v, %v", p, err)
	}
}

func FuzzParseProbe(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "targets", "pi5.probe")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("@uname\narmv6l\n@end\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProbe(b)
		if err != nil {
			return
		}
		_, _, _ = Choose(p)
		_ = p.Board()
	})
}
