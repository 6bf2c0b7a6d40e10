// Package deploytest starts a real OpenSSH server on 127.0.0.1 for tests of 'edgewatt
// deploy', with keys generated for the test and an ssh_config naming it.
package deploytest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is a real OpenSSH server on 127.0.0.1 with keys made for the test, and an
// ssh_config that names it with several aliases:
//
//	pi-a, pi-b, pi-c   the test key, known host key: three "hosts" (give each its own prefix)
//	pi-refused         a key the server does not accept
//	pi-unknown         a host key alias that is not in known_hosts
type Server struct {
	Config string // the ssh -F file
}

// Start starts the server for t and stops it when t ends. It skips t when sshd or the ssh
// client is missing, saying which package to install.
func Start(t testing.TB) *Server {
	t.Helper()
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skip("no /usr/sbin/sshd: apt-get install -y openssh-server")
	}
	for _, tool := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: apt-get install -y openssh-client", tool)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if u.Uid == "0" {
		// sshd running as root insists on its privilege-separation directory, which the
		// package's service unit normally creates at boot.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("sshd as root needs /run/sshd: %v", err)
		}
	}
	dir := t.TempDir()
	keygen := func(name string) string {
		p := filepath.Join(dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		return p
	}
	hostKey, userKey, otherKey := keygen("host_key"), keygen("user_key"), keygen("other_key")
	pub := func(p string) string {
		b, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	authKeys := write("authorized_keys", pub(userKey)+"\n")
	knownHosts := write("known_hosts", "edgewatt-test-sshd "+pub(hostKey)+"\n")
	port := freePort(t)
	cfg := write("sshd_config", fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers %s
UsePAM no
StrictModes no
MaxStartups 50
MaxSessions 50
LogLevel ERROR
`, port, hostKey, filepath.Join(dir, "sshd.pid"), authKeys, u.Username))
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	host := func(alias, key, keyAlias string) string {
		return fmt.Sprintf(`Host %s
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s
  IdentitiesOnly yes
  IdentityAgent none
  HostKeyAlias %s
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  LogLevel ERROR
`, alias, port, u.Username, key, keyAlias, knownHosts)
	}
	var sc strings.Builder
	for _, a := range []string{"pi-a", "pi-b", "pi-c"} {
		sc.WriteString(host(a, userKey, "edgewatt-test-sshd"))
	}
	sc.WriteString(host("pi-refused", otherKey, "edgewatt-test-sshd"))
	sc.WriteString(host("pi-unknown", userKey, "some-other-host"))
	s := &Server{Config: write("ssh_config", sc.String())}

	// Wait until it answers.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("ssh", "-F", s.Config, "-o", "BatchMode=yes", "pi-a", "true").CombinedOutput()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd on port %d did not accept the test key: %v\n%s\nsshd log:\n%s", port, err, out, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
