package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// benchOptions are the flags of 'edgewatt bench'. The energy fields are used by
// runBenchEnergy (bench_energy.go).
type benchOptions struct {
	model         string
	models        []string
	texts, ids    string
	threads       int
	json          bool
	duration      time.Duration
	energy        bool
	power         string
	windows       int
	window        time.Duration
	gridIntensity float64
	chart         string
	perCore       bool   // energy: also measure each model on one thread
	record        string // energy: write the readings and rates as a replay trace
	settle        string // energy: "auto" or a duration ("0" for none)
}

// benchGroup is how many predictions share one pair of clock readings: a prediction takes
// ~100 ns and reading the clock 20-40 ns, so single calls cannot be timed one by one.
const benchGroup = 64

// runBench implements 'edgewatt bench'.
func runBench(env *Env) error {
	fs := newFlagSet(env, "bench", "-m MODEL [--texts FILE | --ids FILE] [--threads N] [--json] [--duration 3s]\n\n"+
		"Measures single-sample latency (p50/p90/p99 over groups of "+strconv.Itoa(benchGroup)+" calls), batch throughput\n"+
		"over N goroutines, allocations per prediction and peak RSS, from token ids and from text\n"+
		"(tokenization included). Without --texts/--ids the inputs are synthetic ~10-word headlines\n"+
		"drawn from the model's vocabulary. With --energy (or --models) it measures joules per inference.")
	var o benchOptions
	var models string
	fs.StringVar(&o.model, "m", "", "model file written by 'edgewatt convert' (required unless --models)")
	fs.StringVar(&models, "models", "", "comma-separated model files to compare (energy mode)")
	fs.StringVar(&o.texts, "texts", "", "file with one text per line")
	fs.StringVar(&o.ids, "ids", "", "file with one input per line as comma-separated token ids (e.g. 0,0,12,5)")
	fs.IntVar(&o.threads, "threads", goruntime.NumCPU(), "goroutines for the batch throughput; with --energy, predictors running at once per model")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of a table")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "total measuring time: half for ids, half for text, each half split between single-sample latency and batch throughput")
	fs.BoolVar(&o.energy, "energy", false, "measure energy per inference with the board's power sensors")
	fs.StringVar(&o.power, "power", "auto", "power source for --energy (see 'edgewatt power')")
	fs.IntVar(&o.windows, "windows", 5, "measurement windows per model for --energy")
	fs.DurationVar(&o.window, "window", 10*time.Second, "length of one --energy window")
	fs.Float64Var(&o.gridIntensity, "grid-intensity", 475, "grid carbon intensity in gCO2e/kWh for --energy")
	fs.StringVar(&o.chart, "chart", "", "write an SVG chart of the --energy results to this file")
	fs.StringVar(&o.record, "record", "", "with --energy, write the readings and inference rates to this CSV: a trace whose replay (same --windows/--window/--settle/--models) reproduces this run's µJ")
	fs.BoolVar(&o.perCore, "per-core", false, "with --energy, measure each model on 1 thread as well as on --threads (per-core and all-core figures)")
	fs.StringVar(&o.settle, "settle", "auto", "with --energy, time each model runs before its window is measured and the board rests before each idle window (auto: two sensor intervals; 0: none)")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if models != "" {
		for _, m := range strings.Split(models, ",") {
			if m = strings.TrimSpace(m); m != "" {
				o.models = append(o.models, m)
			}
		}
	}
	if len(args) > 0 {
		return usagef("bench: unexpected argument %q (inputs come from --texts or --ids)", args[0])
	}
	if o.energy || len(o.models) > 0 {
		return runBenchEnergy(env, o)
	}
	if o.model == "" {
		return usagef("bench: -m MODEL is required (a .safetensors file from 'edgewatt convert')")
	}
	if o.texts != "" && o.ids != "" {
		return usagef("bench: --texts and --ids cannot be combined")
	}
	if o.threads < 1 {
		return usagef("bench: --threads must be at least 1")
	}
	if o.duration <= 0 {
		return usagef("bench: --duration must be positive")
	}
	rep, err := benchModel(o)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(env)
	return nil
}

