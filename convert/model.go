package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrUnsupportedLayer is wrapped by every error that refuses a model because of a layer
// edgewatt cannot run (LSTM, Bidirectional, Conv1D, Flatten, ...).
var ErrUnsupportedLayer = errors.New("unsupported layer")

// ErrNoWeights is wrapped by the error for a model file that holds no weights at all
// (typically a Keras model saved before it was built or trained).
var ErrNoWeights = errors.New("model has no weights")

// Supported describes the layer set edgewatt runs, for error messages.
const Supported = "InputLayer, Embedding, Dropout (identity), GlobalAveragePooling1D, GlobalMaxPooling1D or Flatten, then one or more Dense with relu, sigmoid, tanh, linear or softmax"

// Model is a Keras model read from any of the supported source formats: its layers in
// order with their configs and weights.
type Model struct {
	Format       string // "h5", "keras" or "tfjs"
	KerasVersion string
	Backend      string
	ClassName    string // Sequential, Functional, Model
	Layers       []Layer
	// Sources are the files read besides the model file itself (TF.js weight shards), so
	// that an output can be checked against them.
	Sources []string
	// TextVec is the tokenizer of a TextVectorization layer the model began with (removed
	// from Layers), and TextVecData the bytes it was read from; nil when there was none.
	TextVec      *Tokenizer
	TextVecData  []byte
	TextVecLayer string // the layer's name
}

// Layer is one layer of a Model.
type Layer struct {
	Class   string
	Name    string
	Config  map[string]json.RawMessage
	Build   map[string]json.RawMessage // Keras 3 build_config, may be nil
	Weights []Weight                   // in the layer's variable order
}

// Weight is one named variable of a layer, float32 in row-major order.
type Weight struct {
	Name  string // the variable's own name: embeddings, kernel, bias
	Shape []int
	Data  []float32
}

// NumWeights returns how many weight tensors the model holds.
func (m *Model) NumWeights() int {
	n := 0
	for _, l := range m.Layers {
		n += len(l.Weights)
	}
	return n
}

// InputLength returns the sequence length the model was built for, or 0 when the config
// does not fix it. The batch dimension (Keras 3 may store the training batch size there) is
// ignored.
func (m *Model) InputLength() int {
	for _, l := range m.Layers {
		for _, key := range []string{"batch_input_shape", "batch_shape"} {
			if n := secondDim(l.Config[key]); n > 0 {
				return n
			}
		}
		if l.Class == "Embedding" {
			var n *int
			if raw, ok := l.Config["input_length"]; ok && json.Unmarshal(raw, &n) == nil && n != nil && *n > 0 {
				return *n
			}
			if n := secondDim(l.Build["input_shape"]); n > 0 {
				return n
			}
			return 0
		}
	}
	return 0
}

// secondDim returns d of a shape [batch, d], or 0.
func secondDim(raw json.RawMessage) int {
	if raw == nil {
		return 0
	}
	var dims []*int
	if json.Unmarshal(raw, &dims) != nil || len(dims) != 2 || dims[1] == nil || *dims[1] <= 0 {
		return 0
	}
	return *dims[1]
}

// kerasConfig is a serialized Keras object: {"class_name", "config", ...}.
type kerasConfig struct {
	ClassName    string          `json:"class_name"`
	Config       json.RawMessage `json:"config"`
	BuildConfig  json.RawMessage `json:"build_config"`
	InboundNodes json.RawMessage `json:"inbound_nodes"` // functional models
}

