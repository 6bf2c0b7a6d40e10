package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTargetsMatchMakefile(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(moduleRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RELEASE_TARGETS \?= (.*)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile has no 'RELEASE_TARGETS ?=' line")
	}
	var names []string
	for _, tg := range Targets {
		names = append(names, tg.String())
	}
	if got, want := string(m[1]), strings.Join(names, " "); got != want {
		t.Errorf("Makefile RELEASE_TARGETS = %q, release.Targets = %q: keep them equal", got, want)
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct{ in, name string }{
		{"linux/arm64", "edgewatt-linux-arm64"}, {"linux/armv6", "edgewatt-linux-armv6"},
		{"windows/amd64", "edgewatt-windows-amd64.exe"},
	} {
		tg, err := ParseTarget(tc.in)
		if err != nil || tg.BinaryName() != tc.name || tg.String() != tc.in {
			t.Errorf("ParseTarget(%q) = %+v, %v; name %q", tc.in, tg, err, tg.BinaryName())
		}
	}
	if tg, _ := ParseTarget("linux/armv7"); tg.GOARCH != "arm" || tg.GOARM != "7" {
		t.Errorf("linux/armv7 = %+v", tg)
	}
	for _, bad := range []string{"", "linux", "linux/armv5", "/arm64"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}

// TestReleaseReproducible runs 'make release-check' for two targets (CI time; 'make
// release-check' alone does all seven): a release build in the tree, a second one from a
// copy at another path with an empty build cache, and a byte comparison of SHA256SUMS.
func TestReleaseReproducible(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds twice with an empty cache: skipped with -short")
	}
	for _, tool := range []string{"make", "git", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: apt-get install -y make git coreutils", tool)
		}
	}
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("not a git checkout: release-check copies the tree with git ls-files")
	}
	dist := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command("make", "-s", "release-check", "DIST="+dist, "RELEASE_TARGETS=linux/arm64 linux/armv6")
	cmd.Dir = root
	cmd.Env = cleanGoEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make release-check: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("release-check: identical bytes")) {
		t.Fatalf("make release-check did not report identical builds:\n%s", out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(sums, []byte("\n")); n != 2 {
		t.Errorf("SHA256SUMS has %d lines, want 2:\n%s", n, sums)
	}
	// The binary says what it is, from the linker values (no git in the copy).
	for _, name := range []string{"edgewatt-linux-arm64", "edgewatt-linux-armv6"} {
		b, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		if commit := headCommit(t, root); !bytes.Contains(b, []byte(commit)) {
			t.Errorf("%s does not carry the commit %s (make release passes it with -ldflags -X)", name, commit)
		}
	}
	t.Logf("reproducible:\n%s", sums)
}

func headCommit(t *testing.T, root string) string {
	cmd := exec.Command("git", "rev-parse", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
