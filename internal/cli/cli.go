// Package cli implements the edgewatt command line: one file per subcommand, flags parsed
// here and passed down as option structs, and one place (Main) that maps errors to exit codes.
package cli

import (
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
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'edgewatt <command> -h' for a command's flags")
}

// newFlagSet returns a flag set whose errors come back as usage errors instead of exiting.
func newFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: edgewatt %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args allowing flags after positional arguments (edgewatt convert m.h5 -o x).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &UsageError{Msg: err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			// keep consuming positionals one at a time
		}
	}
}
