package serve

import "net/http"

// handleV2Live serves GET /v2/health/live: 200 {"live": true} while the process serves.
func (s *Service) handleV2Live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"live": true})
}

// handleV2Ready serves GET /v2/health/ready: 200 {"ready": true} when every model is
// loaded, 503 {"ready": false} while draining.
func (s *Service) handleV2Ready(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
}
