// Package eval measures a converted model on labelled texts with the runtime that runs it on
// the board: accuracy, per-class precision, recall and F1, the confusion matrix, ROC AUC for
// binary models and the expected calibration error. It needs nothing but the model file and
// the data, so `edgewatt eval` works on a Raspberry Pi as on the desktop, on float32, float16
// and int8 files alike.
//
// # Data
//
// The file is read by internal/train's reader (train.ReadExamples), so whatever `edgewatt
// train` reads, eval reads: CSV with two fields per record, label then text (RFC 4180
// quoting), or JSON Lines with a "text" (or "headline", "sentence") string and a "label" (or
// "is_sarcastic") string, number or boolean. A label is a class index 0..n-1 or one of the
// model's label names (Model.Labels; a single sigmoid output has two classes). A CSV header
// (is_sarcastic,headline) is dropped by the reader: a first row whose label is not an integer
// and occurs in no other row. Any other unknown label is an error naming the record.
//
// # Row ranges
//
// --rows A:B selects data rows A (inclusive) to B (exclusive), counted from 0 after a header
// is dropped, as Python's rows[A:B]: either bound may be omitted (20000: is row 20000 to the
// end) and negative bounds count from the end (-500: is the last 500 rows). A range past the
// end is clipped, as Python does; an empty selection is an error.
//
// # Metrics
//
// The predicted class is the runtime's Result.Label: argmax of the outputs, or for a single
// output score > 0.5 (sigmoid; Keras's binary_accuracy) or > 0 (linear, tanh).
//
//   - accuracy: correct / rows.
//   - per class c: precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R), support =
//     rows whose true class is c. A ratio with a zero denominator is reported as 0 (what
//     scikit-learn's zero_division=0 gives); macro averages are plain means over classes,
//     weighted averages weight each class by its support.
//   - confusion matrix: Confusion[true][predicted] counts.
//   - ROC AUC (binary models only: one output, or two): the probability that a random positive
//     row (class 1) scores above a random negative one, ties counting one half; computed
//     exactly from ranks (the Mann-Whitney U statistic with average ranks for tied scores),
//     which equals the trapezoidal area under the full ROC curve (scikit-learn's
//     roc_auc_score). The score is the single output, or the second output of two. Undefined,
//     and omitted, when the rows hold only one class.
//   - expected calibration error (Guo et al., "On Calibration of Modern Neural Networks",
//     2017), for probability outputs only (sigmoid or softmax last layer): each row's
//     confidence is the probability the model gives its predicted class (max(p, 1-p) for one
//     sigmoid output, the largest softmax output otherwise). Rows are put in Bins (default 10)
//     equal-width bins over [0, 1]: bin i holds confidences in [i/Bins, (i+1)/Bins), the last
//     bin also holds 1.0. ECE = sum over bins of (rows in bin / rows) x |accuracy in bin -
//     mean confidence in bin|; the maximum calibration error (MCE) is the largest of those
//     gaps over non-empty bins. Each bin's count, accuracy and mean confidence are reported.
//     Sums run in float64.
package eval
