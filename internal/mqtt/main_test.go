package mqtt

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes what the tests made once for the whole binary: the trained model and the
// built edgewatt binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if modelFile != "" {
		os.RemoveAll(filepath.Dir(modelFile))
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
