package energy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewatt/edgewatt/board"
)

// TestRecordReplaysTheBoardsFigures: a live run written with WriteTrace and replayed with
// the same schedule gives the live run's µJ from the recorded rate, and says so.
func TestRecordReplaysTheBoardsFigures(t *testing.T) {
	var rec bytes.Buffer
	var liveRes *Result
	synctest.Test(t, func(t *testing.T) {
		busy := new(busyClock)
		var err error
		liveRes, err = Run(context.Background(), &live{busy: busy}, []Workload{busyWorkload(busy, 2*time.Millisecond)},
			Options{Warmup: -1, Windows: 2, Window: time.Second, Host: "a Pi"})
		if err != nil {
			t.Fatal(err)
		}
		if err := liveRes.WriteTrace(&rec); err != nil {
			t.Fatal(err)
		}
	})
	tr, err := board.ParseTrace(bytes.NewReader(rec.Bytes()))
	if err != nil {
		t.Fatalf("recorded trace does not parse: %v\n%s", err, rec.String()[:500])
	}
	if !tr.HasRate || !strings.Contains(tr.Description, "MEASURED, source fake") || !strings.Contains(tr.Description, "--windows 2 --window 1s --settle 20ms") {
		t.Errorf("rate %v, description %q", tr.HasRate, tr.Description)
	}
	synctest.Test(t, func(t *testing.T) {
		res, err := Run(context.Background(), board.NewReplay("replay:rec.csv", tr, time.Now(), false),
			[]Workload{{Name: "m", Run: func(int) { t.Error("the host's workload ran") }}},
			Options{Windows: 2, Window: time.Second, Settle: liveRes.Settle})
		if err != nil {
			t.Fatal(err)
		}
		if res.Partial || res.Provenance.RatesFrom != "trace" {
			t.Fatalf("partial %v (%s), rates from %q", res.Partial, res.PartialWhy, res.Provenance.RatesFrom)
		}
		within(t, "replayed marginal µJ", res.Models[0].MarginalUJ.Median, liveRes.Models[0].MarginalUJ.Median, 0.01)
		within(t, "replayed total µJ", res.Models[0].TotalUJ.Median, liveRes.Models[0].TotalUJ.Median, 0.01)
		within(t, "replayed rate", res.Models[0].Rate.Median, 500, 0.01)
	})
}
