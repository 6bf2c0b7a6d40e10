package serve

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

func byteCount(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

type v1Prediction struct {
	Label   string    `json:"label"`
	Score   *float32  `json:"score,omitempty"` // the single sigmoid unit's probability
	Scores  []float32 `json:"scores"`
	Latency float64   `json:"latency_seconds"`
}

type v1Response struct {
	Model       string         `json:"model"`
	SHA256      string         `json:"sha256"`
	Version     string         `json:"version"`
	Labels      []string       `json:"labels"`
	Predictions []v1Prediction `json:"predictions"`
	Latency     float64        `json:"latency_seconds"` // the whole request, decoding included
}

// handleV1Predict serves POST /v1/predict: {"text": ...}, {"texts": [...]} or {"ids": ...},
// with an optional "model" (the default model otherwise).
func (s *Service) handleV1Predict(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	body, err := s.readBody(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	req, err := decodeV1(body, s.lim)
	if err != nil {
		writeErr(w, err)
		return
	}
	var preds []Prediction
	if req.IDs != nil {
		preds, err = s.PredictIDs(r.Context(), req.Model, req.IDs)
	} else {
		preds, err = s.Predict(r.Context(), req.Model, req.Texts)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	resp := v1Response{Model: preds[0].Model, SHA256: preds[0].SHA256, Labels: preds[0].Labels, Predictions: make([]v1Prediction, len(preds))}
	resp.Version = versionOf(resp.SHA256)
	for i, p := range preds {
		vp := v1Prediction{Label: p.Label, Scores: p.Scores, Latency: p.Latency.Seconds()}
		if len(p.Scores) == 1 {
			vp.Score = &p.Scores[0]
		}
		resp.Predictions[i] = vp
	}
	resp.Latency = time.Since(t0).Seconds()
	writeV1(w, &resp)
}

// readBody reads the request body through http.MaxBytesReader.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.lim.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: "request body is larger than the limit of " + byteCount(mb.Limit) + " (--max-body): send fewer or shorter texts per request"}
		}
		return nil, badRequest("reading the request body: %v", err)
	}
	return b, nil
}

func versionOf(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
