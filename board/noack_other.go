//go:build !linux

package board

import (
	"errors"
	"syscall"
)

func noAck(err error) bool { return errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EIO) }
