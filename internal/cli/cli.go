// Package cli implements the edgewatt command line: one file per subcommand, flags parsed
// here and passed down as option structs, and one place (Main) that maps errors to exit codes.
package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is what a subcommand may touch: its arguments and the standard streams.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	summary string
	run     func(env *Env) error
}

// commands maps each subcommand to its implementation; each lives in its own file.
var commands = map[string]command{
	"convert":  {"convert a Keras/TF.js model and its tokenizer into an edgewatt model file", runConvert},
	"inspect":  {"print a model file's architecture, tensors, preprocessing and provenance", runInspect},
	"predict":  {"classify texts (or token ids) with a model file", runPredict},
	"tokenize": {"print the Keras token ids and padded ids of texts", runTokenize},
	"bench":    {"measure latency, throughput, memory and (with --energy) joules per inference", runBench},
	"power":    {"read the board's power sensors", runPower},
	"board":    {"describe this board: model, SoC, CPU features, clocks, temperature, throttling", runBoard},
	"train":    {"train the tutorial text classifier in Go and write a Keras .h5 + tokenizer JSON", runTrain},
	"eval":     {"measure a model file on labelled texts: accuracy, per-class F1, confusion, ROC AUC, calibration", runEval},
	"serve":    {"serve models over HTTP (JSON and Open Inference Protocol v2), with metrics, energy and a dashboard", runServe},
	"fleet":    {"list the edgewatt nodes on an MQTT broker: board, model, power, µJ/inference, online/offline", runFleet},

	// Build, install and release.
	"version":    {"print the version, commit, build date, Go version, target and kernels", runVersion},
	"completion": {"print a shell completion script: completion bash|zsh|fish", runCompletion},
	"deploy":     {"install a model and the matching edgewatt on a Pi or a fleet over SSH, with checks and rollback", runDeploy},
}

// UsageError is a mistake in how edgewatt was called (unknown flag, missing argument);
// it exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// Main runs edgewatt with args (without the program name) and returns the exit status:
// 0 success, 1 failure, 2 usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := Run(args, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "edgewatt: %v\n", err)
	var ue *UsageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// Run dispatches to the subcommand named by args[0].
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 2 && args[0] == "help": // edgewatt help convert = edgewatt convert -h
		args = []string{args[1], "-h"}
	case len(args) > 0 && (args[0] == "--version" || args[0] == "-version"):
		args = []string{"version"}
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return usagef("missing subcommand")
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		return usagef("unknown subcommand %q; run 'edgewatt help' for the list", args[0])
	}
	return c.run(&Env{Args: args[1:], Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: edgewatt <command> [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'edgewatt help <command>' (or 'edgewatt <command> -h') for a command's flags;")
	fmt.Fprintln(w, "put -- before a text that starts with '-': edgewatt predict -m MODEL -- \"-5 degrees outside\"")
}

// newFlagSet returns a flag set whose errors come back as usage errors instead of exiting.
func newFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{stdout: env.Stdout, stderr: env.Stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: edgewatt %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// flagOutput holds what the flag package prints until parseFlags knows where it belongs:
// asked-for help (-h, --help) goes to stdout (so 'edgewatt convert -h | grep quant' works),
// a usage mistake to stderr.
type flagOutput struct {
	stdout, stderr io.Writer
	buf            bytes.Buffer
}

func (o *flagOutput) Write(p []byte) (int, error) { return o.buf.Write(p) }

func (o *flagOutput) flush(help bool) {
	w := o.stderr
	if help {
		w = o.stdout
	}
	w.Write(o.buf.Bytes())
	o.buf.Reset()
}

// parseFlags parses args allowing flags after positional arguments (edgewatt convert m.h5 -o x).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	out, _ := fs.Output().(*flagOutput)
	for {
		err := fs.Parse(args)
		if out != nil {
			out.flush(errors.Is(err, flag.ErrHelp))
		}
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &UsageError{Msg: err.Error()}
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			// The flag package stopped at "--": everything after it is an argument, even
			// "-5 degrees" (edgewatt predict -m M -- "-5 degrees outside").
			return append(pos, rest...), nil
		}
		args = rest
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			// keep consuming positionals one at a time
		}
	}
}
