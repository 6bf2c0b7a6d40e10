package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/edgewatt/edgewatt/internal/deploy"
)

const deploySynopsis = `-m MODEL --host [USER@]HOST[:/PREFIX] [--host ...] [--inventory FILE] [flags]
       edgewatt deploy --status --host ...|--inventory FILE
       edgewatt deploy --rollback --host ...|--inventory FILE

Installs MODEL and the edgewatt build that fits each host into PREFIX/releases/ID over SSH
(your ~/.ssh/config, agent, known_hosts and ProxyJump apply; host keys are always checked),
verifies sha256 on the host, switches PREFIX/current atomically, installs and restarts the
systemd unit of 'edgewatt serve' (rendered by the deployed binary itself), then runs a smoke
prediction there that must match this machine's. Any failure rolls back to the previous
release. The same binary and model again is a no-op. Exit status 1 when any host failed.`

// runDeploy implements 'edgewatt deploy'.
func runDeploy(env *Env) error {
	fs := newFlagSet(env, "deploy", deploySynopsis)
	var o deploy.Options
	var hosts multiString
	var serveArgs multiString
	var sshOpts multiString
	var inventory, sshConfig string
	var status, rollback, asJSON bool
	fs.StringVar(&o.Model, "m", "", "model file to deploy (from 'edgewatt convert')")
	fs.Var(&hosts, "host", "target: user@host or an ssh config alias, optionally :/prefix (repeatable)")
	fs.StringVar(&inventory, "inventory", "", "file with one host per line (# comments)")
	fs.StringVar(&o.Prefix, "prefix", "/opt/edgewatt", "install directory on the hosts")
	fs.StringVar(&o.Init, "init", "systemd", "systemd: install and restart the edgewatt serve unit; none: files only")
	fs.StringVar(&o.Unit, "unit", "edgewatt", "systemd unit name")
	fs.Var(&serveArgs, "serve-arg", "extra 'edgewatt serve' flag for the unit, e.g. --serve-arg=--listen=0.0.0.0:8080 (repeatable)")
	fs.IntVar(&o.Keep, "keep", 3, "releases kept on each host")
	fs.IntVar(&o.Parallel, "parallel", 4, "hosts deployed at once")
	fs.IntVar(&o.Canary, "canary", 0, "deploy to the first K hosts first; stop if any fails")
	fs.DurationVar(&o.Ready, "ready-timeout", 0, "how long the service may take to become active (default 30s)")
	fs.StringVar(&o.Dist, "dist", "dist", "directory with 'make release' binaries")
	fs.StringVar(&o.Binary, "binary", "", "deploy this binary to every host instead of choosing one")
	fs.StringVar(&o.Arch, "arch", "", "force the target (linux/arm64, linux/armv7, linux/armv6, linux/amd64)")
	fs.StringVar(&o.SmokeText, "smoke-text", "", "text for the smoke prediction")
	fs.StringVar(&sshConfig, "ssh-config", "", "ssh client configuration file (ssh -F)")
	fs.Var(&sshOpts, "ssh-option", "ssh -o option, e.g. --ssh-option ProxyJump=bastion (repeatable)")
	fs.BoolVar(&status, "status", false, "print each host's current release and check it")
	fs.BoolVar(&rollback, "rollback", false, "make each host's previous release current again")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("deploy: unexpected argument %q; name hosts with --host", args[0])
	}
	if status && rollback {
		return usagef("deploy: --status and --rollback exclude each other")
	}
	if !status && !rollback && o.Model == "" {
		return usagef("deploy: -m MODEL is required (a .safetensors file from 'edgewatt convert')")
	}
	for _, h := range hosts {
		hh, err := deploy.ParseHost(h, o.Prefix)
		if err != nil {
			return usagef("%v", err)
		}
		o.Hosts = append(o.Hosts, hh)
	}
	if inventory != "" {
		f, err := os.Open(inventory)
		if err != nil {
			return fmt.Errorf("deploy: %w", err)
		}
		hs, err := deploy.ReadInventory(f, o.Prefix)
		f.Close()
		if err != nil {
			return usagef("deploy: %s: %v", inventory, err)
		}
		o.Hosts = append(o.Hosts, hs...)
	}
	if len(o.Hosts) == 0 {
		return usagef("deploy: no hosts: give --host user@host (repeatable) or --inventory FILE")
	}
	if sshConfig != "" {
		o.SSH.Args = append(o.SSH.Args, "-F", sshConfig)
	}
	for _, s := range sshOpts {
		o.SSH.Args = append(o.SSH.Args, "-o", s)
	}
	o.ServeArgs = serveArgs
	o.Log = env.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var res []deploy.Result
	switch {
	case status:
		res, err = deploy.Status(ctx, o)
	case rollback:
		res, err = deploy.Rollback(ctx, o)
	default:
		res, err = deploy.Deploy(ctx, o)
	}
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := deploy.WriteTable(env.Stdout, res); err != nil {
		return err
	}
	failed := 0
	for _, r := range res {
		if r.Failed() {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("deploy: %d of %d hosts failed (see the table above)", failed, len(res))
	}
	return nil
}

// multiString is a repeatable string flag.
type multiString []string

func (m *multiString) String() string     { return strings.Join(*m, ",") }
func (m *multiString) Set(v string) error { *m = append(*m, v); return nil }
