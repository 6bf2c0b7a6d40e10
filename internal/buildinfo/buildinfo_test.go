package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/edgewatt/edgewatt", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm"}, {Key: "GOARM", Value: "6"},
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-01T18:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	in := fromBuildInfo(bi, "", "", "")
	if in.Version != "v0.3.0" || in.Commit != "abc123" || !in.Modified || in.Date != "2026-12-01T18:00:00Z" {
		t.Errorf("from build info: %+v", in)
	}
	if got := in.Target(); got != "linux/armv6" {
		t.Errorf("Target = %q, want linux/armv6", got)
	}
	// Linker values win, and a linker commit is a clean release build.
	in = fromBuildInfo(bi, "v1.0.0", "def456", "2026-12-02T00:00:00Z")
	if in.Version != "v1.0.0" || in.Commit != "def456" || in.Modified || in.Date != "2026-12-02T00:00:00Z" {
		t.Errorf("with linker values: %+v", in)
	}
	var b strings.Builder
	if err := in.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"edgewatt v1.0.0\n", "commit   def456\n", "target   linux/arm GOARM=6\n", "kernels  "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Write output lacks %q:\n%s", want, b.String())
		}
	}
	// No build info at all (a test binary can have none): still a usable answer.
	in = fromBuildInfo(nil, "", "", "")
	if in.Version != "(devel)" || in.GoVersion == "" || in.Kernels == "" {
		t.Errorf("without build info: %+v", in)
	}
}

func TestShort(t *testing.T) {
	for _, c := range []struct {
		in   Info
		want string
	}{
		{Info{Version: "v1.2.3", Commit: "0123456789abcdef0123"}, "v1.2.3"},
		{Info{Version: "(devel)", Commit: "0123456789abcdef0123"}, "devel-0123456789ab"},
		{Info{Version: "(devel)", Commit: "0123456789abcdef0123", Modified: true}, "devel-0123456789ab-dirty"},
		{Info{Version: "(devel)"}, "devel"},
		{Info{Version: "(devel)", Commit: "abc"}, "devel-abc"},
	} {
		if got := c.in.Short(); got != c.want {
			t.Errorf("%+v: Short() = %q, want %q", c.in, got, c.want)
		}
	}
}
