package energy

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewatt/edgewatt/board"
)

var chartOut = flag.String("chart", "", "also write the three-model test charts to FILE-<trace>.svg")

// threeModelRun measures three models (1 ms, 0.5 ms and 0.25 ms per inference) on a
// trace, 3 windows of 2 s each.
func threeModelRun(t *testing.T, file string) *Result {
	t.Helper()
	var res *Result
	synctest.Test(t, func(t *testing.T) {
		work := []Workload{
			sleeper("float32", time.Millisecond),
			sleeper("float16", 500*time.Microsecond),
			sleeper("int8", 250*time.Microsecond),
		}
		var err error
		res, err = Run(context.Background(), openReplay(t, file), work,
			Options{Windows: 3, Window: 2 * time.Second, Settle: -1, ReplayRun: 100 * time.Millisecond, GridIntensity: DefaultGridIntensity, Host: "test host"})
		if err != nil {
			t.Fatal(err)
		}
	})
	return res
}

// svgNode is a generic XML element.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []svgNode  `xml:",any"`
}

func (n *svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *svgNode) walk(f func(*svgNode)) {
	f(n)
	for i := range n.Nodes {
		n.Nodes[i].walk(f)
	}
}

func TestChartThreeModels(t *testing.T) {
	for _, file := range []string{threeModels.file, threeThrottled.file} {
		t.Run(file, func(t *testing.T) {
			res := threeModelRun(t, file)
			var buf bytes.Buffer
			if err := res.WriteSVG(&buf); err != nil {
				t.Fatal(err)
			}
			if *chartOut != "" {
				out := strings.TrimSuffix(*chartOut, ".svg") + "-" + strings.TrimSuffix(file, ".csv") + ".svg"
				if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var root svgNode
			if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
				t.Fatalf("chart is not well-formed XML: %v", err)
			}
			if root.XMLName.Local != "svg" || root.attr("width") == "" || root.attr("viewBox") == "" {
				t.Fatalf("root <%s width=%q viewBox=%q>, want an <svg> with a size", root.XMLName.Local, root.attr("width"), root.attr("viewBox"))
			}
			var idle, load, hatched int
			var values, texts []string
			root.walk(func(n *svgNode) {
				switch class := n.attr("class"); {
				case n.XMLName.Local == "rect" && class == "window idle":
					idle++
				case n.XMLName.Local == "rect" && class == "window load":
					load++
					if n.attr("fill-opacity") == "" || n.attr("fill") == "" {
						t.Errorf("load window rect without a fill: %v", n.Attrs)
					}
				case n.XMLName.Local == "rect" && class == "throttled":
					hatched++
				case n.XMLName.Local == "text" && class == "value":
					values = append(values, n.Text)
				}
				if n.XMLName.Local == "text" {
					texts = append(texts, n.Text)
				}
			})
			if idle != 4 || load != 9 {
				t.Errorf("%d idle and %d load windows shaded, want 4 and 9", idle, load)
			}
			if len(values) != 9 {
				t.Fatalf("%d value labels, want 9: %q", len(values), values)
			}
			for i, v := range values {
				w := &res.Windows[i]
				want := fmtG(w.MarginalJ*1e6) + " µJ"
				if !strings.Contains(v, want) {
					t.Errorf("window %d label %q, want %q", i, v, want)
				}
			}
			all := strings.Join(texts, "\n")
			for _, want := range []string{"time (s)", "power (W)", "float32", "float16", "int8", "idle", "Energy per inference",
				"REPLAYED power from testdata/" + file + " with the inference rate of test host", "a mix, neither that board's figure nor this machine's · trace: Synthetic"} {
				if !strings.Contains(all, want) {
					t.Errorf("chart text lacks %q", want)
				}
			}
			wantHatched := 0
			if file == threeThrottled.file {
				wantHatched = 1 // [4 s, 6 s] is float16's first window
				if !strings.Contains(values[1], "(") {
					t.Errorf("throttled window label %q is not marked as excluded", values[1])
				}
			}
			if hatched != wantHatched {
				t.Errorf("%d throttled windows hatched, want %d", hatched, wantHatched)
			}
		})
	}
}

