//go:build unix

package serve

import (
	"os"
	"syscall"
)

// fileID is the file's inode and device, so a model replaced by rename is noticed even when
// its size and time are unchanged.
func fileID(fi os.FileInfo) (ino, dev uint64) {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Ino), uint64(sys.Dev)
	}
	return 0, 0
}
