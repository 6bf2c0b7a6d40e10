package release

import (
	"fmt"
	"strings"
)

// Target is a release target: GOOS, GOARCH and, on 32-bit ARM, GOARM.
type Target struct {
	GOOS, GOARCH, GOARM string
}

// Targets are the binaries 'make release' builds (its RELEASE_TARGETS; a test keeps the two
// lists equal).
var Targets = []Target{
	{"linux", "amd64", ""}, {"linux", "arm64", ""}, {"linux", "arm", "7"}, {"linux", "arm", "6"},
	{"darwin", "amd64", ""}, {"darwin", "arm64", ""}, {"windows", "amd64", ""},
}

// ParseTarget parses "linux/arm64" or "linux/armv7".
func ParseTarget(s string) (Target, error) {
	os, arch, ok := strings.Cut(s, "/")
	if !ok || os == "" || arch == "" {
		return Target{}, fmt.Errorf("release: target %q: want GOOS/ARCH, e.g. linux/arm64 or linux/armv7", s)
	}
	t := Target{GOOS: os, GOARCH: arch}
	if v, ok := strings.CutPrefix(arch, "armv"); ok {
		if v != "6" && v != "7" {
			return Target{}, fmt.Errorf("release: target %q: 32-bit ARM is armv6 or armv7", s)
		}
		t.GOARCH, t.GOARM = "arm", v
	}
	return t, nil
}

// String is the target as ParseTarget reads it: linux/armv7.
func (t Target) String() string { return t.GOOS + "/" + t.Arch() }

// Arch is GOARCH, or armvN on 32-bit ARM.
func (t Target) Arch() string {
	if t.GOARCH == "arm" && t.GOARM != "" {
		return "armv" + t.GOARM
	}
	return t.GOARCH
}

// BinaryName is the file name in dist/: edgewatt-linux-armv7, edgewatt-windows-amd64.exe.
func (t Target) BinaryName() string {
	name := "edgewatt-" + t.GOOS + "-" + t.Arch()
	if t.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// Env is the environment that selects the target for 'go build'.
func (t Target) Env() []string {
	env := []string{"GOOS=" + t.GOOS, "GOARCH=" + t.GOARCH, "CGO_ENABLED=0"}
	if t.GOARM != "" {
		env = append(env, "GOARM="+t.GOARM)
	}
	return env
}
