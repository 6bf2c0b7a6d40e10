package serve

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// SDNotifier returns a function that sends sd_notify(3) states to systemd over the
// NOTIFY_SOCKET datagram socket (an abstract socket when it starts with '@'), and the
// watchdog period from WATCHDOG_USEC when WATCHDOG_PID is this process (or unset). Outside
// systemd (socket "") it returns nil and 0. The arguments are the variables' values.
func SDNotifier(socket, watchdogUsec, watchdogPID string) (func(state string) error, time.Duration) {
	if socket == "" {
		return nil, 0
	}
	var wd time.Duration
	if us, err := strconv.ParseInt(watchdogUsec, 10, 64); err == nil && us > 0 {
		if pid, err := strconv.Atoi(watchdogPID); watchdogPID == "" || err == nil && pid == os.Getpid() {
			wd = time.Duration(us) * time.Microsecond
		}
	}
	addr := &net.UnixAddr{Name: socket, Net: "unixgram"}
	if socket[0] == '@' {
		addr.Name = "\x00" + socket[1:]
	}
	return func(state string) error {
		c, err := net.DialUnix("unixgram", nil, addr)
		if err != nil {
			return fmt.Errorf("serve: sd_notify: %w", err)
		}
		defer c.Close()
		_, err = c.Write([]byte(state))
		if err != nil {
			return fmt.Errorf("serve: sd_notify: %w", err)
		}
		return nil
	}, wd
}
