package runtime

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
)

// TestInstrRatio keeps NEON at most a quarter of the reference twins' arm64 instructions per
// inference in the inference code, counted under qemu-user as BENCH.md does (-singlestep
// -d nochain,exec, a run with no inference subtracted), on a Cortex-A72 (a Pi 4: no dot
// product). Only the package's own non-test functions and math are logged (-dfilter), so the
// count leaves out the Go runtime's background work and the test's own loop. It builds this
// package's tests for arm64, so it needs the go command and qemu-aarch64-static; it takes
// tens of seconds and skips with -short.
func TestInstrRatio(t *testing.T) {
	if testing.Short() {
		t.Skip("instruction counting under qemu: skipped with -short")
	}
	if goruntime.GOOS != "linux" || goruntime.GOARCH != "amd64" {
		t.Skip("instruction counting runs from a linux/amd64 host (it builds the arm64 test binary and runs it under qemu)")
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		t.Skip("qemu-aarch64-static not found: apt-get install -y qemu-user-static")
	}
	gocmd := filepath.Join(goruntime.GOROOT(), "bin", "go")
	bin := filepath.Join(t.TempDir(), "rt.arm64")
	build := exec.Command(gocmd, "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the arm64 test binary: %v\n%s", err, out)
	}
	filter, err := inferenceRanges(bin)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	count := func(kernels, model string, n int) int {
		t.Helper()
		cmd := exec.Command(qemu, "-singlestep", "-d", "nochain,exec", "-dfilter", filter, "-D", "/dev/stderr", bin,
			"-test.run", "^TestInstrCount$", "-instr.kernels="+kernels, "-instr.model="+model, fmt.Sprintf("-instr.n=%d", n))
		cmd.Env = append(os.Environ(), "QEMU_CPU=cortex-a72", "GOGC=off", "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1")
		var lines int
		pipe, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if bytes.HasPrefix(sc.Bytes(), []byte("Trace ")) {
				lines++
			}
		}
		if err := cmd.Wait(); err != nil || !strings.Contains(stdout.String(), "instr:") {
			t.Fatalf("qemu %s %s: %v\n%s", kernels, model, err, stdout.String())
		}
		return lines
	}
	for _, model := range []string{"f32", "int8"} { // f16's twin converts halves in Go: its ratio is lower still
		base := count("generic", model, 0)
		twin := float64(count("generic", model, n)-base) / n
		neon := float64(count("neon", model, n)-base) / n
		t.Logf("%s: %.0f instructions per inference with neon, %.0f with the twins (%.3f)", model, neon, twin, neon/twin)
		if neon > twin/4 {
			t.Errorf("%s: neon runs %.0f instructions per inference, more than a quarter of the twins' %.0f", model, neon, twin)
		}
		if neon < 100 {
			t.Errorf("%s: %.0f instructions per inference: the count is broken (the filter missed the kernels?)", model, neon)
		}
	}
}

// inferenceRanges returns qemu -dfilter ranges covering the functions of this package that
// are not in _test.go files, and package math: the inference code of BENCH.md's count.
func inferenceRanges(bin string) (string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return "", err
	}
	text := f.Section(".text")
	pcln, err := f.Section(".gopclntab").Data()
	if err != nil {
		return "", err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, text.Addr))
	if err != nil {
		return "", err
	}
	var ranges []string
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 {
			continue
		}
		inPkg := strings.HasPrefix(s.Name, "github.com/edgewatt/edgewatt/runtime.")
		if !inPkg && !strings.HasPrefix(s.Name, "math.") {
			continue
		}
		if inPkg {
			file, _, _ := tab.PCToLine(s.Value)
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
		}
		ranges = append(ranges, fmt.Sprintf("0x%x+0x%x", s.Value, s.Size))
	}
	if len(ranges) == 0 {
		return "", fmt.Errorf("%s: no runtime functions in the symbol table", bin)
	}
	return strings.Join(ranges, ","), nil
}
