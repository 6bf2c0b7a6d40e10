package mqtt

import (
	"fmt"
	"strings"
)

// DefaultRoot is the first level of every edgewatt topic.
const DefaultRoot = "edgewatt"

// DefaultDiscoveryPrefix is Home Assistant's default MQTT discovery prefix.
const DefaultDiscoveryPrefix = "homeassistant"

// topics names a node's topics under root.
type topics struct {
	root, node string
}

func (t topics) base() string                 { return t.root + "/" + t.node }
func (t topics) classifyFilter() string       { return t.base() + "/+/classify" }
func (t topics) classify(model string) string { return t.base() + "/" + model + "/classify" }
func (t topics) result(model string) string   { return t.base() + "/" + model + "/result" }
func (t topics) status() string               { return t.base() + "/status" }
func (t topics) telemetry() string            { return t.base() + "/telemetry" }
func (t topics) info() string                 { return t.base() + "/info" }

// modelOf returns the model level of root/node/<model>/classify.
func (t topics) modelOf(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, t.base()+"/")
	if !ok {
		return "", false
	}
	m, ok := strings.CutSuffix(rest, "/classify")
	if !ok || m == "" || strings.Contains(m, "/") {
		return "", false
	}
	return m, true
}

// CheckNode validates a node id: it names topics and Home Assistant discovery object ids,
// which allow only [a-zA-Z0-9_-].
func CheckNode(node string) error {
	if node == "" {
		return fmt.Errorf("mqtt: empty node id: give --mqtt-node NAME (letters, digits, '_' and '-')")
	}
	if len(node) > 64 {
		return fmt.Errorf("mqtt: node id %q is longer than 64 characters", node)
	}
	for _, r := range node {
		if !isIDRune(r) {
			return fmt.Errorf("mqtt: node id %q has %q: use only letters, digits, '_' and '-' (Home Assistant's discovery ids allow no others)", node, r)
		}
	}
	return nil
}

// CheckTopicLevel validates a topic root or a model name used as one topic level.
func CheckTopicLevel(what, s string) error {
	if s == "" {
		return fmt.Errorf("mqtt: empty %s", what)
	}
	if strings.ContainsAny(s, "/+#\x00") {
		return fmt.Errorf("mqtt: %s %q contains '/', '+', '#' or NUL, which MQTT topics reserve: rename it", what, s)
	}
	return nil
}

func isIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// SanitizeNode maps a host name to a valid node id ("Kitchen Pi.local" -> "kitchen-pi-local").
func SanitizeNode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if isIDRune(r) {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 64 {
		out = out[:64]
	}
	if out == "" {
		out = "edgewatt"
	}
	return out
}

// objectID maps a model name to a discovery component key ([a-zA-Z0-9_-]).
func objectID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isIDRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
