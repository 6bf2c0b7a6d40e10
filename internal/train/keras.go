package train

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/internal/h5write"
	"github.com/edgewatt/edgewatt/internal/safeio"
)

// KerasVersion is the Keras whose legacy .h5 layout WriteH5 reproduces.
const KerasVersion = "2.4.0"

// layer is one Keras layer as saved: its name, config JSON and weights in variable order.
type layer struct {
	class, name, config string
	weights             []weight
}

type weight struct {
	name  string // variable name, e.g. "kernel"
	shape []int
	data  []float32
}

// pyFloat formats a float64 as Python's repr does for the values used here.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".en") {
		s += ".0"
	}
	return s
}

// f32 is a float32 hyper-parameter widened to float64, as Keras serialises them.
func f32(f float64) string { return pyFloat(float64(float32(f))) }

func (r *Result) layers() []layer {
	c, m := &r.Config, r.Model
	L := strconv.Itoa(c.MaxLen)
	reg := "null"
	if c.L2 > 0 || c.L1 > 0 {
		// L1L2 rather than L1 or L2: every Keras 2 release deserialises it, and the penalty
		// (l1·Σ|w| + l2·Σw²) is the same.
		reg = `{"class_name": "L1L2", "config": {"l1": ` + f32(c.L1) + `, "l2": ` + f32(c.L2) + `}}`
	}
	dense := func(name string, units int, act string) string {
		return `{"name": "` + name + `", "trainable": true, "dtype": "float32", "units": ` + strconv.Itoa(units) +
			`, "activation": "` + act + `", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, ` +
			`"bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": ` + reg +
			`, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`
	}
	out := []layer{
		{class: "Embedding", name: "embedding",
			config: `{"name": "embedding", "trainable": true, "batch_input_shape": [null, ` + L + `], "dtype": "float32", "input_dim": ` +
				strconv.Itoa(m.V) + `, "output_dim": ` + strconv.Itoa(m.D) +
				`, "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}}, ` +
				`"embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": false, "input_length": ` + L + `}`,
			weights: []weight{{"embeddings", []int{m.V, m.D}, m.Emb}}},
	}
	pool := map[string][2]string{PoolMax: {"GlobalMaxPooling1D", "global_max_pooling1d"}, PoolFlatten: {"Flatten", "flatten"}}[m.Pool]
	if pool[0] == "" {
		pool = [2]string{"GlobalAveragePooling1D", "global_average_pooling1d"}
	}
	out = append(out, layer{class: pool[0], name: pool[1],
		config: `{"name": "` + pool[1] + `", "trainable": true, "dtype": "float32", "data_format": "channels_last"}`})
	if c.Dropout > 0 {
		out = append(out, layer{class: "Dropout", name: "dropout",
			config: `{"name": "dropout", "trainable": true, "dtype": "float32", "rate": ` + pyFloat(c.Dropout) + `, "noise_shape": null, "seed": null}`})
	}
	act := "sigmoid"
	if m.K > 1 {
		act = "softmax"
	}
	out = append(out,
		layer{class: "Dense", name: "dense", config: dense("dense", m.H, "relu"),
			weights: []weight{{"kernel", []int{m.P(), m.H}, m.W1}, {"bias", []int{m.H}, m.B1}}},
		layer{class: "Dense", name: "dense_1", config: dense("dense_1", m.K, act),
			weights: []weight{{"kernel", []int{m.H, m.K}, m.W2}, {"bias", []int{m.K}, m.B2}}})
	return out
}

