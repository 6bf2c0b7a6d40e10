package runtime

import (
	"fmt"
	"os"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Load opens, maps and verifies the model file at path. On Linux the file is mmapped
// read-only (the embedding table is used in place); elsewhere, or when mapping fails, it is
// read into memory. Call Close when done.
func Load(path string) (*Model, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	f, err := modelfile.Parse(data)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("runtime: %s: %w", path, err)
	}
	m, err := New(f)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("%s: %w", path, err) // New's errors already say "runtime:"
	}
	m.unmap = unmap
	m.bytes = len(data)
	return m, nil
}

func readFile(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}
