package serve

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkHandler is the service's handler chain (instrumentation, routing, decoding,
// prediction, encoding) without the network, for one text per request.
func BenchmarkHandler(b *testing.B) {
	model, _ := filepath.Abs(smarthomeModel)
	svc, err := New(Options{Models: []ModelSpec{{"kitchen", model}}})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	body := `{"text": "` + loadText + `"}`
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("POST", "/v1/predict", strings.NewReader(body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	}
	constant := []byte(`{"model":"kitchen","sha256":"6433084ac657e080ce9a0e2887a13e5f73fabe631ec32958c477017fb7247429","version":"6433084ac657","labels":["routine","urgent"],"predictions":[{"label":"urgent","score":0.9996433,"scores":[0.9996433],"latency_seconds":0.000007201}],"latency_seconds":0.00016813}` + "\n")
	b.Run("constant", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(constant)
		}))
	})
	b.Run("predict", func(b *testing.B) { run(b, svc.Handler(HTTPOptions{})) })
}
