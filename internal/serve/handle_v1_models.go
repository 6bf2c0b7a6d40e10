package serve

import "net/http"

// handleV1Models serves GET /v1/models: every model's name, sha256, architecture, quant,
// labels, accuracy report and last load error.
func (s *Service) handleV1Models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Models []ModelInfo `json:"models"`
	}{s.Models()})
}
