package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTPOptions configure the HTTP front end.
type HTTPOptions struct {
	Listen   string       // host:port; default 127.0.0.1:8080
	Listener net.Listener // if set, used instead of Listen (tests pass 127.0.0.1:0)
	// Token, if set, is required as "Authorization: Bearer TOKEN" on everything but
	// /v2/health/* and the dashboard page itself. A listen address that is not loopback
	// requires a Token unless Insecure.
	Token    string
	Insecure bool
	TLSCert  string // PEM files; both or neither
	TLSKey   string
	// Timeouts; zero picks the default in brackets.
	ReadHeaderTimeout time.Duration // [5s] a slowloris client is cut off after this
	ReadTimeout       time.Duration // [30s]
	WriteTimeout      time.Duration // [30s]
	IdleTimeout       time.Duration // [120s]
	DrainTimeout      time.Duration // [30s] how long SIGTERM waits for requests in flight
	MaxHeaderBytes    int           // [16 KiB]
	// Notify, if set, receives sd_notify states (READY=1, STOPPING=1, RELOADING=1, WATCHDOG=1).
	Notify func(state string) error
	// Watchdog, if positive, is the systemd WatchdogSec: WATCHDOG=1 is sent every half of it.
	Watchdog time.Duration
	// Reload, if set, delivers reload requests (SIGHUP).
	Reload <-chan struct{}
	// OnListen, if set, is called with the bound address once the server accepts connections.
	OnListen func(addr net.Addr)
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8080"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ReadHeaderTimeout, 5*time.Second)
	def(&o.ReadTimeout, 30*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 120*time.Second)
	def(&o.DrainTimeout, 30*time.Second)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 16 << 10
	}
	return o
}

// IsLoopback reports whether a listen address only accepts connections from this machine.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckExposure refuses a non-loopback address without a token (unless insecure).
func CheckExposure(listen, token string, insecure bool) error {
	if IsLoopback(listen) || token != "" || insecure {
		return nil
	}
	return fmt.Errorf("serve: --listen %s accepts connections from other machines: protect it with --token (or --token-file), or pass --insecure to serve without authentication", listen)
}

// NewHTTPServer is the one place the service's http.Server is built: every timeout set,
// header size bounded, the server's own errors logged at debug level.
func NewHTTPServer(h http.Handler, o HTTPOptions, log *slog.Logger) *http.Server {
	o = o.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// Handler returns the service's HTTP routes, one handler per file.
func (s *Service) Handler(o HTTPOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/predict", s.handleV1Predict)
	mux.HandleFunc("GET /v1/models", s.handleV1Models)
	mux.HandleFunc("GET /v1/telemetry", s.handleV1Telemetry)
	mux.HandleFunc("GET /v2", s.handleV2Server)
	mux.HandleFunc("GET /v2/health/live", s.handleV2Live)
	mux.HandleFunc("GET /v2/health/ready", s.handleV2Ready)
	mux.HandleFunc("GET /v2/models/{name}", s.handleV2Model)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.handleV2Model)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.handleV2ModelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.handleV2ModelReady)
	mux.HandleFunc("POST /v2/models/{name}/infer", s.handleV2Infer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.handleV2Infer)
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /{$}", s.handleDashboard)
	mux.HandleFunc("/", s.handleNotFound)
	return s.instrument(s.authorize(o.Token, mux))
}

// open are the paths served without a token: the health probes and the dashboard page
// (static: it asks for the token and sends it with its own requests).
func open(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/v2/health/")
}

