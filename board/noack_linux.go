package board

import (
	"errors"
	"syscall"
)

// noAck reports whether err looks like "nobody at this address": the i2c-dev ioctl fails
// with ENXIO or EREMOTEIO when the address is not acknowledged (EIO on some adapters).
func noAck(err error) bool {
	return errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EREMOTEIO) || errors.Is(err, syscall.EIO)
}
