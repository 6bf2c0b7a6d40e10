package deploy

import (
	"testing"

	"github.com/edgewatt/edgewatt/internal/deploy/deploytest"
)

type testSSHD struct{ *deploytest.Server }

func startSSHD(t *testing.T) testSSHD { return testSSHD{deploytest.Start(t)} }

func startSSHDB(t testing.TB) testSSHD { return testSSHD{deploytest.Start(t)} }

func (s testSSHD) ssh() SSH { return SSH{Args: []string{"-F", s.Config}} }
