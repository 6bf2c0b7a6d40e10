package eval

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// A 3-class example worked by hand:
//
//	truth 0 0 0 1 1 2 2 2 2 2
//	pred  0 0 1 1 2 2 2 2 0 2
//
// confusion [[2 1 0] [0 1 1] [1 0 4]]; class 0: P 2/3, R 2/3; class 1: P 1/2, R 1/2;
// class 2: P 4/5, R 4/5; accuracy 7/10.
func TestComputeByHand(t *testing.T) {
	pr := Predictions{
		Truth: []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 2},
		Pred:  []int{0, 0, 1, 1, 2, 2, 2, 2, 0, 2},
	}
	r, err := Compute([]string{"a", "b", "c"}, pr, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Correct != 7 || !near(r.Accuracy, 0.7) {
		t.Errorf("accuracy %v (%d)", r.Accuracy, r.Correct)
	}
	want := [][]int{{2, 1, 0}, {0, 1, 1}, {1, 0, 4}}
	for i := range want {
		for j := range want[i] {
			if r.Confusion[i][j] != want[i][j] {
				t.Fatalf("confusion %v, want %v", r.Confusion, want)
			}
		}
	}
	for i, pf := range []float64{2.0 / 3, 0.5, 0.8} {
		c := r.Classes[i]
		if !near(c.Precision, pf) || !near(c.Recall, pf) || !near(c.F1, pf) {
			t.Errorf("class %d: %+v, want P=R=F1=%v", i, c, pf)
		}
	}
	if c := r.Classes[2]; c.Support != 5 || c.Predicted != 5 {
		t.Errorf("class 2 support/predicted %+v", c)
	}
	if !near(r.MacroF1, (2.0/3+0.5+0.8)/3) || !near(r.WeightedF1, (3*2.0/3+2*0.5+5*0.8)/10) {
		t.Errorf("macro F1 %v weighted %v", r.MacroF1, r.WeightedF1)
	}
	if r.ROCAUC != nil || r.ECE != nil {
		t.Error("AUC/ECE without scores")
	}
}

func TestZeroDivisionIsZero(t *testing.T) {
	r, err := Compute([]string{"0", "1"}, Predictions{Truth: []int{0, 0}, Pred: []int{0, 0}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Classes[1]; c.Precision != 0 || c.Recall != 0 || c.F1 != 0 {
		t.Errorf("absent class: %+v", c)
	}
}

// ROC AUC by counting every (positive, negative) pair, ties one half: the definition.
func pairAUC(truth []int, s []float64) float64 {
	var num, den float64
	for i := range s {
		for j := range s {
			if truth[i] == 1 && truth[j] == 0 {
				den++
				switch {
				case s[i] > s[j]:
					num++
				case s[i] == s[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func TestROCAUC(t *testing.T) {
	// by hand: positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4) (0.4>0.1) = 3.5/4
	if auc, ok := ROCAUC([]int{1, 1, 0, 0}, []float64{0.8, 0.4, 0.4, 0.1}); !ok || !near(auc, 0.875) {
		t.Errorf("AUC %v %v, want 0.875", auc, ok)
	}
	if _, ok := ROCAUC([]int{1, 1}, []float64{0.2, 0.3}); ok {
		t.Error("AUC with one class")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 2; n < 200; n += 17 {
		truth := make([]int, n)
		s := make([]float64, n)
		for i := range s {
			truth[i] = rng.IntN(2)
			s[i] = float64(rng.IntN(7)) / 7 // many ties
		}
		truth[0], truth[1] = 0, 1
		got, _ := ROCAUC(truth, s)
		if want := pairAUC(truth, s); math.Abs(got-want) > 1e-12 {
			t.Fatalf("n=%d: AUC %v, pairwise %v", n, got, want)
		}
	}
}

func TestCalibrationByHand(t *testing.T) {
	// 4 bins. conf 0.55 ok, 0.6 wrong -> bin [0.5,0.75): acc 0.5, conf 0.575;
	// 0.9 ok, 1.0 ok -> bin [0.75,1]: acc 1, conf 0.95; 0.1 wrong -> bin [0,0.25): acc 0, conf 0.1.
	conf := []float64{0.55, 0.6, 0.9, 1.0, 0.1}
	ok := []bool{true, false, true, true, false}
	ece, mce, bins := Calibration(conf, ok, 4)
	want := 2.0/5*0.075 + 2.0/5*0.05 + 1.0/5*0.1
	if !near(ece, want) || !near(mce, 0.1) {
		t.Errorf("ECE %v MCE %v, want %v 0.1", ece, mce, want)
	}
	if bins[3].Rows != 2 || bins[2].Rows != 2 || bins[0].Rows != 1 || bins[1].Rows != 0 || !near(bins[2].Confidence, 0.575) {
		t.Errorf("bins %+v", bins)
	}
}

func TestRange(t *testing.T) {
	for _, c := range []struct {
		spec   string
		n      int
		lo, hi int
	}{
		{"", 10, 0, 10}, {":", 10, 0, 10}, {"3:", 10, 3, 10}, {":4", 10, 0, 4}, {"2:5", 10, 2, 5},
		{"-3:", 10, 7, 10}, {":-1", 10, 0, 9}, {"5:100", 10, 5, 10}, {"8:2", 10, 8, 8}, {"-100:2", 10, 0, 2},
	} {
		r, err := ParseRange(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if lo, hi := r.Bounds(c.n); lo != c.lo || hi != c.hi {
			t.Errorf("%q over %d: [%d:%d], want [%d:%d]", c.spec, c.n, lo, hi, c.lo, c.hi)
		}
	}
	for _, bad := range []string{"5", "a:b", "1:2:3", "1.5:"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	r, _ := ParseRange("20:")
	if _, _, err := r.Select(make([]Row, 5)); err == nil || !strings.Contains(err.Error(), "selects no rows") {
		t.Errorf("empty selection: %v", err)
	}
}

func TestReadRows(t *testing.T) {
	labels := []string{"routine", "urgent"}
	csv := "is_sarcastic,headline\n1,\"a, b\"\n0,c\nurgent,d\n1.0,e\n"
	rows, err := ReadRows(strings.NewReader(csv), "x.csv", labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0] != (Row{1, "a, b"}) || rows[2].Label != 1 || rows[3].Label != 1 {
		t.Errorf("rows %+v", rows)
	}
	jl := `{"headline":"a, b","is_sarcastic":1}` + "\n" + `{"text":"c","label":false}` + "\n"
	rows, err = ReadRows(strings.NewReader(jl), "x.jsonl", labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != (Row{1, "a, b"}) || rows[1] != (Row{0, "c"}) {
		t.Errorf("jsonl rows %+v", rows)
	}
	for _, bad := range []string{"0,a\n2,b\n", "0,a\nspam,b\n", "label,text\n"} {
		if _, err := ReadRows(strings.NewReader(bad), "bad.csv", labels); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
