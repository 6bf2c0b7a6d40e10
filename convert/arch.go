package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Network is a validated model: the arch and its float32 weights in edgewatt's layout.
type Network struct {
	Arch      modelfile.Arch
	Embedding []float32 // [InputDim, OutputDim], row = token id
	Dense     []DenseWeights
	// InputLength is the sequence length fixed by the model config, 0 when unknown.
	InputLength int
}

// DenseWeights are one Dense layer's weights, kernel transposed to [out, in].
type DenseWeights struct {
	W []float32 // [Out, In], row o = weights of output o
	B []float32 // [Out]
}

// Params returns the number of parameters.
func (n *Network) Params() int {
	p := len(n.Embedding)
	for _, d := range n.Dense {
		p += len(d.W) + len(d.B)
	}
	return p
}

var activations = map[string]bool{"relu": true, "sigmoid": true, "tanh": true, "linear": true, "softmax": true}

// Validate checks that m is Embedding -> GlobalAveragePooling1D | GlobalMaxPooling1D |
// Flatten -> Dense+ (with optional
// InputLayer and Dropout), that the config agrees with the weights and that every weight is
// finite, and returns the network. Unsupported layers give an error wrapping
// ErrUnsupportedLayer; a model without weights one wrapping ErrNoWeights.
func Validate(m *Model) (*Network, error) {
	var unsupported []string
	for _, l := range m.Layers {
		switch l.Class {
		case "InputLayer", "Embedding", "Dropout", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten", "Dense":
		default:
			unsupported = append(unsupported, fmt.Sprintf("%q (%s)", l.Name, l.Class))
		}
	}
	var errUnsup error
	var unsupMsg string
	if len(unsupported) > 0 {
		unsupMsg = fmt.Sprintf("%s: edgewatt runs %s", strings.Join(unsupported, ", "), Supported)
		errUnsup = fmt.Errorf("convert: %w %s", ErrUnsupportedLayer, unsupMsg)
	}
	if m.NumWeights() == 0 {
		const why = "the file holds the model's config but no weight tensors (it was saved before the model was built or trained); call model.fit (or model.build) before model.save"
		if errUnsup != nil {
			return nil, fmt.Errorf("convert: %w: %s; it also has %w %s", ErrNoWeights, why, ErrUnsupportedLayer, unsupMsg)
		}
		return nil, fmt.Errorf("convert: %w: %s", ErrNoWeights, why)
	}
	if errUnsup != nil {
		return nil, errUnsup
	}
	n := &Network{InputLength: m.InputLength()}
	a := &n.Arch
	const (
		wantEmbedding = iota
		wantPool
		wantDense
	)
	state := wantEmbedding
	width := 0
	for i := range m.Layers {
		l := &m.Layers[i]
		src := modelfile.SourceLayer{Class: l.Class, Name: l.Name}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("convert: layer %q (%s): %s", l.Name, l.Class, fmt.Sprintf(format, args...))
		}
		order := func(what string) error {
			return fmt.Errorf("convert: %w: layer %q (%s) %s; edgewatt runs %s", ErrUnsupportedLayer, l.Name, l.Class, what, Supported)
		}
		switch l.Class {
		case "InputLayer":
			if state != wantEmbedding {
				return nil, order("comes after the Embedding")
			}
			src.Note = "input"
		case "Dropout":
			if state == wantEmbedding {
				return nil, order("comes before the Embedding")
			}
			src.Note = "identity at inference"
		case "Embedding":
			if state != wantEmbedding {
				return nil, order("is not the first layer")
			}
			v, err := l.configInt("input_dim", 0)
			if err != nil {
				return nil, err
			}
			d, err := l.configInt("output_dim", 0)
			if err != nil {
				return nil, err
			}
			mask, err := l.configBool("mask_zero", false)
			if err != nil {
				return nil, err
			}
			if v <= 0 || d <= 0 {
				return nil, bad("input_dim %d / output_dim %d must be positive", v, d)
			}
			if len(l.Weights) != 1 {
				return nil, bad("has %d weight tensors, want 1 (the embedding table)", len(l.Weights))
			}
			w := l.Weights[0]
			if !sameShape(w.Shape, v, d) {
				return nil, bad("config says [%d, %d] but the stored table is %v", v, d, w.Shape)
			}
			a.Embedding = modelfile.EmbeddingSpec{Name: l.Name, InputDim: v, OutputDim: d, MaskZero: mask}
			n.Embedding = w.Data
			width = d
			state = wantPool
		case "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten":
			if state != wantPool {
				return nil, order("is not right after the Embedding")
			}
			df, err := l.configString("data_format", "channels_last")
			if err != nil {
				return nil, err
			}
			if df != "channels_last" {
				return nil, fmt.Errorf("convert: %w: layer %q (%s) has data_format %q; only channels_last (the default) pools or flattens over the sequence in order", ErrUnsupportedLayer, l.Name, l.Class, df)
			}
			if keep, err := l.configBool("keepdims", false); err != nil {
				return nil, err
			} else if keep {
				return nil, fmt.Errorf("convert: %w: layer %q (%s) has keepdims=true", ErrUnsupportedLayer, l.Name, l.Class)
			}
			if len(l.Weights) != 0 {
				return nil, bad("has %d weight tensors, want none", len(l.Weights))
			}
			switch l.Class {
			case "GlobalAveragePooling1D":
				// Pooling stays "" (average), so these files are byte for byte as before.
			case "GlobalMaxPooling1D":
				// Keras 2 and 3 do not mask GlobalMaxPooling1D (runtime/modelfile/doc.go).
				a.Pooling = modelfile.PoolMax
				if a.Embedding.MaskZero {
					src.Note = "max over all maxlen positions, padding included (Keras does not mask this layer)"
				}
			case "Flatten":
				a.Pooling = modelfile.PoolFlatten
				if a.Embedding.MaskZero {
					src.Note = "all maxlen rows in order, padding included (Keras does not mask this layer)"
				}
				width = -1 // maxlen x D: fixed by the input length or the next Dense's kernel
				if n.InputLength > 0 {
					width = n.InputLength * a.Embedding.OutputDim
				}
			}
			state = wantDense
		case "Dense":
			if state != wantDense {
				return nil, order("comes before the pooling (GlobalAveragePooling1D, GlobalMaxPooling1D or Flatten)")
			}
			units, err := l.configInt("units", 0)
			if err != nil {
				return nil, err
			}
			act, err := l.activation()
			if err != nil {
				return nil, err
			}
			if !activations[act] {
				return nil, fmt.Errorf("convert: %w: layer %q (Dense) has activation %q; edgewatt supports relu, sigmoid, tanh, linear, softmax", ErrUnsupportedLayer, l.Name, act)
			}
			useBias, err := l.configBool("use_bias", true)
			if err != nil {
				return nil, err
			}
			var kernel, bias *Weight
			for j := range l.Weights {
				switch l.Weights[j].Name {
				case "kernel":
					if kernel != nil {
						return nil, bad("stores two kernel weights; the file is inconsistent")
					}
					kernel = &l.Weights[j]
				case "bias":
					if bias != nil {
						return nil, bad("stores two bias weights; the file is inconsistent")
					}
					bias = &l.Weights[j]
				default:
					return nil, bad("unexpected weight %q (only kernel and bias are supported; LoRA or quantized Dense layers are not)", l.Weights[j].Name)
				}
			}
			if kernel == nil {
				return nil, bad("has no kernel weight")
			}
			if units <= 0 {
				return nil, bad("units %d must be positive", units)
			}
			if width < 0 { // after Flatten without a known input length: the kernel says maxlen
				d := a.Embedding.OutputDim
				if len(kernel.Shape) != 2 || kernel.Shape[0] <= 0 || kernel.Shape[0]%d != 0 {
					return nil, bad("kernel is %v after Flatten, want [maxlen x %d, %d]", kernel.Shape, d, units)
				}
				n.InputLength = kernel.Shape[0] / d
				width = kernel.Shape[0]
			}
			if !sameShape(kernel.Shape, width, units) {
				return nil, bad("kernel is %v, want [%d, %d] (input width %d, units %d)", kernel.Shape, width, units, width, units)
			}
			dw := DenseWeights{W: make([]float32, units*width), B: make([]float32, units)}
			for in := 0; in < width; in++ {
				for o := 0; o < units; o++ {
					dw.W[o*width+in] = kernel.Data[in*units+o]
				}
			}
			switch {
			case useBias && bias == nil:
				return nil, bad("use_bias is true but no bias is stored")
			case !useBias && bias != nil:
				return nil, bad("use_bias is false but a bias is stored")
			case bias != nil:
				if !sameShape(bias.Shape, units) {
					return nil, bad("bias is %v, want [%d]", bias.Shape, units)
				}
				copy(dw.B, bias.Data)
			}
			a.Dense = append(a.Dense, modelfile.DenseSpec{Name: l.Name, In: width, Out: units, Activation: act})
			n.Dense = append(n.Dense, dw)
			width = units
		}
		if l.Class != "Embedding" && l.Class != "Dense" && len(l.Weights) != 0 {
			return nil, bad("has %d weight tensors, want none", len(l.Weights))
		}
		a.SourceLayers = append(a.SourceLayers, src)
	}
	switch {
	case state == wantEmbedding:
		return nil, fmt.Errorf("convert: %w: the model has no Embedding layer; edgewatt runs %s", ErrUnsupportedLayer, Supported)
	case state == wantPool:
		return nil, fmt.Errorf("convert: %w: the model has no GlobalAveragePooling1D, GlobalMaxPooling1D or Flatten after its Embedding; edgewatt runs %s", ErrUnsupportedLayer, Supported)
	case len(n.Dense) == 0:
		return nil, fmt.Errorf("convert: %w: the model has no Dense layer after its pooling; edgewatt runs %s", ErrUnsupportedLayer, Supported)
	}
	if err := checkFinite("embedding "+a.Embedding.Name, n.Embedding); err != nil {
		return nil, err
	}
	for i, d := range n.Dense {
		if err := checkFinite("dense "+a.Dense[i].Name+" kernel", d.W); err != nil {
			return nil, err
		}
		if err := checkFinite("dense "+a.Dense[i].Name+" bias", d.B); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// activation returns a Dense layer's activation name. Keras writes a string; a serialized
// built-in function object {"class_name": "function", "config": "relu"} is accepted too.
func (l *Layer) activation() (string, error) {
	raw, ok := l.Config["activation"]
	if !ok || string(raw) == "null" {
		return "linear", nil
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return name, nil
	}
	var obj struct {
		ClassName string `json:"class_name"`
		Config    string `json:"config"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.ClassName == "function" && obj.Config != "" {
		return obj.Config, nil
	}
	return "", fmt.Errorf("convert: %w: layer %q (Dense) has a custom activation %s; edgewatt supports relu, sigmoid, tanh, linear, softmax", ErrUnsupportedLayer, l.Name, raw)
}

func sameShape(shape []int, dims ...int) bool {
	if len(shape) != len(dims) {
		return false
	}
	for i := range dims {
		if shape[i] != dims[i] {
			return false
		}
	}
	return true
}

func checkFinite(what string, xs []float32) error {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("convert: %s holds %v at index %d: the model diverged in training; retrain it (lower learning rate) before converting", what, x, i)
		}
	}
	return nil
}
