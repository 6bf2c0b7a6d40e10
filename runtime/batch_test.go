package runtime

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestPredictTexts: one Result per text, equal to PredictText's, each owning its scores
// (a later call on the predictor does not change them); reusing dst allocates nothing.
func TestPredictTexts(t *testing.T) {
	for si, s := range []testSpec{testSpecs[0], testSpecs[3]} { // 1 output; 2 outputs (softmax)
		f, _ := buildModel(t, s, uint64(si))
		m, err := New(f)
		if err != nil {
			t.Fatal(err)
		}
		texts := []string{"w1 w2 w3", "", "w7 unknown w7, W9!", "w3", "w5 w6 w7 w8 w9 w10 w11"}
		ref := m.NewPredictor()
		want := make([]Result, len(texts))
		for i, text := range texts {
			want[i] = ref.PredictText(text).Clone()
		}
		p := m.NewPredictor()
		check := func(what string, got []Result) {
			t.Helper()
			if len(got) != len(texts) {
				t.Fatalf("spec %d %s: %d results for %d texts", si, what, len(got), len(texts))
			}
			for i := range got {
				if got[i].Label != want[i].Label || !slices.Equal(got[i].Scores, want[i].Scores) {
					t.Fatalf("spec %d %s: text %d: %+v, PredictText gives %+v", si, what, i, got[i], want[i])
				}
			}
		}
		// From nil, from a short dst with some scores already, and reused.
		got := p.PredictTexts(nil, texts)
		check("nil dst", got)
		p.PredictText("w4 w4 w4") // must not touch the results
		check("after another call", got)
		short := []Result{{Scores: make([]float32, 0, 8)}, {}}
		check("short dst", p.PredictTexts(short, texts))
		for i := range got {
			for j := i + 1; j < len(got); j++ {
				if &got[i].Scores[:1][0] == &got[j].Scores[:1][0] {
					t.Fatalf("spec %d: results %d and %d share their scores", si, i, j)
				}
			}
		}
		if n := testing.AllocsPerRun(100, func() { got = p.PredictTexts(got, texts) }); n != 0 {
			t.Errorf("spec %d: PredictTexts with a reused dst allocates %v times per call", si, n)
		}
		check("reused", got)
		if r := p.PredictTexts(got, nil); len(r) != 0 {
			t.Fatalf("no texts: %d results", len(r))
		}
	}
}

// TestPredictorPool: predictors from the pool predict like fresh ones on many goroutines,
// and a predictor of another model is refused.
func TestPredictorPool(t *testing.T) {
	f, _ := buildModel(t, testSpecs[0], 3)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	pool := m.NewPredictorPool()
	if pool.Model() != m {
		t.Fatal("pool.Model() is not the pool's model")
	}
	ref := m.NewPredictor()
	texts := make([]string, 50)
	want := make([]float32, len(texts))
	for i := range texts {
		texts[i] = fmt.Sprintf("w%d w%d unknown", i, 49-i)
		want[i] = ref.PredictText(texts[i]).Scores[0]
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				j := (g*7 + i) % len(texts)
				p := pool.Get()
				got := p.PredictText(texts[j]).Scores[0]
				pool.Put(p)
				if got != want[j] {
					errs <- fmt.Errorf("%q: pooled predictor %v, fresh %v", texts[j], got, want[j])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p := pool.Get()
	pool.Put(p)
	f2, _ := buildModel(t, testSpecs[0], 4)
	m2, err := New(f2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Put of another model's predictor did not panic")
		}
	}()
	pool.Put(m2.NewPredictor())
}

// TestTraffic: rows gathered are the nonzero ids (repeats and ids past the table, read as
// the OOV row, included) plus the padding row when there is padding; bytes follow the storage.
func TestTraffic(t *testing.T) {
	for _, c := range []struct {
		spec     testSpec
		seq      []int32
		rows     int
		rowBytes int
	}{
		{testSpecs[0], []int32{3, 3, 0, 7}, 4, 16 * 4},                // 3 ids + padding (maxlen 20)
		{testSpecs[0], []int32{3, 999}, 3, 16 * 4},                    // 999 past the table: the OOV row
		{testSpecs[4], []int32{5}, 2, 16 * 2},                         // f16
		{testSpecs[5], []int32{5, 6}, 3, 16 + 4},                      // int8 rows and their scale
		{testSpecs[6], []int32{5, 6}, 2, 17},                          // int8 per tensor, mask_zero: no padding row
		{testSpecs[1], []int32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 7, 16 * 4}, // truncated to maxlen 7, no padding
	} {
		f, _ := buildModel(t, c.spec, 1)
		m, err := New(f)
		if err != nil {
			t.Fatal(err)
		}
		got := m.Traffic(c.seq)
		w := 0
		for i, h := range c.spec.hidden {
			in := c.spec.D
			if i > 0 {
				in = c.spec.hidden[i-1]
			}
			w += (in*h + h) * 4
		}
		want := Traffic{Rows: c.rows, RowBytes: c.rowBytes, WeightBytes: w}
		if got != want || got.Bytes() != c.rows*c.rowBytes+w {
			t.Errorf("%s %v: %+v, want %+v", c.spec.emb, c.seq, got, want)
		}
	}
}
