package serve

import "net/http"

// handleV1Telemetry serves GET /v1/telemetry: the live state and, for the dashboard, the
// last minutes of history (?history=0 leaves it out).
func (s *Service) handleV1Telemetry(w http.ResponseWriter, r *http.Request) {
	v := struct {
		Now     Telemetry   `json:"now"`
		Models  []ModelInfo `json:"models"`
		History []Point     `json:"history,omitempty"`
	}{Now: s.Telemetry(), Models: s.Models()}
	if r.URL.Query().Get("history") != "0" {
		v.History = s.History()
	}
	writeJSON(w, http.StatusOK, v)
}
