package serve

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the edgewatt binary the tests built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
