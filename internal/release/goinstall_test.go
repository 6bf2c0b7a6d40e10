package release

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// testVersion is the version the test publishes to its file proxy.
const testVersion = "v0.99.0-proxytest"

// TestGoInstallFromFileProxy publishes this tree as github.com/edgewatt/edgewatt@testVersion in
// a file:// module proxy (the dependencies come from this machine's module cache, read as a
// second file proxy) and runs 'go install github.com/edgewatt/edgewatt/cmd/edgewatt@latest' in an
// empty GOPATH, as a new user would. No network: every GOPROXY entry is a file:// URL and
// GOSUMDB is off (the dependencies are still checked against the module's own go.sum, and a
// missing go.sum line fails the install).
func TestGoInstallFromFileProxy(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds edgewatt from a module zip: skipped with -short")
	}
	root := moduleRoot(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mf.Replace) > 0 {
		t.Fatalf("go.mod has %d replace directive(s): 'go install MODULE@VERSION' refuses such a module; vendor the code as a package instead", len(mf.Replace))
	}
	modPath := mf.Module.Mod.Path

	// The module zip, from the files git would commit (tracked, plus new files not ignored).
	files := sourceFiles(t, root)
	tmp := t.TempDir()
	vdir := filepath.Join(tmp, "proxy", modPath, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(vdir, testVersion+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.Create(zf, module.Version{Path: modPath, Version: testVersion}, files); err != nil {
		t.Fatalf("module zip: %v", err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(vdir, "list"), testVersion+"\n")
	writeFile(t, filepath.Join(vdir, testVersion+".info"), fmt.Sprintf(`{"Version":%q,"Time":"2026-12-01T00:00:00Z"}`, testVersion))
	writeFile(t, filepath.Join(vdir, testVersion+".mod"), string(gomod))

	modcache := goEnv(t, "GOMODCACHE")
	gopath := filepath.Join(tmp, "gopath")
	cmd := exec.Command("go", "install", modPath+"/cmd/edgewatt@latest")
	cmd.Dir = tmp // outside any module
	cmd.Env = append(cleanGoEnv(),
		"GOPATH="+gopath,
		"GOMODCACHE="+filepath.Join(gopath, "pkg", "mod"),
		"GOBIN="+filepath.Join(tmp, "bin"),
		"GOCACHE="+goEnv(t, "GOCACHE"), // shared: keeps the test fast
		"GOPROXY=file://"+filepath.ToSlash(filepath.Join(tmp, "proxy"))+",file://"+filepath.ToSlash(filepath.Join(modcache, "cache", "download")),
		"GOSUMDB=off",
		"GONOSUMDB="+modPath,
		"GOTOOLCHAIN=local",
		"GOFLAGS=-modcacherw",
		"CGO_ENABLED=0",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go install %s/cmd/edgewatt@latest from the file proxy: %v\n%s", modPath, err, out)
	}
	bin := filepath.Join(tmp, "bin", "edgewatt")
	vout, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("installed edgewatt version: %v\n%s", err, vout)
	}
	if !bytes.HasPrefix(vout, []byte("edgewatt "+testVersion+"\n")) {
		t.Errorf("installed binary reports\n%s\nwant first line %q (the module version go install stamps)", vout, "edgewatt "+testVersion)
	}
	t.Logf("go install from a file proxy: %d files in the module zip; 'edgewatt version' says:\n%s", len(files), vout)
}

// sourceFiles lists what git would commit, as module zip entries.
func sourceFiles(t *testing.T, root string) []modzip.File {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found: apt-get install -y git")
	}
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the test lists the module's files with git", err)
	}
	var files []modzip.File
	for _, p := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			continue // deleted in the work tree, not yet committed
		}
		files = append(files, diskFile{root: root, path: filepath.ToSlash(p)})
	}
	return files
}

type diskFile struct{ root, path string }

func (f diskFile) Path() string                 { return f.path }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(filepath.Join(f.root, f.path)) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.path)) }

func moduleRoot(t *testing.T) string {
	t.Helper()
	gomod := goEnv(t, "GOMOD")
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside the edgewatt module")
	}
	return filepath.Dir(gomod)
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out))
}

// cleanGoEnv is the environment without the Go settings a developer may have set that would
// change where modules come from.
func cleanGoEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPATH", "GOMODCACHE", "GOBIN", "GOCACHE", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE",
			"GONOPROXY", "GOINSECURE", "GOFLAGS", "GOTOOLCHAIN", "GOWORK", "GO111MODULE", "GOOS", "GOARCH", "GOARM":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
