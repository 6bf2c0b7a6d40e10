package mqtt

import (
	"math"
	"time"
)

// telemetryMsg is the JSON retained on root/node/telemetry. Figures that are not measured
// are left out (Home Assistant's templates turn a missing key into "unknown").
type telemetryMsg struct {
	Time                 time.Time         `json:"time"`
	PowerW               *float64          `json:"power_w,omitempty"`
	EnergyWh             *float64          `json:"energy_wh,omitempty"`
	UJPerInference       *float64          `json:"uj_per_inference,omitempty"`
	UJPerInferenceTotal  *float64          `json:"uj_per_inference_total,omitempty"`
	PredictionsPerSecond float64           `json:"predictions_per_second"`
	TemperatureC         *float64          `json:"temperature_c,omitempty"`
	Throttled            bool              `json:"throttled"`
	PowerSource          string            `json:"power_source,omitempty"`
	Models               map[string]string `json:"models"` // name -> sha256
}

func opt(x float64, digits float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	v := math.Round(x*digits) / digits
	return &v
}

func newTelemetryMsg(now time.Time, t Telemetry, models []Model) telemetryMsg {
	m := telemetryMsg{
		Time:                 now.UTC().Truncate(time.Millisecond),
		PowerW:               opt(t.Watts, 1e4),
		EnergyWh:             opt(t.Joules/3600, 1e6),
		UJPerInference:       opt(t.MicrojoulesPerInference, 1e4),
		UJPerInferenceTotal:  opt(t.MicrojoulesPerInferenceTotal, 1e4),
		PredictionsPerSecond: math.Round(finite(t.PredictionsPerSecond)*100) / 100,
		TemperatureC:         opt(t.TemperatureC, 10),
		Throttled:            t.Throttled,
		PowerSource:          t.PowerSource,
		Models:               map[string]string{},
	}
	for _, md := range models {
		m.Models[md.Name] = md.SHA256
	}
	return m
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// changed reports whether b differs enough from a to be published before the interval is
// up: throttling or the models changed, power by 5 % (and 0.05 W), temperature by 1 °C,
// predictions per second or µJ/inference by 10 %, or a figure appeared or vanished.
// Energy only grows and is not a reason by itself.
func changed(a, b telemetryMsg) bool {
	if a.Throttled != b.Throttled || len(a.Models) != len(b.Models) {
		return true
	}
	for k, v := range a.Models {
		if b.Models[k] != v {
			return true
		}
	}
	return differs(a.PowerW, b.PowerW, 0.05, 0.05) ||
		differs(a.TemperatureC, b.TemperatureC, 0, 1) ||
		differs(a.UJPerInference, b.UJPerInference, 0.10, 0) ||
		differs(&a.PredictionsPerSecond, &b.PredictionsPerSecond, 0.10, 0.5)
}

// differs compares with a relative and an absolute threshold, both of which must be passed.
func differs(a, b *float64, rel, abs float64) bool {
	if (a == nil) != (b == nil) {
		return true
	}
	if a == nil {
		return false
	}
	d := math.Abs(*a - *b)
	return d >= abs && d > rel*math.Max(math.Abs(*a), math.Abs(*b))
}

var nan = math.NaN()
