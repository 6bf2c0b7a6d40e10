//go:build !unix

package serve

// monotonicUsec is 0 where there is no systemd (Windows): no NOTIFY_SOCKET, nothing is sent.
func monotonicUsec() int64 { return 0 }