// parseModelConfig reads a Keras model_config (legacy h5 attribute, .keras config.json or
// TF.js modelTopology.model_config) into layers without weights.
func parseModelConfig(text []byte) (*Model, error) {
	var top kerasConfig
	if err := json.Unmarshal(text, &top); err != nil {
		return nil, fmt.Errorf("convert: model config is not valid JSON: %v", err)
	}
	m := &Model{ClassName: top.ClassName}
	switch top.ClassName {
	case "Sequential", "Functional", "Model":
	case "":
		return nil, errors.New("convert: model config has no class_name: not a Keras model config")
	default:
		return nil, fmt.Errorf("convert: model class %q: %w: edgewatt reads Sequential (or a linear functional) models of %s", top.ClassName, ErrUnsupportedLayer, Supported)
	}
	// Keras <= 2.2 wrote a Sequential's config as the bare layer list.
	var layers []kerasConfig
	if len(top.Config) > 0 && top.Config[0] == '[' {
		if err := json.Unmarshal(top.Config, &layers); err != nil {
			return nil, fmt.Errorf("convert: model config layers: %v", err)
		}
	} else {
		var c struct {
			Layers       []kerasConfig   `json:"layers"`
			OutputLayers json.RawMessage `json:"output_layers"`
		}
		if err := json.Unmarshal(top.Config, &c); err != nil {
			return nil, fmt.Errorf("convert: model config: %v", err)
		}
		layers = c.Layers
		if top.ClassName != "Sequential" {
			if err := checkChain(layers, c.OutputLayers); err != nil {
				return nil, err
			}
		}
	}
	if len(layers) == 0 {
		return nil, errors.New("convert: model config lists no layers")
	}
	for i, lc := range layers {
		l := Layer{Class: lc.ClassName}
		if err := json.Unmarshal(lc.Config, &l.Config); err != nil || l.Config == nil {
			return nil, fmt.Errorf("convert: layer %d (%s): config is not a JSON object", i, lc.ClassName)
		}
		if raw, ok := l.Config["name"]; ok {
			if err := json.Unmarshal(raw, &l.Name); err != nil {
				return nil, fmt.Errorf("convert: layer %d (%s): name is not a string", i, lc.ClassName)
			}
		}
		if l.Name == "" {
			return nil, fmt.Errorf("convert: layer %d (%s) has no name", i, lc.ClassName)
		}
		if len(lc.BuildConfig) > 0 && string(lc.BuildConfig) != "null" {
			_ = json.Unmarshal(lc.BuildConfig, &l.Build)
		}
		m.Layers = append(m.Layers, l)
	}
	return m, nil
}

// checkChain verifies that a functional model is a plain chain: every layer's inbound nodes
// name only the layer listed before it, and the output is the last layer.
func checkChain(layers []kerasConfig, outputs json.RawMessage) error {
	names := make(map[string]bool, len(layers))
	order := make([]string, len(layers))
	for i, l := range layers {
		var c struct {
			Name string `json:"name"`
		}
		json.Unmarshal(l.Config, &c)
		names[c.Name] = true
		order[i] = c.Name
	}
	notChain := func(what string) error {
		return fmt.Errorf("convert: %w: the functional model is not a single chain of layers (%s); edgewatt runs %s", ErrUnsupportedLayer, what, Supported)
	}
	for i, l := range layers {
		refs := map[string]bool{}
		collectNames(l.InboundNodes, names, refs)
		switch {
		case i == 0 && len(refs) > 0:
			return notChain(fmt.Sprintf("first layer %q has inputs", order[i]))
		case i > 0 && (len(refs) != 1 || !refs[order[i-1]]):
			return notChain(fmt.Sprintf("layer %q does not take exactly the output of %q", order[i], order[i-1]))
		}
	}
	if len(outputs) > 0 && len(layers) > 0 {
		refs := map[string]bool{}
		collectNames(outputs, names, refs)
		if len(refs) != 1 || !refs[order[len(order)-1]] {
			return notChain("its output is not the last layer")
		}
	}
	return nil
}

// collectNames adds to refs every JSON string in raw that is a layer name.
func collectNames(raw json.RawMessage, names, refs map[string]bool) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if names[x] {
				refs[x] = true
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

// layer returns the layer named name, or nil.
func (m *Model) layer(name string) *Layer {
	for i := range m.Layers {
		if m.Layers[i].Name == name {
			return &m.Layers[i]
		}
	}
	return nil
}

// configString returns the string value of a config key, or def when absent or null.
func (l *Layer) configString(key, def string) (string, error) {
	raw, ok := l.Config[key]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("convert: layer %q (%s): %s is not a string", l.Name, l.Class, key)
	}
	return s, nil
}

// configInt returns the integer value of a config key, or def when absent or null.
func (l *Layer) configInt(key string, def int) (int, error) {
	raw, ok := l.Config[key]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		return 0, fmt.Errorf("convert: layer %q (%s): %s is not a non-negative integer", l.Name, l.Class, key)
	}
	return int(f), nil
}

// configBool returns the boolean value of a config key, or def when absent or null.
func (l *Layer) configBool(key string, def bool) (bool, error) {
	raw, ok := l.Config[key]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("convert: layer %q (%s): %s is not a boolean", l.Name, l.Class, key)
	}
	return b, nil
}

// varName reduces a stored weight name to the variable's own name:
// "sequential/dense/kernel" and "dense_4/kernel:0" both give "kernel".
func varName(s string) string {
	s = strings.TrimSuffix(s, ":0")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func shapeElems(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return 0, false
		}
		n *= d
	}
	return n, true
}
