package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/internal/train"
)

// runTrain implements 'edgewatt train': the Keras tutorial's text classifier trained in Go,
// written as a Keras 2 legacy .h5 plus a Tokenizer.to_json() file.
func runTrain(env *Env) error {
	fs := newFlagSet(env, "train", "--data FILE [--val FILE | --val-split F | --train-rows N] [flags]")
	c := train.DefaultConfig()
	data := fs.String("data", "", "training data: CSV (label,text; RFC 4180 quoting) or JSON Lines ({\"label\":…,\"text\":…})")
	valFile := fs.String("val", "", "validation data file (same formats); monitored for early stopping")
	valSplit := fs.Float64("val-split", 0, "use the last fraction of --data for validation, as Keras's validation_split")
	testFile := fs.String("test", "", "test data file (same formats): report its loss and accuracy after training")
	trainRows := fs.Int("train-rows", 0, "use the first N rows of --data for training and the rest for validation (the course split: 20000)")
	fs.IntVar(&c.Vocab, "vocab", c.Vocab, "vocabulary size (Tokenizer num_words, Embedding input_dim)")
	fs.IntVar(&c.Dim, "dim", c.Dim, "embedding width")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "units of the relu Dense layer")
	fs.IntVar(&c.MaxLen, "maxlen", c.MaxLen, "padded sequence length")
	fs.StringVar(&c.Padding, "padding", c.Padding, "pad_sequences padding: pre or post")
	fs.StringVar(&c.Truncating, "truncating", c.Truncating, "pad_sequences truncating: pre or post")
	fs.StringVar(&c.OOV, "oov", c.OOV, "out-of-vocabulary token (index 1); empty for none")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "maximum number of epochs")
	fs.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	fs.Float64Var(&c.LR, "lr", 0, "learning rate (default: Keras's, 0.001 for adam, 0.01 for sgd)")
	fs.Float64Var(&c.L2, "l2", 0, "L2 penalty on the Dense kernels (0: none)")
	fs.Float64Var(&c.L1, "l1", 0, "L1 penalty on the Dense kernels (0: none; with --l2 Keras's L1L2)")
	fs.StringVar(&c.Pool, "pool", train.PoolAvg, "pooling after the embedding: avg (GlobalAveragePooling1D), max (GlobalMaxPooling1D) or flatten (Flatten)")
	fs.StringVar(&c.Loss, "loss", train.LossCrossEntropy, "loss: crossentropy (binary or sparse categorical) or mse (mean squared error)")
	fs.StringVar(&c.Optimizer, "optimizer", "adam", "optimizer: adam or sgd")
	fs.Float64Var(&c.Momentum, "momentum", 0, "sgd momentum in [0, 1] (Keras SGD)")
	fs.BoolVar(&c.Nesterov, "nesterov", false, "sgd: Nesterov momentum (needs --momentum)")
	fs.Float64Var(&c.Dropout, "dropout", 0, "rate of a Dropout layer after the pooling (0: none)")
	fs.IntVar(&c.Patience, "patience", c.Patience, "early stopping: epochs without a lower val_loss before stopping")
	fs.BoolVar(&c.Restore, "restore-best", c.Restore, "keep the weights of the epoch with the lowest val_loss")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed (initial weights, shuffling, dropout); equal seeds give equal files")
	out := fs.String("o", "model.h5", "output Keras .h5 model")
	tokOut := fs.String("tokenizer", "", "output tokenizer JSON (default: the model path with .tokenizer.json)")
	labelsOut := fs.String("labels", "", "also write the class labels, one per line in class order, to this file")
	quiet := fs.Bool("quiet", false, "no progress bars")
	pos, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("train: unexpected argument %q; the data file goes in --data", pos[0])
	}
	if *data == "" {
		return usagef("train: --data FILE is required (CSV label,text or JSON Lines)")
	}
	given := 0
	for _, b := range []bool{*valFile != "", *valSplit != 0, *trainRows != 0} {
		if b {
			given++
		}
	}
	if given > 1 {
		return usagef("train: give at most one of --val, --val-split and --train-rows")
	}
	if !(*valSplit >= 0 && *valSplit < 1) {
		return usagef("train: --val-split %g: want a fraction in [0, 1)", *valSplit)
	}
	if *trainRows < 0 {
		return usagef("train: --train-rows %d: want a positive row count", *trainRows)
	}
	if c.LR == 0 { // Keras's default for the optimizer
		c.LR = train.DefaultConfig().LR
		if c.Optimizer == "sgd" {
			c.LR = train.DefaultSGDLR
		}
	}
	if err := c.Check(); err != nil {
		return usagef("train: %v", err)
	}
	if *tokOut == "" {
		*tokOut = strings.TrimSuffix(*out, ".h5") + ".tokenizer.json"
	}

	outs := []safeio.Path{{Flag: "-o", Path: *out}, {Flag: "--tokenizer", Path: *tokOut}, {Flag: "--labels", Path: *labelsOut}}
	ins := []safeio.Path{{Flag: "--data", Path: *data}, {Flag: "--val", Path: *valFile}, {Flag: "--test", Path: *testFile}}
	if err := safeio.CheckOutputs(outs, ins); err != nil {
		return fmt.Errorf("train: %w", err)
	}

	ex, err := readExamples(env.Stdout, *data)
	if err != nil {
		return err
	}
	var testEx []train.Example
	if *testFile != "" {
		if testEx, err = readExamples(env.Stdout, *testFile); err != nil {
			return err
		}
	}
	trainEx, valEx := ex, []train.Example(nil)
	switch {
	case *valFile != "":
		if valEx, err = readExamples(env.Stdout, *valFile); err != nil {
			return err
		}
	case *valSplit > 0:
		n := int(float64(len(ex)) * (1 - *valSplit)) // Keras: split_at = int(len(x) * (1 - validation_split))
		trainEx, valEx = ex[:n], ex[n:]
	case *trainRows > 0:
		if *trainRows >= len(ex) {
			return usagef("train: --train-rows %d leaves no validation rows: %s has %d rows", *trainRows, *data, len(ex))
		}
		trainEx, valEx = ex[:*trainRows], ex[*trainRows:]
	}
	if len(trainEx) == 0 {
		return fmt.Errorf("train: no training rows left after the validation split; lower --val-split")
	}

	var progress io.Writer = env.Stderr
	if *quiet {
		progress = nil
	}
	fmt.Fprintf(env.Stdout, "train: %d training and %d validation examples from %s\n", len(trainEx), len(valEx), *data)
	start := time.Now()
	res, err := train.Train(c, trainEx, valEx, progress)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := res.WriteFiles(*out, *tokOut); err != nil {
		return err
	}
	if *labelsOut != "" {
		err := safeio.WriteAtomic(*labelsOut, func(w io.Writer) error {
			_, err := io.WriteString(w, strings.Join(res.Labels.Names, "\n")+"\n")
			return err
		})
		if err != nil {
			return fmt.Errorf("train: --labels: %w", err)
		}
	}
	counts := res.Labels.Counts(trainEx)
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = fmt.Sprintf("%s %d", res.Labels.Names[i], n)
	}
	fmt.Fprintf(env.Stdout, "train: training rows per class: %s\n", strings.Join(parts, ", "))
	best := res.History[res.Best]
	fmt.Fprintf(env.Stdout, "train: %d classes (%s); the tokenizer indexed %d words, the model uses ids below %d; %d epochs in %.1fs\n",
		res.Labels.Classes(), strings.Join(res.Labels.Names, ", "), res.Tokenizer.VocabSize(), c.Vocab,
		len(res.History), elapsed.Seconds())
	if len(valEx) > 0 {
		fmt.Fprintf(env.Stdout, "train: kept epoch %d: loss %.4f accuracy %.4f, val_loss %.4f val_accuracy %.4f\n",
			res.Best+1, best.Loss, best.Accuracy, best.ValLoss, best.ValAccuracy)
	} else {
		fmt.Fprintf(env.Stdout, "train: no validation data (use --val, --val-split or --train-rows for early stopping); final loss %.4f accuracy %.4f\n",
			best.Loss, best.Accuracy)
	}
	if len(testEx) > 0 {
		loss, acc, err := res.Evaluate(testEx)
		if err != nil {
			return fmt.Errorf("train: test data %s: %w", *testFile, err)
		}
		fmt.Fprintf(env.Stdout, "train: test (%d examples from %s): loss %.4f accuracy %.4f\n", len(testEx), *testFile, loss, acc)
	}
	fmt.Fprintf(env.Stdout, "train: wrote %s and %s\n", *out, *tokOut)
	return nil
}

// readExamples reads a data file; a first row that is a header (train.SplitHeader) is
// dropped, saying so on w.
func readExamples(w io.Writer, path string) ([]train.Example, error) {
	ex, err := readExamplesFile(path)
	if err != nil {
		return nil, err
	}
	ex, h := train.SplitHeader(ex)
	if h != nil {
		fmt.Fprintf(w, "train: %s: first row %q,%q read as a header\n", path, h.Label, h.Text)
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("train: %s has a header but no examples", path)
	}
	return ex, nil
}

func readExamplesFile(path string) ([]train.Example, error) {
	f, size, err := safeio.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	if size > safeio.MaxTextFile {
		return nil, fmt.Errorf("train: %s is %d bytes, more than the %d edgewatt reads as training data", path, size, int64(safeio.MaxTextFile))
	}
	return train.ReadExamples(io.LimitReader(f, safeio.MaxTextFile), path)
}
