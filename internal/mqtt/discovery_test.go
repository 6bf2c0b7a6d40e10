package mqtt

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Home Assistant's documented MQTT discovery schema, field by field, for each entity type
// edgewatt announces. Sources (home-assistant.io documentation, read 2026-12):
//
//	device discovery, origin, device, availability: https://www.home-assistant.io/integrations/mqtt/
//	   ("Device discovery payload", "Discovery payload", the origin and device options)
//	sensor:         https://www.home-assistant.io/integrations/sensor.mqtt/
//	binary_sensor:  https://www.home-assistant.io/integrations/binary_sensor.mqtt/
//	event:          https://www.home-assistant.io/integrations/event.mqtt/
//	sensor device classes and their units: https://www.home-assistant.io/integrations/sensor/#device-class
//	binary_sensor device classes: https://www.home-assistant.io/integrations/binary_sensor/#device-class
//	state classes: https://developers.home-assistant.io/docs/core/entity/sensor/#available-state-classes
var (
	// Device discovery: "The shared options at the root level of the JSON message must
	// include device and origin"; components under "components" (cmps).
	haDeviceRootRequired = []string{"device", "origin", "components"}
	haDeviceRootAllowed  = []string{"device", "origin", "components", "availability", "availability_topic", "availability_mode",
		"availability_template", "payload_available", "payload_not_available", "command_topic", "state_topic", "qos", "encoding"}
	haOriginRequired = []string{"name"}
	haOriginAllowed  = []string{"name", "sw_version", "support_url"}
	haDeviceAllowed  = []string{"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id",
		"name", "serial_number", "suggested_area", "sw_version", "via_device"}
	haAvailabilityRequired = []string{"topic"}
	haAvailabilityAllowed  = []string{"payload_available", "payload_not_available", "topic", "value_template"}

	haCommon = []string{"availability", "availability_mode", "availability_template", "availability_topic", "device", "device_class",
		"enabled_by_default", "encoding", "entity_category", "icon", "json_attributes_template", "json_attributes_topic", "name",
		"object_id", "payload_available", "payload_not_available", "platform", "qos", "state_topic", "unique_id", "value_template"}
	haPlatforms = map[string]struct{ required, allowed []string }{
		"sensor": {[]string{"platform", "state_topic", "unique_id"}, append(slices.Clone(haCommon), "entity_picture", "expire_after",
			"force_update", "last_reset_value_template", "options", "suggested_display_precision", "state_class", "unit_of_measurement")},
		"binary_sensor": {[]string{"platform", "state_topic", "unique_id"}, append(slices.Clone(haCommon), "entity_picture", "expire_after",
			"force_update", "off_delay", "payload_off", "payload_on")},
		"event": {[]string{"platform", "state_topic", "unique_id", "event_types"}, append(slices.Clone(haCommon), "event_types")},
	}
	// Sensor device classes used here and their documented units.
	haSensorUnits = map[string][]string{
		"power":       {"mW", "W", "kW", "MW", "GW", "TW"},
		"energy":      {"J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"},
		"temperature": {"°C", "°F", "K"},
	}
	// State classes, and the ones allowed per device class (energy: a total, never a
	// measurement; power and temperature: measurement).
	haStateClasses        = []string{"measurement", "measurement_angle", "total", "total_increasing"}
	haDeviceClassStateCls = map[string][]string{
		"power": {"measurement"}, "temperature": {"measurement"}, "energy": {"total", "total_increasing"},
	}
	haBinarySensorClasses = []string{"battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door",
		"gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem",
		"running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window"}
	haIDChars = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
)

