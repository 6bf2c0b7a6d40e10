package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/edgewatt/edgewatt/board"
)

// runBoard implements 'edgewatt board': describe the machine. It succeeds on any machine;
// what it cannot read is listed under "not found".
func runBoard(env *Env) error {
	fs := newFlagSet(env, "board", "[--json] [--root DIR]")
	asJSON := fs.Bool("json", false, "print JSON")
	root := fs.String("root", "", "read /proc, /sys and /etc under `DIR` instead of / (a copied tree, for debugging)")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("board: unexpected argument %q; usage: edgewatt board [--json] [--root DIR]", args[0])
	}
	opts := board.DetectOptions{}
	if *root != "" {
		st, err := os.Stat(*root)
		if err != nil || !st.IsDir() {
			return usagef("board: --root %s: not a directory; give one that holds proc/, sys/ and etc/ as copied from a board", *root)
		}
		opts.FS = os.DirFS(*root)
	}
	in := board.Detect(opts)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(boardView(in))
	}
	printBoard(env.Stdout, in)
	return nil
}

// boardJSON is the --json form: plain units, no physic nano-integers.
type boardJSON struct {
	Summary      string       `json:"summary"`
	Model        string       `json:"model,omitempty"`
	RaspberryPi  *piJSON      `json:"raspberry_pi"`
	SoC          string       `json:"soc,omitempty"`
	CPU          string       `json:"cpu,omitempty"`
	Cores        int          `json:"cores"`
	Machine      string       `json:"machine,omitempty"`
	GoArch       string       `json:"go_arch"`
	NEON         bool         `json:"neon"`
	DotProduct   bool         `json:"dot_product"`
	FP16         bool         `json:"fp16"`
	GoCPU        []string     `json:"go_cpu_features"`
	Features     []string     `json:"cpuinfo_features"`
	MemTotal     uint64       `json:"mem_total_bytes"`
	MemAvailable uint64       `json:"mem_available_bytes"`
	OS           string       `json:"os,omitempty"`
	Kernel       string       `json:"kernel,omitempty"`
	Freq         *freqJSON    `json:"cpu_freq"`
	TempC        *float64     `json:"temperature_c"`
	TempZone     string       `json:"temperature_zone,omitempty"`
	Throttled    *throttleObj `json:"throttled"`
	PeriphRPi    bool         `json:"periph_rpi_present"`
	NotFound     []string     `json:"not_found"`
}

type piJSON struct {
	Code         string `json:"revision_code"`
	Type         string `json:"type"`
	Revision     string `json:"revision"`
	MemoryMB     int    `json:"memory_mb"`
	Manufacturer string `json:"manufacturer"`
	Processor    string `json:"processor"`
	WarrantyVoid bool   `json:"warranty_void"`
}

type freqJSON struct {
	CurMHz   float64 `json:"cur_mhz"`
	MinMHz   float64 `json:"min_mhz"`
	MaxMHz   float64 `json:"max_mhz"`
	Governor string  `json:"governor"`
}

type throttleObj struct {
	Raw       string   `json:"raw"`
	Now       []string `json:"now"`
	SinceBoot []string `json:"since_boot"`
}

func throttleView(t board.Throttle) *throttleObj {
	now, boot := t.Names()
	return &throttleObj{Raw: fmt.Sprintf("0x%x", uint32(t)), Now: orEmpty(now), SinceBoot: orEmpty(boot)}
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func boardView(in *board.Info) boardJSON {
	v := boardJSON{
		Summary: in.Summary(), Model: in.Model, SoC: in.SoC, CPU: in.CPU, Cores: in.Cores,
		Machine: in.Machine, GoArch: in.GoArch, NEON: in.NEON, DotProduct: in.DotProd, FP16: in.FP16,
		GoCPU: orEmpty(in.GoCPU), Features: orEmpty(in.Features), MemTotal: in.MemTotal, MemAvailable: in.MemAvailable,
		OS: in.OS, Kernel: in.Kernel, TempZone: in.TempZone, PeriphRPi: in.PeriphRPi, NotFound: orEmpty(in.Notes),
	}
	if p := in.Pi; p != nil {
		v.RaspberryPi = &piJSON{Code: fmt.Sprintf("%x", p.Code), Type: p.Type, Revision: p.Revision, MemoryMB: p.MemoryMB,
			Manufacturer: p.Manufacturer, Processor: p.Processor, WarrantyVoid: p.WarrantyVoid}
	}
	if in.Freq.Cur != 0 {
		cur, lo, hi := in.Freq.MHz()
		v.Freq = &freqJSON{CurMHz: cur, MinMHz: lo, MaxMHz: hi, Governor: in.Freq.Governor}
	}
	if in.TempZone != "" || in.Temp != 0 {
		c := in.Temp.Celsius()
		v.TempC = &c
	}
	if in.HasThrottled {
		v.Throttled = throttleView(in.Throttled)
	}
	return v
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printBoard(w io.Writer, in *board.Info) {
	row := func(k, format string, a ...any) { fmt.Fprintf(w, "%-13s %s\n", k+":", fmt.Sprintf(format, a...)) }
	row("board", "%s", in.Summary())
	if p := in.Pi; p != nil {
		row("revision", "%x: Raspberry Pi %s rev %s, %s, made by %s, %s%s", p.Code, p.Type, p.Revision,
			board.MemString(uint64(p.MemoryMB)<<20), p.Manufacturer, p.Processor, map[bool]string{true: ", warranty void (over-voltage)"}[p.WarrantyVoid])
	}
	if in.SoC != "" {
		row("soc", "%s", in.SoC)
	}
	cpu := in.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	row("cpu", "%s, %d cores, %s kernel, %s binary", cpu, in.Cores, orDash(in.Machine), in.GoArch)
	row("features", "NEON %s, dot product %s, fp16 %s", yesNo(in.NEON), yesNo(in.DotProd), yesNo(in.FP16))
	if len(in.GoCPU) > 0 {
		row("go sees", "%s", strings.Join(in.GoCPU, " "))
	}
	if in.MemTotal > 0 {
		row("memory", "%s total, %s available", board.MemString(in.MemTotal), board.MemString(in.MemAvailable))
	}
	row("os", "%s, kernel %s", orDash(in.OS), orDash(in.Kernel))
	if in.Freq.Cur != 0 {
		row("cpu freq", "%s (min %s, max %s), governor %s", in.Freq.Cur, in.Freq.Min, in.Freq.Max, orDash(in.Freq.Governor))
	}
	if in.TempZone != "" {
		row("temperature", "%.1f °C (%s)", in.Temp.Celsius(), in.TempZone)
	}
	if in.HasThrottled {
		row("throttling", "%s", in.Throttled)
	}
	if in.Pi == nil {
		row("periph rpi", "%s", map[bool]string{true: "present", false: "not present"}[in.PeriphRPi])
	}
	if len(in.Notes) > 0 {
		fmt.Fprintln(w, "not found:")
		for _, n := range in.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
