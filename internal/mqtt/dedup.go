package mqtt

import "sync"

// DefaultDedupWindow is how many recent request ids per node are remembered to answer a
// redelivered request once.
const DefaultDedupWindow = 16384

// window remembers the last n keys (FIFO eviction), so a QoS 1 redelivery of a request
// already answered is recognised by its id.
type window struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newWindow(n int) *window {
	if n <= 0 {
		n = DefaultDedupWindow
	}
	return &window{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records key and reports whether it was new.
func (w *window) add(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.set[key]; ok {
		return false
	}
	if old := w.ring[w.next]; old != "" {
		delete(w.set, old)
	}
	w.ring[w.next] = key
	w.next = (w.next + 1) % len(w.ring)
	w.set[key] = struct{}{}
	return true
}