// benchReport is the result of 'edgewatt bench', as printed by --json.
type benchReport struct {
	Model      string          `json:"model"`
	FileBytes  int             `json:"file_bytes"`
	Embedding  string          `json:"embedding_quant"`
	Dense      string          `json:"dense_quant"`
	Kernels    string          `json:"kernels"`
	GOARCH     string          `json:"goarch"`
	CPUs       int             `json:"cpus"`
	Threads    int             `json:"threads"`
	Group      int             `json:"calls_per_timing"`
	Workloads  []benchWorkload `json:"workloads"`
	PeakRSSKiB int64           `json:"peak_rss_kib"` // VmHWM of this process, -1 when unknown
}

type benchWorkload struct {
	Input        string  `json:"input"` // "ids" or "text"
	Source       string  `json:"source"`
	Samples      int     `json:"samples"`
	MeanTokens   float64 `json:"mean_tokens"`
	P50ns        float64 `json:"single_p50_ns"`
	P90ns        float64 `json:"single_p90_ns"`
	P99ns        float64 `json:"single_p99_ns"`
	Groups       int     `json:"single_groups"`
	BatchPerSec  float64 `json:"batch_samples_per_s"`
	AllocsPerRun float64 `json:"allocs_per_prediction"`
	// Memory read per prediction, mean over the inputs (runtime.Model.Traffic): embedding
	// rows gathered, and those rows' bytes plus the dense weights'.
	RowsPerPred  float64 `json:"rows_gathered_per_prediction"`
	BytesPerPred float64 `json:"bytes_touched_per_prediction"`
}

// traffic sets w's mean rows gathered and bytes touched per prediction over ids.
func (w *benchWorkload) traffic(m *runtime.Model, ids [][]int32) {
	for _, s := range ids {
		t := m.Traffic(s)
		w.RowsPerPred += float64(t.Rows)
		w.BytesPerPred += float64(t.Bytes())
	}
	w.RowsPerPred /= float64(max(len(ids), 1))
	w.BytesPerPred /= float64(max(len(ids), 1))
}

func benchModel(o benchOptions) (*benchReport, error) {
	texts, textSrc, err := benchTexts(o)
	if err != nil {
		return nil, err
	}
	m, err := runtime.Load(o.model)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	rep := &benchReport{
		Model: o.model, FileBytes: m.FileBytes(), Embedding: m.Meta.Quant.Embedding, Dense: m.Meta.Quant.Dense,
		Kernels: runtime.Kernels(), GOARCH: goruntime.GOARCH, CPUs: goruntime.NumCPU(), Threads: o.threads, Group: benchGroup,
	}
	var ids [][]int32
	idSrc := "tokenized " + textSrc
	if o.ids != "" {
		if ids, err = readIDFile(o.ids, m); err != nil {
			return nil, err
		}
		idSrc = filepath.Base(o.ids)
	} else {
		p := m.NewPredictor()
		for _, t := range texts {
			p.PredictText(t)
			ids = append(ids, slices.Clone(p.Tokens()))
		}
	}
	half := o.duration / 2
	wid := benchWorkload{Input: "ids", Source: idSrc, Samples: len(ids)}
	for _, s := range ids {
		wid.MeanTokens += float64(len(s))
	}
	wid.MeanTokens /= float64(len(ids))
	wid.traffic(m, ids)
	wid.measure(m, half, o.threads, func(p *runtime.Predictor, i int) { p.PredictIDs(ids[i%len(ids)]) })
	rep.Workloads = append(rep.Workloads, wid)
	// Text to score, tokenization included (synthetic headlines when --ids gave the ids).
	wt := benchWorkload{Input: "text", Source: textSrc, Samples: len(texts)}
	p := m.NewPredictor()
	textIDs := make([][]int32, len(texts))
	for i, t := range texts {
		p.PredictText(t)
		wt.MeanTokens += float64(len(p.Tokens()))
		textIDs[i] = slices.Clone(p.Tokens())
	}
	wt.MeanTokens /= float64(len(texts))
	wt.traffic(m, textIDs)
	wt.measure(m, half, o.threads, func(p *runtime.Predictor, i int) { p.PredictText(texts[i%len(texts)]) })
	rep.Workloads = append(rep.Workloads, wt)
	rep.PeakRSSKiB = peakRSSKiB()
	return rep, nil
}

