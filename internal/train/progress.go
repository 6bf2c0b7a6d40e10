package train

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// bar prints a Keras-style progress bar for one epoch:
//
//	Epoch 1/10
//	625/625 [==============================] - 1s 2ms/step - loss: 0.5638 - accuracy: 0.7010 - val_loss: 0.3921 - val_accuracy: 0.8301
//
// redrawing the line with '\r' at most ten times a second.
type bar struct {
	w      io.Writer
	steps  int
	start  time.Time
	last   time.Time
	line   string
	width  int
	active bool
}

func newBar(w io.Writer, epoch, epochs, steps int) *bar {
	b := &bar{w: w, steps: steps, start: time.Now(), width: 30}
	b.last = b.start
	if w != nil {
		fmt.Fprintf(w, "Epoch %d/%d\n", epoch, epochs)
	}
	return b
}

func (b *bar) progress(step int) string {
	n := b.width * step / b.steps
	s := strings.Repeat("=", n)
	if n < b.width {
		s += ">" + strings.Repeat(".", b.width-n-1)
	}
	digits := len(fmt.Sprint(b.steps))
	return fmt.Sprintf("%*d/%d [%s]", digits, step, b.steps, s)
}

func (b *bar) update(step int, loss, acc float64) {
	if b.w == nil || step == b.steps {
		return
	}
	now := time.Now()
	if now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	el := now.Sub(b.start)
	eta := time.Duration(float64(el) / float64(step) * float64(b.steps-step))
	line := fmt.Sprintf("%s - ETA: %s - loss: %.4f - accuracy: %.4f", b.progress(step), fmtDur(eta), loss, acc)
	pad := ""
	if len(line) < len(b.line) {
		pad = strings.Repeat(" ", len(b.line)-len(line))
	}
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
	b.line, b.active = line, true
}

func (b *bar) done(e Epoch) {
	if b.w == nil {
		return
	}
	per := e.Duration / time.Duration(max(b.steps, 1))
	line := fmt.Sprintf("%s - %s %s/step - loss: %.4f - accuracy: %.4f", b.progress(b.steps), fmtDur(e.Duration), fmtDur(per), e.Loss, e.Accuracy)
	if !math.IsNaN(e.ValLoss) {
		line += fmt.Sprintf(" - val_loss: %.4f - val_accuracy: %.4f", e.ValLoss, e.ValAccuracy)
	}
	pad := ""
	if len(line) < len(b.line) {
		pad = strings.Repeat(" ", len(b.line)-len(line))
	}
	if b.active {
		fmt.Fprint(b.w, "\r")
	}
	fmt.Fprintf(b.w, "%s%s\n", line, pad)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%dus", d.Microseconds())
	}
}
