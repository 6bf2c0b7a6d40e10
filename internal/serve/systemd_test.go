package serve

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSystemdUnit(t *testing.T) {
	u, err := SystemdUnit(UnitOptions{Binary: "/usr/local/bin/edgewatt", Args: []string{"serve", "-m", "m=/var/lib/my models/m.safetensors", "--token-file", `/etc/a"b%c$d\e`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "WatchdogSec=30s", "Restart=on-failure", "DynamicUser=yes", "SupplementaryGroups=i2c video",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "ExecReload=/bin/kill -HUP $MAINPID",
		`ExecStart=/usr/local/bin/edgewatt serve -m "m=/var/lib/my models/m.safetensors" --token-file "/etc/a\"b%%c$$d\\e"`,
	} {
		if !strings.Contains(u, want+"\n") {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	u, err = SystemdUnit(UnitOptions{Binary: "/bin/edgewatt", User: "edgewatt", Groups: []string{}})
	if err != nil || !strings.Contains(u, "User=edgewatt\n") || strings.Contains(u, "DynamicUser") || strings.Contains(u, "SupplementaryGroups") {
		t.Errorf("User unit: %v\n%s", err, u)
	}
	for _, o := range []UnitOptions{{Binary: "edgewatt"}, {Binary: "/bin/e", Args: []string{"a\nb"}}, {Binary: "/bin/e", User: "a b"}} {
		if _, err := SystemdUnit(o); err == nil {
			t.Errorf("SystemdUnit(%+v) accepted", o)
		}
	}
}

// TestSystemdAnalyzeVerify checks the unit with systemd's own verifier.
func TestSystemdAnalyzeVerify(t *testing.T) {
	hostOnly(t)
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found: apt-get install -y systemd")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "edgewatt")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	model := filepath.Join(dir, "m.safetensors")
	writeModel(t, dir, "m.safetensors", optA)
	u, err := SystemdUnit(UnitOptions{Binary: bin, Args: []string{"serve", "-m", "kitchen=" + model, "--listen", "127.0.0.1:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "edgewatt.service")
	os.WriteFile(path, []byte(u), 0o644)
	out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
	// Lines about other units on this machine are not ours to judge.
	var ours []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "edgewatt.service") {
			ours = append(ours, l)
		}
	}
	if err != nil || len(ours) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSDNotify checks READY, WATCHDOG and STOPPING over a real unixgram socket.
func TestSDNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	notify, wd := SDNotifier(sock, "200000", "")
	if notify == nil || wd != 200*time.Millisecond {
		t.Fatalf("SDNotifier: %v %v", notify != nil, wd)
	}
	if n, wd := SDNotifier("", "1", ""); n != nil || wd != 0 {
		t.Errorf("without a socket: %v %v", n != nil, wd)
	}
	if _, wd := SDNotifier(sock, "1000", "1"); wd != 0 {
		t.Errorf("watchdog for another pid: %v", wd)
	}
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	s := startServer(t, Options{Models: []ModelSpec{{"a", pa}}}, HTTPOptions{Notify: notify, Watchdog: wd})
	got := map[string]bool{}
	buf := make([]byte, 512)
	ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	for !(got["READY=1"] && got["WATCHDOG=1"]) {
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("got %v, then %v", got, err)
		}
		for _, l := range strings.Split(string(buf[:n]), "\n") {
			got[l] = true
		}
	}
	s.stop()
	for !got["STOPPING=1"] {
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("no STOPPING=1: %v", err)
		}
		got[string(buf[:n])] = true
	}
}
