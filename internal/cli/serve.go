package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"github.com/edgewatt/edgewatt/internal/serve"
)

// serveOptions are the flags of 'edgewatt serve'.
type serveOptions struct {
	models        []string
	listen        string
	token         string
	tokenFile     string
	insecure      bool
	tlsCert       string
	tlsKey        string
	power         string
	powerInterval time.Duration
	watch         time.Duration
	maxBody       int64
	maxText       int
	maxBatch      int
	maxInflight   int
	logLevel      string
	logFormat     string
	unit          bool
	unitUser      string
	unitGroups    string
	drain         time.Duration
	mqtt          mqttFlags
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runServe implements 'edgewatt serve': the always-on classifier over HTTP.
func runServe(env *Env) error {
	fs := newFlagSet(env, "serve", "-m MODEL [-m NAME=MODEL ...] [--listen 127.0.0.1:8080] [--token T] [--power SPEC] [--systemd-unit]")
	var o serveOptions
	fs.Var((*multiFlag)(&o.models), "m", "model file to serve, or NAME=FILE (repeat for several; the first is the default model)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on; anything but loopback needs --token or --insecure")
	fs.StringVar(&o.token, "token", "", "bearer token required on every endpoint but /v2/health/* and the dashboard page")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the bearer token from this file (keeps it out of the process list)")
	fs.BoolVar(&o.insecure, "insecure", false, "allow a non-loopback --listen without a token")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	fs.StringVar(&o.power, "power", "auto", "power source for the energy figures ('none' to disable): "+board.SpecHelp)
	fs.DurationVar(&o.powerInterval, "power-interval", time.Second, "how often the power source is read")
	fs.DurationVar(&o.watch, "watch", 5*time.Second, "how often the model files are checked for replacement (0: only on SIGHUP)")
	fs.Int64Var(&o.maxBody, "max-body", 1<<20, "largest request body in bytes")
	fs.IntVar(&o.maxText, "max-text", 16<<10, "longest text in bytes")
	fs.IntVar(&o.maxBatch, "max-batch", 256, "most texts (or id rows) in one request")
	fs.IntVar(&o.maxInflight, "max-inflight", 0, "most requests inferring at once (0: 4 per CPU)")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug (one line per request), info (start, reloads, stop), warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json (one line per event on stderr)")
	fs.BoolVar(&o.unit, "systemd-unit", false, "print a hardened systemd unit running this command and exit")
	fs.StringVar(&o.unitUser, "unit-user", "", "with --systemd-unit: run as this user instead of a DynamicUser")
	fs.StringVar(&o.unitGroups, "unit-groups", "i2c,video", "with --systemd-unit: supplementary groups (the power sensors need i2c and video)")
	o.mqtt.register(fs)
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("serve: unexpected argument %q; give models with -m FILE", args[0])
	}
	broker, err := o.mqtt.check()
	if err != nil {
		return err
	}
	if len(o.models) == 0 {
		return usagef("serve: -m MODEL is required (a .safetensors file from 'edgewatt convert'; repeat -m NAME=FILE for more)")
	}
	var specs []serve.ModelSpec
	for _, m := range o.models {
		sp, err := serve.ParseModelSpec(m)
		if err != nil {
			return usagef("%v", err)
		}
		specs = append(specs, sp)
	}
	if o.token != "" && o.tokenFile != "" {
		return usagef("serve: --token and --token-file exclude each other")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("serve: TLS needs both --tls-cert and --tls-key")
	}
	if err := serve.CheckExposure(o.listen, o.token+o.tokenFile, o.insecure); err != nil {
		return usagef("%v", err)
	}
	if o.unit {
		return printUnit(env, o, specs)
	}
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return fmt.Errorf("serve: --token-file: %w", err)
		}
		o.token = strings.TrimSpace(string(b))
		if o.token == "" {
			return fmt.Errorf("serve: --token-file %s is empty; put the token in it", o.tokenFile)
		}
	}
	log, err := newLogger(env, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	opt := serve.Options{Models: specs, PowerInterval: o.powerInterval, Watch: o.watch, Logger: log,
		Limits: serve.Limits{MaxBodyBytes: o.maxBody, MaxTextBytes: o.maxText, MaxBatch: o.maxBatch, MaxInflight: o.maxInflight}}
	if o.watch == 0 {
		opt.Watch = -1
	}
	if broker != nil {
		opt.Components = append(opt.Components, o.mqtt.component(broker, o.listen, o.tlsCert != ""))
	}
	if o.power != "none" && o.power != "" {
		src, err := openServePower(log, o.power)
		if err != nil {
			return err
		}
		if src != nil {
			opt.Power = src
			if _, replay := src.(*board.Replay); !replay {
				opt.Conditions = board.NewConditionsProbe(board.OpenOptions{}).Read
			}
		}
	}
	if opt.Conditions == nil {
		probe := board.NewConditionsProbe(board.OpenOptions{})
		opt.Conditions = probe.Read
	}
	svc, err := serve.New(opt)
	if err != nil {
		if opt.Power != nil {
			opt.Power.Close()
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	notify, wd := serve.SDNotifier(os.Getenv("NOTIFY_SOCKET"), os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"))
	return serve.Run(ctx, svc, serve.HTTPOptions{Listen: o.listen, Token: o.token, Insecure: o.insecure,
		TLSCert: o.tlsCert, TLSKey: o.tlsKey, DrainTimeout: o.drain, Notify: notify, Watchdog: wd, Reload: reload})
}

// openServePower opens --power (board.OpenFirst); "auto" finding nothing is not an error for
// a service, which then runs without power figures.
func openServePower(log *slog.Logger, spec string) (board.Source, error) {
	var failed bool
	src, _, err := board.OpenFirst(spec, board.OpenOptions{}, func(alt string, err error) {
		if alt == "auto" && errors.Is(err, board.ErrNoSource) {
			log.Info("power.open", "source", "none", "reason", "no power sensor found ('edgewatt power' says what was tried)")
			return
		}
		failed = true
	})
	switch {
	case err == nil:
		log.Info("power.open", "source", src.Name())
		return src, nil
	case failed:
		return nil, fmt.Errorf("serve: --power %s: %w", spec, err)
	}
	return nil, nil
}

func newLogger(env *Env, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("serve: --log-level %q: want debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(env.Stderr, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(env.Stderr, ho)), nil
	}
	return nil, usagef("serve: --log-format %q: want text or json", format)
}

// printUnit prints the systemd unit that runs this same serve command, with absolute paths.
func printUnit(env *Env, o serveOptions, specs []serve.ModelSpec) error {
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("serve: finding this binary's path for the unit: %w", err)
	}
	if b, err := filepath.EvalSymlinks(bin); err == nil {
		bin = b
	}
	args := []string{"serve"}
	for _, sp := range specs {
		p, err := filepath.Abs(sp.Path)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		args = append(args, "-m", sp.Name+"="+p)
	}
	args = append(args, "--listen", o.listen)
	abs := func(flag, p string) error {
		if p == "" {
			return nil
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		args = append(args, flag, a)
		return nil
	}
	if o.token != "" {
		return usagef("serve: --systemd-unit with --token would write the token into a world-readable unit; use --token-file (e.g. /etc/edgewatt/token, mode 0640 root:root, with LoadCredential) instead")
	}
	for _, f := range []struct{ flag, path string }{{"--token-file", o.tokenFile}, {"--tls-cert", o.tlsCert}, {"--tls-key", o.tlsKey}} {
		if err := abs(f.flag, f.path); err != nil {
			return err
		}
	}
	if o.insecure {
		args = append(args, "--insecure")
	}
	args = append(args, "--power", o.power, "--power-interval", o.powerInterval.String(), "--watch", o.watch.String(),
		"--max-body", strconv.FormatInt(o.maxBody, 10), "--max-text", strconv.Itoa(o.maxText), "--max-batch", strconv.Itoa(o.maxBatch),
		"--log-level", o.logLevel, "--log-format", o.logFormat)
	if o.maxInflight > 0 {
		args = append(args, "--max-inflight", strconv.Itoa(o.maxInflight))
	}
	args = append(args, o.mqtt.unitArgs()...)
	var groups []string
	for _, g := range strings.Split(o.unitGroups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	if groups == nil {
		groups = []string{}
	}
	unit, err := serve.SystemdUnit(serve.UnitOptions{Binary: bin, Args: args, User: o.unitUser, Groups: groups})
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(env.Stdout, unit)
	return err
}
