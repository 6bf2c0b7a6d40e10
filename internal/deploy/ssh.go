package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// SSH runs commands on hosts with the system's OpenSSH client, so the user's ~/.ssh/config,
// agent, known_hosts, ProxyJump and ControlMaster settings apply exactly as for 'ssh HOST'.
// It never relaxes host-key checking; BatchMode makes a missing key or an unknown host fail
// at once instead of prompting.
type SSH struct {
	// Program is the ssh client; "" means "ssh" on PATH.
	Program string
	// Args go before the destination: -F FILE, -o Option=value, -i KEY, -J JUMP.
	Args []string
}

// Quote returns s as one POSIX shell word: single-quoted, with embedded single quotes
// written as '\”.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command joins argv into one shell line with every word quoted. ssh sends a single string
// that the remote login shell splits, so this is the only way remote argv is built.
func Command(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

// Script returns the command line that runs a fixed sh script with args as its positional
// parameters ($1, $2, ...): user values never become script text.
func Script(script string, args ...string) string {
	return Command(append([]string{"sh", "-c", script, "sh"}, args...)...)
}

// RemoteError is a command that ran on the host and exited non-zero.
type RemoteError struct {
	Host   string
	Status int
	Stderr string
}

func (e *RemoteError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.Status)
	}
	return msg
}

// ConnectError is ssh failing to connect or authenticate (exit status 255).
type ConnectError struct {
	Host   string
	Stderr string
}

func (e *ConnectError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	hint := "check that 'ssh " + e.Host + " true' works from this shell"
	switch {
	case strings.Contains(msg, "Permission denied"):
		hint = "the host refused every key offered: install your public key there ('ssh-copy-id " + e.Host + "'), load it into ssh-agent, or name it with IdentityFile in ~/.ssh/config"
	case strings.Contains(msg, "Host key verification failed"), strings.Contains(msg, "REMOTE HOST IDENTIFICATION HAS CHANGED"):
		hint = "the host's key is not in known_hosts or has changed: connect once with 'ssh " + e.Host + "' and check the fingerprint; edgewatt never skips host-key checks"
	case strings.Contains(msg, "Could not resolve"), strings.Contains(msg, "Connection refused"), strings.Contains(msg, "timed out"), strings.Contains(msg, "No route"):
		hint = "the host is not reachable: check the name, that it is powered on and that sshd runs"
	}
	return fmt.Sprintf("ssh to %s failed: %s (%s)", e.Host, oneLine(msg), hint)
}

// Run runs the shell line cmd on host with stdin, returning stdout.
func (s SSH) Run(ctx context.Context, host, cmd string, stdin io.Reader) ([]byte, error) {
	prog := s.Program
	if prog == "" {
		prog = "ssh"
	}
	args := append([]string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=15"}, s.Args...)
	args = append(args, "--", host, cmd)
	c := exec.CommandContext(ctx, prog, args...)
	var stdout, stderr bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = stdin, &stdout, &stderr
	err := c.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() == 255 {
			return stdout.Bytes(), &ConnectError{Host: host, Stderr: stderr.String()}
		}
		return stdout.Bytes(), &RemoteError{Host: host, Status: ee.ExitCode(), Stderr: stderr.String()}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("deploy: %s: %w", host, ctx.Err())
	}
	return nil, fmt.Errorf("deploy: running %s: %w (install the OpenSSH client: apt-get install openssh-client)", prog, err)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// multiplex returns a copy of s whose commands to one host share a single SSH connection
// (OpenSSH's ControlMaster, through a socket in a private temporary directory), and a
// function that closes those connections. A deployment runs about ten commands per host, and
// a Pi Zero spends a second or more on each key exchange. When the user's configuration
// already sets ControlMaster for any of the hosts (ssh -G), s is returned unchanged so that
// their setting applies.
func (s SSH) multiplex(ctx context.Context, hosts []Host) (SSH, func()) {
	prog := s.Program
	if prog == "" {
		prog = "ssh"
	}
	for _, h := range hosts {
		out, err := exec.CommandContext(ctx, prog, append(append([]string{"-G"}, s.Args...), "--", h.Dest)...).Output()
		if err != nil || !strings.Contains(string(out), "\ncontrolmaster false\n") {
			return s, func() {}
		}
	}
	dir, err := os.MkdirTemp("", "edgewatt-ssh")
	if err != nil {
		return s, func() {}
	}
	m := s
	m.Args = append(append([]string(nil), s.Args...), "-o", "ControlMaster=auto", "-o", "ControlPath="+dir+"/%C", "-o", "ControlPersist=60")
	return m, func() {
		for _, h := range hosts {
			_ = exec.Command(prog, append(append([]string{"-O", "exit"}, m.Args...), "--", h.Dest)...).Run()
		}
		_ = os.RemoveAll(dir)
	}
}
