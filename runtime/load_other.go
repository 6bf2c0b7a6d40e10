//go:build !linux

package runtime

func mapFile(path string) ([]byte, func() error, error) { return readFile(path) }
