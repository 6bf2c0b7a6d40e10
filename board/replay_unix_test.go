//go:build unix

package board

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReplayRefusesFIFO: a FIFO with no writer would block a plain open forever.
func TestReplayRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "trace.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := Open("replay:"+fifo, OpenOptions{})
	if err == nil || !strings.Contains(err.Error(), "a FIFO (named pipe), not a regular file") {
		t.Errorf("err = %v, want a refusal naming the FIFO", err)
	}
}
