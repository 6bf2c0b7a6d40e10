package testmodel

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var bin struct {
	once sync.Once
	path string
	err  error
}

// Binary builds cmd/edgewatt once per test process, into a temporary directory, for the
// tests that run the real binary (serve's drain, the MQTT bridge's last will and fleet). It
// skips the test when the go command is not on PATH.
func Binary(t testing.TB) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot build the edgewatt binary for this test")
	}
	bin.once.Do(func() {
		dir, err := os.MkdirTemp("", "edgewatt-test-bin")
		if err != nil {
			bin.err = err
			return
		}
		bin.path = filepath.Join(dir, "edgewatt")
		if out, err := exec.Command(goCmd, "build", "-o", bin.path, "github.com/edgewatt/edgewatt/cmd/edgewatt").CombinedOutput(); err != nil {
			bin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	return bin.path
}

// RemoveBinary deletes what Binary built, if anything; call it from TestMain after m.Run.
func RemoveBinary() {
	if bin.path != "" {
		os.RemoveAll(filepath.Dir(bin.path))
	}
}
