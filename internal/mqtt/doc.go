// Package mqtt puts an edgewatt node on an MQTT broker: it answers classify requests,
// publishes the board's watts and joules per inference, announces itself to Home Assistant
// through MQTT discovery, and lets 'edgewatt fleet' list every node on the broker. It speaks
// MQTT v5 through Eclipse Paho (github.com/eclipse/paho.golang, autopaho).
//
// # Topics
//
// Every node publishes under <root>/<node>/ (root "edgewatt" unless --mqtt-root says
// otherwise; node ids are [a-zA-Z0-9_-], the host name by default):
//
//	edgewatt/<node>/<model>/classify   in   QoS 1. Plain UTF-8 text, or {"text": "...", "id": "..."}
//	                                        (id optional, a string or a number, echoed back)
//	edgewatt/<node>/<model>/result     out  QoS 2 (--mqtt-result-qos), one per request:
//	                                        {"id": "...", "model": "...", "label": "urgent",
//	                                         "scores": {"routine": 0.03, "urgent": 0.97}, "latency_ms": 0.01}
//	                                        or {"id": "...", "model": "...", "error": "what is wrong and how to fix it"}
//	edgewatt/<node>/status             out  retained, QoS 1: "online", or "offline" (also the last will)
//	edgewatt/<node>/info               out  retained, QoS 1: {"node", "board", "version", "dashboard", "models": [{"name", "sha256", "labels"}]}
//	edgewatt/<node>/telemetry          out  retained, QoS 0, on change and every --mqtt-telemetry-interval:
//	                                        {"time", "power_w", "energy_wh", "uj_per_inference", "uj_per_inference_total",
//	                                         "predictions_per_second", "temperature_c", "throttled", "power_source", "models": {name: sha256}}
//	<prefix>/device/edgewatt_<node>/config  out  retained: Home Assistant device discovery
//	<prefix>/status                    in   Home Assistant's birth message: "online" makes the node announce again
//
// A request may instead carry an MQTT v5 Response Topic (and Correlation Data): its result
// then goes to that topic, with the same correlation data, rather than to .../result.
// Scores are keyed by label; a model with one sigmoid output and two labels reports both
// classes (1-s and s). Figures the node cannot measure (no power sensor) are left out of
// the telemetry, so Home Assistant shows them as unknown.
//
// # Delivery
//
// Requests are subscribed at QoS 1 in a persistent session: clean start is off and the
// session expires after --mqtt-session-expiry (24 h by default), so the broker queues the
// requests sent while the node restarts and delivers them when it is back. A request is
// acknowledged once the broker has taken its result (the result's PUBACK at QoS 1, PUBCOMP
// at QoS 2), so a node that dies loses nothing: a request whose result was still queued or
// half-delivered is delivered again to the next process. A redelivered request (QoS 1 is at least
// once: the broker sends again what it did not see acknowledged) whose id was answered in
// the last 16,384 requests is not answered again; requests without an id cannot be told
// apart and are answered each time.
//
// Results are published at QoS 2 from an in-memory queue drained by the connection, and
// the session re-sends unfinished ones after a reconnection, so a subscriber that
// subscribes at QoS 2 in a persistent session receives each result exactly once, also
// when the broker is stopped and started mid-stream. That needs the broker's help: it must
// keep its sessions (Mosquitto: persistence true; a SIGKILL loses what it had not saved),
// and Mosquitto 2.0.11 restores at most max_inflight_messages in-flight messages per client
// (none when that is 0 or 65535), sending the others again as new messages, so set it
// above what can be in flight (the tests use 10000). --mqtt-result-qos 1 publishes results
// at least once instead, one round trip fewer each.
//
// Inference never waits on the network: the prediction runs on the delivery goroutine and
// its result is only enqueued; telemetry and announcements run on their own goroutines.
// When Run's context ends the node drains: it stops answering, sends the queued results,
// publishes "offline" at QoS 2 and again at QoS 1 (barriers: the broker then has every
// result and every request acknowledgement) and disconnects. Requests delivered after the
// stop are left unacknowledged, so they stay in the session at the broker with those not yet
// delivered, and the next start answers each of them once. A node killed outright loses no
// request, but those whose results the broker had taken and whose acknowledgement it had not
// yet processed are answered again by the next process (at least once: ids are remembered
// per process).
//
// # Faults
//
// With the broker down at start, or lost later (restart, network drop), the node retries
// with capped exponential backoff and full jitter (random in [250 ms, cap], the cap doubling
// up to 30 s), then subscribes again and announces again: discovery, info, telemetry, then
// "online". Mosquitto keeps sessions over its own restart only with persistence on
// (persistence true); without it, requests queued for an absent node are lost with the broker.
// A malformed payload (bad JSON, unknown fields, no text, invalid UTF-8, over 64 KiB) gets an
// error result carrying its id when one could be read.
//
// # Home Assistant
//
// The node publishes one device-based discovery message
// (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload) under
// --mqtt-discovery-prefix (default homeassistant): a device whose identifier edgewatt_<node>
// comes from the node id (stable across reboots), with the board model, the software version
// and the dashboard as configuration_url, and these components:
//
//	sensor power                    device_class power, state_class measurement, W
//	sensor energy                   device_class energy, state_class total_increasing, Wh (energy dashboard)
//	sensor uj_per_inference(_total) state_class measurement, µJ (marginal above idle, and total)
//	sensor predictions_per_second   state_class measurement, predictions/s
//	sensor temperature              device_class temperature, state_class measurement, °C
//	binary_sensor throttled         device_class problem
//	sensor <model>_label            the last label; the scores are its attributes
//	event <model>_event             event_types: the model's labels, so automations trigger on "urgent"
//
// Availability is the status topic, with the last will "offline". Discovery is retained and
// published again when Home Assistant sends "online" on <prefix>/status.
//
// # Fleet
//
// WatchFleet subscribes to <root>/+/status, info and telemetry, all retained, so a new
// watcher sees every node that ever announced itself on the broker at once; the broker is
// the whole backbone.
package mqtt
