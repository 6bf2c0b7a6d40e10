package serve

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// benchHTTP posts body to url from parallel clients over keep-alive connections.
func benchHTTP(b *testing.B, url, body string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkHTTP compares POST /v1/predict with one text against a constant-JSON net/http
// handler answering the same bytes, both through NewHTTPServer in this process:
//
//	go test ./internal/serve -run '^$' -bench HTTP -benchtime 3s
func BenchmarkHTTP(b *testing.B) {
	model, _ := filepath.Abs(smarthomeModel)
	s := startServer(b, Options{Models: []ModelSpec{{"kitchen", model}}, Watch: -1}, HTTPOptions{})
	body := `{"text": "` + loadText + `"}`
	preds, err := s.svc.Predict(context.Background(), "", []string{loadText})
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.Post(s.url+"/v1/predict", "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	constBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(constBody), `"label":"`+preds[0].Label+`"`) {
		b.Fatalf("unexpected answer %s", constBody)
	}
	curl := constantServer(b, constBody)
	b.Run("constant", func(b *testing.B) { benchHTTP(b, curl+"/", body) })
	b.Run("predict", func(b *testing.B) { benchHTTP(b, s.url+"/v1/predict", body) })
}

// BenchmarkServicePredict is the core without HTTP: one text per call.
func BenchmarkServicePredict(b *testing.B) {
	model, _ := filepath.Abs(smarthomeModel)
	svc, err := New(Options{Models: []ModelSpec{{"kitchen", model}}})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	texts := []string{loadText}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Predict(ctx, "", texts); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