func TestTableAndJSON(t *testing.T) {
	res := threeModelRun(t, threeThrottled.file)
	var tab bytes.Buffer
	if err := res.WriteTable(&tab); err != nil {
		t.Fatal(err)
	}
	out := tab.String()
	t.Log("\n" + out)
	for _, want := range []string{
		"float32", "float16", "int8", "µJ/inference, marginal", "µJ/inference, total",
		"475 g/kWh (CodeCarbon's world average", "window 1 (excluded)", "EXCLUDED: throttled",
		"float16 window 1: throttled", "CO2e per 1M inferences",
		"numbers  REPLAYED power from testdata/three-throttled.csv with the inference rate of test host: a mix",
		"trace    # Synthetic: as three-models.csv", "threads  1 predictor(s) running at once per model on test host",
		"drift -0.0004 W over 24 s; 4 idle windows of 2s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Every model's usable windows agree: no spread warning.
	if strings.Contains(out, "varies by") {
		t.Errorf("spread warning for windows within 10%%:\n%s", out)
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var j jsonResult
	if err := json.Unmarshal(js.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j.Provenance.Power != "replayed" || j.Provenance.Rates != "host" || !strings.HasPrefix(j.Provenance.TraceDescription, "Synthetic") || len(j.Idles) != 4 {
		t.Errorf("JSON provenance %+v, %d idle windows; want replayed at the host's rate with the trace's description, 4", j.Provenance, len(j.Idles))
	}
	if len(j.Models) != 3 || len(j.Windows) != 9 || j.GridIntensity != 475 || !j.Windows[1].Throttled || j.Windows[1].InMedian {
		t.Errorf("JSON: %d models, %d windows, grid %v, window[1] throttled=%v in_median=%v",
			len(j.Models), len(j.Windows), j.GridIntensity, j.Windows[1].Throttled, j.Windows[1].InMedian)
	}
	if len(j.Readings) != len(res.Samples) || j.Readings[0][1] != 2.0 {
		t.Errorf("JSON readings: %d, first %v; want %d starting at 2 W", len(j.Readings), j.Readings[0], len(res.Samples))
	}
	if got, want := j.Models[0].MarginalUJ.Median, res.Models[0].MarginalUJ.Median; got != want {
		t.Errorf("JSON float32 marginal %v, want %v", got, want)
	}
}

func TestWriteErrors(t *testing.T) {
	res := threeModelRun(t, threeModels.file)
	for name, f := range map[string]func(io.Writer) error{"table": res.WriteTable, "json": res.WriteJSON, "svg": res.WriteSVG} {
		if err := f(failWriter{}); err == nil {
			t.Errorf("%s: no error from a failing writer", name)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestOptionsRejected(t *testing.T) {
	src := board.NewReplay("replay:x", &board.Trace{Samples: []board.TraceSample{{T: 0, Power: board.Watts(1)}}}, time.Time{}, false)
	w := []Workload{sleeper("m", time.Millisecond)}
	for _, o := range []Options{
		{Windows: -1}, {Window: time.Millisecond}, {GridIntensity: -3}, {Idle: time.Nanosecond},
	} {
		if _, err := Run(context.Background(), src, w, o); err == nil {
			t.Errorf("Run(%+v) accepted", o)
		}
	}
	if _, err := Run(context.Background(), src, nil, Options{}); err == nil {
		t.Error("Run with no workload accepted")
	}
	if _, err := Run(context.Background(), src, []Workload{{Name: "x"}}, Options{}); err == nil {
		t.Error("Run with a nil Run func accepted")
	}
}

func TestShortNames(t *testing.T) {
	got := shortNames([]string{"sarcasm-f32", "sarcasm-f16", "sarcasm-int8"})
	if got["sarcasm-f32"] != "f32" || got["sarcasm-int8"] != "int8" {
		t.Errorf("shortNames = %v", got)
	}
	got = shortNames([]string{"a/x.safetensors", "b/x.safetensors", "model"})
	if got["model"] != "model" || got["a/x.safetensors"] != "a/x.safetensors" {
		t.Errorf("shortNames without a shared prefix = %v", got)
	}
	if got := shortNames([]string{"only-one"}); got["only-one"] != "only-one" {
		t.Errorf("shortNames of one name = %v", got)
	}
}

func TestFmtG(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 0.87: "0.87", 0.123456: "0.1235", 1500: "1500", 749.84: "749.8", 999.99: "1000",
		564612: "564600", -0.001: "-0.001", 2.5e9: "2.5e+09", 12.3456: "12.35",
	} {
		if got := fmtG(v); got != want {
			t.Errorf("fmtG(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestChartDecimates checks that a long trace (more readings than pixels) is drawn with
// the minimum and maximum of each pixel column, so spikes survive and the file stays small.
func TestChartDecimates(t *testing.T) {
	tr := &board.Trace{}
	for i := 0; i <= 20000; i++ {
		w := 2.0
		if i > 2000 {
			w = 3.5
		}
		if i == 12345 {
			w = 9 // one spike
		}
		tr.Samples = append(tr.Samples, board.TraceSample{T: time.Duration(i) * time.Millisecond, Power: board.Watts(w)})
	}
	var res *Result
	synctest.Test(t, func(t *testing.T) {
		var err error
		res, err = Run(context.Background(), board.NewReplay("replay:long", tr, time.Now(), false),
			[]Workload{sleeper("m", time.Millisecond)}, Options{Windows: 1, Window: 6 * time.Second, Settle: -1, ReplayRun: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
	})
	var buf bytes.Buffer
	if err := res.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	var root svgNode
	if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatal(err)
	}
	var pts []string
	root.walk(func(n *svgNode) {
		if n.attr("class") == "power" {
			pts = strings.Fields(n.attr("points"))
		}
	})
	if len(pts) == 0 || len(pts) > 2*int(plotR-plotL)+4 {
		t.Fatalf("%d polyline points for %d readings, want at most two per pixel column", len(pts), len(res.Samples))
	}
	step := niceStep(9*1.3, 6)
	yMax := math.Ceil(9*1.3/step) * step
	spike := fmt.Sprintf(",%.1f", plotB-(plotB-plotT)*9/yMax) // y of 9 W
	if !strings.Contains(buf.String(), spike) {
		t.Errorf("the 9 W spike (y%s) was lost in decimation", spike)
	}
}

func TestSpreadWarning(t *testing.T) {
	res := &Result{GridIntensity: DefaultGridIntensity, Interval: 100 * time.Millisecond, Idles: []Window{{End: time.Second}}}
	for i, uj := range []float64{100, 100, 130} {
		res.Windows = append(res.Windows, Window{Model: "m", Index: i + 1, Start: time.Duration(i+1) * time.Second, End: time.Duration(i+2) * time.Second,
			Inferences: 1e4 / uj})
	}
	// Ten readings a second at a constant 1 W: 1 J per window, so µJ/inference = 1e6 / n.
	var rs []sampled
	origin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i <= 40; i++ {
		rs = append(rs, sampled{Reading: board.Reading{Time: origin.Add(time.Duration(i) * 100 * time.Millisecond), Power: board.Watts(1)}})
	}
	res.measure(rs, nil, origin, []Workload{{Name: "m"}}, nil)
	if !strings.Contains(strings.Join(res.Notes, "\n"), "m: µJ/inference varies by 30%") {
		t.Errorf("notes %q lack the 30%% spread warning", res.Notes)
	}
}
