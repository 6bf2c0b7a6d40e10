//go:build !unix

package safeio

// processAlive cannot tell elsewhere: stale files are kept.
func processAlive(int) bool { return true }
