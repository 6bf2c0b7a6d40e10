package mqtt

import (
	"encoding/json"
	"sort"
)

// Info is what a node announces about itself: retained on root/node/info (read by
// 'edgewatt fleet') and, shaped as Home Assistant's device, in the discovery payload.
type Info struct {
	Node         string      `json:"node"`
	Board        string      `json:"board"`
	Version      string      `json:"version"`
	DashboardURL string      `json:"dashboard,omitempty"`
	Models       []ModelInfo `json:"models"`
}

// ModelInfo is one model in Info.
type ModelInfo struct {
	Name   string   `json:"name"`
	SHA256 string   `json:"sha256"`
	Labels []string `json:"labels"`
}

func infoModels(ms []Model) []ModelInfo {
	out := make([]ModelInfo, 0, len(ms))
	for _, m := range ms {
		out = append(out, ModelInfo{Name: m.Name, SHA256: m.SHA256, Labels: append([]string{}, m.Labels...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// discoveryTopic is the device-based discovery topic: <prefix>/device/<object_id>/config.
func discoveryTopic(prefix, node string) string {
	return prefix + "/device/" + deviceID(node) + "/config"
}

// deviceID is the node's Home Assistant device identifier and discovery object id: stable
// across reboots because the node id is (the host name unless --mqtt-node says otherwise).
func deviceID(node string) string { return "edgewatt_" + node }

// haDevice is Home Assistant's device mapping (https://www.home-assistant.io/integrations/mqtt/).
type haDevice struct {
	Identifiers      []string `json:"identifiers"`
	Name             string   `json:"name"`
	Manufacturer     string   `json:"manufacturer"`
	Model            string   `json:"model"`
	SWVersion        string   `json:"sw_version"`
	ConfigurationURL string   `json:"configuration_url,omitempty"`
}

type haOrigin struct {
	Name       string `json:"name"`
	SWVersion  string `json:"sw_version"`
	SupportURL string `json:"support_url"`
}

type haAvailability struct {
	Topic               string `json:"topic"`
	PayloadAvailable    string `json:"payload_available"`
	PayloadNotAvailable string `json:"payload_not_available"`
}

// haDeviceDiscovery is a device-based discovery payload: the device, the origin, shared
// availability and qos, and one component per entity.
type haDeviceDiscovery struct {
	Device       haDevice                  `json:"device"`
	Origin       haOrigin                  `json:"origin"`
	Availability []haAvailability          `json:"availability"`
	QoS          int                       `json:"qos"`
	Components   map[string]map[string]any `json:"components"`
}

const (
	payloadOnline  = "online"
	payloadOffline = "offline"
	supportURL     = "https://github.com/edgewatt/edgewatt"
)

// discoveryPayload builds the node's Home Assistant device discovery message: power (W,
// measurement), energy (Wh, total_increasing: usable on HA's energy dashboard), µJ per
// inference (marginal and total), predictions per second, temperature (°C), a
// throttling binary_sensor (device_class problem), and per model the last label (scores as
// attributes) and an event entity whose event types are the model's labels.
func discoveryPayload(t topics, info Info) ([]byte, error) {
	dev := deviceID(t.node)
	name := "edgewatt " + t.node
	d := haDeviceDiscovery{
		Device: haDevice{Identifiers: []string{dev}, Name: name, Manufacturer: "edgewatt", Model: info.Board,
			SWVersion: info.Version, ConfigurationURL: info.DashboardURL},
		Origin:       haOrigin{Name: "edgewatt", SWVersion: info.Version, SupportURL: supportURL},
		Availability: []haAvailability{{Topic: t.status(), PayloadAvailable: payloadOnline, PayloadNotAvailable: payloadOffline}},
		QoS:          1,
		Components:   map[string]map[string]any{},
	}
	tel := t.telemetry()
	sensor := func(key, name, field string, extra map[string]any) {
		c := map[string]any{
			"platform":       "sensor",
			"unique_id":      dev + "_" + key,
			"name":           name,
			"state_topic":    tel,
			"value_template": "{{ value_json." + field + " | default('null') }}",
		}
		for k, v := range extra {
			c[k] = v
		}
		d.Components[key] = c
	}
	sensor("power", "Power", "power_w", map[string]any{"device_class": "power", "state_class": "measurement", "unit_of_measurement": "W", "suggested_display_precision": 2})
	sensor("energy", "Energy", "energy_wh", map[string]any{"device_class": "energy", "state_class": "total_increasing", "unit_of_measurement": "Wh", "suggested_display_precision": 3})
	sensor("uj_per_inference", "Energy per inference", "uj_per_inference", map[string]any{"state_class": "measurement", "unit_of_measurement": "µJ", "icon": "mdi:lightning-bolt-outline", "suggested_display_precision": 3})
	sensor("uj_per_inference_total", "Energy per inference (total)", "uj_per_inference_total", map[string]any{"state_class": "measurement", "unit_of_measurement": "µJ", "icon": "mdi:lightning-bolt", "suggested_display_precision": 3})
	sensor("predictions_per_second", "Predictions per second", "predictions_per_second", map[string]any{"state_class": "measurement", "unit_of_measurement": "predictions/s", "icon": "mdi:speedometer", "suggested_display_precision": 1})
	sensor("temperature", "Temperature", "temperature_c", map[string]any{"device_class": "temperature", "state_class": "measurement", "unit_of_measurement": "°C", "entity_category": "diagnostic", "suggested_display_precision": 1})
	d.Components["throttled"] = map[string]any{
		"platform":        "binary_sensor",
		"unique_id":       dev + "_throttled",
		"name":            "Throttled",
		"device_class":    "problem",
		"entity_category": "diagnostic",
		"state_topic":     tel,
		"value_template":  "{{ 'ON' if value_json.throttled else 'OFF' }}",
		"payload_on":      "ON",
		"payload_off":     "OFF",
	}
	for _, m := range info.Models {
		key := objectID(m.Name)
		res := t.result(m.Name)
		d.Components[key+"_label"] = map[string]any{
			"platform":                 "sensor",
			"unique_id":                dev + "_" + key + "_label",
			"name":                     m.Name + " label",
			"icon":                     "mdi:label-outline",
			"state_topic":              res,
			"value_template":           "{{ value_json.label }}",
			"json_attributes_topic":    res,
			"json_attributes_template": "{{ value_json.scores | tojson }}",
		}
		d.Components[key+"_event"] = map[string]any{
			"platform":    "event",
			"unique_id":   dev + "_" + key + "_event",
			"name":        m.Name,
			"event_types": append([]string{}, m.Labels...),
			"state_topic": res,
			// Results carry "label"; an event payload needs "event_type". Error results have
			// no label and render as {}, which Home Assistant ignores.
			"value_template": "{{ {'event_type': value_json.label, 'scores': value_json.scores, 'id': value_json.id | default(none)} | tojson if value_json.label is defined else '{}' }}",
		}
	}
	return json.Marshal(d)
}
