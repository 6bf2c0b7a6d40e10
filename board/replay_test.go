package board

import (
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"periph.io/x/conn/v3/physic"
)

func TestReplayIdleLoad(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	src, err := Open("replay:testdata/replay/idle-load.csv", OpenOptions{Start: start})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got, want := src.Interval(), 100*time.Millisecond; got != want {
		t.Errorf("Interval = %v, want %v", got, want)
	}
	var rs []Reading
	for {
		r, err := src.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if len(rs) != 101 {
		t.Fatalf("%d readings, want 101", len(rs))
	}
	if !rs[0].Time.Equal(start) || !rs[100].Time.Equal(start.Add(10*time.Second)) {
		t.Errorf("times %v..%v, want start..start+10s", rs[0].Time, rs[100].Time)
	}
	if rs[35].Power != 6300*physic.MilliWatt || rs[10].Power != 2700*physic.MilliWatt {
		t.Errorf("power at 3.5 s = %v, at 1 s = %v; want 6.3W, 2.7W", rs[35].Power, rs[10].Power)
	}
	if rs[70].Flags&Throttled == 0 || rs[75].Flags != 0 {
		t.Errorf("flags at 7.0 s = %v (want throttled), at 7.5 s = %v (want ok: only since-boot bits)", rs[70].Flags, rs[75].Flags)
	}
	// By hand (the file's comment): 2.9*2.7 + 0.45 + 4*6.3 + 0.45 + 2.9*2.7 = 41.76 J.
	const want = 41.76
	for name, e := range map[string]physic.Energy{"Integrate": Integrate(rs), "Trace.Energy": src.(*Replay).Trace().Energy()} {
		if got := float64(e) / float64(physic.Joule); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %v J, want %v J", name, got, want)
		}
	}
	temp, th, ok := src.(*Replay).Conditions()
	if !ok || th != 0x80000 || math.Abs(temp.Celsius()-49.0) > 1e-9 {
		t.Errorf("Conditions = %v %v %v, want 49°C 0x80000 true", temp, th, ok)
	}
}

func TestParseTraceErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"time_s,watts\n",
		"0,1\n0,2\n",            // time not increasing
		"0,-1\n",                // negative power
		"0,1,2,3,4,5\n",         // too many fields
		"0,1,2,3,4\n1,1,2,3\n",  // the rate column on some rows only
		"0,1,2,3,-4\n",          // negative rate
		"time_s,watts\n0,1,2\n", // more fields than the header
		"time_s,wats\n0,1\n",    // misspelt header
		"0.O5,2.7\n0.1,2.7\n",   // a typo in the first row is not a header
		"0.05,2.7x\n0.1,2.7\n",  // nor there
		"time_s,watts,temp_c,throttled,inferences_per_s,extra\n0,1\n",
		"0,NaN\n",       // not a number
		"x,1\ny,2\n",    // second line not a header
		"0,1,20,0xzz\n", // bad throttled
		"0,1,-300,0\n",  // below absolute zero
		"-1,1\n",        // negative time
	} {
		if _, err := ParseTrace(strings.NewReader(in)); err == nil {
			t.Errorf("ParseTrace(%q) succeeded, want an error", in)
		}
	}
}

func TestParseTraceKeepsDescriptionAndRate(t *testing.T) {
	tr, err := ParseTrace(strings.NewReader("\ufeff# Pi 4 recording, NOT a measurement\n#  second line\n" +
		"time_s,watts,temp_c,throttled,inferences_per_s\n0,2,,,0\n1,3,,,100\n2,3,,,100\n# a later comment is not description\n3,2,,,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Description != "Pi 4 recording, NOT a measurement\nsecond line" || !tr.HasRate {
		t.Errorf("description %q, has rate %v", tr.Description, tr.HasRate)
	}
	// Each row's rate holds since the previous row: (0,1] 100/s, (1,2] 100/s, (2,3] 0.
	if got := tr.Inferences(0, 3*time.Second); math.Abs(got-200) > 1e-9 {
		t.Errorf("Inferences(0, 3s) = %v, want 200", got)
	}
	if got := tr.Inferences(500*time.Millisecond, 2500*time.Millisecond); math.Abs(got-150) > 1e-9 {
		t.Errorf("Inferences(0.5s, 2.5s) = %v, want 150", got)
	}
}

func TestReplayRefusesDevicesAndHugeFiles(t *testing.T) {
	for _, f := range []string{"/dev/zero", "/dev/null", "testdata"} {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		_, err := Open("replay:"+f, OpenOptions{})
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("replay:%s: err = %v, want a refusal: not a regular file", f, err)
		}
	}
	if _, err := ParseTrace(strings.NewReader("time_s,watts\n" + strings.Repeat("#", 70000) + "\n0,1\n")); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a 70,000-byte line: err = %v, want a refusal", err)
	}
	// An endless stream (a device behind a pipe) stops at the byte bound.
	if _, err := parseTrace(endless{}, 1<<20); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("endless input: err = %v, want a size refusal", err)
	}
}

// endless reads as an infinite run of blank lines.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

func TestReplayMissingFile(t *testing.T) {
	_, err := Open("replay:nope.csv", OpenOptions{FS: fstest.MapFS{}})
	var se *SourceError
	if !errors.As(err, &se) || se.Hint == "" {
		t.Fatalf("err = %v, want a *SourceError with a hint", err)
	}
}

func TestIntegrate(t *testing.T) {
	t0 := time.Unix(0, 0)
	rs := []Reading{
		{Time: t0, Power: 1 * physic.Watt},
		{Time: t0.Add(time.Second), Power: 3 * physic.Watt},   // (1+3)/2*1 = 2 J
		{Time: t0.Add(time.Second), Power: 100 * physic.Watt}, // dt = 0: nothing
		{Time: t0.Add(3 * time.Second), Power: 0},             // (100+0)/2*2 = 100 J
	}
	if got, want := Integrate(rs), 102*physic.Joule; got != want {
		t.Errorf("Integrate = %v, want %v", got, want)
	}
	if got := Integrate(rs[:1]); got != 0 {
		t.Errorf("Integrate(1 reading) = %v, want 0", got)
	}
}

func FuzzParseTrace(f *testing.F) {
	f.Add("time_s,watts,temp_c,throttled\n0.0,2.7,45.0,0x0\n0.1,6.3,46,0x50005\n")
	f.Add("0,1\n1,2\n")
	f.Add("# a description\ntime_s,watts,temp_c,throttled,inferences_per_s\n0,2,45,0,0\n0.1,3,46,0x50005,1200\n")
	f.Add("0.O5,2.7\n")
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := ParseTrace(strings.NewReader(s))
		if err != nil {
			return
		}
		for i := 1; i < len(tr.Samples); i++ {
			if tr.Samples[i].T <= tr.Samples[i-1].T {
				t.Fatalf("times not increasing: %v", tr.Samples)
			}
		}
		if tr.Energy() < 0 {
			t.Fatalf("negative energy %v", tr.Energy())
		}
		if n := tr.Inferences(0, tr.Duration()); n < 0 || math.IsNaN(n) {
			t.Fatalf("recorded inferences %v", n)
		}
	})
}
