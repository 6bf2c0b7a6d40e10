//go:build unix

package serve

import "golang.org/x/sys/unix"

// monotonicUsec is CLOCK_MONOTONIC in microseconds (sd_notify's MONOTONIC_USEC).
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return int64(ts.Sec)*1e6 + int64(ts.Nsec)/1e3 // int32 fields on 32-bit arm
}
