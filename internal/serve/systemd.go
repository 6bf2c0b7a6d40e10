package serve

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// UnitOptions describe the systemd service unit SystemdUnit writes.
type UnitOptions struct {
	Binary      string   // absolute path of the edgewatt binary
	Args        []string // its arguments ("serve", "-m", "/var/lib/edgewatt/m.safetensors", ...)
	Description string   // default "edgewatt classifier service"
	// User runs the service as this existing user; "" uses systemd's DynamicUser (a
	// transient user with no files of its own).
	User string
	// Groups are supplementary groups: the power sensors need i2c (/dev/i2c-*) and video
	// (/dev/vcio, for vcgencmd on a Pi). Nil means {"i2c", "video"}; empty means none.
	Groups   []string
	Watchdog time.Duration // WatchdogSec; default 30s
	// ReadWritePaths are extra writable paths (the file system is otherwise read-only).
	ReadWritePaths []string
}

// SystemdUnit returns a hardened Type=notify service unit that runs Binary with Args: it
// signals readiness and pets the watchdog with sd_notify, reloads on `systemctl reload`
// (SIGHUP), drains on stop (SIGTERM) and restarts on failure. The unit sees the file system
// read-only, has no capabilities and may only use IP and Unix sockets.
func SystemdUnit(o UnitOptions) (string, error) {
	if !filepath.IsAbs(o.Binary) {
		return "", fmt.Errorf("serve: systemd unit: the binary path %q must be absolute", o.Binary)
	}
	if o.Description == "" {
		o.Description = "edgewatt classifier service"
	}
	if o.Groups == nil {
		o.Groups = []string{"i2c", "video"}
	}
	if o.Watchdog <= 0 {
		o.Watchdog = 30 * time.Second
	}
	exec := []string{}
	for _, a := range append([]string{o.Binary}, o.Args...) {
		q, err := unitQuote(a)
		if err != nil {
			return "", err
		}
		exec = append(exec, q)
	}
	for _, g := range append([]string{o.User}, o.Groups...) {
		if strings.ContainsAny(g, " \t\n\"'\\%$") {
			return "", fmt.Errorf("serve: systemd unit: user or group %q has characters a unit cannot hold", g)
		}
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# Written by 'edgewatt serve --systemd-unit'. Install:")
	w("#   sudo cp edgewatt.service /etc/systemd/system/ && sudo systemctl daemon-reload")
	w("#   sudo systemctl enable --now edgewatt.service")
	w("# Logs: journalctl -u edgewatt; reload models: sudo systemctl reload edgewatt")
	w("[Unit]")
	w("Description=%s", o.Description)
	w("Documentation=https://github.com/edgewatt/edgewatt#serve")
	w("Wants=network-online.target")
	w("After=network-online.target")
	w("")
	w("[Service]")
	w("Type=notify")
	w("NotifyAccess=main")
	w("ExecStart=%s", strings.Join(exec, " "))
	w("ExecReload=/bin/kill -HUP $MAINPID")
	w("KillSignal=SIGTERM")
	w("TimeoutStopSec=45s")
	w("WatchdogSec=%ds", int(o.Watchdog.Seconds()))
	w("Restart=on-failure")
	w("RestartSec=2s")
	if o.User == "" {
		w("DynamicUser=yes")
	} else {
		w("User=%s", o.User)
	}
	if len(o.Groups) > 0 {
		w("SupplementaryGroups=%s", strings.Join(o.Groups, " "))
	}
	w("NoNewPrivileges=yes")
	w("ProtectSystem=strict")
	w("ProtectHome=read-only")
	w("PrivateTmp=yes")
	w("ProtectKernelTunables=yes")
	w("ProtectKernelModules=yes")
	w("ProtectKernelLogs=yes")
	w("ProtectControlGroups=yes")
	w("ProtectClock=yes")
	w("ProtectHostname=yes")
	w("ProtectProc=invisible")
	w("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6")
	w("RestrictNamespaces=yes")
	w("RestrictRealtime=yes")
	w("RestrictSUIDSGID=yes")
	w("LockPersonality=yes")
	w("MemoryDenyWriteExecute=yes")
	w("SystemCallArchitectures=native")
	w("SystemCallFilter=@system-service")
	w("SystemCallFilter=~@privileged")
	w("SystemCallErrorNumber=EPERM")
	w("CapabilityBoundingSet=")
	w("AmbientCapabilities=")
	w("UMask=0077")
	for _, p := range o.ReadWritePaths {
		q, err := unitQuote(p)
		if err != nil {
			return "", err
		}
		w("ReadWritePaths=%s", q)
	}
	w("")
	w("[Install]")
	w("WantedBy=multi-user.target")
	return b.String(), nil
}

// unitQuote quotes one ExecStart word as systemd.service(5) parses it: double quotes,
// backslash escapes, and %/$ doubled so that no specifier or variable is expanded.
func unitQuote(s string) (string, error) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", errors.New("serve: systemd unit: an argument contains a control character (newline or tab)")
		}
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`, `$`, `$$`)
	q := r.Replace(s)
	if q != "" && q == s && !strings.ContainsAny(s, " '") {
		return s, nil
	}
	return `"` + q + `"`, nil
}
