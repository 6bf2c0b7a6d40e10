package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// BenchmarkBrokerRoundTrip measures classify requests through a real Mosquitto on loopback:
// a requester publishes QoS 1 requests with ids, keeping `window` of them in flight, and
// times each from publish to its result, which the node publishes at QoS 2 (the default,
// the requester subscribed at QoS 2: exactly once) or 1. Reports requests/s and latency
// p50/p99.
//
//	go test ./internal/mqtt -run '^$' -bench BrokerRoundTrip -benchtime 20000x
func BenchmarkBrokerRoundTrip(b *testing.B) {
	for _, qos := range []byte{2, 1} {
		for _, window := range []int{1, 64} {
			b.Run(fmt.Sprintf("qos=%d/window=%d", qos, window), func(b *testing.B) { benchRoundTrip(b, window, qos) })
		}
	}
}

func benchRoundTrip(b *testing.B, window int, qos byte) {
	br := startMosquitto(b)
	cls := newRuntimeClassifier(b, "smarthome")
	startService(b, br.broker(), "bench", cls, nil, func(o *Options) { o.ResultQoS = qos })
	tp := topics{root: "edgewatt", node: "bench"}
	req := newClient(b, br.broker(), "bench-requester", false, tp.result("smarthome"), tp.status())
	for string(req.next(b, tp.status(), 10*time.Second).Payload) != "online" {
	}
	sent := make([]time.Time, b.N)
	lat := make([]time.Duration, 0, b.N)
	slots := make(chan struct{}, window)
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		seen := 0
		for seen < b.N {
			p := <-req.msgs
			var r struct {
				ID int `json:"id"`
			}
			if json.Unmarshal(p.Payload, &r) != nil || r.ID < 0 || r.ID >= b.N {
				continue
			}
			mu.Lock()
			lat = append(lat, time.Since(sent[r.ID]))
			mu.Unlock()
			seen++
			<-slots
		}
		close(done)
	}()
	text := "Water leak detected under the sink in the bathroom"
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		slots <- struct{}{}
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		payload := fmt.Appendf(nil, `{"text": %q, "id": %d}`, text, i)
		if err := req.cm.PublishViaQueue(context.Background(), &autopaho.QueuePublish{Publish: &paho.Publish{
			Topic: tp.classify("smarthome"), QoS: 1, Payload: payload}}); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("results missing after 2 minutes: %d of %d", len(lat), b.N)
	}
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
