package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"github.com/edgewatt/edgewatt/internal/energy"
	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/runtime"
)

// runBenchEnergy implements 'edgewatt bench --energy' (and --models): an idle baseline,
// then o.windows windows of continuous inference per model, round-robin, with the power
// source sampled on its own goroutine; see package internal/energy for the method.
func runBenchEnergy(env *Env, o benchOptions) error {
	paths, err := energyModelPaths(o)
	if err != nil {
		return err
	}
	switch {
	case o.texts != "" && o.ids != "":
		return usagef("bench: --texts and --ids cannot be combined")
	case o.windows < 1:
		return usagef("bench: --windows must be at least 1")
	case o.window <= 0:
		return usagef("bench: --window must be positive (e.g. --window 10s; 2s is enough with a replay)")
	case o.gridIntensity < 0 || o.gridIntensity != o.gridIntensity:
		return usagef("bench: --grid-intensity must be grams of CO2e per kWh, 0 or more (world average: %g)", energy.DefaultGridIntensity)
	case strings.EqualFold(filepath.Ext(o.chart), ".png"):
		return usagef("bench: --chart writes SVG; give a .svg file and convert it if you need PNG (rsvg-convert chart.svg -o chart.png)")
	case o.threads < 1 || o.threads > 4096:
		return usagef("bench: --threads must be between 1 and 4096 (default: all %d CPUs)", goruntime.NumCPU())
	}
	settle, err := parseSettle(o.settle)
	if err != nil {
		return err
	}
	if err := checkEnergyOutputs(o, paths); err != nil {
		return err
	}
	threads := []int{o.threads}
	if o.perCore && o.threads != 1 {
		threads = []int{1, o.threads}
	}
	var work []energy.Workload
	for i, path := range paths {
		m, err := runtime.Load(path)
		if err != nil {
			return err
		}
		defer m.Close()
		for _, n := range threads {
			w, err := energyWorkload(o, path, m, n)
			if err != nil {
				return err
			}
			w.Name = modelLabel(paths, i)
			if len(threads) > 1 {
				w.Name += fmt.Sprintf(" (%d thread%s)", n, map[bool]string{true: "", false: "s"}[n == 1])
			}
			work = append(work, w)
		}
	}
	src, err := openPowerChain(env, o.power)
	if err != nil {
		return err
	}
	defer src.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(env.Stderr, "bench: measuring %d model(s) on %s with %d thread(s) (kernels %s); Ctrl-C stops with partial results\n",
		len(paths), src.Name(), o.threads, runtime.Kernels())
	opt := energy.Options{
		Windows: o.windows, Window: o.window, GridIntensity: o.gridIntensity, Settle: settle, Threads: o.threads,
		Host:     fmt.Sprintf("this machine (%s/%s, %d CPUs)", goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU()),
		Progress: func(msg string) { fmt.Fprintf(env.Stderr, "bench: %s\n", msg) },
	}
	if _, replay := src.(interface{ Trace() *board.Trace }); !replay {
		read := board.ConditionsReader(board.OpenOptions{})
		if c, err := read(); err == nil && c.ThrottleFrom == "" {
			fmt.Fprintf(env.Stderr, "bench: WARNING: throttling and under-voltage cannot be read on this machine (no vcgencmd, no firmware get_throttled, no rpi_volt hwmon): throttled windows are caught only by a drop of the CPU clock\n")
		}
		opt.Conditions = read
	}
	res, err := energy.Run(ctx, src, work, opt)
	if err != nil {
		return usagef("bench: %v", err)
	}
	return writeEnergy(env, o, res, paths)
}

// writeEnergy prints res as a table or JSON and writes the chart; a partial result is
// printed in full and then reported as an error, so that scripts notice.
func writeEnergy(env *Env, o benchOptions, res *energy.Result, paths []string) error {
	var err error
	if o.json {
		err = res.WriteJSON(env.Stdout)
	} else {
		err = res.WriteTable(env.Stdout)
		if err == nil {
			fmt.Fprintf(env.Stdout, "models: %s; kernels %s\n", strings.Join(paths, ", "), runtime.Kernels())
		}
	}
	if err != nil {
		return fmt.Errorf("bench: writing results: %w", err)
	}
	if o.chart != "" {
		if err := writeAtomic(o.chart, "--chart", res.WriteSVG); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "bench: chart written to %s\n", o.chart)
	}
	if o.record != "" {
		if err := writeAtomic(o.record, "--record", res.WriteTrace); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "bench: readings and inference rates written to %s (replay it with --power replay:%s and the same schedule)\n", o.record, o.record)
	}
	if res.Partial {
		why := res.PartialWhy
		if why == "" {
			why = "see the notes"
		}
		return fmt.Errorf("bench: partial results (%s)", why)
	}
	return nil
}

