package serve

import "net/http"

// Version is reported by the OIP server metadata.
var Version = "dev"

// handleV2Server serves GET /v2: $metadata_server_response.
func (s *Service) handleV2Server(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Name       string   `json:"name"`
		Version    string   `json:"version"`
		Extensions []string `json:"extensions"`
	}{"edgewatt", Version, []string{}})
}
