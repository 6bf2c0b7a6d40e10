package mqtt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/edgewatt/edgewatt/internal/testmodel"
)

// TestMain removes what the tests made once for the whole binary: the trained model and the
// built edgewatt binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if modelFile != "" {
		os.RemoveAll(filepath.Dir(modelFile))
	}
	testmodel.RemoveBinary()
	os.Exit(code)
}
