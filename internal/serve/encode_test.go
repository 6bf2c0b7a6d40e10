package serve

import (
	"encoding/json"
	"math"
	"testing"
)

// The hand-written /v1/predict encoder must produce exactly what json.Marshal does.
func TestAppendV1(t *testing.T) {
	s1 := float32(0.9996433)
	for _, r := range []v1Response{
		{Model: "kitchen", SHA256: "6433", Version: "64", Labels: []string{"routine", "urgent"},
			Predictions: []v1Prediction{{Label: "urgent", Score: &s1, Scores: []float32{s1}, Latency: 7.201e-06}}, Latency: 0.00016813},
		{Model: "a\"b\\c<d>&e\x01\n\t\r", Labels: []string{"\u2028x\u2029", "bad \xff utf8", "é 日本"},
			Predictions: []v1Prediction{{Label: "", Scores: []float32{0, -0.5, 1e-7, 3.4e38, 1e21, 123456789, 1e-6}, Latency: 1e-9},
				{Label: "x", Scores: []float32{}, Latency: 1e21}}, Latency: 0},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendV1(nil, &r); string(got) != string(want) {
			t.Errorf("appendV1:\n got %s\nwant %s", got, want)
		}
	}
	if got := string(appendFloat32(nil, float32(math.NaN()))); got != "null" {
		t.Errorf("NaN: %s", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b", "\x00\x1f", "\xff\xfe", "é\u2028", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}
