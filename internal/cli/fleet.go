package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/edgewatt/edgewatt/internal/mqtt"
)

// mqttTLSFlags are the TLS file flags shared by 'serve --mqtt' and 'fleet'.
type mqttTLSFlags struct{ ca, cert, key string }

func (f *mqttTLSFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&f.ca, "mqtt-ca", "", "mqtts://: PEM file of the broker's certificate authority (default: the system's)")
	fs.StringVar(&f.cert, "mqtt-cert", "", "mqtts://: PEM client certificate, for brokers that require one (with --mqtt-key)")
	fs.StringVar(&f.key, "mqtt-key", "", "mqtts://: PEM private key of --mqtt-cert")
}

func (f *mqttTLSFlags) files() mqtt.TLSFiles {
	return mqtt.TLSFiles{CA: f.ca, Cert: f.cert, Key: f.key}
}

// runFleet implements 'edgewatt fleet': every node that announces itself on the broker.
func runFleet(env *Env) error {
	fs := newFlagSet(env, "fleet", "[--mqtt mqtt://user:pass@broker:1883] [--json | --once]\n\nLists the edgewatt nodes on an MQTT broker from their retained status, info and telemetry; a live table until interrupted, or one JSON array with --json.")
	url := fs.String("mqtt", "mqtt://127.0.0.1:1883", "broker URL: mqtt://[user:pass@]host[:1883] or mqtts://host[:8883]")
	var tf mqttTLSFlags
	tf.register(fs)
	root := fs.String("mqtt-root", mqtt.DefaultRoot, "topic root the nodes publish under")
	asJSON := fs.Bool("json", false, "print the nodes as one JSON array after --wait and exit")
	once := fs.Bool("once", false, "print the table once after --wait and exit")
	wait := fs.Duration("wait", 2*time.Second, "with --json or --once: how long to collect the nodes' retained state after subscribing")
	every := fs.Duration("interval", 2*time.Second, "live table: refresh period")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("fleet: unexpected argument %q", args[0])
	}
	if *wait <= 0 || *every <= 0 {
		return usagef("fleet: --wait and --interval must be positive")
	}
	b, err := mqtt.ParseBroker(*url, tf.files())
	if err != nil {
		return usagef("fleet: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := mqtt.WatchFleet(ctx, b, *root, nil)
	if err != nil {
		return err
	}
	defer func() { stop(); <-f.Done() }()
	connect := time.NewTimer(10 * time.Second)
	defer connect.Stop()
	select {
	case <-f.Ready():
	case <-connect.C:
		return fmt.Errorf("fleet: no connection to %s within 10s: is the broker running, and the URL right?", b)
	case <-ctx.Done():
		return nil
	}
	if *asJSON || *once {
		select {
		case <-time.After(*wait):
		case <-ctx.Done():
		}
		if *asJSON {
			return mqtt.WriteFleetJSON(env.Stdout, f.Nodes())
		}
		return mqtt.WriteFleetTable(env.Stdout, f.Nodes(), time.Now())
	}
	tty := isTerminal(env.Stdout)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		if tty {
			fmt.Fprint(env.Stdout, "\x1b[H\x1b[2J")
		}
		fmt.Fprintf(env.Stdout, "edgewatt fleet on %s, %s\n", b, time.Now().Format(time.TimeOnly))
		if err := mqtt.WriteFleetTable(env.Stdout, f.Nodes(), time.Now()); err != nil {
			return err
		}
		if !tty {
			fmt.Fprintln(env.Stdout)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// isTerminal reports whether w is a character device (a terminal, to redraw in place).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
