package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

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
	}
	if o.chart != "" {
		ins := []safeio.Path{{Flag: "--texts", Path: o.texts}, {Flag: "--ids", Path: o.ids}}
		for _, p := range paths {
			ins = append(ins, safeio.Path{Flag: "model", Path: p})
		}
		if err := safeio.CheckOutputs([]safeio.Path{{Flag: "--chart", Path: o.chart}}, ins); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	var work []energy.Workload
	for i, path := range paths {
		m, err := runtime.Load(path)
		if err != nil {
			return err
		}
		defer m.Close()
		w, err := energyWorkload(o, path, m)
		if err != nil {
			return err
		}
		w.Name = modelLabel(paths, i)
		work = append(work, w)
	}
	src, err := openPowerChain(env, o.power)
	if err != nil {
		return err
	}
	defer src.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(env.Stderr, "bench: measuring %d model(s) on %s (kernels %s); Ctrl-C stops with partial results\n",
		len(work), src.Name(), runtime.Kernels())
	opt := energy.Options{
		Windows: o.windows, Window: o.window, GridIntensity: o.gridIntensity,
		Progress: func(msg string) { fmt.Fprintf(env.Stderr, "bench: %s\n", msg) },
	}
	if _, replay := src.(interface{ Trace() *board.Trace }); !replay {
		opt.Conditions = board.ConditionsReader(board.OpenOptions{})
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
		if err := writeChart(o.chart, res); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "bench: chart written to %s\n", o.chart)
	}
	if res.Partial {
		why := "see the notes"
		if len(res.Notes) > 0 {
			why = res.Notes[0]
		}
		return fmt.Errorf("bench: partial results (%s)", why)
	}
	return nil
}

// writeChart writes the SVG next to its destination and renames it into place, so a
// failed run never leaves half a chart.
func writeChart(path string, res *energy.Result) error {
	if err := safeio.WriteAtomic(path, res.WriteSVG); err != nil {
		return fmt.Errorf("bench: --chart %s: %w", path, err)
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

// energyWorkload returns a workload that classifies the bench inputs one at a time, from
// text (tokenization included) or, with --ids, from token ids.
func energyWorkload(o benchOptions, path string, m *runtime.Model) (energy.Workload, error) {
	p := m.NewPredictor()
	i := 0
	if o.ids != "" {
		ids, err := readIDFile(o.ids, m)
		if err != nil {
			return energy.Workload{}, err
		}
		return energy.Workload{Run: func(n int) {
			for k := 0; k < n; k++ {
				p.PredictIDs(ids[i%len(ids)])
				i++
			}
		}}, nil
	}
	mo := o
	mo.model = path // synthetic texts come from each model's own vocabulary
	texts, _, err := benchTexts(mo)
	if err != nil {
		return energy.Workload{}, err
	}
	return energy.Workload{Run: func(n int) {
		for k := 0; k < n; k++ {
			p.PredictText(texts[i%len(texts)])
			i++
		}
	}}, nil
}

// openPowerChain opens the first source of a '|'-separated list that works, e.g.
// "auto|replay:trace.csv" (what make demo uses: a real sensor when the board has one, else a
// recorded trace). Each failure but the last is reported on stderr.
func openPowerChain(env *Env, spec string) (board.Source, error) {
	alts := strings.Split(spec, "|")
	var errs []error
	for i, alt := range alts {
		alt = strings.TrimSpace(alt)
		src, err := board.Open(alt, board.OpenOptions{})
		if err == nil {
			if i > 0 {
				fmt.Fprintf(env.Stderr, "bench: using --power %s instead\n", alt)
			}
			return src, nil
		}
		errs = append(errs, fmt.Errorf("--power %s: %w", alt, err))
		if i < len(alts)-1 {
			msg := firstLine(err.Error())
			if errors.Is(err, board.ErrNoSource) {
				msg = "no power sensor on this machine ('edgewatt power' lists what was tried and how to add one)"
			}
			fmt.Fprintf(env.Stderr, "bench: --power %s: %s\n", alt, msg)
		}
	}
	if len(errs) == 1 {
		return nil, fmt.Errorf("bench: %w", errs[0])
	}
	return nil, fmt.Errorf("bench: no power source of %q could be opened: %w", spec, errors.Join(errs...))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
