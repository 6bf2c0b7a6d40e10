package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestReloadUnderLoad swaps the model file 20 times (half by SIGHUP's reload channel, half by
// the file watch seeing convert's atomic rename) while clients predict without pause: every
// answer must be 200 and exactly what the model version it names computes.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	refA := newReferenceShared(t, writeModel(t, dir, "a.ref", optA))
	refB := newReferenceShared(t, writeModel(t, dir, "b.ref", optB))
	refs := map[string]*reference{refA.sha: refA, refB.sha: refB}
	path := writeModel(t, dir, "m.safetensors", optA)
	reload := make(chan struct{})
	s := startServer(t, Options{Models: []ModelSpec{{"m", path}}, Watch: 20 * time.Millisecond}, HTTPOptions{Reload: reload})

	texts := []string{"fire alarm", "the kitchen is warm", "hello quiet door", "smoke smoke smoke"}
	body, _ := json.Marshal(map[string]any{"texts": texts})
	var (
		stop          atomic.Bool
		total, failed atomic.Int64
		seenA, seenB  atomic.Int64
		wg            sync.WaitGroup
		firstErr      sync.Once
		firstErrText  string
	)
	fail := func(format string, a ...any) {
		failed.Add(1)
		firstErr.Do(func() { firstErrText = fmt.Sprintf(format, a...) })
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for !stop.Load() {
				resp, err := c.Post(s.url+"/v1/predict", "application/json", bytes.NewReader(body))
				if err != nil {
					fail("request: %v", err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				total.Add(1)
				var r v1Response
				if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil {
					fail("status %d: %s", resp.StatusCode, b)
					continue
				}
				ref := refs[r.SHA256]
				if ref == nil {
					fail("unknown sha256 %q", r.SHA256)
					continue
				}
				if ref == refA {
					seenA.Add(1)
				} else {
					seenB.Add(1)
				}
				for i, p := range r.Predictions {
					l, sc := ref.text(texts[i])
					if p.Label != l || fmt.Sprint(p.Scores) != fmt.Sprint(sc) || fmt.Sprint(r.Labels) != fmt.Sprint(ref.labels) {
						fail("model %s text %q: %s %v, want %s %v", r.SHA256[:8], texts[i], p.Label, p.Scores, l, sc)
					}
				}
			}
		}()
	}
	waitSHA := func(want string) {
		deadline := time.Now().Add(10 * time.Second)
		for s.svc.Models()[0].SHA256 != want {
			if time.Now().After(deadline) {
				t.Fatalf("the service did not switch to %s", want[:8])
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for i := 0; i < 20; i++ {
		o, want := optB, refB.sha
		if i%2 == 1 {
			o, want = optA, refA.sha
		}
		writeModel(t, dir, "m.safetensors", o)
		if i%4 < 2 {
			reload <- struct{}{} // SIGHUP
		}
		waitSHA(want)
		time.Sleep(30 * time.Millisecond)
	}
	// A file that does not load leaves the old model serving, and says so.
	tmp := filepath.Join(dir, ".m.tmp")
	os.WriteFile(tmp, []byte("this is not a model"), 0o644)
	os.Rename(tmp, path)
	deadline := time.Now().Add(10 * time.Second)
	for s.svc.Models()[0].LoadError == "" {
		if time.Now().After(deadline) {
			t.Fatal("a broken model file was not reported")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	mi := s.svc.Models()[0]
	if mi.SHA256 != refA.sha || mi.LoadErrorAt == nil {
		t.Errorf("after a broken file: %+v", mi)
	}
	if got := testutil.ToFloat64(s.svc.met.loadError.WithLabelValues("m")); got != 1 {
		t.Errorf("edgewatt_model_load_error = %v, want 1", got)
	}
	ok := testutil.ToFloat64(s.svc.met.reloads.WithLabelValues("m", "ok"))
	bad := testutil.ToFloat64(s.svc.met.reloads.WithLabelValues("m", "error"))
	t.Logf("%d requests (%d answered by A, %d by B), %d failed or wrong; reloads ok %v, error %v",
		total.Load(), seenA.Load(), seenB.Load(), failed.Load(), ok, bad)
	if failed.Load() != 0 {
		t.Errorf("%d failed or wrong responses; first: %s", failed.Load(), firstErrText)
	}
	if ok < 20 || bad < 1 || seenA.Load() == 0 || seenB.Load() == 0 {
		t.Errorf("reloads ok %v (want >= 20), error %v (want >= 1), answers A %d B %d", ok, bad, seenA.Load(), seenB.Load())
	}
	// Recovery: a good file clears the error.
	writeModel(t, dir, "m.safetensors", optB)
	waitSHA(refB.sha)
	if mi := s.svc.Models()[0]; mi.LoadError != "" {
		t.Errorf("load error not cleared: %q", mi.LoadError)
	}
}

// newReferenceShared is a reference safe for concurrent use (a predictor per call).
func newReferenceShared(t testing.TB, path string) *reference {
	r := newReference(t, path)
	r.shared = true
	return r
}

// TestReloadMissingFile: a model file that disappears is reported once, the model keeps
// serving, and the file's return is picked up.
func TestReloadMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := writeModel(t, dir, "m.safetensors", optA)
	refB := newReference(t, writeModel(t, dir, "b.ref", optB))
	s := startServer(t, Options{Models: []ModelSpec{{"m", path}}, Watch: 10 * time.Millisecond}, HTTPOptions{})
	os.Remove(path)
	time.Sleep(200 * time.Millisecond)
	if got := testutil.ToFloat64(s.svc.met.reloads.WithLabelValues("m", "error")); got != 1 {
		t.Errorf("a missing file was reported %v times, want once", got)
	}
	var r v1Response
	if code := s.do(t, "POST", "/v1/predict", `{"text":"fire"}`, &r); code != 200 {
		t.Errorf("predict with the file gone: %d", code)
	}
	if mi := s.svc.Models()[0]; !strings.Contains(mi.LoadError, "no such file") {
		t.Errorf("load error %q", mi.LoadError)
	}
	writeModel(t, dir, "m.safetensors", optB)
	deadline := time.Now().Add(5 * time.Second)
	for s.svc.Models()[0].SHA256 != refB.sha {
		if time.Now().After(deadline) {
			t.Fatal("the returned file was not loaded")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