// ModelConfig is the model_config JSON Keras 2.4 writes for this Sequential model.
func (r *Result) ModelConfig() string {
	var b strings.Builder
	b.WriteString(`{"class_name": "Sequential", "config": {"name": "sequential", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, `)
	b.WriteString(strconv.Itoa(r.Config.MaxLen))
	b.WriteString(`], "dtype": "float32", "sparse": false, "ragged": false, "name": "embedding_input"}}`)
	for _, l := range r.layers() {
		b.WriteString(`, {"class_name": "` + l.class + `", "config": ` + l.config + `}`)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// TrainingConfig is the training_config JSON: the loss, accuracy metric and optimizer
// settings as Keras 2.4's model.compile records them (the L1/L2 penalties are in the Dense
// layers' kernel_regularizer of model_config).
func (r *Result) TrainingConfig() string {
	loss := "binary_crossentropy"
	if r.Model.K > 1 {
		loss = "sparse_categorical_crossentropy"
	}
	if r.Model.Loss == LossMSE {
		loss = "mean_squared_error"
	}
	opt := ""
	if s := r.SGD; s != nil {
		opt = `{"class_name": "SGD", "config": {"name": "SGD", "learning_rate": ` + f32(s.LR) + `, "decay": 0.0, "momentum": ` + f32(s.Momentum) +
			`, "nesterov": ` + strconv.FormatBool(s.Nesterov) + `}}`
	} else {
		a := r.Adam
		opt = `{"class_name": "Adam", "config": {"name": "Adam", "learning_rate": ` + f32(a.LR) + `, "decay": 0.0, "beta_1": ` + f32(a.Beta1) +
			`, "beta_2": ` + f32(a.Beta2) + `, "epsilon": ` + pyFloat(a.Eps) + `, "amsgrad": false}}`
	}
	return `{"loss": "` + loss + `", "metrics": ["accuracy"], "weighted_metrics": null, "loss_weights": null, "optimizer_config": ` + opt + `}`
}

// H5 returns the model as Keras 2.4's model.save("m.h5") lays it out: root attributes
// keras_version, backend, model_config, training_config; model_weights with layer_names
// and per-layer groups whose weight_names name datasets <layer>/<layer>/<var>:0; and
// optimizer_weights with Adam's iteration count and slots, so Keras can resume training.
func (r *Result) H5() ([]byte, error) {
	f := h5write.New()
	root := f.Root()
	root.AttrVlenString("keras_version", KerasVersion, true)
	root.AttrVlenString("backend", "tensorflow", true)
	root.AttrVlenString("model_config", r.ModelConfig(), false)
	root.AttrVlenString("training_config", r.TrainingConfig(), false)

	layers := r.layers()
	mw := root.Group("model_weights")
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.name
	}
	mw.AttrFixedStrings("layer_names", names)
	mw.AttrVlenString("backend", "tensorflow", false)
	mw.AttrVlenString("keras_version", KerasVersion, false)
	var slotNames []string
	for _, l := range layers {
		g := mw.Group(l.name)
		if len(l.weights) == 0 {
			g.AttrEmptyFloat64("weight_names")
			continue
		}
		wn := make([]string, len(l.weights))
		inner := g.Group(l.name)
		for i, w := range l.weights {
			wn[i] = l.name + "/" + w.name + ":0"
			inner.DatasetFloat32(w.name+":0", w.shape, w.data)
			slotNames = append(slotNames, l.name+"/"+w.name)
		}
		g.AttrFixedStrings("weight_names", wn)
	}

	// optimizer_weights: Adam/iter:0, then every m slot, then every v slot; or SGD/iter:0
	// and, with momentum, every momentum slot.
	ow := root.Group("optimizer_weights")
	optName, iters := "Adam", 0
	slots := map[string][][]float32{}
	var slotOrder []string
	if r.SGD != nil {
		optName, iters = "SGD", r.SGD.Iterations()
		if r.SGD.vel != nil {
			slotOrder, slots["momentum"] = []string{"momentum"}, r.SGD.vel
		}
	} else {
		iters = r.Adam.Iterations()
		slotOrder, slots["m"], slots["v"] = []string{"m", "v"}, r.Adam.m, r.Adam.v
	}
	on := []string{optName + "/iter:0"}
	og := ow.Group(optName)
	og.DatasetInt64Scalar("iter:0", int64(iters))
	shapes := map[string][]int{}
	for _, l := range layers {
		for _, w := range l.weights {
			shapes[l.name+"/"+w.name] = w.shape
		}
	}
	for _, slot := range slotOrder {
		for i, sn := range slotNames {
			on = append(on, optName+"/"+sn+"/"+slot+":0")
			parts := strings.Split(sn, "/")
			g := og
			for _, p := range parts {
				g = g.Group(p)
			}
			g.DatasetFloat32(slot+":0", shapes[sn], slots[slot][i])
		}
	}
	ow.AttrFixedStrings("weight_names", on)
	return f.Bytes()
}

// WriteFiles writes the .h5 model and the tokenizer JSON. Both go to temporary files first
// and are renamed into place only when both are complete, so a failure leaves no partial
// output.
func (r *Result) WriteFiles(modelPath, tokenizerPath string) error {
	h5, err := r.H5()
	if err != nil {
		return fmt.Errorf("train: building %s: %w", modelPath, err)
	}
	mt, err := writeTemp(modelPath, h5)
	if err != nil {
		return err
	}
	tt, err := writeTemp(tokenizerPath, r.Tokenizer.ToJSON())
	if err != nil {
		os.Remove(mt)
		return err
	}
	if err := os.Rename(mt, modelPath); err != nil {
		os.Remove(mt)
		os.Remove(tt)
		return fmt.Errorf("train: writing %s: %w", modelPath, err)
	}
	if err := os.Rename(tt, tokenizerPath); err != nil {
		os.Remove(tt)
		return fmt.Errorf("train: writing %s: %w", tokenizerPath, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file beside path and returns its name.
func writeTemp(path string, data []byte) (name string, err error) {
	// Named as internal/safeio names its temporary files, so a later run recognises the
	// ones a killed process left (safeio.CleanStale).
	safeio.CleanStale(path)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".edgewatt-tmp-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", fmt.Errorf("train: cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return "", fmt.Errorf("train: writing %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return "", fmt.Errorf("train: writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return "", fmt.Errorf("train: writing %s: %w", path, err)
	}
	return tmp.Name(), nil
}
