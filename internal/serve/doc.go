// Package serve is edgewatt's always-on classifier: a Service that keeps one or more model
// files loaded, predicts from a pool of zero-allocation predictors per model, reloads a model
// without downtime when its file is replaced, and samples the board's power so that every
// prediction has a price in joules. HTTP (the JSON API, the Open Inference Protocol v2 REST
// API, Prometheus metrics and the dashboard) is one front end on top of Service; the MQTT
// bridge is another, started with the service as a Component.
//
// # Models and reloads
//
// The loaded models live in one immutable set behind an atomic.Pointer, swapped whole. A
// request takes a reference on its model's entry (a lock-free counter) and a predictor from
// the entry's sync.Pool, so the prediction path takes no lock. Reload (SIGHUP, or a model
// file whose size, modification time or inode changed, polled every Options.Watch) loads and
// verifies the new file with runtime.Load first; only a model that loaded is swapped in.
// Requests already running finish on the old entry, which is closed when its last reference
// is released. A file that fails to load leaves the old model serving; the error is logged,
// counted (edgewatt_model_reloads_total{outcome="error"}), flagged
// (edgewatt_model_load_error) and shown by Models (GET /v1/models).
//
// # Limits
//
// A request may carry Limits.MaxBatch inputs of Limits.MaxTextBytes each (or MaxIDs ids),
// in a body of MaxBodyBytes. At most Limits.MaxInflight requests infer at once: a slot is
// taken with an atomic increment, and only when all are taken does a request wait (for a
// release, or its context's end: 503).
//
// # Energy
//
// With a power source the service reads it every Options.PowerInterval (1 s by default:
// nothing else wakes an idle service, apart from the file watch and, under systemd, the
// watchdog) and feeds the readings and the number of inferences done since the last reading
// to a live meter (internal/energy's Live): watts, joules integrated since start, and over a
// recent window the joules per inference, both total (E/n) and marginal ((E - P_idle t)/n).
// The idle baseline P_idle is learned from quiet periods: stretches of at least IdleMin
// without inferences, once the power has settled after the last burst (Settle). Until one
// has been seen the marginal figure is unknown and reported as such.
//
// # HTTP
//
// One http.Server is built in one place (NewHTTPServer) with every timeout set, bodies read
// through http.MaxBytesReader and routes registered with Go 1.22 patterns, one handler per
// file. A non-loopback listen address requires a bearer token (compared in constant time)
// unless explicitly insecure; /v2/health/* and the static dashboard page stay open.
// Run drains in-flight requests on cancellation (SIGTERM) with Server.Shutdown.
//
// # Open Inference Protocol v2
//
// The REST half of the protocol as specified at
// https://github.com/kserve/open-inference-protocol (specification/protocol/inference_rest.md):
// server live/ready/metadata, model metadata/ready, and infer, with versions (a model's
// version is the first 12 hex digits of its sha256: the model file's verified
// metadata-and-tensors hash, modelfile.Meta.SHA256). A model takes either a BYTES
// input named "text" (shape [N] or [N,1]) or an INT32/INT64 input named "input_ids" (shape
// [N, L], padded or truncated as the model was trained); it returns "scores" (FP32,
// [N, outputs]) and "label" (BYTES, [N]), or those named in the request's "outputs". Errors
// are {"error": "..."} with a 4xx or 5xx status.
package serve