// measure fills w's latency percentiles (single goroutine, groups of benchGroup calls, for
// d/2), batch throughput (threads goroutines, for d/2) and allocations per prediction.
func (w *benchWorkload) measure(m *runtime.Model, d time.Duration, threads int, call func(p *runtime.Predictor, i int)) {
	p := m.NewPredictor()
	for i := 0; i < 2000; i++ { // warm up: caches, branch predictors, the tokenizer's buffers
		call(p, i)
	}
	// Allocations: the process-wide malloc count around a fixed number of calls, the least of
	// three rounds (the Go runtime itself allocates now and then, in any goroutine).
	const nalloc = 10000
	var ms0, ms1 goruntime.MemStats
	for round := 0; round < 3; round++ {
		goruntime.GC()
		goruntime.ReadMemStats(&ms0)
		for i := 0; i < nalloc; i++ {
			call(p, i)
		}
		goruntime.ReadMemStats(&ms1)
		a := float64(ms1.Mallocs-ms0.Mallocs) / nalloc
		if round == 0 || a < w.AllocsPerRun {
			w.AllocsPerRun = a
		}
	}
	// Single-sample latency.
	single := d / 2
	per := make([]float64, 0, 1<<16)
	i := 0
	start := time.Now()
	for time.Since(start) < single && len(per) < cap(per) {
		t0 := time.Now()
		for g := 0; g < benchGroup; g++ {
			call(p, i)
			i++
		}
		per = append(per, float64(time.Since(t0).Nanoseconds())/benchGroup)
	}
	slices.Sort(per)
	w.Groups = len(per)
	w.P50ns, w.P90ns, w.P99ns = quantile(per, 0.50), quantile(per, 0.90), quantile(per, 0.99)
	// Batch throughput: threads goroutines, each with its own predictor and its own slice of
	// the inputs, for the rest of the time.
	var total atomic.Int64
	var wg sync.WaitGroup
	batch := d - single
	t0 := time.Now()
	for g := 0; g < threads; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := m.NewPredictor()
			n, i := int64(0), g*7919
			for time.Since(t0) < batch {
				for k := 0; k < 256; k++ {
					call(p, i)
					i++
				}
				n += 256
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	w.BatchPerSec = float64(total.Load()) / time.Since(t0).Seconds()
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// peakRSSKiB returns this process's peak resident set (VmHWM) or -1 where /proc is absent.
func peakRSSKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(v))
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// maxSyntheticWord bounds the vocabulary words synthetic texts are made of.
const maxSyntheticWord = 64

// benchTexts returns the texts of --texts, or synthetic headlines made of the model's
// vocabulary: 9-11 words, mostly among the 1000 most frequent, one in ten unknown.
func benchTexts(o benchOptions) ([]string, string, error) {
	if o.texts != "" {
		f, size, err := safeio.Open(o.texts)
		if err != nil {
			return nil, "", fmt.Errorf("bench: --texts: %w", err)
		}
		defer f.Close()
		if size > safeio.MaxTextFile {
			return nil, "", fmt.Errorf("bench: --texts %s is %d bytes, more than the %d edgewatt reads; sample it", o.texts, size, int64(safeio.MaxTextFile))
		}
		var out []string
		sc := bufio.NewScanner(io.LimitReader(f, safeio.MaxTextFile))
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			if s := strings.TrimSuffix(sc.Text(), "\r"); strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, "", fmt.Errorf("bench: reading %s: %w", o.texts, err)
		}
		if len(out) == 0 {
			return nil, "", fmt.Errorf("bench: %s has no non-empty lines; want one text per line", o.texts)
		}
		return out, filepath.Base(o.texts), nil
	}
	// The vocabulary is read once from the file before the model is mapped (a few hundred
	// KiB at most) and dropped.
	mf, err := modelfile.ReadFile(o.model)
	if err != nil {
		return nil, "", fmt.Errorf("bench: %w", err)
	}
	words, err := mf.Words()
	if err != nil {
		return nil, "", fmt.Errorf("bench: %s: %w", o.model, err)
	}
	var known []string
	for i, w := range words {
		// Headline words are short: a 1 MB "word" would make gigabytes of synthetic text.
		if i == 0 || w == "" || len(w) > maxSyntheticWord || strings.ContainsAny(w, " <>") {
			continue
		}
		known = append(known, w)
		if len(known) == 1000 {
			break
		}
	}
	if len(known) == 0 {
		return nil, "", fmt.Errorf("bench: %s has no vocabulary words of at most %d bytes to make texts from; pass --texts or --ids", o.model, maxSyntheticWord)
	}
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 256)
	for i := range out {
		n := 9 + r.IntN(3)
		ws := make([]string, n)
		for j := range ws {
			if r.IntN(10) == 0 {
				ws[j] = "zqxj" + strconv.Itoa(r.IntN(1000))
			} else {
				ws[j] = known[min(len(known)-1, int(r.ExpFloat64()*float64(len(known))/4))]
			}
		}
		out[i] = strings.Join(ws, " ")
	}
	return out, "synthetic headlines", nil
}

