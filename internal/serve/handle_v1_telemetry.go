package serve

import (
	"net/http"
	"strconv"
)

// handleV1Telemetry serves GET /v1/telemetry: the live state and, for the dashboard, the
// last minutes of history (?history=0 leaves it out; ?since=MILLIS sends only newer points).
func (s *Service) handleV1Telemetry(w http.ResponseWriter, r *http.Request) {
	v := struct {
		Now     Telemetry   `json:"now"`
		Models  []ModelInfo `json:"models"`
		History []Point     `json:"history,omitempty"`
	}{Now: s.Telemetry(), Models: s.Models()}
	q := r.URL.Query()
	if q.Get("history") != "0" {
		since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
		v.History = s.History(since)
	}
	writeJSON(w, http.StatusOK, v)
}
