//go:build unix

package safeio

import "syscall"

// processAlive reports whether pid is a running process (kill(pid, 0) does not fail with ESRCH).
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) != syscall.ESRCH
}
