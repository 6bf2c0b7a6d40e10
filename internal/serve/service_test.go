package serve

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseModelSpec(t *testing.T) {
	for _, c := range []struct{ in, name, path, err string }{
		{"models/kitchen-int8.safetensors", "kitchen-int8", "models/kitchen-int8.safetensors", ""},
		{"k=/a/b=c.safetensors", "k", "/a/b=c.safetensors", ""},
		{"", "", "", "empty"},
		{"k=", "", "", "no file"},
		{"a b=x", "", "", "model name"},
		{"/x/my model.safetensors", "", "", "-m NAME="},
	} {
		sp, err := ParseModelSpec(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want an error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || sp.Name != c.name || sp.Path != c.path {
			t.Errorf("%q: %+v %v", c.in, sp, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	pa := writeModel(t, dir, "a.safetensors", optA)
	for _, c := range []struct {
		models []ModelSpec
		want   string
	}{
		{nil, "no model"},
		{[]ModelSpec{{"a", pa}, {"a", pa}}, "two models are named"},
		{[]ModelSpec{{"a", dir + "/missing.safetensors"}}, "no such file"},
		{[]ModelSpec{{"a", pa}, {"b", dir}}, `model "b"`},
	} {
		if _, err := New(Options{Models: c.models}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.models, err, c.want)
		}
	}
}

type fakeComponent struct {
	started chan *Service
	err     error
}

func (c *fakeComponent) Name() string { return "fake" }
func (c *fakeComponent) Run(ctx context.Context, s *Service) error {
	c.started <- s
	if c.err != nil {
		return c.err
	}
	<-ctx.Done()
	return nil
}

// TestComponents: a component starts with the service, can predict through it, stops with
// it; a failing component stops the service with its error.
func TestComponents(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	c := &fakeComponent{started: make(chan *Service, 1)}
	svc, err := New(Options{Models: []ModelSpec{{"a", pa}}, Components: []Component{c}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	got := <-c.started
	if p, err := got.Predict(ctx, "a", []string{"fire"}); err != nil || len(p) != 1 || p[0].Model != "a" || p[0].SHA256 == "" {
		t.Errorf("Predict from a component: %+v %v", p, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	svc.Close()

	bad := &fakeComponent{started: make(chan *Service, 1), err: errors.New("broker unreachable")}
	svc, err = New(Options{Models: []ModelSpec{{"a", pa}}, Components: []Component{bad}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	select {
	case err := <-func() chan error {
		ch := make(chan error, 1)
		go func() { ch <- svc.Run(context.Background()) }()
		return ch
	}():
		if err == nil || !strings.Contains(err.Error(), "fake: broker unreachable") {
			t.Errorf("Run with a failing component: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a failing component did not stop the service")
	}
}

// TestMaxInflight: with one slot, concurrent callers all get their answers one at a time, and
// a caller whose context ends while waiting gets a 503.
func TestMaxInflight(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	svc, err := New(Options{Models: []ModelSpec{{"a", pa}}, Limits: Limits{MaxInflight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var wg sync.WaitGroup
	var peak atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if _, err := svc.Predict(context.Background(), "", []string{"fire alarm"}); err != nil {
					t.Error(err)
					return
				}
				if n := svc.inflight.Load(); n > peak.Load() {
					peak.Store(n)
				}
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 1 || svc.inflight.Load() != 0 {
		t.Errorf("peak in flight %d, now %d; want at most 1, then 0", p, svc.inflight.Load())
	}
	svc.enter(context.Background()) // hold the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var e *Error
	if _, err := svc.Predict(ctx, "", []string{"x"}); !errors.As(err, &e) || e.Status != 503 {
		t.Errorf("full: %v", err)
	}
	svc.leave()
	if _, err := svc.Predict(context.Background(), "", []string{"x"}); err != nil {
		t.Errorf("after release: %v", err)
	}
}
