package mqtt

import (
	"context"
	"time"
)

// Classifier is what the MQTT side needs from the service that runs the models: the
// loaded models and a prediction. internal/serve's Service satisfies it through a thin
// adapter in internal/cli; it must be safe for concurrent use.
type Classifier interface {
	Models() []Model
	Predict(ctx context.Context, model string, texts []string) ([]Prediction, error)
}

// Model describes one loaded model.
type Model struct {
	Name   string
	SHA256 string   // the model file's tensor-data sha256
	Labels []string // class names, in output order
}

// Prediction is one text's answer.
type Prediction struct {
	Label   string
	Labels  []string  // the class names the scores belong to
	Scores  []float32 // one per output unit; a single sigmoid unit is the last label's probability
	Latency time.Duration
}

// TelemetrySource reports the board's live figures.
type TelemetrySource interface {
	Telemetry() Telemetry
}

// Telemetry is a snapshot of the node's figures. A NaN float means "not measured" (no power
// sensor, no thermal zone) and is left out of what is published.
type Telemetry struct {
	Watts                        float64 // board power now
	Joules                       float64 // energy since the service started (a counter)
	MicrojoulesPerInference      float64 // marginal: above the idle baseline, recent window
	MicrojoulesPerInferenceTotal float64 // total energy / inferences, recent window
	PredictionsPerSecond         float64
	TemperatureC                 float64
	Throttled                    bool
	PowerSource                  string // e.g. "ina260", "replay:trace.csv"
}