func (s *Service) authorize(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !open(r.URL.Path) {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			h := sha256.Sum256([]byte(got))
			if !ok || subtle.ConstantTimeCompare(h[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="edgewatt"`)
				writeError(w, http.StatusUnauthorized, "missing or wrong bearer token: send the header 'Authorization: Bearer TOKEN' with the token given to edgewatt serve --token")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status code for the request metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

func (s *Service) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		s.met.inflight.Inc()
		sw := statusWriters.Get().(*statusWriter)
		sw.ResponseWriter, sw.code = w, 0
		next.ServeHTTP(sw, r)
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		sw.ResponseWriter = nil
		statusWriters.Put(sw)
		s.met.inflight.Dec()
		pat := r.Pattern
		if pat == "" || pat == "/" {
			pat = "unmatched"
		} else if i := strings.IndexByte(pat, ' '); i >= 0 {
			pat = pat[i+1:]
		}
		s.requestObserver(pat, r.Method, code).Observe(time.Since(t0).Seconds())
		if code >= 500 {
			s.log.Warn("http.request", "method", r.Method, "path", r.URL.Path, "code", code, "remote", r.RemoteAddr)
		} else if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.Debug("http.request", "method", r.Method, "path", r.URL.Path, "code", code, "remote", r.RemoteAddr, "duration", time.Since(t0))
		}
	})
}

// routeKey names one series of edgewatt_http_request_duration_seconds.
type routeKey struct {
	pattern, method string
	code            int
}

// requestObserver returns the request histogram's series for a route, method and status,
// from a copy-on-write map (a plain map read, no lock and no label hashing on the common
// path); a new combination takes the slow path once.
func (s *Service) requestObserver(pattern, method string, code int) prometheus.Observer {
	if m := s.routes.Load(); m != nil {
		if o, ok := (*m)[routeKey{pattern, method, code}]; ok {
			return o
		}
	}
	o := s.met.requests.WithLabelValues(pattern, method, strconv.Itoa(code))
	if strings.HasPrefix(pattern, "unmatched") {
		return o // arbitrary methods: do not grow the cache with them
	}
	for {
		old := s.routes.Load()
		next := map[routeKey]prometheus.Observer{}
		if old != nil {
			if len(*old) >= 256 {
				return o
			}
			for k, v := range *old {
				next[k] = v
			}
		}
		next[routeKey{pattern, method, code}] = o
		if s.routes.CompareAndSwap(old, &next) {
			return o
		}
	}
}

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"serve: encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// writeError writes the {"error": msg} object both APIs use.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}

// writeErr maps a Predict error to its status.
func writeErr(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) {
		writeError(w, e.Status, e.Msg)
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

// anyMethod knows the API's paths whatever the method, to tell 405 from 404.
var anyMethod = func() *http.ServeMux {
	m := http.NewServeMux()
	for p, allow := range map[string]string{"/v1/predict": "POST", "/v1/models": "GET", "/v1/telemetry": "GET", "/v2": "GET",
		"/v2/health/live": "GET", "/v2/health/ready": "GET", "/v2/models/{name}": "GET", "/v2/models/{name}/versions/{version}": "GET",
		"/v2/models/{name}/ready": "GET", "/v2/models/{name}/versions/{version}/ready": "GET", "/v2/models/{name}/infer": "POST",
		"/v2/models/{name}/versions/{version}/infer": "POST", "/metrics": "GET", "/{$}": "GET"} {
		m.Handle(p, allowHandler(allow))
	}
	return m
}()

type allowHandler string

func (a allowHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {}

func (s *Service) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if h, pat := anyMethod.Handler(r); pat != "" {
		allow := string(h.(allowHandler))
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: this endpoint takes %s", r.Method, r.URL.Path, allow))
		return
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s (see /v1/predict, /v1/models, /v2/models/{name}/infer, /metrics)", r.Method, r.URL.Path))
}

// Run serves HTTP until ctx ends (SIGTERM), then stops accepting, drains the requests in
// flight (up to DrainTimeout), stops the service's background work and closes the models.
func Run(ctx context.Context, s *Service, o HTTPOptions) error {
	o = o.withDefaults()
	ln := o.Listener
	if ln == nil {
		if err := CheckExposure(o.Listen, o.Token, o.Insecure); err != nil {
			return err
		}
		var err error
		ln, err = net.Listen("tcp", o.Listen)
		if err != nil {
			return fmt.Errorf("serve: %w (is another server on that port? choose another with --listen)", err)
		}
	} else if err := CheckExposure(ln.Addr().String(), o.Token, o.Insecure); err != nil {
		ln.Close()
		return err
	}
	srv := NewHTTPServer(s.Handler(o), o, s.log)
	if (o.TLSCert == "") != (o.TLSKey == "") {
		ln.Close()
		return errors.New("serve: TLS needs both --tls-cert and --tls-key")
	}
	scheme := "http"
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: loading the TLS key pair: %w", err)
		}
		srv.TLSConfig.Certificates = []tls.Certificate{cert}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	notify := o.Notify
	if notify == nil {
		notify = func(string) error { return nil }
	}

	svcCtx, stopSvc := context.WithCancel(context.Background())
	svcDone := make(chan error, 1)
	go func() { svcDone <- s.Run(svcCtx) }()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ln) }()
	s.log.Info("serve.start", "addr", ln.Addr().String(), "scheme", scheme, "models", strings.Join(s.order, ","), "auth", o.Token != "")
	if o.OnListen != nil {
		o.OnListen(ln.Addr())
	}
	notify("READY=1\nSTATUS=serving on " + ln.Addr().String())
	var wd <-chan time.Time
	if o.Watchdog > 0 {
		t := time.NewTicker(o.Watchdog / 2)
		defer t.Stop()
		wd = t.C
	}
	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-o.Reload:
			notify(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", monotonicUsec()))
			s.log.Info("serve.reload", "signal", "SIGHUP")
			s.Reload() // errors are logged and counted per model
			notify("READY=1")
		case <-wd:
			notify("WATCHDOG=1")
		case err = <-srvDone:
			err = fmt.Errorf("serve: %w", err)
			break loop
		case err = <-svcDone:
			svcDone <- err // for the wait below
			break loop
		}
	}
	notify("STOPPING=1")
	s.log.Info("serve.drain", "timeout", o.DrainTimeout)
	s.ready.Store(false) // /v2/health/ready says 503 from now on; requests still complete
	dctx, cancel := context.WithTimeout(context.Background(), o.DrainTimeout)
	defer cancel()
	if e := srv.Shutdown(dctx); e != nil && err == nil {
		err = fmt.Errorf("serve: drain: %w", e)
	}
	stopSvc()
	if e := <-svcDone; e != nil && err == nil {
		err = e
	}
	s.Close()
	s.log.Info("serve.stop")
	return err
}
