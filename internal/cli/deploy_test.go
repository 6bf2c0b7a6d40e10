package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/deploy/deploytest"
)

// TestDeployCommand drives 'edgewatt deploy' end to end against a real sshd: with no dist/
// binary it builds one with the local Go toolchain and says so; the table goes to stdout;
// --status and --json read it back; a failing host exits 1.
func TestDeployCommand(t *testing.T) {
	srv := deploytest.Start(t)
	model := smallModel(t)
	prefix := filepath.Join(t.TempDir(), "edgewatt")
	common := []string{"--ssh-config", srv.Config, "--host", "pi-a:" + prefix}

	code, so, se := runMain(append([]string{"deploy", "-m", model, "--init", "none", "--dist", t.TempDir()}, common...)...)
	if code != 0 || !strings.Contains(so, "deployed") || !strings.HasPrefix(so, "HOST ") {
		t.Fatalf("deploy: exit %d\nstdout:\n%s\nstderr:\n%s", code, so, se)
	}
	if !strings.Contains(se, "built now for linux/") || !strings.Contains(se, "with the local Go toolchain") {
		t.Errorf("the log does not say the binary was built here:\n%s", se)
	}

	code, so, se = runMain(append([]string{"deploy", "--status", "--json"}, common...)...)
	var res []map[string]any
	if code != 0 || json.Unmarshal([]byte(so), &res) != nil || len(res) != 1 || res[0]["result"] != "ok" {
		t.Fatalf("--status --json: exit %d\n%s\n%s", code, so, se)
	}

	code, so, se = runMain("deploy", "--status", "--ssh-config", srv.Config, "--host", "pi-refused:"+prefix)
	if code != 1 || !strings.Contains(so, "failed") || !strings.Contains(se, "1 of 1 hosts failed") {
		t.Errorf("failing host: exit %d\nstdout:\n%s\nstderr:\n%s", code, so, se)
	}
}