func checkKeys(t *testing.T, where string, m map[string]any, required, allowed []string) {
	t.Helper()
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: required field %q missing", where, k)
		}
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: field %q is not in Home Assistant's documented schema", where, k)
		}
	}
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// TestDiscoveryMatchesHomeAssistantSchema reads the retained discovery message from the broker
// and checks it field by field; then checks that every topic it names carries what its
// templates read, that Home Assistant's birth message makes the node announce again, and that
// a restarted node announces the same identifiers.
func TestDiscoveryMatchesHomeAssistantSchema(t *testing.T) {
	br := startMosquitto(t)
	cls := newRuntimeClassifier(t, "smart home") // a space: topics keep it, discovery keys sanitize it
	tel := &fixedTelemetry{t: Telemetry{Watts: 2.9, Joules: 360, MicrojoulesPerInference: 0.4, MicrojoulesPerInferenceTotal: 1.1,
		PredictionsPerSecond: 3, TemperatureC: 51}}
	svcOpts := func(o *Options) { o.DiscoveryPrefix = "ha-test" }
	stop := startServiceStoppable(t, br.broker(), "pi-kitchen", cls, tel, svcOpts)
	topic := "ha-test/device/edgewatt_pi-kitchen/config"
	c := newClient(t, br.broker(), "ha", false, topic, "edgewatt/pi-kitchen/#")
	raw := c.next(t, topic, 10*time.Second).Payload

	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, "root", d, haDeviceRootRequired, haDeviceRootAllowed)
	origin, _ := d["origin"].(map[string]any)
	checkKeys(t, "origin", origin, haOriginRequired, haOriginAllowed)
	dev, _ := d["device"].(map[string]any)
	checkKeys(t, "device", dev, []string{"identifiers", "name", "model", "sw_version", "configuration_url"}, haDeviceAllowed)
	if ids, _ := dev["identifiers"].([]any); len(ids) != 1 || ids[0] != "edgewatt_pi-kitchen" {
		t.Errorf("device identifiers %v, want [edgewatt_pi-kitchen] (from the node id, stable across reboots)", dev["identifiers"])
	}
	if str(dev, "model") != "Raspberry Pi 4 Model B Rev 1.4" || str(dev, "sw_version") != "test" ||
		!strings.HasPrefix(str(dev, "configuration_url"), "http") {
		t.Errorf("device %v", dev)
	}
	avs, _ := d["availability"].([]any)
	if len(avs) != 1 {
		t.Fatalf("availability %v", d["availability"])
	}
	av := avs[0].(map[string]any)
	checkKeys(t, "availability", av, haAvailabilityRequired, haAvailabilityAllowed)
	if str(av, "topic") != "edgewatt/pi-kitchen/status" || str(av, "payload_available") != "online" || str(av, "payload_not_available") != "offline" {
		t.Errorf("availability %v", av)
	}

	comps, _ := d["components"].(map[string]any)
	byPlatform := map[string][]string{}
	uids := map[string]bool{}
	stateTopics := map[string]bool{}
	for key, v := range comps {
		if !haIDChars.MatchString(key) {
			t.Errorf("component key %q: Home Assistant allows [a-zA-Z0-9_-]", key)
		}
		cm := v.(map[string]any)
		p := str(cm, "platform")
		spec, ok := haPlatforms[p]
		if !ok {
			t.Errorf("component %s: platform %q not checked by this test", key, p)
			continue
		}
		byPlatform[p] = append(byPlatform[p], key)
		checkKeys(t, p+" "+key, cm, spec.required, spec.allowed)
		uid := str(cm, "unique_id")
		if uids[uid] {
			t.Errorf("unique_id %q used twice", uid)
		}
		uids[uid] = true
		stateTopics[str(cm, "state_topic")] = true
		dc := str(cm, "device_class")
		switch p {
		case "sensor":
			if sc := str(cm, "state_class"); sc != "" && !slices.Contains(haStateClasses, sc) {
				t.Errorf("%s: state_class %q", key, sc)
			}
			if units, ok := haSensorUnits[dc]; ok {
				if !slices.Contains(units, str(cm, "unit_of_measurement")) {
					t.Errorf("%s: device_class %s with unit %q; documented units %v", key, dc, str(cm, "unit_of_measurement"), units)
				}
				if !slices.Contains(haDeviceClassStateCls[dc], str(cm, "state_class")) {
					t.Errorf("%s: device_class %s with state_class %q; want one of %v", key, dc, str(cm, "state_class"), haDeviceClassStateCls[dc])
				}
			} else if dc != "" {
				t.Errorf("%s: device_class %q not checked by this test", key, dc)
			}
			if ec := str(cm, "entity_category"); ec != "" && ec != "diagnostic" {
				t.Errorf("%s: a sensor's entity_category must be diagnostic, not %q", key, ec)
			}
		case "binary_sensor":
			if !slices.Contains(haBinarySensorClasses, dc) {
				t.Errorf("%s: binary_sensor device_class %q", key, dc)
			}
		case "event":
			types, _ := cm["event_types"].([]any)
			if len(types) != 2 || types[0] != "routine" || types[1] != "urgent" {
				t.Errorf("%s: event_types %v, want the model's labels [routine urgent]", key, types)
			}
		}
	}
	want := map[string]string{"power": "power", "energy": "energy", "temperature": "temperature"}
	for key, dc := range want {
		if c, ok := comps[key].(map[string]any); !ok || str(c, "device_class") != dc {
			t.Errorf("no %s sensor with device_class %s", key, dc)
		}
	}
	if e := comps["energy"].(map[string]any); str(e, "state_class") != "total_increasing" || str(e, "unit_of_measurement") != "Wh" {
		t.Errorf("energy sensor %v: want Wh, total_increasing (for the energy dashboard)", e)
	}
	sort.Strings(byPlatform["sensor"])
	if len(byPlatform["binary_sensor"]) != 1 || len(byPlatform["event"]) != 1 || len(byPlatform["sensor"]) != 7 {
		t.Errorf("components by platform %v: want 7 sensors (power, energy, 2 µJ/inference, predictions/s, temperature, last label), 1 binary_sensor, 1 event", byPlatform)
	}
	label := comps["smart_home_label"].(map[string]any)
	if str(label, "state_topic") != "edgewatt/pi-kitchen/smart home/result" || str(label, "json_attributes_topic") != str(label, "state_topic") {
		t.Errorf("last-label sensor %v", label)
	}

	// Every telemetry template reads a field the node publishes.
	var tm map[string]any
	if err := json.Unmarshal(c.next(t, "edgewatt/pi-kitchen/telemetry", 10*time.Second).Payload, &tm); err != nil {
		t.Fatal(err)
	}
	field := regexp.MustCompile(`value_json\.([a-z_]+)`)
	for key, v := range comps {
		cm := v.(map[string]any)
		if str(cm, "state_topic") != "edgewatt/pi-kitchen/telemetry" {
			continue
		}
		for _, m := range field.FindAllStringSubmatch(str(cm, "value_template"), -1) {
			if _, ok := tm[m[1]]; !ok {
				t.Errorf("%s reads value_json.%s, which the telemetry %v lacks", key, m[1], tm)
			}
		}
	}

	// Home Assistant's birth message: the node publishes discovery again.
	c.publish(t, "ha-test/status", []byte("online"))
	if again := c.next(t, topic, 10*time.Second).Payload; string(again) != string(raw) {
		t.Errorf("re-announced discovery differs:\n%s\n%s", raw, again)
	}

	// A restarted node announces the same device and entities.
	stop()
	startService(t, br.broker(), "pi-kitchen", cls, tel, svcOpts)
	c3 := newClient(t, br.broker(), "ha3", false, topic)
	if again := c3.next(t, topic, 10*time.Second).Payload; string(again) != string(raw) {
		t.Errorf("discovery after a restart differs:\n%s\n%s", raw, again)
	}
}
