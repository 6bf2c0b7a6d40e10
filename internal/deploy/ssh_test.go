package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "two words", "it's", `"dq" $HOME $(id) ; rm -rf / ` + "`x`", "-n", "a\nb", "'", "é ü"} {
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(s)).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(out) != s {
			t.Errorf("Quote(%q) came back as %q", s, out)
		}
	}
	out, err := exec.Command("sh", "-c", Script(`printf '%s|' "$@"`, "a b", "$x", "'q'")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a b|$x|'q'|" {
		t.Errorf("Script positional args = %q", out)
	}
}

// unquoteSh parses one POSIX sh word made of unquoted safe characters, '...' strings and \'
// escapes (all that Quote writes), and reports whether it is exactly one such word.
func unquoteSh(q string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\'':
			j := strings.IndexByte(q[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(q[i+1 : i+1+j])
			i += j + 2
		case c == '\\' && i+1 < len(q) && q[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", c) >= 0:
			b.WriteByte(c)
			i++
		default:
			return "", false // a character the shell would interpret
		}
	}
	return b.String(), q != ""
}

// FuzzQuote: whatever the string, Quote makes one shell word that means exactly it.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"it's $(x)", "", "'", "a b", "-oProxyCommand=x", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		got, ok := unquoteSh(q)
		if !ok || got != s {
			t.Fatalf("Quote(%q) = %q, which the shell reads as %q (one word: %v)", s, q, got, ok)
		}
	})
}

func TestParseHost(t *testing.T) {
	for _, tc := range []struct{ in, dest, prefix string }{
		{"pi@kitchen.local", "pi@kitchen.local", "/opt/edgewatt"},
		{"kitchen:/srv/ew/", "kitchen", "/srv/ew"},
		{"pi@10.0.0.7:/data/edgewatt", "pi@10.0.0.7", "/data/edgewatt"},
	} {
		h, err := ParseHost(tc.in, "/opt/edgewatt")
		if err != nil || h.Dest != tc.dest || h.Prefix != tc.prefix {
			t.Errorf("ParseHost(%q) = %+v, %v", tc.in, h, err)
		}
	}
	for _, bad := range []string{"", "-oProxyCommand=sh", "pi@x:/", "a b", "x;reboot", "pi@host:/a'b"} {
		if h, err := ParseHost(bad, "/opt/edgewatt"); err == nil && !strings.Contains(h.Prefix, "'") {
			t.Errorf("ParseHost(%q) accepted: %+v", bad, h)
		}
	}
	hs, err := ReadInventory(strings.NewReader("# fleet\npi@a\n\n  b:/srv/e  # the shed\n"), "/opt/edgewatt")
	if err != nil || len(hs) != 2 || hs[1].Dest != "b" || hs[1].Prefix != "/srv/e" {
		t.Errorf("ReadInventory = %+v, %v", hs, err)
	}
	if _, err := ReadInventory(strings.NewReader("ok\n-bad\n"), "/p"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad inventory line: %v", err)
	}
}

// TestWriteUsesSudo: file changes go through 'sudo -n' exactly when the login user is not root
// and may not write the prefix (Raspberry Pi OS's pi user and /opt). A stand-in ssh records
// the remote command line.
func TestWriteUsesSudo(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ssh")
	log := filepath.Join(dir, "log")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a; do last=$a; done\nprintf '%s\\n' \"$last\" > "+Quote(log)+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := &deployer{o: Options{SSH: SSH{Program: fake}}}
	h := Host{Dest: "pi@kitchen", Prefix: "/opt/edgewatt"}
	for _, tc := range []struct {
		p    Probe
		sudo bool
	}{
		{Probe{UID: 1000, Writable: false}, true},
		{Probe{UID: 1000, Writable: true}, false},
		{Probe{UID: 0, Writable: false}, false},
	} {
		if _, err := d.write(context.Background(), h, &tc.p, switchScript, nil, h.Prefix, "abc"); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(log)
		if got := strings.HasPrefix(string(b), "sudo -n sh -c "); got != tc.sudo {
			t.Errorf("uid %d writable %v: remote command %q, sudo %v want %v", tc.p.UID, tc.p.Writable, b, got, tc.sudo)
		}
	}
}
