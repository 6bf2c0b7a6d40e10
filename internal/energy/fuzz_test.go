package energy

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewatt/edgewatt/board"
)

// FuzzRunReplay runs the engine over arbitrary traces: whatever the trace (one row, huge
// gaps, zero power, throttled everywhere, shorter than the run), Run returns a result whose
// numbers are finite and whose table, JSON and SVG can be written and parsed.
func FuzzRunReplay(f *testing.F) {
	for _, name := range []string{"idle-load.csv", "throttled.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("0,1\n"))
	f.Add([]byte("0,0\n0.001,0\n1e6,5,90,0x5\n"))
	f.Add([]byte("0,3,40,0x4\n0.01,3,40,0x4\n0.02,3,40,0x4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := board.ParseTrace(bytes.NewReader(data))
		if err != nil {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			src := board.NewReplay("replay:fuzz", tr, time.Now(), false)
			work := []Workload{sleeper("a", time.Millisecond), sleeper("b", 3*time.Millisecond)}
			res, err := Run(context.Background(), src, work, Options{Windows: 1, Window: 20 * time.Millisecond, Idle: 10 * time.Millisecond, MinReadings: 2, Settle: -1, ReplayRun: 5 * time.Millisecond, GridIntensity: DefaultGridIntensity})
			if errors.Is(err, ErrTraceTooShort) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range append([]Window{res.Idle}, res.Windows...) {
				if w.Coverage < 0 || w.Coverage > 1+1e-9 || math.IsNaN(w.Rate) || math.IsInf(w.Rate, 0) {
					t.Fatalf("window %+v: coverage or rate out of range", w)
				}
			}
			var buf bytes.Buffer
			if err := res.WriteJSON(&buf); err != nil {
				t.Fatalf("WriteJSON: %v", err)
			}
			buf.Reset()
			if err := res.WriteTable(&buf); err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			buf.Reset()
			if err := res.WriteSVG(&buf); err != nil {
				t.Fatalf("WriteSVG: %v", err)
			}
			if err := xml.Unmarshal(buf.Bytes(), new(svgNode)); err != nil {
				t.Fatalf("SVG is not XML: %v", err)
			}
		})
	})
}
