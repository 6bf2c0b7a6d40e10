package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var so, se bytes.Buffer
	code = Main(args, strings.NewReader(""), &so, &se)
	return code, so.String(), se.String()
}

// TestHelpOnStdout: asked-for help goes to stdout with exit 0 (so 'convert -h | grep' works),
// 'edgewatt help CMD' is the same, and a usage mistake goes to stderr with exit 2.
func TestHelpOnStdout(t *testing.T) {
	for name := range commands {
		code, so, se := runMain(name, "-h")
		if code != 0 || !strings.HasPrefix(so, "usage: edgewatt "+name) || se != "" {
			t.Errorf("%s -h: exit %d, stdout %.60q, stderr %.60q", name, code, so, se)
		}
		code2, so2, _ := runMain("help", name)
		if code2 != 0 || so2 != so {
			t.Errorf("help %s differs from %s -h (exit %d)", name, name, code2)
		}
		if _, so3, _ := runMain(name, "--help"); so3 != so {
			t.Errorf("%s --help differs from %s -h", name, name)
		}
	}
	if code, so, _ := runMain("convert", "-h"); code != 0 || !strings.Contains(so, "-quant") {
		t.Errorf("convert -h does not list --quant on stdout")
	}
	code, so, se := runMain("predict", "--no-such-flag")
	if code != 2 || so != "" || !strings.Contains(se, "usage: edgewatt predict") {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, so, se)
	}
	if code, _, se := runMain("help", "nosuch"); code != 2 || !strings.Contains(se, "unknown subcommand") {
		t.Errorf("help nosuch: exit %d, %q", code, se)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, so, _ := runMain(args...)
		if code != 0 || !strings.HasPrefix(so, "edgewatt ") || !strings.Contains(so, "\nkernels  ") || !strings.Contains(so, "\ngo       go1.") {
			t.Errorf("%v: exit %d\n%s", args, code, so)
		}
	}
	code, so, _ := runMain("version", "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(so), &v) != nil || v["goarch"] == "" || v["kernels"] == "" {
		t.Errorf("version --json: exit %d %s", code, so)
	}
}

// TestDoubleDash: after "--" every argument is a text, even several starting with "-".
func TestDoubleDash(t *testing.T) {
	m := smallModel(t)
	code, so, se := runMain("predict", "-m", m, "--", "-5 degrees outside", "--door open", "-x")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	var texts []string
	for _, line := range strings.Split(strings.TrimSpace(so), "\n") {
		var rec struct{ Text string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, rec.Text)
	}
	if strings.Join(texts, "|") != "-5 degrees outside|--door open|-x" {
		t.Errorf("texts %q", texts)
	}
}

// TestCompletionShells sources the scripts in real bash and fish and asks them to complete (zsh: syntax).
func TestCompletionShells(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	_, script, _ := runMain("completion", "bash")
	for _, tc := range []struct{ words, want string }{
		{"edgewatt con", "convert"},
		{"edgewatt deploy --can", "--canary"},
		{"edgewatt convert --qu", "--quant"},
		{"edgewatt completion z", "zsh"},
		{"edgewatt help dep", "deploy"},
	} {
		words := strings.Fields(tc.words)
		cmd := exec.Command(bash, "--norc", "-c", script+"\nCOMP_WORDS=("+strings.Join(words, " ")+"); COMP_CWORD="+
			string(rune('0'+len(words)-1))+"; _edgewatt; printf '%s\\n' \"${COMPREPLY[@]}\"")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("completing %q: %q, %v; want %q", tc.words, out, err, tc.want)
		}
	}
	if fish, err := exec.LookPath("fish"); err == nil {
		_, script, _ := runMain("completion", "fish")
		f := filepath.Join(t.TempDir(), "edgewatt.fish")
		if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(fish, "--no-config", "-c", "source "+f+"; complete -C 'edgewatt deploy --can'").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "--canary" {
			t.Errorf("fish completing 'edgewatt deploy --can': %q, %v", out, err)
		}
	}
	for _, sh := range []string{"zsh", "fish"} {
		_, s, _ := runMain("completion", sh)
		if !strings.Contains(s, "deploy") || !strings.Contains(s, "canary") {
			t.Errorf("%s completion lacks deploy --canary", sh)
		}
		if p, err := exec.LookPath(sh); err == nil {
			if out, err := exec.Command(p, "-n", "-c", s).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v %s", sh, err, out)
			}
		} else {
			t.Logf("%s not installed (apt-get install -y %s): its script is checked for content only", sh, sh)
		}
	}
	if code, _, _ := runMain("completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
}

func TestDeployUsage(t *testing.T) {
	for _, args := range [][]string{
		{"deploy", "--host", "pi"},                      // no model
		{"deploy", "-m", "x.safetensors"},               // no host
		{"deploy", "-m", "x", "--host", "-oProxy=evil"}, // option injection
		{"deploy", "--status", "--rollback", "--host", "pi"},
	} {
		code, _, se := runMain(args...)
		if code != 2 || se == "" {
			t.Errorf("%v: exit %d %q", args, code, se)
		}
	}
}
