package serve

import (
	"fmt"
	"net/http"
)

type v2TensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// v2Model finds the model and checks the optional version of the path.
func (s *Service) v2Model(w http.ResponseWriter, r *http.Request) (ModelInfo, bool) {
	name := r.PathValue("name")
	in, ok := s.ModelInfo(name)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no model named %q; GET /v1/models lists the models served", name))
		return in, false
	}
	if v := r.PathValue("version"); v != "" && v != in.Version {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q has no version %q; the version serving is %q", name, v, in.Version))
		return in, false
	}
	return in, true
}

// handleV2Model serves GET /v2/models/{name}[/versions/{version}]: $metadata_model_response.
// A model takes either input: "text" (BYTES, [-1]) or "input_ids" (INT32, [-1, maxlen]; any
// row length is padded or truncated as in training).
func (s *Service) handleV2Model(w http.ResponseWriter, r *http.Request) {
	in, ok := s.v2Model(w, r)
	if !ok {
		return
	}
	outputs := int64(len(in.Labels))
	if e, err := s.acquire(in.Name); err == nil {
		outputs = int64(e.model.Outputs())
		e.release()
	}
	writeJSON(w, http.StatusOK, struct {
		Name     string         `json:"name"`
		Versions []string       `json:"versions"`
		Platform string         `json:"platform"`
		Inputs   []v2TensorMeta `json:"inputs"`
		Outputs  []v2TensorMeta `json:"outputs"`
	}{
		Name: in.Name, Versions: []string{in.Version}, Platform: "edgewatt",
		Inputs:  []v2TensorMeta{{"text", "BYTES", []int64{-1}}, {"input_ids", "INT32", []int64{-1, int64(in.MaxLen)}}},
		Outputs: []v2TensorMeta{{outLabel, "BYTES", []int64{-1}}, {outScores, "FP32", []int64{-1, outputs}}},
	})
}

// handleV2ModelReady serves GET /v2/models/{name}[/versions/{version}]/ready.
func (s *Service) handleV2ModelReady(w http.ResponseWriter, r *http.Request) {
	in, ok := s.v2Model(w, r)
	if !ok {
		return
	}
	code := http.StatusOK
	if !s.Ready() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, struct {
		Name  string `json:"name"`
		Ready bool   `json:"ready"`
	}{in.Name, code == http.StatusOK})
}
