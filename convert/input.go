package convert

import (
	"fmt"
	"os"

	"github.com/edgewatt/edgewatt/internal/safeio"
)

// readInput reads one of the conversion's inputs: a regular file (a FIFO, a device or a
// directory is refused without being opened) of at most max bytes.
func readInput(path, what string, max int64) ([]byte, error) {
	b, err := safeio.ReadFile(path, max)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", what, err)
	}
	return b, nil
}

// openInput opens one of the conversion's inputs for streaming, as readInput checks it.
func openInput(path, what string) (*os.File, int64, error) {
	f, n, err := safeio.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("convert: %s: %w", what, err)
	}
	return f, n, nil
}
