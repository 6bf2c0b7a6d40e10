// Command constserver is the baseline of the serve load test: a net/http server, built by
// serve.NewHTTPServer like edgewatt serve's, whose one handler answers every request with
// the bytes of the file named by its second argument. Usage: constserver ADDR FILE
package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/edgewatt/edgewatt/internal/serve"
)

func main() {
	body, err := os.ReadFile(os.Args[2])
	if err != nil {
		panic(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	srv := serve.NewHTTPServer(h, serve.HTTPOptions{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.Addr = os.Args[1]
	if err := srv.ListenAndServe(); err != nil {
		panic(err)
	}
}
