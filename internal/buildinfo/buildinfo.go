package buildinfo

import (
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/edgewatt/edgewatt/runtime"
)

// Set by the linker in release builds (see the package documentation).
var (
	version string
	commit  string
	date    string
)

// Info describes this binary.
type Info struct {
	Module    string `json:"module"`     // github.com/edgewatt/edgewatt
	Version   string `json:"version"`    // v1.2.3, a pseudo-version, or "(devel)"
	Commit    string `json:"commit"`     // full revision, "" when unknown
	Modified  bool   `json:"modified"`   // built from a tree with uncommitted changes
	Date      string `json:"build_date"` // RFC 3339 commit time, "" when unknown
	GoVersion string `json:"go"`         // go1.26.8
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GOARM     string `json:"goarm,omitempty"` // "6" or "7" on 32-bit ARM
	Kernels   string `json:"kernels"`         // runtime.Kernels(): what runs on this CPU
}

// Target is GOOS/GOARCH with the ARM version: linux/arm64, linux/armv7, darwin/arm64.
func (in Info) Target() string {
	if in.GOARCH == "arm" && in.GOARM != "" {
		return in.GOOS + "/armv" + strings.TrimSuffix(in.GOARM, ",hardfloat")
	}
	return in.GOOS + "/" + in.GOARCH
}

// Short is the version in one word, for places with room for one (Home Assistant's
// sw_version, the fleet table): Version, or for a development build "devel-" and the
// commit's first 12 hex digits ("-dirty" with uncommitted changes), or "devel".
func (in Info) Short() string {
	if in.Version != "(devel)" && in.Version != "" {
		return in.Version
	}
	if in.Commit == "" {
		return "devel"
	}
	s := "devel-" + in.Commit[:min(12, len(in.Commit))]
	if in.Modified {
		s += "-dirty"
	}
	return s
}

// Read returns the running binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, version, commit, date)
}

// fromBuildInfo merges the toolchain's record with the linker values (which win).
func fromBuildInfo(bi *debug.BuildInfo, ldVersion, ldCommit, ldDate string) Info {
	in := Info{
		Module:    "github.com/edgewatt/edgewatt",
		Version:   "(devel)",
		GoVersion: goruntime.Version(),
		GOOS:      goruntime.GOOS,
		GOARCH:    goruntime.GOARCH,
		Kernels:   runtime.Kernels(),
	}
	if bi != nil {
		if bi.Main.Path != "" {
			in.Module = bi.Main.Path
		}
		if bi.Main.Version != "" {
			in.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.time":
				in.Date = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			case "GOARM":
				in.GOARM = s.Value
			case "GOOS":
				in.GOOS = s.Value
			case "GOARCH":
				in.GOARCH = s.Value
			}
		}
	}
	if ldVersion != "" {
		in.Version = ldVersion
	}
	if ldCommit != "" {
		in.Commit, in.Modified = ldCommit, false
	}
	if ldDate != "" {
		in.Date = ldDate
	}
	return in
}

// Write prints the Info as aligned "key value" lines.
func (in Info) Write(w io.Writer) error {
	commit := in.Commit
	if commit == "" && in.Version != "(devel)" {
		commit = "not recorded (go install builds from the module zip, which has no git history)"
	} else if commit == "" {
		commit = "unknown (built outside git, or with -buildvcs=false; 'make build' and 'make release' pass it)"
	} else if in.Modified {
		commit += " (with uncommitted changes)"
	}
	date := in.Date
	if date == "" {
		date = "unknown"
	}
	arch := in.GOARCH
	if in.GOARM != "" {
		arch += " GOARM=" + in.GOARM
	}
	_, err := fmt.Fprintf(w, "edgewatt %s\nmodule   %s\ncommit   %s\ndate     %s\ngo       %s\ntarget   %s/%s\nkernels  %s\n",
		in.Version, in.Module, commit, date, in.GoVersion, in.GOOS, arch, in.Kernels)
	return err
}
