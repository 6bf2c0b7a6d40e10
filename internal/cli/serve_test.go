package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/testmodel"
)

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "kitchen.safetensors")
	if err := testmodel.Write(m, testmodel.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "-m MODEL is required"},
		{[]string{"serve", "-m", m, "--listen", "0.0.0.0:8080"}, 2, "--token"},
		{[]string{"serve", "-m", m, "--tls-cert", "c.pem"}, 2, "both --tls-cert and --tls-key"},
		{[]string{"serve", "-m", m, "--token", "a", "--token-file", "b"}, 2, "exclude each other"},
		{[]string{"serve", "-m", "bad name=" + m}, 2, "model name"},
		{[]string{"serve", "-m", m, "extra"}, 2, "unexpected argument"},
		{[]string{"serve", "-m", m, "--log-level", "loud", "--power", "none"}, 2, "--log-level"},
		{[]string{"serve", "-m", m, "--token", "t", "--systemd-unit"}, 2, "--token-file"},
		{[]string{"serve", "-m", filepath.Join(dir, "nope.safetensors"), "--power", "none", "--listen", "127.0.0.1:0"}, 1, "no such file"},
	} {
		var so, se bytes.Buffer
		if code := Main(c.args, nil, &so, &se); code != c.code || !strings.Contains(se.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", c.args, code, se.String(), c.code, c.want)
		}
	}
}

func TestServeSystemdUnit(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "kitchen.safetensors")
	if err := testmodel.Write(m, testmodel.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	var so, se bytes.Buffer
	if code := Main([]string{"serve", "-m", "kitchen.safetensors", "--listen", "0.0.0.0:8080", "--token-file", "tok", "--systemd-unit"}, nil, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	u := so.String()
	for _, want := range []string{"-m kitchen=" + m, "--token-file " + filepath.Join(dir, "tok"), "--listen 0.0.0.0:8080", "Type=notify", "DynamicUser=yes"} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
}
