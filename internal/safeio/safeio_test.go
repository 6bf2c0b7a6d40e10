package safeio

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadFileRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("SKIP: mkfifo: %v", err)
	}
	// Opening a FIFO without a writer blocks forever: the check must come first.
	for _, p := range []string{fifo, "/dev/zero", dir} {
		if _, err := ReadFile(p, 1<<20); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), p) {
			t.Errorf("ReadFile(%s) = %v, want ErrNotRegular naming it", p, err)
		}
		if _, _, err := Open(p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Open(%s) = %v, want ErrNotRegular", p, err)
		}
	}
	big := filepath.Join(dir, "big")
	write(t, big, strings.Repeat("x", 1000))
	if _, err := ReadFile(big, 999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1000 bytes with limit 999: %v", err)
	}
	if b, err := ReadFile(big, 1000); err != nil || len(b) != 1000 {
		t.Errorf("1000 bytes with limit 1000: %d, %v", len(b), err)
	}
}

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "test.csv")
	write(t, in, "1,a\n")
	link := filepath.Join(dir, "link.csv")
	os.Symlink(in, link)
	hard := filepath.Join(dir, "hard.csv")
	os.Link(in, hard)
	sub := filepath.Join(dir, "adir")
	os.Mkdir(sub, 0o755)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	ins := []Path{{"--eval", in}}
	for _, c := range []struct {
		out  string
		want []string
	}{
		{in, []string{"-o " + in, "--eval " + in, "is the input"}},
		{link, []string{"-o " + link, "--eval " + in}},
		{hard, []string{"-o " + hard, "--eval " + in}},
		{sub, []string{"-o " + sub, "is a directory"}},
		{"/dev/null", []string{"-o /dev/null", "character device"}},
		{fifo, []string{"FIFO"}},
		{filepath.Join(dir, "nodir", "x"), []string{"does not exist"}},
	} {
		err := CheckOutputs([]Path{{"-o", c.out}}, ins)
		if err == nil {
			t.Errorf("output %s accepted", c.out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("output %s: %v lacks %q", c.out, err, w)
			}
		}
	}
	if err := CheckOutputs([]Path{{"-o", filepath.Join(dir, "new")}, {"--tokenizer", filepath.Join(dir, "new")}}, ins); err == nil {
		t.Error("two outputs at one new path accepted")
	}
	if err := CheckOutputs([]Path{{"-o", filepath.Join(dir, "new")}, {"--labels", ""}}, ins); err != nil {
		t.Errorf("a new output: %v", err)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	write(t, target, "old")
	// A failing writer leaves the old file and no temporary file.
	err := WriteAtomic(target, func(w io.Writer) error { io.WriteString(w, "half"); return errors.New("boom") })
	if err == nil {
		t.Fatal("error lost")
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("target is %q after a failed write", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	// A directory target: refused, naming it (not a temporary file).
	sub := filepath.Join(dir, "adir")
	os.Mkdir(sub, 0o755)
	err = WriteAtomic(sub, func(w io.Writer) error { return nil })
	if err == nil || !strings.Contains(err.Error(), sub) || strings.Contains(err.Error(), tmpMarker) {
		t.Errorf("directory target: %v", err)
	}
	// A stale temporary file of a dead process is cleaned; a live one's is kept.
	dead := filepath.Join(dir, ".out.txt"+tmpMarker+strconv.Itoa(deadPID(t))+"-123")
	live := filepath.Join(dir, ".out.txt"+tmpMarker+strconv.Itoa(os.Getpid())+"-456")
	write(t, dead, "x")
	write(t, live, "x")
	if err := WriteAtomic(target, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target %q", b)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("stale temporary file of a dead process kept")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("temporary file of a running process removed")
	}
}

// deadPID returns a PID that is not running.
func deadPID(t *testing.T) int {
	for pid := 4194000; pid > 1000; pid-- {
		if !processAlive(pid) {
			return pid
		}
	}
	t.Skip("SKIP: no free PID found")
	return 0
}
