package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/edgewatt/edgewatt/runtime"
)

// DefaultBins is the number of calibration bins when Options.Bins is 0.
const DefaultBins = 10

// Options tune Evaluate.
type Options struct {
	Bins int // calibration bins (0: DefaultBins)
}

// ClassStats are one class's one-vs-rest figures.
type ClassStats struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`   // rows of this true class
	Predicted int     `json:"predicted"` // rows predicted as this class
}

// Bin is one calibration bin: confidences in [Lo, Hi) (the last bin includes 1).
type Bin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Rows       int     `json:"rows"`
	Accuracy   float64 `json:"accuracy"`
	Confidence float64 `json:"confidence"` // mean confidence of the bin's rows
}

// Result is what Evaluate measured (see the package doc for each figure's definition).
type Result struct {
	Rows           int          `json:"rows"`
	Correct        int          `json:"correct"`
	Accuracy       float64      `json:"accuracy"`
	Labels         []string     `json:"labels"`
	Classes        []ClassStats `json:"classes"`
	MacroPrecision float64      `json:"macro_precision"`
	MacroRecall    float64      `json:"macro_recall"`
	MacroF1        float64      `json:"macro_f1"`
	WeightedF1     float64      `json:"weighted_f1"`
	// Confusion[t][p] counts rows of true class t predicted as p.
	Confusion [][]int `json:"confusion"`
	// ROCAUC is set for binary models when both classes occur.
	ROCAUC *float64 `json:"roc_auc,omitempty"`
	// ECE, MCE and Bins are set for probability outputs (sigmoid or softmax).
	ECE   *float64 `json:"ece,omitempty"`
	MCE   *float64 `json:"mce,omitempty"`
	Bins  []Bin    `json:"calibration_bins,omitempty"`
	Notes []string `json:"notes,omitempty"` // why a figure is absent
}

// Predictions are per-row model outputs reduced to what the metrics need.
type Predictions struct {
	Truth []int // true class
	Pred  []int // predicted class
	// Score is the positive-class score for ROC AUC (binary models), else nil.
	Score []float64
	// Conf is the probability of the predicted class for calibration, nil when the
	// outputs are not probabilities.
	Conf []float64
}

// Evaluate predicts every row with m and computes the metrics.
func Evaluate(m *runtime.Model, rows []Row, opts Options) (*Result, error) {
	labels := m.Labels()
	n := max(len(labels), 2)
	if m.Outputs() > 1 {
		n = m.Outputs()
	}
	dense := m.Meta.Arch.Dense
	act := dense[len(dense)-1].Activation
	prob := act == "sigmoid" || act == "softmax"
	binary := m.Outputs() <= 2
	var pr Predictions
	pr.Truth = make([]int, len(rows))
	pr.Pred = make([]int, len(rows))
	if binary {
		pr.Score = make([]float64, len(rows))
	}
	if prob {
		pr.Conf = make([]float64, len(rows))
	}
	p := m.NewPredictor()
	for i, r := range rows {
		if r.Label < 0 || r.Label >= n {
			return nil, fmt.Errorf("eval: row %d has class %d, the model has %d classes", i, r.Label, n)
		}
		res := p.PredictText(r.Text)
		pr.Truth[i], pr.Pred[i] = r.Label, res.Label
		s := res.Scores
		if binary {
			pr.Score[i] = float64(s[len(s)-1])
		}
		if prob {
			if len(s) == 1 {
				c := float64(s[0])
				if res.Label == 0 {
					c = 1 - c
				}
				pr.Conf[i] = c
			} else {
				pr.Conf[i] = float64(s[res.Label])
			}
		}
	}
	names := make([]string, n)
	for i := range names {
		if i < len(labels) {
			names[i] = labels[i]
		} else {
			names[i] = fmt.Sprint(i)
		}
	}
	res, err := Compute(names, pr, opts.Bins)
	if err != nil {
		return nil, err
	}
	if !prob {
		res.Notes = append(res.Notes, fmt.Sprintf("no calibration error: the last layer is %s, its outputs are not probabilities", act))
	}
	if !binary {
		res.Notes = append(res.Notes, fmt.Sprintf("no ROC AUC: %d classes (binary models only)", n))
	}
	return res, nil
}

// Compute computes the metrics of pr for the classes named by labels.
func Compute(labels []string, pr Predictions, bins int) (*Result, error) {
	k := len(labels)
	rows := len(pr.Truth)
	switch {
	case rows == 0:
		return nil, errors.New("eval: no rows")
	case len(pr.Pred) != rows || (pr.Score != nil && len(pr.Score) != rows) || (pr.Conf != nil && len(pr.Conf) != rows):
		return nil, errors.New("eval: internal error: prediction slices of different lengths")
	case k < 2:
		return nil, fmt.Errorf("eval: %d classes; a classifier has at least 2", k)
	}
	if bins == 0 {
		bins = DefaultBins
	}
	if bins < 1 || bins > 1000 {
		return nil, fmt.Errorf("eval: %d calibration bins; use 1 to 1000 (default %d)", bins, DefaultBins)
	}
	r := &Result{Rows: rows, Labels: labels, Confusion: make([][]int, k)}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, k)
	}
	for i, t := range pr.Truth {
		p := pr.Pred[i]
		if t < 0 || t >= k || p < 0 || p >= k {
			return nil, fmt.Errorf("eval: row %d: class %d or prediction %d outside 0..%d", i, t, p, k-1)
		}
		r.Confusion[t][p]++
		if t == p {
			r.Correct++
		}
	}
	r.Accuracy = float64(r.Correct) / float64(rows)
	for c := 0; c < k; c++ {
		tp := r.Confusion[c][c]
		support, predicted := 0, 0
		for j := 0; j < k; j++ {
			support += r.Confusion[c][j]
			predicted += r.Confusion[j][c]
		}
		s := ClassStats{Label: labels[c], Support: support, Predicted: predicted,
			Precision: ratio(tp, predicted), Recall: ratio(tp, support)}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		r.Classes = append(r.Classes, s)
		r.MacroPrecision += s.Precision / float64(k)
		r.MacroRecall += s.Recall / float64(k)
		r.MacroF1 += s.F1 / float64(k)
		r.WeightedF1 += s.F1 * float64(support) / float64(rows)
	}
	if pr.Score != nil {
		if auc, ok := ROCAUC(pr.Truth, pr.Score); ok {
			r.ROCAUC = &auc
		} else {
			r.Notes = append(r.Notes, "no ROC AUC: the rows hold only one class")
		}
	}
	if pr.Conf != nil {
		correct := make([]bool, rows)
		for i := range correct {
			correct[i] = pr.Truth[i] == pr.Pred[i]
		}
		ece, mce, b := Calibration(pr.Conf, correct, bins)
		r.ECE, r.MCE, r.Bins = &ece, &mce, b
	}
	return r, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ROCAUC returns the area under the ROC curve of score for class 1 (truth != 0 is positive),
// from average ranks (Mann-Whitney U), and false when one class is absent.
func ROCAUC(truth []int, score []float64) (float64, bool) {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j, averaged
		for _, x := range idx[i:j] {
			if truth[x] != 0 {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, false
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg), true
}

// Calibration returns the expected and maximum calibration errors of confidences conf with
// outcomes correct over bins equal-width bins (see the package doc), and the bins.
func Calibration(conf []float64, correct []bool, bins int) (ece, mce float64, out []Bin) {
	out = make([]Bin, bins)
	sumConf := make([]float64, bins)
	hits := make([]int, bins)
	for i := range out {
		out[i].Lo, out[i].Hi = float64(i)/float64(bins), float64(i+1)/float64(bins)
	}
	for i, c := range conf {
		if math.IsNaN(c) {
			c = 0
		}
		b := int(c * float64(bins))
		b = min(max(b, 0), bins-1)
		out[b].Rows++
		sumConf[b] += c
		if correct[i] {
			hits[b]++
		}
	}
	n := float64(len(conf))
	for i := range out {
		if out[i].Rows == 0 {
			continue
		}
		cnt := float64(out[i].Rows)
		out[i].Accuracy = float64(hits[i]) / cnt
		out[i].Confidence = sumConf[i] / cnt
		gap := math.Abs(out[i].Accuracy - out[i].Confidence)
		ece += cnt / n * gap
		mce = max(mce, gap)
	}
	return ece, mce, slices.Clip(out)
}
