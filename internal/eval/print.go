package eval

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes r readably: accuracy, the per-class table, the confusion matrix, ROC AUC and
// the calibration bins.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "accuracy     %.4f (%d of %d rows)\n", r.Accuracy, r.Correct, r.Rows)
	if r.ROCAUC != nil {
		fmt.Fprintf(w, "ROC AUC      %.4f\n", *r.ROCAUC)
	}
	if r.ECE != nil {
		fmt.Fprintf(w, "ECE          %.4f (%d equal-width bins; MCE %.4f)\n", *r.ECE, len(r.Bins), *r.MCE)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tprecision\trecall\tF1\tsupport\tpredicted\t")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\t%d\t\n", c.Label, c.Precision, c.Recall, c.F1, c.Support, c.Predicted)
	}
	fmt.Fprintf(tw, "macro avg\t%.4f\t%.4f\t%.4f\t%d\t\t\n", r.MacroPrecision, r.MacroRecall, r.MacroF1, r.Rows)
	fmt.Fprintf(tw, "weighted F1\t\t\t%.4f\t\t\t\n", r.WeightedF1)
	tw.Flush()
	fmt.Fprintln(w, "\nconfusion (rows: true class, columns: predicted)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t\n", strings.Join(r.Labels, "\t"))
	for i, row := range r.Confusion {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = fmt.Sprint(v)
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", r.Labels[i], strings.Join(cells, "\t"))
	}
	tw.Flush()
	if r.ECE != nil {
		fmt.Fprintln(w, "\ncalibration (confidence = probability of the predicted class)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "bin\trows\taccuracy\tconfidence\t")
		for i, b := range r.Bins {
			if b.Rows == 0 {
				continue
			}
			close := ")"
			if i == len(r.Bins)-1 {
				close = "]"
			}
			fmt.Fprintf(tw, "[%.2f, %.2f%s\t%d\t%.4f\t%.4f\t\n", b.Lo, b.Hi, close, b.Rows, b.Accuracy, b.Confidence)
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
