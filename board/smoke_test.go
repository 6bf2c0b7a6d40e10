package board

import (
	"flag"
	"testing"
	"time"
)

var smokeSpec = flag.String("board.smoke", "", "power source `SPEC` to read on a real board, e.g. auto or ina219:bus=1,addr=0x40")

// TestSmoke exercises a real board: go test ./board -run Smoke -v -args -board.smoke=auto
func TestSmoke(t *testing.T) {
	if *smokeSpec == "" {
		t.Skip("SKIP: smoke test needs a board: go test ./board -run Smoke -v -args -board.smoke=auto")
	}
	in := Detect(DetectOptions{})
	t.Logf("board: %s; notes: %v", in.Summary(), in.Notes)
	src, err := Open(*smokeSpec, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var rs []Reading
	for i := 0; i < 20; i++ {
		r, err := src.Read()
		if err != nil {
			t.Fatal(err)
		}
		if r.Flags&First == 0 {
			rs = append(rs, r)
			if w := r.Watts(); w <= 0 || w > 100 {
				t.Errorf("reading %d: %.3f W is not a plausible board power", i, w)
			}
		}
		t.Logf("%s %.3f W %.3f V %.3f A %v", src.Name(), r.Watts(), r.Volts(), r.Amps(), r.Flags)
		time.Sleep(src.Interval())
	}
	t.Logf("%d readings: %.4f J", len(rs), Joules(Integrate(rs)))
}
