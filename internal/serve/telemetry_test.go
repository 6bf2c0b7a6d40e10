package serve

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestTelemetryEnergy runs the service on a replayed 2.7 W trace: the joules counter grows as
// 2.7 W x time, the idle baseline is learned from a quiet stretch, and after predictions
// the per-inference figures are known and exported.
func TestTelemetryEnergy(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	opt := liveOptions(t, ModelSpec{"a", pa})
	svc, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	defer func() { cancel(); <-done; svc.Close() }()

	time.Sleep(700 * time.Millisecond) // quiet: the idle baseline (IdleMin 300 ms)
	for i := 0; i < 50; i++ {
		if _, err := svc.Predict(ctx, "", []string{"fire alarm", "hello"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	tel := svc.Telemetry()
	if tel.PowerSource != "replay:test" || !tel.PowerUp || !tel.HasPower || tel.Watts != 2.7 {
		t.Fatalf("telemetry: %+v", tel)
	}
	// The trace is 2.7 W for its first 10 s; readings come every 100 ms from the first tick.
	if want := 2.7 * (tel.UptimeSeconds - 0.1); math.Abs(tel.JoulesTotal-want) > 0.25*want {
		t.Errorf("joules %.3f, want about %.3f (2.7 W x %.2f s)", tel.JoulesTotal, want, tel.UptimeSeconds)
	}
	if !tel.IdleKnown || math.Abs(tel.IdleWatts-2.7) > 0.01 {
		t.Errorf("idle baseline: known %v, %.3f W; want 2.7", tel.IdleKnown, tel.IdleWatts)
	}
	if tel.Inferences != 100 || !tel.TotalKnown || tel.TotalUJPerInference <= 0 || !tel.MarginalKnown {
		t.Errorf("per-inference figures: %+v", tel)
	}
	// The board at a constant 2.7 W: nothing above idle.
	if math.Abs(tel.MarginalUJPerInference) > 0.1*tel.TotalUJPerInference {
		t.Errorf("marginal %.1f µJ on a flat trace (total %.1f µJ)", tel.MarginalUJPerInference, tel.TotalUJPerInference)
	}
	if !tel.HasTemp || tel.TempC != 47.5 || !tel.HasThrottled || tel.Models["a"] == "" {
		t.Errorf("conditions: %+v", tel)
	}
	h := svc.History(0)
	if len(h) < 10 {
		t.Errorf("history has %d points", len(h))
	} else if got := svc.History(h[len(h)-3].T); len(got) < 2 || len(got) > 4 || got[0].T <= h[len(h)-3].T {
		t.Errorf("History(since) returned %d points", len(got))
	}
	for _, name := range []string{"edgewatt_board_energy_joules_total", "edgewatt_energy_per_inference_joules", "edgewatt_board_idle_power_watts", "edgewatt_board_power_watts"} {
		if n, err := testutil.GatherAndCount(svc.Registry(), name); err != nil || n == 0 {
			t.Errorf("%s: %d series, %v", name, n, err)
		}
	}
	if err := testutil.GatherAndCompare(svc.Registry(), strings.NewReader(`
# HELP edgewatt_predictions_total Inputs classified (texts or id rows), by model, winning label and outcome (ok, or error for inputs refused after decoding).
# TYPE edgewatt_predictions_total counter
edgewatt_predictions_total{label="",model="a",outcome="error"} 0
edgewatt_predictions_total{label="routine",model="a",outcome="ok"} 0
edgewatt_predictions_total{label="urgent",model="a",outcome="ok"} 100
`), "edgewatt_predictions_total"); err != nil {
		t.Error(err)
	}
}

// TestNoPower: without a source the energy series are absent, not zero.
func TestNoPower(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	svc, err := New(Options{Models: []ModelSpec{{"a", pa}}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if tel := svc.Telemetry(); tel.HasPower || tel.PowerSource != "" || tel.TotalKnown {
		t.Errorf("%+v", tel)
	}
	if n, _ := testutil.GatherAndCount(svc.Registry(), "edgewatt_board_power_watts", "edgewatt_board_energy_joules_total"); n != 0 {
		t.Errorf("%d power series without a power source", n)
	}
}