// readIDFile reads one input per line as comma-separated token ids.
func readIDFile(path string, m *runtime.Model) ([][]int32, error) {
	b, err := safeio.ReadFile(path, safeio.MaxTextFile)
	if err != nil {
		return nil, fmt.Errorf("bench: --ids: %w", err)
	}
	rows := m.Meta.Arch.Embedding.InputDim
	var out [][]int32
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, ",")
		ids := make([]int32, len(parts))
		for i, f := range parts {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || v < 0 || v >= rows {
				return nil, fmt.Errorf("bench: %s line %d: %q is not a token id in 0..%d (want comma-separated ids like 0,0,12,5)", path, n+1, f, rows-1)
			}
			ids[i] = int32(v)
		}
		out = append(out, ids)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: %s has no inputs; want one line of comma-separated ids per input", path)
	}
	return out, nil
}

func (r *benchReport) print(env *Env) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s (%s embedding, %s dense, %s)\n", r.Model, r.Embedding, r.Dense, fmtBytes(int64(r.FileBytes)))
	fmt.Fprintf(tw, "kernels\t%s (%s, %d CPUs)\n", r.Kernels, r.GOARCH, r.CPUs)
	tw.Flush()
	fmt.Fprintln(env.Stdout)
	tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "input\tsource\tsamples\ttokens\tp50\tp90\tp99\tbatch (%d goroutines)\tallocs/pred\trows/pred\tbytes/pred\t\n", r.Threads)
	for _, w := range r.Workloads {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%s\t%s\t%s\t%s/s\t%.2g\t%.1f\t%.0f\t\n", w.Input, w.Source, w.Samples, w.MeanTokens,
			fmtNs(w.P50ns), fmtNs(w.P90ns), fmtNs(w.P99ns), fmtRate(w.BatchPerSec), w.AllocsPerRun, w.RowsPerPred, w.BytesPerPred)
	}
	tw.Flush()
	fmt.Fprintln(env.Stdout)
	rss := "unknown"
	if r.PeakRSSKiB >= 0 {
		rss = fmtBytes(r.PeakRSSKiB * 1024)
	}
	fmt.Fprintf(env.Stdout, "peak RSS %s (this bench process, VmHWM); latency = mean of %d consecutive calls, percentiles over %d+ such groups\n",
		rss, r.Group, minGroups(r.Workloads))
	fmt.Fprintln(env.Stdout, "bytes/pred = embedding rows gathered x row bytes + dense weights read, per prediction (mean)")
}

func minGroups(ws []benchWorkload) int {
	n := 0
	for i, w := range ws {
		if i == 0 || w.Groups < n {
			n = w.Groups
		}
	}
	return n
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2f M", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1f k", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

func fmtBytes(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
