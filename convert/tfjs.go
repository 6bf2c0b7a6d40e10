package convert

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"path/filepath"
	"strings"

	"github.com/edgewatt/edgewatt/internal/safeio"
)

// tfjsModel is the part of a TF.js layers-model model.json that edgewatt reads.
type tfjsModel struct {
	Format          string          `json:"format"`
	GeneratedBy     string          `json:"generatedBy"`
	ConvertedBy     string          `json:"convertedBy"`
	ModelTopology   json.RawMessage `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name         string          `json:"name"`
			Shape        []int           `json:"shape"`
			DType        string          `json:"dtype"`
			Quantization json.RawMessage `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

// maxTFJSWeightBytes bounds the weights of one manifest group (a browser model is far smaller).
const maxTFJSWeightBytes = 1 << 30

// ReadTFJS reads a TF.js layers model: model.json and the weight shards it names (beside it).
func ReadTFJS(path string) (*Model, error) {
	b, err := readInput(path, "model", safeio.MaxTextFile)
	if err != nil {
		return nil, err
	}
	var sources []string
	m, err := parseTFJS(b, path, func(name string, max int) ([]byte, error) {
		// A shard that is a FIFO or a device is refused without being opened.
		p := filepath.Join(filepath.Dir(path), name)
		sources = append(sources, p)
		f, _, err := safeio.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
		if err == nil && len(b) > max {
			err = fmt.Errorf("more than the %d bytes its weights need", max)
		}
		return b, err
	})
	if err != nil {
		return nil, err
	}
	m.Sources = sources
	return m, nil
}

// parseTFJS decodes model.json bytes; shard loads a weight file named in the manifest and
// fails when it holds more than max bytes.
func parseTFJS(b []byte, what string, shard func(name string, max int) ([]byte, error)) (*Model, error) {
	var tm tfjsModel
	if err := json.Unmarshal(trimBOM(b), &tm); err != nil {
		return nil, fmt.Errorf("convert: %s is not valid JSON (%v); is it truncated?", what, err)
	}
	if tm.Format != "" && tm.Format != "layers-model" {
		return nil, fmt.Errorf("convert: %s is a TF.js %q, not a layers-model; only Keras models converted with tensorflowjs_converter --output_format tfjs_layers_model are read", what, tm.Format)
	}
	if len(tm.ModelTopology) == 0 {
		return nil, fmt.Errorf("convert: %s has no modelTopology: not a TF.js layers model", what)
	}
	var wrapped struct {
		KerasVersion string          `json:"keras_version"`
		Backend      string          `json:"backend"`
		ModelConfig  json.RawMessage `json:"model_config"`
	}
	cfg := []byte(tm.ModelTopology)
	if json.Unmarshal(tm.ModelTopology, &wrapped) == nil && len(wrapped.ModelConfig) > 0 {
		cfg = wrapped.ModelConfig
	}
	m, err := parseModelConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, what)
	}
	m.Format = "tfjs"
	m.KerasVersion = strings.TrimPrefix(wrapped.KerasVersion, "tfjs-layers ")
	if m.KerasVersion == "" {
		m.KerasVersion = strings.TrimPrefix(tm.GeneratedBy, "keras v")
	}
	m.Backend = wrapped.Backend
	for gi, g := range tm.WeightsManifest {
		// What the group's weights need, before any shard is read: a manifest naming a shard
		// many times, or a huge shard, must not make it read without bound.
		need := 0
		for _, w := range g.Weights {
			if w.DType != "float32" {
				return nil, fmt.Errorf("convert: %s: weight %q is %s; only float32 weights are read", what, w.Name, w.DType)
			}
			if len(w.Quantization) > 0 && string(w.Quantization) != "null" {
				return nil, fmt.Errorf("convert: %s: weight %q is quantized by tensorflowjs_converter; re-export without --quantize_* (edgewatt quantizes itself: --quant int8)", what, w.Name)
			}
			n, ok := shapeElems(w.Shape)
			if !ok || n > (maxTFJSWeightBytes-need)/4 {
				return nil, fmt.Errorf("convert: %s: weight %q of shape %v is too large; the manifest is corrupt", what, w.Name, w.Shape)
			}
			need += 4 * n
		}
		var data []byte
		for _, p := range g.Paths {
			if p == "" || filepath.IsAbs(p) || strings.Contains(p, "..") || strings.ContainsAny(p, `/\`) {
				return nil, fmt.Errorf("convert: %s: weight shard path %q must be a plain file name beside model.json", what, p)
			}
			sb, err := shard(p, need-len(data))
			if err != nil {
				return nil, fmt.Errorf("convert: %s: weight shard %q: %v; copy every shard named in weightsManifest next to model.json", what, p, err)
			}
			if len(sb) > need-len(data) {
				return nil, fmt.Errorf("convert: %s: group %d's shards hold more than the %d bytes its weights need; shards and model.json do not belong together", what, gi, need)
			}
			data = append(data, sb...)
		}
		if len(data) != need {
			return nil, fmt.Errorf("convert: %s: group %d's shards hold %d bytes but its weights need %d; a shard is truncated or missing, or shards and model.json do not belong together", what, gi, len(data), need)
		}
		off := 0
		for _, w := range g.Weights {
			n, _ := shapeElems(w.Shape)
			vals := make([]float32, n)
			for i := range vals {
				vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[off+4*i:]))
			}
			off += 4 * n
			parts := strings.Split(strings.TrimSuffix(w.Name, ":0"), "/")
			if len(parts) < 2 {
				return nil, fmt.Errorf("convert: %s: weight name %q is not layer/variable", what, w.Name)
			}
			l := m.layer(parts[len(parts)-2])
			if l == nil {
				return nil, fmt.Errorf("convert: %s: weight %q belongs to no layer of the model config", what, w.Name)
			}
			l.Weights = append(l.Weights, Weight{Name: parts[len(parts)-1], Shape: append([]int(nil), w.Shape...), Data: vals})
		}
	}
	return m, nil
}
