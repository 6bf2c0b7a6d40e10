package serve

import (
	"os"
	"testing"

	"github.com/edgewatt/edgewatt/internal/testmodel"
)

// TestMain removes the edgewatt binary the tests built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	testmodel.RemoveBinary()
	os.Exit(code)
}
