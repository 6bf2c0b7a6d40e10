package mqtt

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestFleet: two nodes on one broker are listed with their board, model sha256, version
// and telemetry; a node that stops shows as offline.
func TestFleet(t *testing.T) {
	br := startMosquitto(t)
	cls := newRuntimeClassifier(t, "smarthome")
	tel := &fixedTelemetry{t: Telemetry{Watts: 3.1, Joules: 0, MicrojoulesPerInference: 0.5, MicrojoulesPerInferenceTotal: 1.5, PredictionsPerSecond: 20, TemperatureC: nan}}
	startService(t, br.broker(), "attic", cls, tel, nil)
	stopCellar := startServiceStoppable(t, br.broker(), "cellar", cls, tel, func(o *Options) { o.Board = "Raspberry Pi Zero 2 W Rev 1.0" })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	updates := make(chan struct{}, 1000)
	f, err := WatchFleet(ctx, br.broker(), "", func() { updates <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	wait := func(cond func([]Node) bool) []Node {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			if ns := f.Nodes(); cond(ns) {
				return ns
			}
			select {
			case <-updates:
			case <-deadline:
				t.Fatalf("fleet never reached the expected state: %+v", f.Nodes())
			}
		}
	}
	ns := wait(func(ns []Node) bool {
		return len(ns) == 2 && ns[0].Status == "online" && ns[1].Status == "online" && ns[0].PowerW != nil && ns[1].PowerW != nil && len(ns[1].Models) == 1
	})
	sha := cls.m.Meta.SHA256
	if ns[0].Node != "attic" || ns[1].Node != "cellar" || ns[1].Board != "Raspberry Pi Zero 2 W Rev 1.0" || ns[1].Version != "test" ||
		ns[1].Models[0].SHA256 != sha || *ns[0].PowerW != 3.1 || *ns[0].UJPerInference != 0.5 || *ns[0].PredictionsPerSecond != 20 ||
		ns[0].LastSeen.IsZero() {
		t.Errorf("fleet %+v", ns)
	}
	var tab bytes.Buffer
	if err := WriteFleetTable(&tab, ns, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := tab.String()
	for _, w := range []string{"attic", "cellar", "online", "3.10 W", "0.500", "20.0", "smarthome (" + sha[:12] + ")", "Raspberry Pi Zero 2 W"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	stopCellar()
	wait(func(ns []Node) bool { return len(ns) == 2 && ns[1].Status == "offline" })
}
