package serve

import (
	"fmt"
	"net/http"
)

type v2Output struct {
	Name     string  `json:"name"`
	Shape    []int64 `json:"shape"`
	Datatype string  `json:"datatype"`
	Data     any     `json:"data"`
}

type v2Response struct {
	ModelName    string     `json:"model_name"`
	ModelVersion string     `json:"model_version"`
	ID           string     `json:"id,omitempty"`
	Outputs      []v2Output `json:"outputs"`
}

// handleV2Infer serves POST /v2/models/{name}[/versions/{version}]/infer.
func (s *Service) handleV2Infer(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if r.Header.Get("Inference-Header-Content-Length") != "" {
		writeError(w, http.StatusBadRequest, "the binary tensor data extension is not supported: send the tensors as JSON")
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	req, err := decodeV2(body, s.lim)
	if err != nil {
		writeErr(w, err)
		return
	}
	var preds []Prediction
	if req.IDs != nil {
		preds, err = s.PredictIDs(r.Context(), name, req.IDs)
	} else {
		preds, err = s.Predict(r.Context(), name, req.Texts)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	version := versionOf(preds[0].SHA256)
	if v := r.PathValue("version"); v != "" && v != version {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q has no version %q; the version serving is %q", name, v, version))
		return
	}
	n := int64(len(preds))
	k := int64(len(preds[0].Scores))
	labels := make([]string, n)
	scores := make([]float32, 0, n*k)
	for i, p := range preds {
		labels[i] = p.Label
		scores = append(scores, p.Scores...)
	}
	resp := v2Response{ModelName: name, ModelVersion: version, ID: req.ID}
	want := func(o string) bool {
		if req.Outputs == nil {
			return true
		}
		for _, x := range req.Outputs {
			if x == o {
				return true
			}
		}
		return false
	}
	if want(outLabel) {
		resp.Outputs = append(resp.Outputs, v2Output{outLabel, []int64{n}, "BYTES", labels})
	}
	if want(outScores) {
		resp.Outputs = append(resp.Outputs, v2Output{outScores, []int64{n, k}, "FP32", scores})
	}
	writeJSON(w, http.StatusOK, resp)
}
