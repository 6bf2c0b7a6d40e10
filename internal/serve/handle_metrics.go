package serve

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler serves GET /metrics from the service's own registry.
func (s *Service) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog:            slogPromLogger{s},
		MaxRequestsInFlight: 4,
	})
}

type slogPromLogger struct{ s *Service }

func (l slogPromLogger) Println(v ...any) { l.s.log.Warn("metrics.error", "err", v) }
