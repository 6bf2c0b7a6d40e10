package runtime

import (
	"fmt"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Load reads and verifies the model file at path. The file is read whole into private
// memory (not mapped): replacing, rewriting or truncating the file afterwards cannot change
// or crash a loaded model, and a new file is seen only through a new, verified Load. The
// cost is one copy of the file (measured in BENCH.md). path must be a regular file of at
// most modelfile.MaxFileBytes. Close releases nothing but is kept for symmetry.
func Load(path string) (*Model, error) {
	data, err := modelfile.ReadBytes(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	f, err := modelfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("runtime: %s: %w", path, err)
	}
	m, err := New(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err) // New's errors already say "runtime:"
	}
	m.bytes = len(data)
	return m, nil
}