// writeAtomic writes an output file through safeio.WriteAtomic (a temporary file renamed
// into place: a failed run never leaves half a file).
func writeAtomic(path, flag string, write func(io.Writer) error) error {
	if err := safeio.WriteAtomic(path, write); err != nil {
		return fmt.Errorf("bench: %s: %w", flag, err)
	}
	return nil
}

// checkEnergyOutputs refuses a --chart or --record that is one of the inputs (a model,
// the texts, the replayed trace) or each other, or not a regular file.
func checkEnergyOutputs(o benchOptions, paths []string) error {
	ins := []safeio.Path{{Flag: "--texts", Path: o.texts}, {Flag: "--ids", Path: o.ids}}
	for _, p := range paths {
		ins = append(ins, safeio.Path{Flag: "model", Path: p})
	}
	for _, alt := range strings.Split(o.power, "|") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(alt), "replay:"); ok {
			ins = append(ins, safeio.Path{Flag: "--power replay:", Path: f})
		}
	}
	if err := safeio.CheckOutputs([]safeio.Path{{Flag: "--chart", Path: o.chart}, {Flag: "--record", Path: o.record}}, ins); err != nil {
		return usagef("bench: %v", err)
	}
	return nil
}

// energyModelPaths returns -m followed by the --models files, without repeats.
func energyModelPaths(o benchOptions) ([]string, error) {
	var paths []string
	seen := map[string]bool{}
	for _, p := range append([]string{o.model}, o.models...) {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil, usagef("bench --energy: give a model with -m MODEL or several with --models a.safetensors,b.safetensors")
	}
	return paths, nil
}

// modelLabel names model i for the table and chart: its file name without the extension,
// or the whole path when two files share a name.
func modelLabel(paths []string, i int) string {
	base := func(p string) string { return strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) }
	for j, p := range paths {
		if j != i && base(p) == base(paths[i]) {
			return paths[i]
		}
	}
	return base(paths[i])
}

// energyWorkload returns a workload that classifies the bench inputs on threads
// predictors at once, from text (tokenization included) or, with --ids, from token ids.
// Run(n) splits the n inferences evenly among the predictors and waits for all of them.
func energyWorkload(o benchOptions, path string, m *runtime.Model, threads int) (energy.Workload, error) {
	var one func(p *runtime.Predictor, i int)
	if o.ids != "" {
		ids, err := readIDFile(o.ids, m)
		if err != nil {
			return energy.Workload{}, err
		}
		one = func(p *runtime.Predictor, i int) { p.PredictIDs(ids[i%len(ids)]) }
	} else {
		mo := o
		mo.model = path // synthetic texts come from each model's own vocabulary
		texts, _, err := benchTexts(mo)
		if err != nil {
			return energy.Workload{}, err
		}
		one = func(p *runtime.Predictor, i int) { p.PredictText(texts[i%len(texts)]) }
	}
	ps := make([]*runtime.Predictor, threads)
	next := make([]int, threads) // each predictor's position in the inputs
	for k := range ps {
		ps[k] = m.NewPredictor()
		next[k] = k * 7919 // predictors start at different inputs
	}
	run := func(k, n int) {
		for j := 0; j < n; j++ {
			one(ps[k], next[k])
			next[k]++
		}
	}
	if threads == 1 {
		return energy.Workload{Threads: 1, Run: func(n int) { run(0, n) }}, nil
	}
	return energy.Workload{Threads: threads, Run: func(n int) {
		var wg sync.WaitGroup
		for k := range threads {
			share := n / threads
			if k < n%threads {
				share++
			}
			if share == 0 {
				continue
			}
			wg.Go(func() { run(k, share) })
		}
		wg.Wait()
	}}, nil
}

// parseSettle reads --settle: "auto" (two sensor intervals), 0 for none, or a duration.
func parseSettle(s string) (time.Duration, error) {
	if s == "" || s == "auto" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if s == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || d > time.Hour {
		return 0, usagef("bench: --settle %q: want auto, 0 (none) or a duration such as 2s", s)
	}
	if d == 0 {
		return -1, nil // none
	}
	return d, nil
}

// openPowerChain opens the first source of a '|'-separated --power list that works
// (board.OpenFirst), e.g. "auto|replay:trace.csv", what make demo uses. Each alternative
// that did not open is reported on stderr when a later one did.
func openPowerChain(env *Env, spec string) (board.Source, error) {
	var skipped []string
	src, alt, err := board.OpenFirst(spec, board.OpenOptions{}, func(alt string, err error) {
		msg := firstLine(err.Error())
		if errors.Is(err, board.ErrNoSource) {
			msg = "no power sensor on this machine ('edgewatt power' lists what was tried and how to add one)"
		}
		skipped = append(skipped, fmt.Sprintf("bench: --power %s: %s", alt, msg))
	})
	if err != nil {
		return nil, fmt.Errorf("bench: --power %s: %w", spec, err)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(env.Stderr, "%s\nbench: using --power %s instead\n", strings.Join(skipped, "\n"), alt)
	}
	return src, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
