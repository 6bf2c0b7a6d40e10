//go:build unix

package board

import "syscall"

// oNonblock keeps opening a FIFO from blocking; a regular file ignores it.
const oNonblock = syscall.O_NONBLOCK
